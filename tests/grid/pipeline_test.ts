/** Stages, job ids, dedupe of shared stages and topological order. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  canonicalJson,
  ConfigSchema,
  type Experiment,
  type JobConfig,
  parseSpec,
  withOverrides,
} from "../../lib/spec/mod.ts";
import {
  expandGraph,
  type JobGraph,
  jobId,
  STAGE_KINDS,
  STAGE_READS,
  stagesFor,
} from "../../lib/grid/mod.ts";
import { allPaths, enumValues, schemaAt } from "../../lib/spec/schema_walk.ts";
import { getPath, isRecord } from "../../lib/spec/config_path.ts";

const CV = "testcodeversion0";
const spec = (lines: string[]) => parseSpec(["name: g", ...lines].join("\n"), "g.yaml");

const PAPER = spec([
  "axes:",
  "  init: [base, instruct]",
  "  method: [none, sft, rl, sft_rl]",
  "  rl.length_reward.enabled: [false, true]",
  "  seed: [0, 1, 2]",
]);

function jobsOf(g: JobGraph, kind: string) {
  return g.jobs.filter((j) => j.kind === kind);
}

Deno.test("stages by init and method", () => {
  const s = (init: string, method: string) => stagesFor({ init, method });
  assert.deepEqual(s("base", "none"), ["pretrain", "eval"]);
  assert.deepEqual(s("base", "sft"), ["pretrain", "sft", "eval"]);
  assert.deepEqual(s("base", "rl"), ["pretrain", "rl", "eval"]);
  assert.deepEqual(s("base", "sft_rl"), ["pretrain", "sft", "rl", "eval"]);
  assert.deepEqual(s("instruct", "none"), ["pretrain", "instruct", "eval"]);
  assert.deepEqual(s("instruct", "sft_rl"), ["pretrain", "instruct", "sft", "rl", "eval"]);
});

Deno.test("paper grid: shared stages built once; counts per kind", () => {
  const g = expandGraph(PAPER, CV);
  assert.equal(g.points.length, 2 * 4 * 2 * 3);
  assert.equal(g.codeVersion, CV);
  // One pretrain per seed for all 16 arms; one instruct per seed.
  assert.equal(jobsOf(g, "pretrain").length, 3);
  assert.equal(jobsOf(g, "instruct").length, 3);
  // SFT reads neither rl nor method: shared by sft and sft_rl and by both length_reward values.
  assert.equal(jobsOf(g, "sft").length, 2 * 3);
  // RL: init x (rl | sft_rl) x length_reward x seed.
  assert.equal(jobsOf(g, "rl").length, 2 * 2 * 2 * 3);
  // Eval: none and sft arms do not depend on length_reward; rl arms do.
  assert.equal(jobsOf(g, "eval").length, 2 * 2 * 3 + 2 * 2 * 2 * 3);
  assert.equal(new Set(g.jobs.map((j) => j.id)).size, g.jobs.length);

  for (const seed of [0, 1, 2]) {
    const ofSeed = g.points.filter((p) => p.axes.seed === seed);
    assert.equal(new Set(ofSeed.map((p) => p.jobs.pretrain)).size, 1);
    const pre = g.jobs.find((j) => j.id === ofSeed[0].jobs.pretrain)!;
    assert.equal(pre.config.seed, seed);
  }
  // none-arm evals shared across length_reward values; rl-arm evals are not.
  for (const method of ["none", "sft"]) {
    const finals = g.points.filter((p) =>
      p.axes.method === method && p.axes.seed === 0 &&
      p.axes.init === "base"
    ).map((p) => p.jobs.final);
    assert.equal(finals.length, 2);
    assert.equal(finals[0], finals[1]);
  }
  const rlFinals = g.points.filter((p) =>
    p.axes.method === "rl" && p.axes.seed === 0 &&
    p.axes.init === "base"
  ).map((p) => p.jobs.final);
  assert.notEqual(rlFinals[0], rlFinals[1]);
});

Deno.test("points name their jobs by role and the roles chain through inputs", () => {
  const g = expandGraph(PAPER, CV);
  const byId = new Map(g.jobs.map((j) => [j.id, j]));
  for (const p of g.points) {
    const kinds = stagesFor(p.config);
    const roles = kinds.map((k) => (k === "eval" ? "final" : k));
    assert.deepEqual(Object.keys(p.jobs).sort(), [...roles].sort());
    for (let i = 0; i < kinds.length; i++) {
      const job = byId.get(p.jobs[roles[i]])!;
      assert.equal(job.kind, kinds[i]);
      assert.deepEqual(job.inputs, i === 0 ? {} : { model: p.jobs[roles[i - 1]] });
      assert.deepEqual(Object.keys(job.config).sort(), [...STAGE_READS[kinds[i]]].sort());
    }
  }
});

Deno.test("jobs are topologically ordered", () => {
  const g = expandGraph(PAPER, CV);
  const pos = new Map(g.jobs.map((j, i) => [j.id, i]));
  for (const j of g.jobs) {
    for (const dep of Object.values(j.inputs)) {
      assert.ok(pos.has(dep), `missing input ${dep}`);
      assert.ok(pos.get(dep)! < pos.get(j.id)!);
    }
  }
});

Deno.test("job id = sha256(canonical {kind, slice, inputs, codeVersion}) truncated to 16 hex", () => {
  const g = expandGraph(PAPER, CV);
  for (const j of g.jobs) {
    const text = canonicalJson({
      kind: j.kind,
      slice: j.config,
      inputs: j.inputs,
      codeVersion: CV,
    });
    assert.equal(j.id, createHash("sha256").update(text).digest("hex").slice(0, 16));
    assert.equal(jobId(j.kind, j.config, j.inputs, CV), j.id);
    assert.match(j.id, /^[0-9a-f]{16}$/);
  }
  assert.equal(
    canonicalJson({ b: [1, { d: null, c: "x" }], a: true }),
    '{"a":true,"b":[1,{"c":"x","d":null}]}',
  );
});

Deno.test("ids are stable across two expansions (and two parses)", () => {
  const a = expandGraph(PAPER, CV);
  const b = expandGraph(
    spec([
      "axes:",
      "  init: [base, instruct]",
      "  method: [none, sft, rl, sft_rl]",
      "  rl.length_reward.enabled: [false, true]",
      "  seed: [0, 1, 2]",
    ]),
    CV,
  );
  assert.deepEqual(a.jobs.map((j) => j.id), b.jobs.map((j) => j.id));
  assert.deepEqual(a.points, b.points);
});

Deno.test("code version changes every id", () => {
  const a = expandGraph(PAPER, CV);
  const b = expandGraph(PAPER, "othercodeversion");
  const ida = new Set(a.jobs.map((j) => j.id));
  assert.equal(b.jobs.length, a.jobs.length);
  for (const j of b.jobs) assert.ok(!ida.has(j.id));
});

/** A different valid value for a leaf of the config, or undefined when none is easy to make. */
function mutate(path: string, v: unknown, base: JobConfig): unknown {
  const field = schemaAt(ConfigSchema, path.split("."))!;
  const ok = (x: unknown) =>
    field.safeParse(x).success &&
    ConfigSchema.safeParse(withOverrides(base, [[path, x as never]])).success;
  const candidates: unknown[] = [];
  const en = enumValues(field);
  if (en) candidates.push(...en.filter((e) => e !== v));
  else if (typeof v === "number") candidates.push(v + 1, v / 2, v + 0.01);
  else if (typeof v === "boolean") candidates.push(!v);
  else if (v === null) candidates.push(0.3);
  else if (Array.isArray(v)) {
    candidates.push([...v, "hmm"], [{ max_completion: 8, group_size: 2, steps: 1 }]);
  } else if (path === "model.overrides") candidates.push({ d_model: 64 });
  return candidates.find(ok);
}

