/** `ablate [SPEC] [options]`: plan or run an experiment's job graph into its run directory. */
import { parseArgs } from "node:util";
import { codeVersion, expandGraph, formatPlan } from "../grid/mod.ts";
import type { JobGraph } from "../grid/types.ts";
import { acquireGpu, type Gpu } from "../gpu/context.ts";
import type { JobKind } from "../runner/kind.ts";
import { checkKinds, type ResourceProvider, runGraph } from "../runner/run.ts";
import { parseOnly, parseShard, selectGraph } from "../runner/select.ts";
import { createProgress, stderrProgressOptions } from "../runner/progress.ts";
import { installStopSignals } from "../runner/signals.ts";
import { jobStatuses, openStore, storePath } from "../store/mod.ts";
import { exists } from "../util/fs.ts";
import { defaultOutDir, EXIT, guard, intOption, loadExperiment, UsageError } from "./common.ts";
import { loadJobKinds } from "./kinds.ts";
import { formatTimings, writeRunReport } from "./report.ts";

/** Options of `ablate`, after parsing. */
export interface AblateOptions {
  spec: string | undefined;
  plan: boolean;
  out: string | undefined;
  jobs: number;
  retries: number;
  shard: string | undefined;
  only: string[];
  adapter: string | undefined;
}

/** Parse `ablate`'s arguments. */
export function parseAblateArgs(args: string[]): AblateOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        plan: { type: "boolean", default: false },
        out: { type: "string" },
        jobs: { type: "string" },
        retries: { type: "string" },
        shard: { type: "string" },
        only: { type: "string", multiple: true },
        adapter: { type: "string" },
      },
    });
  } catch (e) {
    throw new UsageError(`ablate: ${(e as Error).message}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new UsageError(`ablate takes one spec file, got ${positionals.join(" ")}`);
  }
  return {
    spec: positionals[0],
    plan: values.plan ?? false,
    out: values.out,
    jobs: intOption("jobs", values.jobs, 1) ?? 1,
    retries: intOption("retries", values.retries, 0) ?? 0,
    shard: values.shard,
    only: values.only ?? [],
    adapter: values.adapter,
  };
}

/** Ids of jobs already done in the store at `outDir` (none when there is no store yet). */
async function doneIds(outDir: string): Promise<Set<string> | null> {
  const path = storePath(outDir);
  if (!(await exists(path))) return new Set();
  try {
    const store = await openStore(path, { readOnly: true });
    try {
      const st = await jobStatuses(store);
      return new Set([...st.values()].filter((r) => r.status === "done").map((r) => r.jobId));
    } finally {
      await store.close();
    }
  } catch {
    return null; // locked by a running ablate
  }
}

/** Acquire the GPU on first use only, so plans, finished grids and CPU kinds never touch it. */
function lazyGpu(adapter: string | undefined): { provider: ResourceProvider; release(): void } {
  let gpu: Promise<Gpu> | null = null;
  return {
    provider: async () => {
      gpu ??= acquireGpu({ adapter });
      return { gpu: await gpu };
    },
    release() {
      gpu?.then((g) => g.device.destroy(), () => {});
    },
  };
}

/** Run `ablate` with already-parsed options and a job-kind registry; returns the exit code. */
export async function ablate(opts: AblateOptions, kinds: Map<string, JobKind>): Promise<number> {
  // Everything that can be wrong with the input is checked before anything is written.
  const exp = await loadExperiment(opts.spec);
  const full: JobGraph = expandGraph(exp, await codeVersion());
  const graph = selectGraph(full, {
    only: parseOnly(opts.only),
    shard: opts.shard === undefined ? undefined : parseShard(opts.shard),
  });
  const outDir = opts.out ?? defaultOutDir(exp);
  if (opts.plan) {
    const done = await doneIds(outDir);
    console.log(formatPlan(graph, done ?? new Set()));
    if (done === null) console.log(`(store ${storePath(outDir)} is in use; done status unknown)`);
    console.log(`results: ${outDir}`);
    return EXIT.ok;
  }
  checkKinds(graph.jobs, kinds);

  await Deno.mkdir(outDir, { recursive: true });
  const store = await openStore(storePath(outDir));
  const progress = createProgress(
    stderrProgressOptions(opts.jobs, `${outDir}/progress.json`),
  );
  const stop = await installStopSignals((s) =>
    progress.note(
      `${s} received; stopping once running jobs checkpoint (send again to exit at once)`,
    )
  );
  const gpu = lazyGpu(opts.adapter);
  try {
    const summary = await runGraph({
      store,
      outDir,
      experiment: { name: exp.name, hash: exp.hash, text: exp.text },
      graph,
      kinds,
      concurrency: opts.jobs,
      retries: opts.retries,
      resources: gpu.provider,
      signal: stop.signal,
      progress,
    });
    console.log(
      `${exp.name}: ${summary.total} jobs: ${summary.alreadyDone} already done, ` +
        `${summary.done} done now, ${summary.failed} failed, ${summary.skipped} skipped, ` +
        `${summary.interrupted} interrupted; results in ${outDir}`,
    );
    if (stop.signal.aborted) return EXIT.interrupted;
    return summary.failed || summary.skipped || summary.interrupted ? EXIT.failed : EXIT.ok;
  } finally {
    stop.dispose();
    gpu.release();
    await store.close();
  }
}

/**
 * Run the grid, then write its report (tables, figures, claim verdicts) into `<out>/report/`.
 * A plan, a stopped run or a shard writes none: a shard's report comes after `merge`. The exit
 * code is the run's; claims decide it only under `replicate`.
 */
export async function ablateAndReport(
  opts: AblateOptions,
  kinds: Map<string, JobKind>,
): Promise<number> {
  const code = await ablate(opts, kinds);
  if (opts.plan || code === EXIT.interrupted || opts.shard !== undefined) return code;
  const exp = await loadExperiment(opts.spec);
  const outDir = opts.out ?? defaultOutDir(exp);
  const report = await writeRunReport(exp, outDir);
  console.log(`report: ${outDir}/report/index.md (${formatTimings(report.timings)})`);
  return code;
}

/** `ablate` entry point for `main.ts`. */
export function ablateCommand(args: string[]): Promise<number> {
  return guard(async () => ablateAndReport(parseAblateArgs(args), await loadJobKinds()));
}
