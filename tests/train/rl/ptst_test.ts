import assert from "node:assert/strict";
import { RlConfigError } from "../../../lib/train/rl/config.ts";
import { schedule, stageAt } from "../../../lib/train/rl/ptst.ts";

const plain = {
  steps: 5,
  max_completion: 48,
  group_size: 8,
  ptst: { enabled: false, stages: [{ max_completion: 1, group_size: 2, steps: 1 }] },
};

Deno.test("ptst: plain GRPO is one stage from rl.steps, max_completion, group_size", () => {
  const s = schedule(plain);
  assert.equal(s.totalSteps, 5);
  assert.equal(s.stages.length, 1);
  for (let i = 0; i < 5; i++) {
    const st = stageAt(s, i);
    assert.deepEqual([st.index, st.max_completion, st.group_size], [0, 48, 8]);
  }
  assert.throws(() => stageAt(s, 5), RangeError);
  assert.throws(() => stageAt(s, -1), RangeError);
});

Deno.test("ptst: stages run in order with their own limits, and replace rl.steps", () => {
  const s = schedule({
    ...plain,
    ptst: {
      enabled: true,
      stages: [
        { max_completion: 16, group_size: 8, steps: 3 },
        { max_completion: 32, group_size: 4, steps: 2 },
        { max_completion: 48, group_size: 2, steps: 1 },
      ],
    },
  });
  assert.equal(s.totalSteps, 6);
  assert.deepEqual([s.maxCompletion, s.maxGroupSize], [48, 8]);
  const seen = Array.from({ length: 6 }, (_, i) => stageAt(s, i)).map((x) => [
    x.index,
    x.max_completion,
    x.group_size,
  ]);
  assert.deepEqual(seen, [
    [0, 16, 8],
    [0, 16, 8],
    [0, 16, 8],
    [1, 32, 4],
    [1, 32, 4],
    [2, 48, 2],
  ]);
});

Deno.test("ptst: invalid stages name the offending path", () => {
  assert.throws(
    () => schedule({ ...plain, ptst: { enabled: true, stages: [] } }),
    RlConfigError,
  );
  assert.throws(
    () =>
      schedule({
        ...plain,
        ptst: { enabled: true, stages: [{ max_completion: 8, group_size: 1, steps: 2 }] },
      }),
    /rl\.ptst\.stages\[0\]\.group_size: must be an integer >= 2/,
  );
  assert.throws(() => schedule({ ...plain, steps: 0 }), /rl\.steps/);
});
