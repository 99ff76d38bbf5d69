/**
 * The runner: executes a job graph with a bounded worker pool, in dependency order, against a
 * store.
 *
 * Durability: a job's rows are buffered in its sink and committed only together with a
 * checkpoint (`ctx.checkpoint.save`) or with its completion, each in one transaction. A crash or
 * SIGKILL therefore loses only rows after the last checkpoint; the next run resumes the job from
 * that checkpoint (deleting any row beyond it first) and the kind emits them again. A failed job
 * keeps the rows it committed up to the failure, for diagnosis.
 */
import type { Job, JobGraph } from "../grid/types.ts";
import type { JobContext, JobKind } from "./kind.ts";
import { NumericError, TransientError } from "./kind.ts";
import {
  beginAttempt,
  createJobSink,
  type ExperimentRecord,
  failJob,
  finishJob,
  interruptJob,
  jobStatuses,
  registerExperiment,
  skipJob,
  type Store,
  upsertJobs,
  upsertPoints,
} from "../store/mod.ts";
import { saveCheckpoint } from "../store/writes.ts";
import { hashDir, listFiles, removeIfExists } from "../util/fs.ts";
import { type ProgressSink, silentProgress } from "./progress.ts";

/** A configuration problem that stops a run before it starts (e.g. an unknown job kind). */
export class RunnerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RunnerError";
  }
}

/** Resources for a job of this kind (e.g. `{ gpu }`); called before each attempt. */
export type ResourceProvider = (kind: JobKind, job: Job) => Promise<Record<string, unknown>>;

/** Everything `runGraph` needs; nothing has a hidden default. */
export interface RunOptions {
  store: Store;
  /** Run directory; artifacts go to `<outDir>/artifacts/<job_id>/`. */
  outDir: string;
  experiment: ExperimentRecord;
  /** The (already selected) graph to run; `jobs` in topological order. */
  graph: JobGraph;
  kinds: Map<string, JobKind>;
  /** Maximum jobs running at once. */
  concurrency: number;
  /** Extra attempts after a TransientError. */
  retries: number;
  resources: ResourceProvider;
  /** Aborting stops scheduling; running jobs see it through `ctx.signal`. */
  signal: AbortSignal;
  progress?: ProgressSink;
}

/** Counts for the jobs of one run. */
export interface RunSummary {
  total: number;
  alreadyDone: number;
  done: number;
  failed: number;
  skipped: number;
  /** Jobs stopped by the signal (resumable) or never started because of it. */
  interrupted: number;
}

/** Fail fast when a job's kind is not registered. */
export function checkKinds(jobs: Job[], kinds: Map<string, JobKind>): void {
  const missing = [...new Set(jobs.map((j) => j.kind).filter((k) => !kinds.has(k)))].sort();
  if (missing.length) {
    throw new RunnerError(
      `no job kind registered for ${missing.map((k) => `"${k}"`).join(", ")} (registered: ${
        [...kinds.keys()].sort().join(", ") || "none"
      })`,
    );
  }
}

type State = "waiting" | "running" | "done" | "failed" | "skipped" | "interrupted";

function describeError(e: unknown): {
  message: string;
  stack: string | null;
  kind: string;
  diagnosis: Record<string, unknown> | null;
} {
  if (e instanceof NumericError) {
    return {
      message: `NumericError at step ${e.step}: ${e.message}`,
      stack: e.stack ?? null,
      kind: "NumericError",
      diagnosis: { step: e.step, ...e.detail },
    };
  }
  if (e instanceof Error) {
    return { message: e.message, stack: e.stack ?? null, kind: e.name, diagnosis: null };
  }
  return { message: String(e), stack: null, kind: typeof e, diagnosis: null };
}

