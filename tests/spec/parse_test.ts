/** Valid specs: defaults, deep merge, resolved sections, hash, loading from disk. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ConfigSchema, loadSpec, parseSpec, SpecError } from "../../lib/spec/mod.ts";
import { editDistance } from "../../lib/spec/suggest.ts";

const FIXTURE = new URL("./fixtures/full.yaml", import.meta.url).pathname;

Deno.test("defaults: parsing {} fills every section of CONFIG.md", () => {
  const c = ConfigSchema.parse({});
  assert.deepEqual(Object.keys(c).sort(), [
    "data",
    "eval",
    "init",
    "instruct",
    "method",
    "model",
    "pretrain",
    "rl",
    "seed",
    "sft",
  ]);
  assert.equal(c.seed, 0);
  assert.equal(c.init, "base");
  assert.equal(c.method, "rl");
  assert.deepEqual(c.model, { preset: "tiny", overrides: {} });
  assert.equal(c.pretrain.lr, 3.0e-3);
  assert.deepEqual(c.pretrain.mix, { describe: 0.3, direct: 0.4, trace: 0.3 });
  assert.equal(c.sft.traces, false);
  assert.equal(c.rl.epsilon_high, null);
  assert.equal(c.rl.schedule, "constant");
  assert.equal(c.rl.min_lr_ratio, 1.0);
  assert.deepEqual(c.rl.length_reward, { enabled: false, weight: 0.5, cap: 48 });
  assert.deepEqual(c.rl.ptst, { enabled: false, stages: [] });
  assert.deepEqual(c.rl.reflection_words, ["wait", "re-check", "however", "recheck", "verify"]);
  assert.deepEqual(c.eval, { benchmark: "cvbench", max_new_tokens: 48, batch_size: 64 });
  // Defaults are fresh per parse: mutating one result must not leak into the next.
  c.rl.reflection_words.push("hmm");
  assert.equal(ConfigSchema.parse({}).rl.reflection_words.length, 5);
});

Deno.test("full example: base deep-merged over defaults, axes, linked, include, report, claims", async () => {
  const exp = await loadSpec(FIXTURE);
  const text = await Deno.readTextFile(FIXTURE);
  assert.equal(exp.name, "demo");
  assert.equal(exp.text, text);
  assert.equal(exp.hash, createHash("sha256").update(text).digest("hex"));
  const rl = exp.base.rl as Record<string, unknown>;
  assert.equal(rl.steps, 40); // from the spec
  assert.equal(rl.lr, 5.0e-4); // default kept next to it
  assert.deepEqual(exp.axes.map((a) => a.path), [
    "init",
    "method",
    "rl.length_reward.enabled",
    "rl.max_completion",
    "rl.group_size",
    "seed",
  ]);
  assert.deepEqual(exp.axes[1].values, ["none", "sft", "rl", "sft_rl"]);
  assert.deepEqual(exp.linked, [["rl.max_completion", "rl.group_size"]]);
  assert.deepEqual(exp.include, [{ init: "base", method: "rl", "rl.loss": "dr_grpo", seed: 0 }]);
  assert.deepEqual(exp.exclude, [{ init: "instruct", method: "sft_rl" }]);
  assert.deepEqual(exp.report.rows, ["init", "method"]);
  assert.equal(exp.report.interval, "t");
  assert.equal(exp.claims.length, 2);
  assert.deepEqual(exp.claims[0], {
    kind: "compare",
    name: "rl_beats_sft_on_base",
    metric: "eval:overall",
    a: { init: "base", method: "rl" },
    b: { init: "base", method: "sft" },
    relation: "greater",
    margin: 0,
    alpha: 0.05,
  });
  assert.equal(exp.claims[1].kind, "trend");
});

Deno.test("minimal spec: one point, report defaults, rows default to non-seed axes", () => {
  const exp = parseSpec("name: tiny-1\n", "m.yaml");
  assert.deepEqual(exp.axes, []);
  assert.equal(exp.description, "");
  assert.deepEqual(exp.base, ConfigSchema.parse({}));
  assert.deepEqual(exp.report.metrics, ["eval:overall"]);
  const exp2 = parseSpec(
    "name: a\naxes:\n  init: [base]\n  seed: [0, 1]\n  rl.loss: [grpo, dapo]\nreport:\n  columns: [rl.loss]\n",
    "m.yaml",
  );
  assert.deepEqual(exp2.report.rows, ["init"]);
  assert.deepEqual(exp2.report.columns, ["rl.loss"]);
});

Deno.test("empty sections mean absent; object-valued axes and include-only keys are accepted", () => {
  const exp = parseSpec(
    [
      "name: x",
      "base:",
      "axes:",
      "  rl.ptst:",
      "    - { enabled: false }",
      "    - { enabled: true, stages: [{ max_completion: 16, group_size: 4, steps: 5 }] }",
      "include:",
      "  - { rl.loss: dr_grpo }",
      "claims:",
      "  - name: c",
      "    compare: { metric: eval:overall, a: { rl.loss: dr_grpo }, b: { rl.loss: grpo } }",
    ].join("\n"),
    "e.yaml",
  );
  assert.equal(exp.axes[0].values.length, 2);
  assert.equal(exp.claims.length, 1);
});

Deno.test("loadSpec of a missing file is a SpecError naming the file", async () => {
  await assert.rejects(loadSpec("/nonexistent/spec.yaml"), (e) => {
    assert.ok(e instanceof SpecError);
    assert.match(e.format(), /^\/nonexistent\/spec\.yaml: \(root\): cannot read spec file/);
    return true;
  });
});

Deno.test("edit distance", () => {
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("dapo", "dapo"), 0);
});
