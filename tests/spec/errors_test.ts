/**
 * Spec mistakes: each case is a small spec with one mistake; the line marked `#!` is where the
 * error must point, and the message must say what was expected and what was found.
 */
import assert from "node:assert/strict";
import { parseSpec, SpecError, type SpecIssue } from "../../lib/spec/mod.ts";

/** Parses text that must fail; returns its issues. */
function issuesOf(text: string): SpecIssue[] {
  try {
    parseSpec(text, "spec.yaml");
  } catch (err) {
    assert.ok(err instanceof SpecError, `expected SpecError, got ${err}`);
    return err.issues;
  }
  assert.fail(`expected a SpecError for:\n${text}`);
}

/** The 1-based line carrying the `#!` marker. */
function markedLine(text: string): number {
  const i = text.split("\n").findIndex((l) => l.includes("#!"));
  assert.ok(i >= 0, "case has no #! marker");
  return i + 1;
}

interface Case {
  name: string;
  yaml: string;
  path: string;
  message: RegExp;
  /** How many issues the spec yields in total (default 1). */
  count?: number;
}

const AXES = "axes:\n  init: [base, instruct]\n  method: [none, rl]\n  seed: [0, 1]\n";

const CASES: Case[] = [
  {
    name: "unknown top-level key",
    yaml: `name: x\naxis:  #!\n  seed: [0]\n`,
    path: "axis",
    message: /unknown key "axis"; did you mean "axes"\?/,
  },
  {
    name: "config section at the top level instead of under base",
    yaml: `name: x\nrl:  #!\n  steps: 3\n`,
    path: "rl",
    message: /unknown key "rl": config settings go under base: \(or vary them under axes:\)/,
  },
  {
    name: "misspelled key inside a claim",
    yaml: `name: x\n${AXES}claims:\n  - name: c\n    compare:\n      metric: eval:overall\n` +
      `      a: { method: rl }\n      b: { method: none }\n      relaton: less  #!\n`,
    path: "claims[0].compare.relaton",
    message: /unknown key "relaton"; did you mean "relation"\?/,
  },
  {
    name: "unknown report key",
    yaml: `name: x\nreport:\n  metric: [eval:overall]  #!\n`,
    path: "report.metric",
    message: /unknown key "metric"; did you mean "metrics"\?/,
  },
  {
    name: "misspelled nested key",
    yaml: `name: x\nbase:\n  rl:\n    stepz: 3  #!\n`,
    path: "base.rl.stepz",
    message: /unknown key "stepz"; did you mean "steps"\?/,
  },
  {
    name: "unknown key without a near miss lists the valid keys",
    yaml: `name: x\nbase:\n  eval:\n    zzzzzzzz: 1  #!\n`,
    path: "base.eval.zzzzzzzz",
    message: /unknown key "zzzzzzzz"; expected one of: benchmark, max_new_tokens, batch_size/,
  },
  {
    name: "wrong type",
    yaml: `name: x\nbase:\n  rl:\n    lr: fast  #!\n`,
    path: "base.rl.lr",
    message: /expected a number > 0, found "fast"/,
  },
  {
    name: "enum typo",
    yaml: `name: x\nbase:\n  rl:\n    loss: dapoo  #!\n`,
    path: "base.rl.loss",
    message:
      /expected one of grpo \| bnpo \| dr_grpo \| dapo, found "dapoo"; did you mean "dapo"\?/,
  },
  {
    name: "top-level enum typo",
    yaml: `name: x\nbase:\n  method: sftrl  #!\n`,
    path: "base.method",
    message: /found "sftrl"; did you mean "sft_rl"\?/,
  },
  {
    name: "bad axis path",
    yaml: `name: x\naxes:\n  rl.lenght_reward.enabled: [false, true]  #!\n`,
    path: "axes.rl.lenght_reward.enabled",
    message:
      /unknown config path "rl.lenght_reward.enabled"; did you mean "rl.length_reward.enabled"\?/,
  },
  {
    name: "axis value invalid for its field",
    yaml: `name: x\naxes:\n  rl.loss:\n    - grpo\n    - dapoo  #!\n`,
    path: "axes.rl.loss[1]",
    message: /found "dapoo"; did you mean "dapo"\?/,
  },
  {
    name: "empty axis",
    yaml: `name: x\naxes:\n  method: []  #!\n`,
    path: "axes.method",
    message: /axis "method" has no values; expected a non-empty list/,
  },
  {
    name: "axis values not a list",
    yaml: `name: x\naxes:\n  seed: 3  #!\n`,
    path: "axes.seed",
    message: /expected a list of values, found 3/,
  },
  {
    name: "duplicate axis value",
    yaml: `name: x\naxes:\n  seed:\n    - 0\n    - 1\n    - 0  #!\n`,
    path: "axes.seed[2]",
    message: /duplicate value 0 on axis "seed" \(also at index 0\)/,
  },
  {
    name: "axis nested inside another axis",
    yaml:
      `name: x\naxes:\n  rl.length_reward: [{ enabled: true }]\n  rl.length_reward.weight: [1]  #!\n`,
    path: "axes.rl.length_reward.weight",
    message: /lies inside axis "rl.length_reward"/,
  },
  {
    name: "axis value breaks a cross-field rule with the base",
    yaml: `name: x\naxes:\n  data.max_objects:\n    - 5\n    - 1  #!\n`,
    path: "axes.data.max_objects[1]",
    message: /with data.max_objects = 1: .*max_objects >= min_objects \(2\), found 1/,
  },
  {
    name: "linked unequal lengths",
    yaml:
      `name: x\naxes:\n  rl.max_completion: [32, 48]\n  rl.group_size: [4, 8, 16]\nlinked:\n  - [rl.max_completion, rl.group_size]  #!\n`,
    path: "linked[0]",
    message: /equal lengths: rl.max_completion has 2, rl.group_size has 3/,
  },
  {
    name: "linked path not an axis",
    yaml:
      `name: x\naxes:\n  rl.max_completion: [32, 48]\n  seed: [0, 1]\nlinked:\n  - [rl.max_completion,\n     sed]  #!\n`,
    path: "linked[0][1]",
    message: /"sed" is not an axis \(linked groups name axes\); did you mean "seed"\?/,
  },
  {
    name: "linked group of one axis",
    yaml: `name: x\naxes:\n  seed: [0, 1]\nlinked:\n  - [seed]  #!\n`,
    path: "linked[0]",
    message: /a linked group needs at least 2 axes, found 1/,
  },
  {
    name: "include with unknown key",
    yaml: `name: x\n${AXES}include:\n  - { init: base, metod: rl }  #!\n`,
    path: "include[0].metod",
    message: /neither an axis nor a config path; did you mean "method"\?/,
  },
  {
    name: "include value invalid for its field",
    yaml: `name: x\n${AXES}include:\n  - { init: base, rl.loss: grpoo }  #!\n`,
    path: "include[0].rl.loss",
    message: /found "grpoo"; did you mean "grpo"\?/,
  },
  {
    name: "exclude unknown axis",
    yaml: `name: x\n${AXES}exclude:\n  - { rl.loss: grpo }  #!\n`,
    path: "exclude[0].rl.loss",
    message: /exclude names "rl.loss", which is not an axis/,
  },
  {
    name: "exclude value not on its axis",
    yaml: `name: x\n${AXES}exclude:\n  - { init: instrct }  #!\n`,
    path: "exclude[0].init",
    message:
      /values of axis "init" \(base \| instruct\), found "instrct"; did you mean "instruct"\?/,
  },
  {
    name: "bad claim metric",
    yaml: `name: x\n${AXES}claims:\n  - name: c\n    compare:\n      metric: eval:overal  #!\n` +
      `      a: { method: rl }\n      b: { method: none }\n`,
    path: "claims[0].compare.metric",
    message: /unknown eval family "overal".*did you mean "overall"\?/,
  },
  {
    name: "claim referencing unknown axis",
    yaml: `name: x\n${AXES}claims:\n  - name: c\n    compare:\n      metric: eval:overall\n` +
      `      a: { method: rl, lengthreward: true }  #!\n      b: { method: none }\n`,
    path: "claims[0].compare.a.lengthreward",
    message: /"lengthreward" is not an axis/,
  },
  {
    name: "claim arm value not on its axis",
    yaml: `name: x\n${AXES}claims:\n  - name: c\n    trend:\n      metric: train:reward\n` +
      `      arm: { method: rll }  #!\n      direction: increasing\n`,
    path: "claims[0].trend.arm.method",
    message: /values of axis "method" \(none \| rl\), found "rll"; did you mean "rl"\?/,
  },
  {
    name: "trend claim on a scalar eval metric",
    yaml: `name: x\n${AXES}claims:\n  - name: c\n    trend:\n      metric: eval:overall  #!\n` +
      `      arm: { method: rl }\n      direction: increasing\n`,
    path: "claims[0].trend.metric",
    message: /expected a training curve train:<name>, found "eval:overall"/,
  },
  {
    name: "claim with neither compare nor trend",
    yaml: `name: x\n${AXES}claims:\n  - name: c  #!\n    alpha: 0.05\n`,
    path: "claims[0]",
    message: /expected a claim with "compare" or "trend", found keys name, alpha/,
  },
  {
    name: "duplicate claim names",
    yaml: `name: x\n${AXES}claims:\n` +
      `  - { name: c, trend: { metric: train:reward, arm: { method: rl }, direction: increasing } }\n` +
      `  - { name: c, trend: { metric: train:kl, arm: { method: rl }, direction: increasing } }  #!\n`,
    path: "claims[1].name",
    message: /duplicate claim name "c" \(also claim 0\)/,
  },
  {
    name: "equivalence claim without a margin",
    yaml: `name: x\n${AXES}claims:\n  - name: c\n    compare:  #!\n      metric: eval:overall\n` +
      `      a: { method: rl }\n      b: { method: none }\n      relation: equivalent\n`,
    path: "claims[0].compare",
    message: /an equivalence claim needs a margin > 0/,
  },
  {
    name: "claim alpha out of range",
    yaml: `name: x\n${AXES}claims:\n  - name: c\n    alpha: 1.5  #!\n` +
      `    trend: { metric: train:reward, arm: { method: rl }, direction: increasing }\n`,
    path: "claims[0].alpha",
    message: /expected a number > 0 and < 1, found 1.5/,
  },
  {
    name: "bad report interval",
    yaml: `name: x\nreport:\n  interval: bootstrp  #!\n`,
    path: "report.interval",
    message: /expected one of t \| bootstrap, found "bootstrp"; did you mean "bootstrap"\?/,
  },
  {
    name: "report row that is not an axis",
    yaml: `name: x\n${AXES}report:\n  rows: [init, metod]  #!\n`,
    path: "report.rows[1]",
    message: /"metod" is not an axis; did you mean "method"\?/,
  },
  {
    name: "seed as a report column",
    yaml: `name: x\n${AXES}report:\n  columns: [seed]  #!\n`,
    path: "report.columns[0]",
    message: /seed cannot be a report column: results are pooled across seeds/,
  },
  {
    name: "unknown training metric in a report",
    yaml: `name: x\nreport:\n  metrics: [eval:overall, train:reflection_rat]  #!\n`,
    path: "report.metrics[1]",
    message: /unknown training metric "reflection_rat"; did you mean "reflection_rate"\?/,
  },
  {
    name: "eval metric as a figure",
    yaml: `name: x\nreport:\n  figures: [eval:count_2d]  #!\n`,
    path: "report.figures[0]",
    message: /expected a training curve/,
  },
  {
    name: "negative steps",
    yaml: `name: x\nbase:\n  pretrain:\n    steps: -5  #!\n`,
    path: "base.pretrain.steps",
    message: /expected an integer >= 0, found -5/,
  },
  {
    name: "non-integer seed",
    yaml: `name: x\nbase:\n  seed: 1.5  #!\n`,
    path: "base.seed",
    message: /expected an integer >= 0, found 1.5/,
  },
  {
    name: "probability above 1",
    yaml: `name: x\nbase:\n  data:\n    trace_error_rate: 1.2  #!\n`,
    path: "base.data.trace_error_rate",
    message: /expected a number >= 0 and <= 1, found 1.2/,
  },
  {
    name: "nullable field given a string",
    yaml: `name: x\nbase:\n  rl:\n    epsilon_high: high  #!\n`,
    path: "base.rl.epsilon_high",
    message: /expected a number > 0 or null, found "high"/,
  },
  {
    name: "YAML 1.1 boolean word",
    yaml: `name: x\nbase:\n  rl:\n    length_reward: { enabled: yes }  #!\n`,
    path: "base.rl.length_reward.enabled",
    message: /expected true or false, found "yes" \(YAML 1\.2 reads yes as a string; write true/,
  },
  {
    name: "unknown model override",
    yaml: `name: x\nbase:\n  model:\n    overrides: { d_modle: 64 }  #!\n`,
    path: "base.model.overrides.d_modle",
    message: /unknown key "d_modle"; did you mean "d_model"\?/,
  },
  {
    name: "cross-field: min_objects above max_objects",
    yaml: `name: x\nbase:\n  data:\n    min_objects: 6\n    max_objects: 3  #!\n`,
    path: "base.data.max_objects",
    message: /expected max_objects >= min_objects \(6\), found 3/,
  },
  {
    name: "duplicate YAML key",
    yaml: `name: x\nbase:\n  rl:\n    steps: 3\n    steps: 4  #!\n`,
    path: "base.rl.steps",
    message: /duplicate key "steps"/,
  },
  {
    name: "YAML syntax error",
    yaml: `name: x\nbase:\n  rl: { steps: 3\naxes:  #!\n  seed: [0]\n`,
    path: "",
    message: /YAML syntax error/,
  },
  {
    name: "name with bad characters",
    yaml: `name: My Experiment  #!\n`,
    path: "name",
    message: /expected a name of lowercase letters, digits, '_' or '-', found "My Experiment"/,
  },
  {
    name: "missing name",
    yaml: `description: no name here  #!\n`,
    path: "",
    message: /missing required key "name" \(a string\)/,
  },
  {
    name: "ptst stage missing fields",
    yaml:
      `name: x\nbase:\n  rl:\n    ptst:\n      enabled: true\n      stages:\n        - { max_completion: 32 }  #!\n`,
    path: "base.rl.ptst.stages[0]",
    message: /missing required key "(group_size|steps)"/,
    count: 2,
  },
  {
    name: "ptst enabled without stages",
    yaml: `name: x\nbase:\n  rl:\n    ptst:\n      enabled: true\n      stages: []  #!\n`,
    path: "base.rl.ptst.stages",
    message: /expected at least one stage when ptst.enabled is true/,
  },
  {
    name: "top level not a mapping",
    yaml: `- name: x  #!\n`,
    path: "",
    message: /expected a mapping at the top level, found a list/,
  },
];

Deno.test("spec mistakes: at least 20 distinct cases", () => {
  assert.ok(CASES.length >= 20);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
});

for (const c of CASES) {
  Deno.test(`spec mistake: ${c.name}`, () => {
    const issues = issuesOf(c.yaml);
    const line = markedLine(c.yaml);
    assert.equal(issues.length, c.count ?? 1, JSON.stringify(issues, null, 1));
    for (const issue of issues) {
      assert.equal(issue.file, "spec.yaml");
      assert.equal(issue.line, line, `${c.name}: ${issue.message}`);
      assert.ok(issue.column >= 1);
      assert.equal(issue.path, c.path);
      assert.match(issue.message, c.message);
    }
  });
}

Deno.test("all errors of a spec are reported at once, in line order", () => {
  const text = [
    "name: Bad Name", // 1
    "base:", // 2
    "  rl:", // 3
    "    loss: dapoo", // 4
    "    stepz: 3", // 5
    "  seed: -1", // 6
    "axes:", // 7
    "  rl.lenght_reward.enabled: [false, true]", // 8
    "  method: [none, rl]", // 9
    "report:", // 10
    "  interval: bootstrp", // 11
    "claims:", // 12
    "  - { name: c, trend: { metric: train:rewrd, arm: { metod: rl }, direction: up } }", // 13
  ].join("\n");
  let err: SpecError | undefined;
  try {
    parseSpec(text, "multi.yaml");
  } catch (e) {
    err = e as SpecError;
  }
  assert.ok(err instanceof SpecError);
  const got = err.issues.map((i) => [i.line, i.path]);
  assert.deepEqual(got, [
    [1, "name"],
    [4, "base.rl.loss"],
    [5, "base.rl.stepz"],
    [6, "base.seed"],
    [8, "axes.rl.lenght_reward.enabled"],
    [11, "report.interval"],
    [13, "claims[0].trend.metric"],
    [13, "claims[0].trend.arm.metod"],
    [13, "claims[0].trend.direction"],
  ]);
  const lines = err.format().split("\n");
  assert.equal(lines.length, 9);
  for (const l of lines) assert.match(l, /^multi\.yaml:\d+:\d+: \S+: .+/);
  assert.equal(err.message, err.format());
});
