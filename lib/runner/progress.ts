/**
 * Run progress on stderr: one live status line on a terminal (counts, elapsed, ETA, the current
 * job's step), plain throttled lines otherwise (logs, CI). Also mirrored to `<out>/progress.json`
 * so `status` can report while the store is locked.
 *
 * The ETA counts the running jobs by their own step rate and the waiting jobs at the mean duration
 * of their kind (finished jobs of that kind, else the projected length of running ones), so it is
 * known from the first steps of the first job and does not price an eval like a pretrain.
 */
import type { Job } from "../grid/types.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** How a job's run ended. */
export type Outcome = "done" | "failed" | "skipped" | "interrupted" | "retry";

/** What the runner tells its observer. */
export interface ProgressSink {
  /** The jobs this run will attempt (not those already done) and how many were already done. */
  start(pending: Job[], alreadyDone: number): void;
  /** An attempt of `job` begins (again after a retry). */
  jobStarted(job: Job): void;
  /** The running job reached `step` of `total` (from `ctx.progress`). */
  jobStep(job: Job, step: number, total: number): void;
  /** An attempt ended; `seconds` is its duration, `message` the error or skip reason. */
  jobEnded(job: Job, outcome: Outcome, seconds: number, message?: string): void;
  /** A message for the user (e.g. a stop request), printed without breaking the status line. */
  note(message: string): void;
  /** The run is over: clear the live line, print the totals, flush the JSON mirror. */
  finish(): Promise<void>;
}

/** Format seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  if (h) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m) return `${m}m${String(sec).padStart(2, "0")}s`;
  return `${sec}s`;
}

/** A running job as the ETA sees it. */
export interface RunningEstimate {
  kind: string;
  /** Seconds since the attempt started. */
  elapsed: number;
  step: number;
  total: number;
}

/** Inputs of {@link estimateRemaining}. */
export interface EstimateInput {
  /** Durations of jobs that ran to an end in this run, by kind. */
  finished: Map<string, number[]>;
  running: RunningEstimate[];
  /** Kinds of the jobs still waiting (one entry per job). */
  waiting: string[];
  concurrency: number;
}

/** Seconds left for the run, or undefined while nothing gives a rate yet. */
export function estimateRemaining(e: EstimateInput): number | undefined {
  const projected = (r: RunningEstimate) =>
    r.step > 0 && r.total > 0 ? r.elapsed * r.total / Math.min(r.step, r.total) : undefined;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const all: number[] = [];
  const byKind = new Map<string, number[]>();
  for (const [kind, secs] of e.finished) {
    byKind.set(kind, [...secs]);
    all.push(...secs);
  }
  // Running jobs stand in for their kind only until one of that kind has finished.
  const guesses = new Map<string, number[]>();
  for (const r of e.running) {
    const p = projected(r);
    if (p === undefined) continue;
    if (!guesses.has(r.kind)) guesses.set(r.kind, []);
    guesses.get(r.kind)!.push(p);
    if (!e.finished.has(r.kind)) all.push(p);
  }
  for (const [kind, ps] of guesses) if (!byKind.has(kind)) byKind.set(kind, ps);
  if (!all.length) return e.running.length || e.waiting.length ? undefined : 0;
  const overall = mean(all);
  const typical = (kind: string) => {
    const xs = byKind.get(kind);
    return xs ? mean(xs) : overall;
  };
  let work = 0;
  let longest = 0;
  for (const r of e.running) {
    const p = projected(r) ?? typical(r.kind);
    const left = Math.max(0, p - r.elapsed);
    work += left;
    longest = Math.max(longest, left);
  }
  for (const kind of e.waiting) work += typical(kind);
  return Math.max(longest, work / Math.max(1, e.concurrency));
}

/** Options for `createProgress`; every field is explicit (the CLI decides them). */
export interface ProgressOptions {
  /** Live status line (true) or plain lines (false). */
  tty: boolean;
  /** Worker count, for the ETA. */
  concurrency: number;
  /** Where to mirror the state as JSON (null: nowhere). */
  jsonPath: string | null;
  /** Minimum seconds between plain step lines for one job. */
  stepEvery: number;
  /** Receives raw text (lines end in `\n`; the live line is redrawn with `\r`). */
  write: (text: string) => void;
  /** Terminal width for the live line (it is cut to fit, so it never wraps). */
  columns: () => number;
}

/** Options for `ablate` on the real stderr: a live line only when stderr is a terminal. */
export function stderrProgressOptions(
  concurrency: number,
  jsonPath: string | null,
): ProgressOptions {
  const enc = new TextEncoder();
  return {
    tty: Deno.stderr.isTerminal(),
    concurrency,
    jsonPath,
    stepEvery: 5,
    write: (text) => {
      const bytes = enc.encode(text);
      for (let off = 0; off < bytes.length;) off += Deno.stderr.writeSync(bytes.subarray(off));
    },
    columns: () => {
      try {
        return Deno.consoleSize().columns;
      } catch {
        return 100;
      }
    },
  };
}

const CLEAR = "\r\x1b[2K";

/** A job label that does not repeat the kind (real labels already start with it). */
function named(job: Job): string {
  return job.label === job.kind || job.label.startsWith(`${job.kind} `)
    ? job.label
    : `${job.kind} ${job.label}`;
}

