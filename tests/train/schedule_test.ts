import assert from "node:assert/strict";
import { learningRate, type LrSchedule } from "../../lib/train/schedule.ts";

const base: LrSchedule = { lr: 1e-3, min_lr_ratio: 0.1, warmup_steps: 10, schedule: "cosine" };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

Deno.test("schedule: linear warm-up reaches lr at the last warm-up step", () => {
  close(learningRate(base, 0, 100), 1e-4);
  close(learningRate(base, 4, 100), 5e-4);
  close(learningRate(base, 9, 100), 1e-3);
});

Deno.test("schedule: cosine and linear decay from lr to lr*min_lr_ratio; constant stays", () => {
  for (const schedule of ["cosine", "linear"] as const) {
    const s = { ...base, schedule };
    close(learningRate(s, 10, 100), 1e-3);
    close(learningRate(s, 99, 100), 1e-4);
    // Midpoint of the decay (p = 0.5): both give the arithmetic mean.
    close(learningRate({ ...s, warmup_steps: 0 }, 50, 101), 5.5e-4);
    let prev = Infinity;
    for (let k = 10; k < 100; k++) {
      const lr = learningRate(s, k, 100);
      assert.ok(lr <= prev + 1e-18);
      prev = lr;
    }
  }
  // Cosine stays above linear in the first half of the decay.
  assert.ok(learningRate(base, 30, 100) > learningRate({ ...base, schedule: "linear" }, 30, 100));
  const c = { ...base, schedule: "constant" as const };
  close(learningRate(c, 50, 100), 1e-3);
  close(learningRate(c, 99, 100), 1e-3);
});

Deno.test("schedule: no warm-up and single-step runs; out-of-range steps throw", () => {
  close(learningRate({ ...base, warmup_steps: 0 }, 0, 100), 1e-3);
  close(learningRate({ ...base, warmup_steps: 0 }, 0, 1), 1e-4);
  assert.throws(() => learningRate(base, 100, 100), RangeError);
  assert.throws(() => learningRate(base, -1, 100), RangeError);
});
