/** `export --parquet DIR [SPEC] [--out RUN_DIR]`: every table of a run's store as Parquet. */
import { parseArgs } from "node:util";
import { exportParquet, openStore, storePath } from "../store/mod.ts";
import { exists } from "../util/fs.ts";
import { defaultOutDir, EXIT, guard, loadExperiment, UsageError } from "./common.ts";

/** `export` entry point for `main.ts`. */
export function exportCommand(args: string[]): Promise<number> {
  return guard(async () => {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: { parquet: { type: "string" }, out: { type: "string" } },
      });
    } catch (e) {
      throw new UsageError(`export: ${(e as Error).message}`);
    }
    const { values, positionals } = parsed;
    if (!values.parquet) throw new UsageError("export needs --parquet DIR");
    if (positionals.length > 1) throw new UsageError("export takes at most one spec file");
    const outDir = values.out ?? defaultOutDir(await loadExperiment(positionals[0]));
    const path = storePath(outDir);
    if (!(await exists(path))) {
      console.error(`zerogrid: no store at ${path}`);
      return EXIT.failed;
    }
    const store = await openStore(path, { readOnly: true });
    try {
      for (const f of await exportParquet(store, values.parquet)) {
        console.log(`${f.file}  ${f.rows} rows`);
      }
    } finally {
      await store.close();
    }
    return EXIT.ok;
  });
}
