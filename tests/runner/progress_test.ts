/** Progress: the ETA estimate and what the terminal and plain renderings write. */
import assert from "node:assert/strict";
import type { Job } from "../../lib/grid/types.ts";
import {
  createProgress,
  estimateRemaining,
  formatDuration,
  type ProgressOptions,
} from "../../lib/runner/progress.ts";

const job = (id: string, kind: string, label: string): Job => ({
  id,
  kind,
  config: {},
  inputs: {},
  label,
});

Deno.test("progress: ETA from the running job's step rate before any job has finished", () => {
  // Nothing ran yet: no rate, no guess.
  assert.equal(
    estimateRemaining({ finished: new Map(), running: [], waiting: ["a"], concurrency: 1 }),
    undefined,
  );
  // Nothing left.
  assert.equal(
    estimateRemaining({ finished: new Map(), running: [], waiting: [], concurrency: 1 }),
    0,
  );
  // A pretrain 10 s into step 10 of 60 will take 60 s: 50 s left, and each waiting job of an
  // unseen kind is priced at that projected length.
  const running = [{ kind: "pretrain", elapsed: 10, step: 10, total: 60 }];
  assert.equal(
    estimateRemaining({ finished: new Map(), running, waiting: ["rl", "eval"], concurrency: 1 }),
    50 + 60 + 60,
  );
  // A kind that has finished before is priced at its own mean, not at the pretrain's.
  assert.equal(
    estimateRemaining({
      finished: new Map([["eval", [2, 4]]]),
      running,
      waiting: ["eval", "eval"],
      concurrency: 1,
    }),
    50 + 3 + 3,
  );
  // Once a kind has finished jobs, its running jobs' projections no longer stand in for it.
  assert.equal(
    estimateRemaining({
      finished: new Map([["pretrain", [100]]]),
      running,
      waiting: ["rl"],
      concurrency: 1,
    }),
    50 + 100,
  );
  // Workers share the waiting work, but the run lasts at least as long as its longest job.
  assert.equal(
    estimateRemaining({
      finished: new Map([["eval", [2]]]),
      running,
      waiting: ["eval"],
      concurrency: 4,
    }),
    50,
  );
});

function capture(tty: boolean, columns = 120): { opts: ProgressOptions; out: string[] } {
  const out: string[] = [];
  return {
    out,
    opts: {
      tty,
      concurrency: 1,
      jsonPath: null,
      stepEvery: 0,
      write: (t) => out.push(t),
      columns: () => columns,
    },
  };
}

Deno.test("progress: the terminal line shows counts, ETA and the current step; notes go above it", async () => {
  const { opts, out } = capture(true, 100);
  const p = createProgress(opts);
  const pre = job("p1", "pretrain", "pretrain seed=0");
  const ev = job("e1", "eval", "eval method=none seed=0");
  p.start([pre, ev], 0);
  p.jobStarted(pre);
  await new Promise((r) => setTimeout(r, 20));
  p.jobStep(pre, 3, 10);
  const live = out[out.length - 1];
  assert.ok(live.startsWith("\r\x1b[2K"), JSON.stringify(live));
  assert.ok(!live.includes("\n"), "the live line never ends a line");
  assert.match(
    live,
    /0\/2 jobs \| failed 0 skipped 0 \| \d+s elapsed, ETA \d+s \| pretrain seed=0 step 3\/10/,
  );
  assert.ok(live.length - "\r\x1b[2K".length <= 99, "the live line fits the terminal");

  const before = out.length;
  p.note("SIGINT received");
  // The note clears the live line, ends its own line, and the live line is drawn again below it.
  assert.equal(out[before], "\r\x1b[2Kzerogrid: SIGINT received\n");
  assert.ok(out[before + 1].startsWith("\r\x1b[2K"));
  assert.match(out[before + 1], /step 3\/10/);

  p.jobEnded(pre, "done", 1.5);
  p.jobStarted(ev);
  p.jobEnded(ev, "failed", 0.5, "boom");
  await p.finish();
  const text = out.join("");
  // Job outcomes are logged lines, not repeated kinds ("pretrain pretrain ...").
  assert.ok(
    text.includes("\r\x1b[2K[1/2 (done 1, failed 0, skipped 0)] done pretrain seed=0 (2s)"),
  );
  assert.match(text, /failed eval method=none seed=0 \(1s\): boom\n/);
  assert.doesNotMatch(text, /pretrain pretrain/);
  // The live line is cleared before the final summary.
  assert.equal(out[out.length - 2], "\r\x1b[2K");
  assert.match(out[out.length - 1], /^zerogrid: 2\/2 \(done 1, failed 1, skipped 0\) in \d+s\n$/);
});

Deno.test("progress: plain lines without a terminal (no control characters)", async () => {
  const { opts, out } = capture(false);
  const p = createProgress(opts);
  const j = job("c1", "counter", "train arm=a seed=0");
  p.start([j], 3);
  p.jobStarted(j);
  p.jobStep(j, 4, 8);
  p.note("SIGTERM received");
  p.jobEnded(j, "interrupted", 2);
  await p.finish();
  assert.deepEqual(out.map((l) => l.replace(/in \d+s/, "in T").replace(/ETA \S+/, "ETA E")), [
    "zerogrid: 4 jobs, 3 already done\n",
    "[3/4 (done 3, failed 0, skipped 0)] start counter train arm=a seed=0 (c1)\n",
    "[3/4 (done 3, failed 0, skipped 0)] counter train arm=a seed=0 step 4/8 ETA E\n",
    "zerogrid: SIGTERM received\n",
    "[3/4 (done 3, failed 0, skipped 0)] interrupted counter train arm=a seed=0 (2s)\n",
    "zerogrid: 3/4 (done 3, failed 0, skipped 0) in T\n",
  ]);
  assert.equal(formatDuration(3725), "1h02m");
  assert.equal(formatDuration(185), "3m05s");
});