Deno.test("any change of a section a job reads changes its id; other sections do not", () => {
  // init=instruct and method=sft_rl give a point with every stage.
  const exp = spec(["base:", "  init: instruct", "  method: sft_rl"]);
  const ref = expandGraph(exp, CV).points[0].jobs;
  const chainReads = (upto: number) =>
    new Set(STAGE_KINDS.slice(0, upto + 1).flatMap((k) => STAGE_READS[k]));
  const leaves = allPaths(ConfigSchema).filter((p) => {
    const v = getPath(exp.base, p);
    return !isRecord(v) || Object.keys(v).length === 0;
  }).filter((p) => p !== "init" && p !== "method" && !p.startsWith("model.overrides."));
  let tested = 0;
  const fixed: string[] = [];
  for (const path of leaves) {
    // A one-value enum has no other value to change to.
    if (enumValues(schemaAt(ConfigSchema, path.split(".")))?.length === 1) {
      fixed.push(path);
      continue;
    }
    const nv = mutate(path, getPath(exp.base, path), exp.base);
    // ptst.enabled alone cannot flip (enabled needs stages): flip it together with a stage.
    const over: [string, unknown] = nv === undefined && path === "rl.ptst.enabled"
      ? ["rl.ptst", { enabled: true, stages: [{ max_completion: 8, group_size: 2, steps: 1 }] }]
      : [path, nv];
    assert.notEqual(over[1], undefined, `no mutation for ${path}`);
    const changed: Experiment = { ...exp, base: withOverrides(exp.base, [over as never]) };
    const jobs = expandGraph(changed, CV).points[0].jobs;
    STAGE_KINDS.forEach((kind, i) => {
      const role = kind === "eval" ? "final" : kind;
      const should = chainReads(i).has(path.split(".")[0]);
      assert.equal(
        jobs[role] !== ref[role],
        should,
        `${path} -> ${JSON.stringify(nv)}: ${kind} id ${should ? "should" : "should not"} change`,
      );
    });
    tested++;
  }
  assert.deepEqual(fixed, ["eval.benchmark"]);
  assert.ok(tested >= 60, `only ${tested} leaves tested`);
});