/** Run every job of `opts.graph` that is not already done; returns the counts. */
export async function runGraph(opts: RunOptions): Promise<RunSummary> {
  const { store, graph, kinds, signal } = opts;
  const progress = opts.progress ?? silentProgress;
  checkKinds(graph.jobs, kinds);
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
    throw new RunnerError(`--jobs must be a positive integer, got ${opts.concurrency}`);
  }
  await registerExperiment(store, opts.experiment);
  await upsertJobs(store, opts.experiment.name, graph.jobs, graph.codeVersion);
  await upsertPoints(store, opts.experiment.name, graph.points);
  const stored = await jobStatuses(store);
  const byId = new Map(graph.jobs.map((j) => [j.id, j]));
  const state = new Map<string, State>();
  let alreadyDone = 0;
  for (const j of graph.jobs) {
    const done = stored.get(j.id)?.status === "done";
    state.set(j.id, done ? "done" : "waiting");
    if (done) alreadyDone++;
  }
  const reasons = new Map<string, string>();
  const summary: RunSummary = {
    total: graph.jobs.length,
    alreadyDone,
    done: 0,
    failed: 0,
    skipped: 0,
    interrupted: 0,
  };
  progress.start(graph.jobs.filter((j) => state.get(j.id) !== "done"), alreadyDone);
  await Deno.mkdir(`${opts.outDir}/artifacts`, { recursive: true });

  const running = new Map<string, Promise<void>>();
  // A job's own failures are recorded by `execute`; what escapes it (the store cannot be
  // written, say) stops scheduling, lets the running jobs settle, and is rethrown below.
  let fatal: { job: Job; error: unknown } | undefined;
  // Counts settled jobs: a job may settle while a pass awaits a store write, so an empty pool at
  // the end of a pass means "finished" only if nothing settled during that pass.
  let changes = 0;
  const launch = (job: Job) => {
    state.set(job.id, "running");
    const p = execute(opts, job, progress).then((outcome) => {
      state.set(job.id, outcome.state);
      if (outcome.message) reasons.set(job.id, outcome.message);
    }, (error) => {
      state.set(job.id, "interrupted");
      fatal ??= { job, error };
    }).finally(() => {
      running.delete(job.id);
      changes++;
    });
    running.set(job.id, p);
  };

  while (true) {
    const changesAtPassStart = changes;
    for (const job of graph.jobs) {
      if (state.get(job.id) !== "waiting") continue;
      const deps = Object.values(job.inputs);
      const bad = deps.find((d) => {
        const s = state.get(d);
        return s === "failed" || s === "skipped";
      });
      if (bad) {
        const dep = byId.get(bad)!;
        // A skipped dependency already names the root failure; don't nest the chain.
        const why = state.get(bad) === "skipped" && reasons.has(bad)
          ? reasons.get(bad)!
          : `dependency ${dep.kind} ${dep.label} (${bad}) ${state.get(bad)}` +
            (reasons.has(bad) ? `: ${reasons.get(bad)}` : "");
        try {
          await skipJob(store, job.id, why);
        } catch (error) {
          fatal ??= { job, error };
          break;
        }
        state.set(job.id, "skipped");
        reasons.set(job.id, why);
        summary.skipped++;
        progress.jobEnded(job, "skipped", 0, why);
        continue;
      }
      if (signal.aborted || fatal || running.size >= opts.concurrency) continue;
      const ready = deps.every((d) =>
        state.has(d) ? state.get(d) === "done" : stored.get(d)?.status === "done"
      );
      if (ready) launch(job);
    }
    if (!running.size) {
      if (changes === changesAtPassStart) break;
      continue;
    }
    await Promise.race(running.values());
  }
  for (const j of graph.jobs) {
    const s = state.get(j.id);
    if (s === "done" && stored.get(j.id)?.status !== "done") summary.done++;
    else if (s === "failed") summary.failed++;
    else if (s === "interrupted" || s === "waiting") summary.interrupted++;
  }
  await progress.finish();
  if (fatal) {
    const { job, error } = fatal;
    const why = error instanceof Error ? error.message : String(error);
    throw new RunnerError(`run stopped: recording job ${job.kind} ${job.id} failed: ${why}`, {
      cause: error,
    });
  }
  return summary;
}

/** Run one job, with retries of transient errors; never throws for the job's own failures. */
async function execute(
  opts: RunOptions,
  job: Job,
  progress: ProgressSink,
): Promise<{ state: State; message?: string }> {
  const { store, signal } = opts;
  const kind = opts.kinds.get(job.kind)!;
  const finalDir = `${opts.outDir}/artifacts/${job.id}`;
  const tmpDir = `${opts.outDir}/artifacts/.tmp-${job.id}`;
  const inputDirs: Record<string, string> = {};
  for (const [role, id] of Object.entries(job.inputs)) {
    inputDirs[role] = `${opts.outDir}/artifacts/${id}`;
  }
  for (let attempt = 0;; attempt++) {
    progress.jobStarted(job);
    const t0 = performance.now();
    const seconds = () => (performance.now() - t0) / 1000;
    let sink = createJobSink(job.id);
    try {
      const resources = await opts.resources(kind, job);
      const gpu = resources.gpu as { adapter?: unknown } | undefined;
      const adapter = typeof gpu?.adapter === "string" ? gpu.adapter : null;
      const ckpt = await beginAttempt(store, job.id, {
        denoVersion: Deno.version.deno,
        adapter,
      });
      sink = createJobSink(job.id, ckpt ? ckpt.step : -1);
      const jobSink = sink;
      let saved = ckpt ? ckpt.state : null;
      await removeIfExists(tmpDir);
      await Deno.mkdir(tmpDir, { recursive: true });
      const ctx: JobContext = {
        job,
        artifactDir: tmpDir,
        inputDirs,
        sink: jobSink,
        checkpoint: {
          load: () => Promise.resolve(saved),
          save: async (state) => {
            await saveCheckpoint(store, jobSink, state);
            saved = state;
          },
        },
        signal,
        progress: (step, total) => progress.jobStep(job, step, total),
        resources,
      };
      await kind.run(ctx);
      // A kind that returns after the abort may have stopped early; it resumes next run.
      if (signal.aborted) {
        await interruptJob(store, jobSink, seconds(), "interrupted by signal");
        progress.jobEnded(job, "interrupted", seconds());
        return { state: "interrupted" };
      }
      let artifact = null;
      if ((await listFiles(tmpDir)).length) {
        await removeIfExists(finalDir);
        await Deno.rename(tmpDir, finalDir);
        artifact = { path: `artifacts/${job.id}`, ...(await hashDir(finalDir)) };
      } else {
        await removeIfExists(tmpDir);
      }
      await finishJob(store, jobSink, seconds(), artifact);
      progress.jobEnded(job, "done", seconds());
      return { state: "done" };
    } catch (e) {
      if (signal.aborted) {
        await interruptJob(store, sink, seconds(), "interrupted by signal");
        progress.jobEnded(job, "interrupted", seconds());
        return { state: "interrupted" };
      }
      const info = describeError(e);
      if (e instanceof TransientError && attempt < opts.retries) {
        await interruptJob(
          store,
          sink,
          seconds(),
          `transient error (attempt ${attempt + 1}): ${info.message}`,
        );
        progress.jobEnded(job, "retry", seconds(), info.message);
        continue;
      }
      await failJob(store, sink, seconds(), info);
      progress.jobEnded(job, "failed", seconds(), info.message);
      return { state: "failed", message: info.message };
    }
  }
}
