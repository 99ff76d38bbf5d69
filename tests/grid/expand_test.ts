/** Grid points: product size and order, linked (zip), include, exclude, dedupe, re-validation. */
import assert from "node:assert/strict";
import { parseSpec, SpecError } from "../../lib/spec/mod.ts";
import { expandPoints } from "../../lib/grid/mod.ts";

const spec = (lines: string[]) => parseSpec(["name: g", ...lines].join("\n"), "g.yaml");
const keys = (lines: string[]) => expandPoints(spec(lines)).map((p) => p.key);

Deno.test("product: size is the product of axis lengths; first axis varies slowest", () => {
  const pts = expandPoints(spec([
    "axes:",
    "  init: [base, instruct]",
    "  method: [none, sft, rl]",
    "  seed: [0, 1, 2, 3]",
  ]));
  assert.equal(pts.length, 2 * 3 * 4);
  assert.deepEqual(pts.slice(0, 5).map((p) => p.key), [
    "init=base,method=none,seed=0",
    "init=base,method=none,seed=1",
    "init=base,method=none,seed=2",
    "init=base,method=none,seed=3",
    "init=base,method=sft,seed=0",
  ]);
  assert.equal(pts[23].key, "init=instruct,method=rl,seed=3");
  assert.equal(new Set(pts.map((p) => p.key)).size, pts.length);
  // Each point's config carries its axis values over the base.
  for (const p of pts) {
    assert.equal(p.config.init, p.axes.init);
    assert.equal(p.config.method, p.axes.method);
    assert.equal(p.config.seed, p.axes.seed);
  }
});

Deno.test("no axes: a single point, the base config", () => {
  const pts = expandPoints(spec(["base:", "  seed: 7"]));
  assert.equal(pts.length, 1);
  assert.equal(pts[0].key, "");
  assert.equal(pts[0].config.seed, 7);
});

Deno.test("dotted axis sets a nested field and keeps its siblings", () => {
  const pts = expandPoints(spec([
    "base:",
    "  rl: { length_reward: { weight: 0.25 } }",
    "axes:",
    "  rl.length_reward.enabled: [false, true]",
  ]));
  assert.deepEqual(pts.map((p) => (p.config.rl as Record<string, unknown>).length_reward), [
    { enabled: false, weight: 0.25, cap: 48 },
    { enabled: true, weight: 0.25, cap: 48 },
  ]);
  assert.equal(pts[1].key, "rl.length_reward.enabled=true");
});

Deno.test("object-valued axis merges into the base section", () => {
  const pts = expandPoints(spec([
    "base:",
    "  rl: { length_reward: { cap: 20 } }",
    "axes:",
    "  rl.length_reward: [{ enabled: true }, { enabled: true, weight: 1.0 }]",
  ]));
  const lr = pts.map((p) => (p.config.rl as Record<string, unknown>).length_reward);
  assert.deepEqual(lr, [
    { enabled: true, weight: 0.5, cap: 20 },
    { enabled: true, weight: 1.0, cap: 20 },
  ]);
  assert.equal(pts[0].key, 'rl.length_reward={"enabled":true}');
});

Deno.test("linked axes vary together (zip), at the place of their first member", () => {
  const pts = expandPoints(spec([
    "axes:",
    "  rl.max_completion: [16, 32, 48]",
    "  seed: [0, 1]",
    "  rl.group_size: [2, 4, 8]",
    "linked:",
    "  - [rl.max_completion, rl.group_size]",
  ]));
  assert.equal(pts.length, 3 * 2);
  const pairs = pts.map((p) => [p.axes["rl.max_completion"], p.axes["rl.group_size"]]);
  for (const pr of pairs) {
    assert.ok([[16, 2], [32, 4], [48, 8]].some((x) => x[0] === pr[0] && x[1] === pr[1]));
  }
  assert.deepEqual(pts.map((p) => p.key), [
    "rl.max_completion=16,seed=0,rl.group_size=2",
    "rl.max_completion=16,seed=1,rl.group_size=2",
    "rl.max_completion=32,seed=0,rl.group_size=4",
    "rl.max_completion=32,seed=1,rl.group_size=4",
    "rl.max_completion=48,seed=0,rl.group_size=8",
    "rl.max_completion=48,seed=1,rl.group_size=8",
  ]);
  const rl = pts[5].config.rl as Record<string, unknown>;
  assert.equal(rl.max_completion, 48);
  assert.equal(rl.group_size, 8);
});

Deno.test("exclude removes partial matches from the product", () => {
  const k = keys([
    "axes:",
    "  init: [base, instruct]",
    "  method: [none, sft, rl]",
    "  seed: [0, 1]",
    "exclude:",
    "  - { init: instruct, method: sft }",
    "  - { method: none, seed: 1 }",
  ]);
  // 12 - 2 (instruct,sft,*) - 2 (*,none,1) = 8
  assert.equal(k.length, 8);
  assert.ok(!k.some((x) => x.includes("init=instruct,method=sft")));
  assert.ok(!k.some((x) => x.includes("method=none,seed=1")));
  assert.ok(k.includes("init=base,method=sft,seed=1"));
  assert.ok(k.includes("init=instruct,method=none,seed=0"));
});

