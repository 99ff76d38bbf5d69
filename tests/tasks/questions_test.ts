import assert from "node:assert/strict";
import {
  answerText,
  cvbench,
  FAMILIES,
  objectName,
  type Sample,
  satSample,
  type SceneObject,
  TEMPLATES,
  trainPool,
  worldDistance,
} from "../../lib/tasks/mod.ts";
import { DATA } from "./fixtures.ts";

const byName = (s: Sample, name: string): SceneObject => {
  const o = s.scene.objects.find((o) => objectName(o) === name);
  assert.ok(o, `object "${name}" in scene`);
  return o;
};

/** Recompute the correct option text from the scene geometry and the question words alone. */
function expected(s: Sample): string {
  const q = s.question;
  const names = [...q.matchAll(/the (\w+ (?:circle|square|triangle))/g)].map((m) => m[1]);
  switch (s.family) {
    case "relation_2d": {
      // Two sat templates name the reference object first.
      const swap = /^(compared with|which side of)/.test(q);
      const [a, b] = [byName(s, names[swap ? 1 : 0]), byName(s, names[swap ? 0 : 1])];
      return s.choices.includes("left")
        ? (a.x < b.x ? "left" : "right")
        : (a.y < b.y ? "above" : "below");
    }
    case "count_2d": {
      const m = /(circle|square|triangle)s|(\w+) objects/.exec(q)!;
      const n = s.scene.objects.filter((o) => m[1] ? o.shape === m[1] : o.colour === m[2]).length;
      return String(n);
    }
    case "depth_3d": {
      const [a, b] = [byName(s, names[0]), byName(s, names[1])];
      const farther = /farther/.test(q);
      return objectName((a.z < b.z) !== farther ? a : b);
    }
    case "distance_3d": {
      // The reference is the named object that is not an option.
      const ref = byName(s, names.find((n) => !s.choices.includes(n))!);
      const cands = s.choices.map((c) => byName(s, c));
      const d = cands.map((c) => worldDistance(c, ref));
      const farther = /farther/.test(q);
      return objectName(cands[(d[0] < d[1]) !== farther ? 0 : 1]);
    }
  }
}

Deno.test("questions: every sat and cvbench answer agrees with the scene geometry", () => {
  const bench = cvbench(DATA);
  const pool = trainPool(0, DATA, bench);
  const sat = Array.from({ length: 1000 }, (_, i) => satSample(pool, i));
  const all = Array.from({ length: 1000 }, (_, i) => satSample(pool, i, "pretrain", "all"));
  for (const s of [...bench, ...sat, ...all]) {
    assert.equal(answerText(s), expected(s), `${s.id}: ${s.question} ${s.choices}`);
  }
});

Deno.test("questions: cvbench has bench_per_family per family; answers spread over letters", () => {
  const bench = cvbench(DATA);
  for (const f of FAMILIES) {
    const items = bench.filter((s) => s.family === f);
    assert.equal(items.length, DATA.bench_per_family);
    const letters = new Set(items.map((s) => s.answer));
    assert.ok(letters.size >= 2, `${f} answers use ${[...letters]}`);
  }
  // A model always answering "A" must stay near chance on two-way families.
  for (const f of ["relation_2d", "depth_3d", "distance_3d"] as const) {
    const a = bench.filter((s) => s.family === f && s.answer === "A").length;
    assert.ok(a >= 12 && a <= 38, `${f}: ${a}/50 answers are A`);
  }
});

const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** One pattern per cvbench template, keyed by family. */
const cvPatterns = Object.fromEntries(
  Object.entries(TEMPLATES.cvbench).map((
    [k, ts],
  ) => [k, ts.map((t) => new RegExp(`^${esc(t).replace(/\\\{\w\\\}/g, ".+")}$`))]),
);
/** Every cvbench template's pattern, whatever the family. */
const cvAll = Object.values(cvPatterns).flat();

Deno.test("questions: under phrasings 'all', every family's cvbench phrasing occurs in sat questions", () => {
  const pool = trainPool(1, DATA);
  const qs = Array.from({ length: 2000 }, (_, i) => satSample(pool, i, "pretrain", "all"));
  const family = {
    relation: "relation_2d",
    count: "count_2d",
    depth: "depth_3d",
    distance: "distance_3d",
  };
  for (const [k, ps] of Object.entries(cvPatterns)) {
    const of = qs.filter((s) => s.family === family[k as keyof typeof family]);
    const hits = of.filter((s) => ps.some((p) => p.test(s.question))).length;
    // One of 2 to 5 templates per meaning: at least 10% of a family, and never all of it.
    assert.ok(
      hits >= 0.1 * of.length && hits < of.length,
      `${k}: ${hits}/${of.length} cvbench-phrased`,
    );
    assert.ok(of.every((s) => s.split === "sat"));
  }
});

Deno.test("questions: cvbench phrasings never occur in sat questions", () => {
  const pool = trainPool(1, DATA);
  const satTexts = new Set(Array.from({ length: 2000 }, (_, i) => satSample(pool, i).question));
  for (const q of satTexts) {
    for (const p of cvAll) assert.ok(!p.test(q), `sat question "${q}" matches ${p}`);
  }
  // The patterns do match cvbench questions (so the check above can fail).
  for (const s of cvbench(DATA)) assert.ok(cvAll.some((p) => p.test(s.question)), s.question);
  // And sat uses several phrasings per family.
  assert.ok(new Set([...satTexts].map((q) => q.split(" ").slice(0, 3).join(" "))).size >= 10);
});
