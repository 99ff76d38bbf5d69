import assert from "node:assert/strict";
import {
  depthLevel,
  describeScene,
  extractAnswer,
  listScene,
  objectName,
  relationCaption,
  rng,
  type Sample,
  sampleTrace,
  satSample,
  trainPool,
  xLevel,
  yLevel,
} from "../../lib/tasks/mod.ts";
import { DATA } from "./fixtures.ts";

const pool = trainPool(0, DATA);
const samples: Sample[] = Array.from({ length: 1500 }, (_, i) => satSample(pool, i));

Deno.test("traces: every trace concludes with the true answer's option text", () => {
  for (const s of samples) {
    const t = sampleTrace(s, 0, 0.3);
    const got = extractAnswer(t.text, s.choices);
    assert.equal(got.answer, s.answer, `${s.id} ${s.question} :: ${t.text}`);
  }
});

Deno.test("traces: error traces go wrong first, say 'wait ,', then self-correct to the truth", () => {
  let errors = 0;
  for (const s of samples) {
    const t = sampleTrace(s, 0, 0.3);
    const cut = t.text.indexOf("wait ,");
    assert.equal(cut >= 0, t.hasError, t.text);
    if (!t.hasError) continue;
    errors++;
    const before = extractAnswer(t.text.slice(0, cut), s.choices).answer;
    assert.notEqual(before, s.answer, `before correction: ${t.text}`);
    assert.equal(extractAnswer(t.text.slice(cut), s.choices).answer, s.answer, t.text);
  }
  // Share of error traces ~ 0.3 (binomial sd ~ 0.012 at n=1500; allow ~4 sd, and a little for the
  // rare digit pairs that cannot be flipped).
  const rate = errors / samples.length;
  assert.ok(rate > 0.24 && rate < 0.35, `error rate ${rate}`);
  assert.ok(samples.every((s) => !sampleTrace(s, 0, 0).hasError));
});

Deno.test("traces: stated digits are the scene's (correct traces)", () => {
  for (const s of samples) {
    const t = sampleTrace(s, 0, 0);
    const f = s.facts;
    if (f.kind === "relation") {
      const lv = f.axis === "x" ? xLevel : yLevel;
      const [a, b] = [s.scene.objects[f.a], s.scene.objects[f.b]];
      assert.ok(
        t.text.startsWith(
          `${objectName(a)} ${f.axis} ${lv(a)} , ${objectName(b)} ${f.axis} ${lv(b)} .`,
        ),
        t.text,
      );
    } else if (f.kind === "depth") {
      const [a, b] = [s.scene.objects[f.a], s.scene.objects[f.b]];
      assert.ok(t.text.includes(`${objectName(a)} depth ${depthLevel(a)}`), t.text);
      assert.ok(t.text.includes(`${objectName(b)} depth ${depthLevel(b)}`), t.text);
    } else if (f.kind === "count") {
      assert.ok(t.text.endsWith(`count ${f.members.length} .`), t.text);
      for (const i of f.members) assert.ok(t.text.includes(objectName(s.scene.objects[i])));
    } else {
      const o = s.scene.objects[f.ref];
      assert.ok(
        t.text.startsWith(`${objectName(o)} ${xLevel(o)} ${yLevel(o)} ${depthLevel(o)} .`),
        t.text,
      );
    }
  }
});

Deno.test("traces and descriptions are deterministic per seed", () => {
  const s = samples[3];
  assert.equal(sampleTrace(s, 4, 0.5).text, sampleTrace(s, 4, 0.5).text);
  const d = describeScene(pool.scenes[0], rng(0, "d"));
  assert.equal(d, describeScene(pool.scenes[0], rng(0, "d")));
  const list = listScene(pool.scenes[0], rng(0, "d"));
  assert.ok(list.includes(`${pool.scenes[0].objects.length} objects`));
});

Deno.test("descriptions: half list the objects, half state relations, each one true", () => {
  let captions = 0, statements = 0;
  for (let i = 0; i < 400; i++) {
    const scene = pool.scenes[i % pool.scenes.length];
    const d = describeScene(scene, rng(0, `d/${i}`));
    if (/^(there are|the image shows) \d objects :/.test(d)) continue;
    captions++;
    const byName = new Map(scene.objects.map((o) => [objectName(o), o]));
    const facts = d.split(" . ").map((f) => f.replace(/ \.$/, ""));
    assert.ok(facts.length >= 1 && facts.length <= 4, d);
    for (const f of facts) {
      const m = f.match(/^the (\w+ \w+) is (left of|right of|above|below) the (\w+ \w+)$/);
      assert.ok(m, `not a relation statement: "${f}"`);
      const a = byName.get(m[1])!, b = byName.get(m[3])!;
      assert.ok(a && b && a !== b, f);
      const ok = {
        "left of": a.x < b.x,
        "right of": a.x > b.x,
        above: a.y < b.y,
        below: a.y > b.y,
      };
      assert.ok(ok[m[2] as keyof typeof ok], `false statement "${f}" in ${JSON.stringify(scene)}`);
      statements++;
    }
  }
  // 400 fair coin flips (fewer where no pair is separated): 140..260 is a >99.999% interval.
  assert.ok(captions > 140 && captions < 260, `${captions} relation captions of 400`);
  assert.ok(statements > captions, `${statements} statements in ${captions} captions`);
  assert.equal(
    relationCaption(pool.scenes[1], rng(1, "c")),
    relationCaption(pool.scenes[1], rng(1, "c")),
  );
});