Deno.test("include adds points; missing axes take their first value; duplicates are removed", () => {
  const k = keys([
    "axes:",
    "  init: [base, instruct]",
    "  method: [none, rl]",
    "  seed: [0, 1]",
    "exclude:",
    "  - { init: instruct, method: rl }",
    "include:",
    "  - { init: instruct, method: rl, seed: 1 }", // brings back one excluded point
    "  - { method: sft }", // a new value, other axes at their first values
    "  - { init: base, method: none, seed: 0 }", // already in the product
    "  - { method: rl, rl.loss: dr_grpo }", // a key that is not an axis
    "  - { method: sft }", // duplicate include
  ]);
  assert.equal(k.length, 8 - 2 + 3);
  assert.deepEqual(k.slice(6), [
    "init=instruct,method=rl,seed=1",
    "init=base,method=sft,seed=0",
    "init=base,method=rl,seed=0,rl.loss=dr_grpo",
  ]);
  assert.equal(k.filter((x) => x === "init=base,method=none,seed=0").length, 1);
  const pts = expandPoints(spec([
    "axes:",
    "  method: [none, rl]",
    "include:",
    "  - { method: rl, rl.loss: dr_grpo }",
  ]));
  assert.equal((pts[2].config.rl as Record<string, unknown>).loss, "dr_grpo");
  assert.equal((pts[1].config.rl as Record<string, unknown>).loss, "grpo");
});

Deno.test("include naming one member of a linked group keeps the group on its diagonal", () => {
  const k = keys([
    "axes:",
    "  rl.max_completion: [16, 32]",
    "  rl.group_size: [2, 4]",
    "  seed: [0]",
    "linked:",
    "  - [rl.max_completion, rl.group_size]",
    "include:",
    "  - { rl.max_completion: 32, seed: 5 }",
  ]);
  assert.equal(k[2], "rl.max_completion=32,rl.group_size=4,seed=5");
});

Deno.test("expansion is deterministic", () => {
  const lines = [
    "axes:",
    "  seed: [2, 0, 1]",
    "  method: [rl, none]",
    "include:",
    "  - { method: sft }",
  ];
  assert.deepEqual(keys(lines), keys(lines));
  assert.deepEqual(keys(lines).slice(0, 2), ["seed=2,method=rl", "seed=2,method=none"]);
});

Deno.test("a combination the schema rejects is a SpecError at the axis line, once per combination", () => {
  const exp = spec([
    "axes:",
    "  data.min_objects: [2, 4]",
    "  data.max_objects: [3, 5]",
    "  seed: [0, 1, 2]",
  ]);
  assert.throws(() => expandPoints(exp), (e) => {
    assert.ok(e instanceof SpecError);
    assert.equal(e.issues.length, 1, e.format());
    assert.equal(e.issues[0].path, "point data.min_objects=4,data.max_objects=3,seed=0");
    assert.equal(e.issues[0].line, 4);
    assert.match(
      e.issues[0].message,
      /invalid combination data.min_objects=4, data.max_objects=3: data.max_objects: .*\(4\), found 3/,
    );
    assert.match(
      e.format(),
      /^g\.yaml:4:3: point data\.min_objects=4,data\.max_objects=3,seed=0: /,
    );
    return true;
  });
});

Deno.test("a claim arm that matches no point is a SpecError at the arm's line", () => {
  const exp = spec([
    "axes:", // 2
    "  init: [base, instruct]", // 3
    "  method: [none, rl]", // 4
    "exclude:", // 5
    "  - { init: instruct, method: rl }", // 6
    "claims:", // 7
    "  - name: c", // 8
    "    compare:", // 9
    "      metric: eval:overall", // 10
    "      a: { init: instruct, method: rl }", // 11
    "      b: { init: base, method: rl }", // 12
  ]);
  assert.throws(() => expandPoints(exp), (e) => {
    assert.ok(e instanceof SpecError);
    assert.equal(e.issues.length, 1, e.format());
    assert.equal(e.issues[0].line, 11);
    assert.equal(e.issues[0].path, "claims[0].compare.a");
    assert.match(
      e.issues[0].message,
      /arm \{"init":"instruct","method":"rl"\} matches no grid point/,
    );
    return true;
  });
  // Arms may select by a config value that is not an axis (here the base's rl.loss).
  const ok = spec([
    "axes:",
    "  method: [none, rl]",
    "include:",
    "  - { method: rl, rl.loss: dapo }",
    "claims:",
    "  - { name: c, compare: { metric: eval:overall, a: { rl.loss: dapo }, b: { rl.loss: grpo } } }",
  ]);
  assert.equal(expandPoints(ok).length, 3);
});

Deno.test("resolved configs are frozen and the experiment's base is left alone", () => {
  const exp = spec(["axes:", "  rl.loss: [grpo, dapo]"]);
  const pts = expandPoints(exp);
  assert.ok(Object.isFrozen(pts[0].config));
  assert.ok(Object.isFrozen(pts[0].config.rl));
  assert.ok(Object.isFrozen((pts[0].config.rl as Record<string, unknown>).length_reward));
  assert.ok(!Object.isFrozen(exp.base.rl));
  // Unchanged sections are shared between points.
  assert.equal(pts[0].config.pretrain, pts[1].config.pretrain);
});
