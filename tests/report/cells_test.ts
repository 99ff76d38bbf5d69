/** Point values: what a cell reads when a metric does not apply, failed, or is missing. */
import assert from "node:assert/strict";
import { pointValue } from "../../lib/report/cells.ts";
import type { ReportData, ReportPoint } from "../../lib/report/load.ts";

function point(method: string, status: ReportPoint["status"], trainJob: string | null) {
  return {
    key: `method=${method},seed=0`,
    axes: { method, seed: 0 },
    config: null,
    jobs: {},
    status,
    reason: null,
    trainJob,
    finalJob: "e",
  } satisfies ReportPoint;
}

const data: ReportData = {
  experiment: "x",
  points: [],
  evals: new Map([["e", new Map([["overall", 0.5]])]]),
  trainScalars: new Map([["sft1", new Map([["loss", 0.3]])]]),
  curves: new Map(),
  completions: [],
  ignoredPoints: [],
};
const length = {
  ref: "train:completion_length/mean",
  source: "train",
  name: "completion_length/mean",
} as const;
const loss = { ref: "train:loss", source: "train", name: "loss" } as const;

Deno.test("cells: a done SFT point has no completion length (n/a), but has its loss", () => {
  assert.equal(pointValue(data, point("sft", "done", "sft1"), length), "n/a");
  assert.equal(pointValue(data, point("sft", "done", "sft1"), loss), 0.3);
});

Deno.test("cells: train metrics of method none are n/a; failed and missing points say so", () => {
  assert.equal(pointValue(data, point("none", "done", null), loss), "n/a");
  assert.equal(pointValue(data, point("sft", "failed", "sft1"), loss), "failed");
  assert.equal(pointValue(data, point("sft", "missing", "sft1"), loss), "missing");
});
