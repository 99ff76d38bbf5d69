/** `status [SPEC] [--out DIR]`: what an experiment's run directory holds. */
import { parseArgs } from "node:util";
import { codeVersion, expandGraph } from "../grid/mod.ts";
import { formatDuration } from "../runner/progress.ts";
import {
  experiments,
  jobStatuses,
  type JobStatusRow,
  openStore,
  storePath,
  tableCounts,
} from "../store/mod.ts";
import { exists } from "../util/fs.ts";
import { defaultOutDir, EXIT, guard, loadExperiment, UsageError } from "./common.ts";

function firstLine(s: string | null): string {
  return (s ?? "").split("\n")[0].slice(0, 200);
}

// Status reads the store only when no run holds it, so a `running` row is a run that was killed.
const STATUS_ORDER = [
  ["done", "done"],
  ["running", "interrupted"],
  ["pending", "pending"],
  ["failed", "failed"],
  ["skipped", "skipped"],
] as const;

/** Per kind, e.g. `pretrain: done 2, pending 1`. */
function byKind(rows: JobStatusRow[]): { kind: string; text: string }[] {
  const kinds = [...new Set(rows.map((r) => r.kind))];
  return kinds.map((kind) => ({
    kind,
    text: STATUS_ORDER
      .map(([s, shown]) =>
        [shown, rows.filter((r) => r.kind === kind && r.status === s).length] as const
      )
      .filter(([, n]) => n > 0)
      .map(([shown, n]) => `${shown} ${n}`)
      .join(", "),
  }));
}

/** Print the summary of a run directory; returns the exit code. */
export async function status(spec: string | undefined, out: string | undefined): Promise<number> {
  // With --out alone the spec is not needed; otherwise it names the directory and the plan.
  const exp = out !== undefined && spec === undefined ? null : await loadExperiment(spec);
  const outDir = out ?? defaultOutDir(exp!);
  const path = storePath(outDir);
  if (!(await exists(path))) {
    console.log(`no results in ${outDir} yet (run \`deno task ablate${spec ? ` ${spec}` : ""}\`)`);
    return EXIT.failed;
  }
  let store;
  try {
    store = await openStore(path, { readOnly: true });
  } catch {
    // A running ablate holds the write lock; its progress mirror says where it is.
    const progress = `${outDir}/progress.json`;
    if (await exists(progress)) {
      const p = JSON.parse(await Deno.readTextFile(progress));
      console.log(`${outDir}: running (pid ${p.pid}), updated ${p.updated_at}`);
      console.log(
        `  ${p.done + p.failed + p.skipped}/${p.total} jobs: done ${p.done}, failed ${p.failed}, ` +
          `skipped ${p.skipped}; ETA ${p.eta}`,
      );
      for (const r of p.running) {
        console.log(`  running ${r.label}${r.total ? ` step ${r.step}/${r.total}` : ""}`);
      }
      return EXIT.ok;
    }
    console.log(`${outDir}: the store is in use by another process`);
    return EXIT.failed;
  }
  try {
    const exps = await experiments(store);
    const name = exp?.name ?? (exps.length === 1 ? exps[0].name : undefined);
    console.log(`${outDir}: experiment(s) ${exps.map((e) => e.name).join(", ") || "(none)"}`);
    const statuses = await jobStatuses(store, name);
    // With a spec, only the jobs of its current plan count; rows left by earlier code versions or
    // spec edits are summarised apart so they do not read as work still to do.
    let rows = [...statuses.values()];
    let stale: typeof rows = [];
    if (exp) {
      const graph = expandGraph(exp, await codeVersion());
      const ids = new Set(graph.jobs.map((j) => j.id));
      stale = rows.filter((r) => !ids.has(r.jobId));
      rows = graph.jobs.map((j) =>
        statuses.get(j.id) ?? {
          jobId: j.id,
          experiment: exp.name,
          kind: j.kind,
          label: j.label,
          status: "pending" as const,
          attempts: 0,
          lastStep: null,
          seconds: null,
          error: null,
          errorKind: null,
        }
      );
      const done = rows.filter((r) => r.status === "done").length;
      const changed = exp.hash !== exps.find((e) => e.name === exp.name)?.specHash;
      console.log(
        `  plan: ${graph.points.length} points, ${graph.jobs.length} jobs, ${done} done; ` +
          `code version ${graph.codeVersion}` +
          (changed ? " (the spec changed since the last run)" : ""),
      );
    }
    console.log(`  jobs by kind and status${exp ? " (current plan)" : ""}:`);
    for (const k of byKind(rows)) console.log(`    ${k.kind.padEnd(10)} ${k.text}`);
    const secs = [...statuses.values()].reduce((a, r) => a + (r.seconds ?? 0), 0);
    console.log(`  compute time recorded: ${formatDuration(secs)}`);
    for (const r of rows.filter((r) => r.status === "failed")) {
      console.log(`  failed  ${r.jobId} ${r.label}: ${firstLine(r.error)}`);
    }
    for (const r of rows.filter((r) => r.status === "skipped")) {
      console.log(`  skipped ${r.jobId} ${r.label}: ${firstLine(r.error)}`);
    }
    for (
      const r of rows.filter((r) =>
        r.status === "running" || (r.status === "pending" && r.attempts)
      )
    ) {
      console.log(`  resumable ${r.jobId} ${r.label} (last step ${r.lastStep ?? "-"})`);
    }
    if (stale.length) {
      console.log(
        `  ${stale.length} stored job(s) are not in the current plan (earlier code versions or ` +
          `spec edits; kept, unused): ${
            byKind(stale).map((k) => `${k.kind} ${k.text}`).join("; ")
          }`,
      );
    }
    const t = await tableCounts(store);
    console.log(
      `  rows: ${Object.entries(t).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** `status` entry point for `main.ts`. */
export function statusCommand(args: string[]): Promise<number> {
  return guard(() => {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { out: { type: "string" } } });
    } catch (e) {
      throw new UsageError(`status: ${(e as Error).message}`);
    }
    if (parsed.positionals.length > 1) throw new UsageError("status takes at most one spec file");
    return status(parsed.positionals[0], parsed.values.out);
  });
}
