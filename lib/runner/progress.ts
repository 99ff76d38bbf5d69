/**
 * Run progress on stderr: a cli-progress bar on a terminal, plain throttled lines otherwise (logs,
 * CI). Also mirrored to `<out>/progress.json` so `status` can report while the store is locked.
 */
import cliProgress from "cli-progress";
import process from "node:process";
import type { Job } from "../grid/types.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** How a job's run ended. */
export type Outcome = "done" | "failed" | "skipped" | "interrupted" | "retry";

/** What the runner tells its observer. */
export interface ProgressSink {
  start(total: number, alreadyDone: number): void;
  jobStarted(job: Job): void;
  jobStep(job: Job, step: number, total: number): void;
  jobEnded(job: Job, outcome: Outcome, seconds: number, message?: string): void;
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

/** Options for `createProgress`. */
export interface ProgressOptions {
  /** Bar (true) or plain lines (false); default: whether stderr is a terminal. */
  tty?: boolean;
  /** Worker count, for the ETA. */
  concurrency: number;
  /** Where to mirror the state as JSON (null: nowhere). */
  jsonPath: string | null;
  /** Minimum seconds between plain step lines for one job. */
  stepEvery?: number;
  write?: (line: string) => void;
}

/** The progress observer used by `ablate`. */
export function createProgress(opts: ProgressOptions): ProgressSink {
  const tty = opts.tty ?? Deno.stderr.isTerminal();
  const write = opts.write ?? ((line: string) => console.error(line));
  const stepEvery = (opts.stepEvery ?? 5) * 1000;
  let total = 0;
  let done = 0;
  let failed = 0;
  let skipped = 0;
  let ranSeconds = 0;
  let ranCount = 0;
  const t0 = Date.now();
  const running = new Map<string, { job: Job; step: number; total: number; lastLine: number }>();
  let bar: cliProgress.SingleBar | null = null;
  const deferred: string[] = [];
  let lastJson = 0;
  let jsonWrite: Promise<void> = Promise.resolve();

  const eta = (): string => {
    const remaining = total - done - failed - skipped;
    if (!remaining) return "0s";
    if (!ranCount) return "?";
    return formatDuration((ranSeconds / ranCount) * remaining / Math.max(1, opts.concurrency));
  };
  const counts = () =>
    `${done + failed + skipped}/${total} (done ${done}, failed ${failed}, ` +
    `skipped ${skipped})`;
  const current = (): string => {
    const r = [...running.values()][0];
    if (!r) return "";
    const more = running.size > 1 ? ` +${running.size - 1}` : "";
    return `${r.job.label}${r.total ? ` step ${r.step}/${r.total}` : ""}${more}`;
  };
  const mirror = (force: boolean) => {
    if (!opts.jsonPath) return;
    const now = Date.now();
    if (!force && now - lastJson < 2000) return;
    lastJson = now;
    const state = {
      pid: Deno.pid,
      started_at: new Date(t0).toISOString(),
      updated_at: new Date(now).toISOString(),
      total,
      done,
      failed,
      skipped,
      eta: eta(),
      running: [...running.values()].map((r) => ({
        job_id: r.job.id,
        label: r.job.label,
        step: r.step,
        total: r.total,
      })),
    };
    const path = opts.jsonPath;
    jsonWrite = jsonWrite.then(() => writeFileAtomic(path, JSON.stringify(state, null, 2)))
      .catch(() => {});
  };
  const redraw = () => {
    bar?.update(done + failed + skipped, { eta_s: eta(), failed, skipped, current: current() });
  };

  return {
    start(n, alreadyDone) {
      total = n;
      done = alreadyDone;
      if (tty) {
        bar = new cliProgress.SingleBar({
          format: "{bar} {value}/{total} jobs | failed {failed} skipped {skipped} | ETA {eta_s} " +
            "| {current}",
          hideCursor: true,
          stream: process.stderr,
          etaBuffer: 1,
        }, cliProgress.Presets.shades_classic);
        bar.start(total, done, { eta_s: "?", failed: 0, skipped: 0, current: "" });
      } else {
        write(`zerogrid: ${total} jobs, ${alreadyDone} already done`);
      }
      mirror(true);
    },
    jobStarted(job) {
      running.set(job.id, { job, step: 0, total: 0, lastLine: Date.now() });
      if (tty) redraw();
      else write(`[${counts()}] start ${job.kind} ${job.label} (${job.id})`);
      mirror(true);
    },
    jobStep(job, step, n) {
      const r = running.get(job.id);
      if (!r) return;
      r.step = step;
      r.total = n;
      if (tty) redraw();
      else if (Date.now() - r.lastLine >= stepEvery) {
        r.lastLine = Date.now();
        write(`[${counts()}] ${job.label} step ${step}/${n} ETA ${eta()}`);
      }
      mirror(false);
    },
    jobEnded(job, outcome, seconds, message) {
      running.delete(job.id);
      if (outcome === "done") done++;
      else if (outcome === "failed") failed++;
      else if (outcome === "skipped") skipped++;
      if (outcome === "done" || outcome === "failed") {
        ranSeconds += seconds;
        ranCount++;
      }
      const line = `${outcome} ${job.kind} ${job.label}` +
        (outcome === "skipped" ? "" : ` (${formatDuration(seconds)})`) +
        (message ? `: ${message}` : "");
      if (tty) {
        if (outcome !== "done") deferred.push(line);
        redraw();
      } else write(`[${counts()}] ${line}${outcome === "done" ? ` ETA ${eta()}` : ""}`);
      mirror(true);
    },
    async finish() {
      if (bar) {
        redraw();
        bar.stop();
        for (const l of deferred) write(l);
      }
      write(`zerogrid: ${counts()} in ${formatDuration((Date.now() - t0) / 1000)}`);
      mirror(true);
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
  finish: () => Promise.resolve(),
};