/** The progress observer used by `ablate`. */
export function createProgress(opts: ProgressOptions): ProgressSink {
  const { tty, write } = opts;
  const stepEvery = opts.stepEvery * 1000;
  let total = 0;
  let done = 0;
  let failed = 0;
  let skipped = 0;
  const t0 = performance.now();
  const startedAt = new Date();
  const finished = new Map<string, number[]>();
  const waiting = new Map<string, string>();
  const running = new Map<
    string,
    { job: Job; step: number; total: number; t0: number; lastLine: number }
  >();
  let lastJson = 0;
  let jsonWrite: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setInterval> | undefined;
  let live = false;

  const elapsed = () => (performance.now() - t0) / 1000;
  const etaSeconds = () =>
    estimateRemaining({
      finished,
      running: [...running.values()].map((r) => ({
        kind: r.job.kind,
        elapsed: (performance.now() - r.t0) / 1000,
        step: r.step,
        total: r.total,
      })),
      waiting: [...waiting.values()],
      concurrency: opts.concurrency,
    });
  const eta = () => {
    const s = etaSeconds();
    return s === undefined ? "?" : formatDuration(s);
  };
  const ended = () => done + failed + skipped;
  const counts = () => `${ended()}/${total} (done ${done}, failed ${failed}, skipped ${skipped})`;
  const current = (): string => {
    const r = [...running.values()][0];
    if (!r) return "";
    const more = running.size > 1 ? ` (+${running.size - 1} more)` : "";
    return `${named(r.job)}${r.total ? ` step ${r.step}/${r.total}` : ""}${more}`;
  };
  const statusLine = () => {
    const width = 20;
    const filled = total ? Math.round((ended() / total) * width) : 0;
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const text = `${bar} ${ended()}/${total} jobs | failed ${failed} skipped ${skipped} | ` +
      `${formatDuration(elapsed())} elapsed, ETA ${eta()} | ${current()}`;
    const cols = Math.max(20, opts.columns() - 1);
    return text.length > cols ? `${text.slice(0, cols - 1)}…` : text;
  };
  const draw = () => {
    if (live) write(CLEAR + statusLine());
  };
  /** A line for the log: above the live line on a terminal, a plain line otherwise. */
  const log = (line: string) => {
    if (live) {
      write(`${CLEAR}${line}\n`);
      draw();
    } else {
      write(`${line}\n`);
    }
  };
  const mirror = (force: boolean, state = "running") => {
    if (!opts.jsonPath) return;
    const now = Date.now();
    if (!force && now - lastJson < 2000) return;
    lastJson = now;
    const s = etaSeconds();
    const json = {
      pid: Deno.pid,
      state,
      started_at: startedAt.toISOString(),
      updated_at: new Date(now).toISOString(),
      total,
      done,
      failed,
      skipped,
      eta: s === undefined ? "?" : formatDuration(s),
      eta_seconds: s ?? null,
      running: [...running.values()].map((r) => ({
        job_id: r.job.id,
        label: r.job.label,
        step: r.step,
        total: r.total,
      })),
    };
    const path = opts.jsonPath;
    // Best effort: a status mirror that cannot be written must not stop the run.
    jsonWrite = jsonWrite.then(() => writeFileAtomic(path, JSON.stringify(json, null, 2)))
      .catch(() => {});
  };

  return {
    start(pending, alreadyDone) {
      total = pending.length + alreadyDone;
      done = alreadyDone;
      for (const j of pending) waiting.set(j.id, j.kind);
      write(`zerogrid: ${total} jobs, ${alreadyDone} already done\n`);
      if (tty) {
        live = true;
        // Redraw once a second so elapsed time and ETA move while a long step runs.
        const t = setInterval(draw, 1000);
        Deno.unrefTimer(t);
        timer = t;
        draw();
      }
      mirror(true);
    },
    jobStarted(job) {
      waiting.delete(job.id);
      const now = performance.now();
      running.set(job.id, { job, step: 0, total: 0, t0: now, lastLine: now });
      if (live) draw();
      else log(`[${counts()}] start ${named(job)} (${job.id})`);
      mirror(true);
    },
    jobStep(job, step, n) {
      const r = running.get(job.id);
      if (!r) return;
      r.step = step;
      r.total = n;
      if (live) draw();
      else if (performance.now() - r.lastLine >= stepEvery) {
        r.lastLine = performance.now();
        log(`[${counts()}] ${named(job)} step ${step}/${n} ETA ${eta()}`);
      }
      mirror(false);
    },
    jobEnded(job, outcome, seconds, message) {
      running.delete(job.id);
      waiting.delete(job.id);
      if (outcome === "done") done++;
      else if (outcome === "failed") failed++;
      else if (outcome === "skipped") skipped++;
      else if (outcome === "retry") waiting.set(job.id, job.kind);
      if (outcome === "done" || outcome === "failed") {
        if (!finished.has(job.kind)) finished.set(job.kind, []);
        finished.get(job.kind)!.push(seconds);
      }
      const line = `${outcome} ${named(job)}` +
        (outcome === "skipped" ? "" : ` (${formatDuration(seconds)})`) +
        (message ? `: ${message}` : "");
      log(`[${counts()}] ${line}${outcome === "done" ? ` ETA ${eta()}` : ""}`);
      mirror(true);
    },
    note(message) {
      log(`zerogrid: ${message}`);
      mirror(true);
    },
    async finish() {
      if (timer !== undefined) clearInterval(timer);
      if (live) write(CLEAR);
      live = false;
      write(`zerogrid: ${counts()} in ${formatDuration(elapsed())}\n`);
      mirror(true, "finished");
      await jsonWrite;
    },
  };
}

/** An observer that reports nothing (tests, library use). */
export const silentProgress: ProgressSink = {
  start() {},
  jobStarted() {},
  jobStep() {},
  jobEnded() {},
  note() {},
  finish: () => Promise.resolve(),
};
