/** `merge --out DIR SHARD_DIR...`: fold shard run directories into one store. */
import { parseArgs } from "node:util";
import { mergeStores, openStore, storePath } from "../store/mod.ts";
import { exists } from "../util/fs.ts";
import { EXIT, guard, UsageError } from "./common.ts";

/** `merge` entry point for `main.ts`. */
export function mergeCommand(args: string[]): Promise<number> {
  return guard(async () => {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { out: { type: "string" } } });
    } catch (e) {
      throw new UsageError(`merge: ${(e as Error).message}`);
    }
    const { values, positionals } = parsed;
    if (!values.out) throw new UsageError("merge needs --out DIR (the merged run directory)");
    if (!positionals.length) throw new UsageError("merge needs one or more shard directories");
    const shards: string[] = [];
    for (const p of positionals) {
      const path = p.endsWith(".duckdb") ? p : storePath(p.replace(/\/$/, ""));
      if (!(await exists(path))) throw new UsageError(`merge: no store at ${path}`);
      shards.push(path);
    }
    if (shards.includes(storePath(values.out.replace(/\/$/, "")))) {
      throw new UsageError("merge: --out must differ from every shard");
    }
    // Every shard must open before the merged directory is created, so a bad shard writes nothing.
    for (const path of shards) await (await openStore(path, { readOnly: true })).close();
    await Deno.mkdir(`${values.out}/artifacts`, { recursive: true });
    const store = await openStore(storePath(values.out));
    try {
      for (const r of await mergeStores(store, values.out, shards)) {
        console.log(`${r.shard}: ${r.jobsTaken} jobs merged, ${r.jobsKept} already present`);
      }
    } finally {
      await store.close();
    }
    return EXIT.ok;
  });
}