Deno.test("init is read by sft and rl; pretrain is shared across inits", () => {
  const g = expandGraph(
    spec(["axes:", "  init: [base, instruct]", "base:", "  method: sft_rl"]),
    CV,
  );
  const [b, i] = g.points;
  assert.equal(b.jobs.pretrain, i.jobs.pretrain);
  assert.equal(b.jobs.instruct, undefined);
  assert.notEqual(i.jobs.instruct, undefined);
  assert.notEqual(b.jobs.sft, i.jobs.sft);
  assert.notEqual(b.jobs.rl, i.jobs.rl);
});

Deno.test("labels name the kind and the axis values that reach the job", () => {
  const g = expandGraph(PAPER, CV);
  const p = g.points.find((p) =>
    p.axes.init === "instruct" && p.axes.method === "sft_rl" && p.axes.seed === 1 &&
    p.axes["rl.length_reward.enabled"] === true
  )!;
  const label = (role: string) => g.jobs.find((j) => j.id === p.jobs[role])!.label;
  assert.equal(label("pretrain"), "pretrain seed=1");
  assert.equal(label("instruct"), "instruct init=instruct seed=1");
  assert.equal(label("sft"), "sft init=instruct seed=1");
  assert.equal(label("rl"), "rl init=instruct method=sft_rl rl.length_reward.enabled=true seed=1");
  assert.equal(
    label("final"),
    "eval init=instruct method=sft_rl rl.length_reward.enabled=true seed=1",
  );
});

Deno.test("each job carries its read sections fully resolved: every default filled, axis values in", () => {
  const g = expandGraph(PAPER, CV);
  const full = ConfigSchema.parse({}) as JobConfig;
  for (const p of g.points) {
    for (const id of Object.values(p.jobs)) {
      const job = g.jobs.find((j) => j.id === id)!;
      assert.deepEqual(Object.keys(job.config).sort(), [...STAGE_READS[job.kind as "rl"]].sort());
      for (const [section, value] of Object.entries(job.config)) {
        // The same value the point resolved to, and nothing a parse would still have to add.
        assert.deepEqual(value, p.config[section], `${job.label}: ${section}`);
        if (isRecord(full[section])) {
          for (const path of allPaths(ConfigSchema).filter((q) => q.startsWith(`${section}.`))) {
            if (path.startsWith("model.overrides.")) continue; // optional by design
            assert.notEqual(getPath(job.config, path), undefined, `${job.label}: ${path} missing`);
          }
        }
      }
      if (job.kind === "rl") {
        assert.equal(
          getPath(job.config, "rl.length_reward.enabled"),
          p.axes["rl.length_reward.enabled"],
        );
      }
    }
  }
});
