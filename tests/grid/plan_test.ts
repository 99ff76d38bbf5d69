/** The `--plan` printout: every job once, its status, and the DAG edges. */
import assert from "node:assert/strict";
import { parseSpec } from "../../lib/spec/mod.ts";
import { expandGraph, formatPlan } from "../../lib/grid/mod.ts";

const exp = parseSpec(
  [
    "name: p",
    "axes:",
    "  init: [base, instruct]",
    "  method: [none, sft_rl]",
    "  seed: [0, 1]",
  ].join("\n"),
  "p.yaml",
);

Deno.test("plan lists every job with its status, and draws the DAG from the pretrain roots", () => {
  const g = expandGraph(exp, "cv00000000000000");
  const done = new Set(g.jobs.filter((j) => j.kind === "pretrain").map((j) => j.id));
  const text = formatPlan(g, done);
  const lines = text.split("\n");
  assert.match(
    lines[0],
    new RegExp(`^plan: 8 points, ${g.jobs.length} jobs \\(2 done, ${g.jobs.length - 2} to run\\)`),
  );
  assert.match(text, /pretrain\s+2 jobs, 2 done/);
  const jobsAt = lines.indexOf("jobs:");
  const dagAt = lines.indexOf("dag:");
  assert.ok(jobsAt > 0 && dagAt > jobsAt);
  const jobLines = lines.slice(jobsAt + 1, dagAt - 1);
  assert.equal(jobLines.length, g.jobs.length);
  for (const [i, j] of g.jobs.entries()) {
    assert.ok(jobLines[i].includes(j.id));
    assert.ok(jobLines[i].trimStart().startsWith(done.has(j.id) ? "done" : "todo"));
    for (const dep of Object.values(j.inputs)) assert.ok(jobLines[i].includes(`<- model=${dep}`));
  }
  // In the tree each job appears once, under its input, one level deeper.
  const dag = lines.slice(dagAt + 1);
  assert.equal(dag.length, g.jobs.length);
  const depth = (l: string) => l.indexOf("[");
  for (const j of g.jobs) {
    const at = dag.findIndex((l) => l.includes(j.id));
    assert.ok(at >= 0);
    assert.ok(dag[at].includes(done.has(j.id) ? "[x]" : "[ ]"));
    const dep = Object.values(j.inputs)[0];
    if (dep === undefined) {
      assert.equal(depth(dag[at]), 2);
      continue;
    }
    const parentAt = dag.findIndex((l) => l.includes(dep));
    assert.ok(parentAt < at);
    assert.equal(depth(dag[at]), depth(dag[parentAt]) + 3);
  }
});
