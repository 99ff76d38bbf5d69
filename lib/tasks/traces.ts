/**
 * Text grounded in a scene: reasoning traces (enumerate the relevant objects with their digit
 * coordinates, compare, conclude) and scene descriptions. An error trace misreads one fact,
 * reaches the wrong intermediate conclusion, then says "wait , ..." and corrects itself, always
 * ending in the true answer: the raw material an "aha" can be learned from.
 */
import type { Rng } from "./rng.ts";
import { countNoun, type Question, relationWord, separated } from "./questions.ts";
import {
  depthLevel,
  objectName,
  type Scene,
  type SceneObject,
  sizeLevel,
  xLevel,
  yLevel,
} from "./world.ts";

/** A reasoning trace (the text inside `<think> </think>`). */
export interface Trace {
  text: string;
  /** True when the trace contains a mistake and its self-correction. */
  hasError: boolean;
}

/** Phrases that open a self-correction; every one starts with "wait ,". */
export const CORRECTIONS = [
  "wait , let me re-check .",
  "wait , let me verify .",
  "wait , that is wrong .",
] as const;

const op = (a: number, b: number) => a < b ? "<" : ">";
const name = objectName;

/**
 * A misreading of one of two digits that flips their order: which side is misread and its wrong
 * value, or null when no single digit in 0..9 can flip it.
 */
function misread(r: Rng, va: number, vb: number): { who: "a" | "b"; w: number } | null {
  const other = (v: number, pivot: number) => {
    const out = [];
    for (let k = 0; k <= 9; k++) if (k !== pivot && (k < pivot) !== (v < pivot)) out.push(k);
    return out;
  };
  const fa = other(va, vb);
  if (fa.length > 0) return { who: "a", w: r.pick(fa) };
  const fb = other(vb, va);
  return fb.length > 0 ? { who: "b", w: r.pick(fb) } : null;
}

/**
 * Shared shape of the two-object comparisons: read two digits, compare, conclude. With `err`,
 * one digit is misread first (flipping the conclusion) and then corrected.
 */
function compareTrace(
  r: Rng,
  err: boolean,
  label: string,
  [na, nb]: [string, string],
  [va, vb]: [number, number],
  conclude: (pa: number, pb: number) => string,
): string[] | null {
  const steps = (pa: number, pb: number) => [
    `${na} ${label} ${pa} , ${nb} ${label} ${pb} .`,
    `${pa} ${op(pa, pb)} ${pb} , so ${conclude(pa, pb)} .`,
  ];
  if (!err) return steps(va, vb);
  const m = misread(r, va, vb);
  if (!m) return null;
  const [wa, wb] = m.who === "a" ? [m.w, vb] : [va, m.w];
  return [
    ...steps(wa, wb),
    r.pick(CORRECTIONS),
    `${m.who === "a" ? na : nb} ${label} ${m.who === "a" ? va : vb} , not ${m.w} .`,
    steps(va, vb)[1],
  ];
}

function relationTrace(q: Question, s: Scene, r: Rng, err: boolean): string[] | null {
  if (q.facts.kind !== "relation") throw new Error("unreachable");
  const { a, b, axis } = q.facts;
  const [oa, ob] = [s.objects[a], s.objects[b]];
  const lv = axis === "x" ? xLevel : yLevel;
  const [lo, hi] = axis === "x" ? ["left", "right"] : ["above", "below"];
  return compareTrace(
    r,
    err,
    axis,
    [name(oa), name(ob)],
    [lv(oa), lv(ob)],
    (pa, pb) => pa < pb ? lo : hi,
  );
}

function depthTrace(q: Question, s: Scene, r: Rng, err: boolean): string[] | null {
  if (q.facts.kind !== "depth") throw new Error("unreachable");
  const { a, b, want } = q.facts;
  const [oa, ob] = [s.objects[a], s.objects[b]];
  return compareTrace(
    r,
    err,
    "depth",
    [name(oa), name(ob)],
    [depthLevel(oa), depthLevel(ob)],
    (pa, pb) => `${name((want === "closer" ? pa < pb : pa > pb) ? oa : ob)} is ${want}`,
  );
}

function countTrace(q: Question, s: Scene, r: Rng, err: boolean): string[] {
  if (q.facts.kind !== "count") throw new Error("unreachable");
  const { attr, value, members } = q.facts;
  const list = (ids: number[]) =>
    `${countNoun(attr, value)} : ${
      ids.length ? ids.map((i) => name(s.objects[i])).join(" , ") : "none"
    } .`;
  if (!err) return [list(members), `count ${members.length} .`];
  const missed = r.int(members.length);
  const seen = members.filter((_, k) => k !== missed);
  return [
    list(seen),
    `count ${seen.length} .`,
    r.pick(CORRECTIONS),
    `i missed the ${name(s.objects[members[missed]])} .`,
    `count ${members.length} .`,
  ];
}

function distanceTrace(q: Question, s: Scene, r: Rng, err: boolean): string[] {
  if (q.facts.kind !== "distance") throw new Error("unreachable");
  const { ref, a, b, want } = q.facts;
  const [or, oa, ob] = [s.objects[ref], s.objects[a], s.objects[b]];
  const pos = (o: SceneObject) => `${xLevel(o)} ${yLevel(o)} ${depthLevel(o)}`;
  const parts = (o: SceneObject) => [
    Math.abs(xLevel(o) - xLevel(or)),
    Math.abs(yLevel(o) - yLevel(or)),
    Math.abs(depthLevel(o) - depthLevel(or)),
  ];
  const sum = (o: SceneObject) => parts(o).reduce((x, y) => x + y, 0);
  const line = (o: SceneObject, total: number) =>
    `${name(o)} ${pos(o)} , ${parts(o).join(" + ")} = ${total} .`;
  const [sa, sb] = [sum(oa), sum(ob)];
  const judge = (pa: number, pb: number) =>
    `${pa} ${op(pa, pb)} ${pb} , so ${
      name((want === "closer" ? pa < pb : pa > pb) ? oa : ob)
    } is ${want} .`;
  const head = `${name(or)} ${pos(or)} .`;
  if (!err) return [head, line(oa, sa), line(ob, sb), judge(sa, sb)];
  // An arithmetic slip that makes the nearer candidate's sum exceed the other's.
  const slipA = sa < sb;
  const w = Math.max(sa, sb) + 1 + r.int(3);
  const [wa, wb] = slipA ? [w, sb] : [sa, w];
  return [
    head,
    line(oa, wa),
    line(ob, wb),
    judge(wa, wb),
    r.pick(CORRECTIONS),
    `${parts(slipA ? oa : ob).join(" + ")} = ${slipA ? sa : sb} , not ${w} .`,
    judge(sa, sb),
  ];
}

/**
 * A trace for `q`, ending in a conclusion that names the correct option's text; with probability
 * `errorRate` it first misreads one fact, concludes wrongly, then corrects itself ("wait , ...").
 */
export function makeTrace(q: Question, scene: Scene, r: Rng, errorRate: number): Trace {
  const err = r.bool(errorRate);
  const f = {
    relation: relationTrace,
    count: countTrace,
    depth: depthTrace,
    distance: distanceTrace,
  }[q.facts.kind];
  // A few digit pairs (0 vs 9) admit no flipping misreading; those traces stay error-free.
  const wrong = err ? f(q, scene, r, true) : null;
  const lines = wrong ?? f(q, scene, r, false)!;
  return { text: lines.join(" "), hasError: wrong !== null };
}

/**
 * A description of the scene for the pretraining and instruct corpora: half of them list the
 * objects (in random order) with their digit levels, half state pairwise relations.
 */
export function describeScene(scene: Scene, r: Rng): string {
  return (r.bool(0.5) && relationCaption(scene, r)) || listScene(scene, r);
}

/** Most relation statements in one caption. */
const MAX_RELATIONS = 4;

/**
 * "the red circle is left of the blue square . …": up to four relations between separated pairs
 * (as relation questions require), in random order and orientation; null when no pair qualifies.
 * Unlike the listing, nothing in the text gives a statement away: each one has to be read off
 * the image, which is what relation questions need, with several answers per document.
 */
export function relationCaption(scene: Scene, r: Rng): string | null {
  const objs = scene.objects;
  const facts: string[] = [];
  for (let i = 0; i < objs.length; i++) {
    for (let j = i + 1; j < objs.length; j++) {
      for (const axis of ["x", "y"] as const) {
        if (!separated(objs[i], objs[j], axis)) continue;
        const [a, b] = r.bool(0.5) ? [objs[i], objs[j]] : [objs[j], objs[i]];
        const word = relationWord(a, b, axis);
        const rel = axis === "x" ? `${word} of` : word;
        facts.push(`the ${objectName(a)} is ${rel} the ${objectName(b)} .`);
      }
    }
  }
  if (facts.length === 0) return null;
  return r.shuffle(facts).slice(0, MAX_RELATIONS).join(" ");
}

/**
 * Objects listed in random order with their x, y, size and depth levels. Not left to right: in a
 * sorted listing the digits after each name follow from the order alone, and a model trained on
 * it learned to write the smaller x first whatever the names (H200, d 128, 4,000 steps: the two
 * digits of a relation trace swapped in most of its wrong answers), instead of finding each
 * named object in the image.
 */
export function listScene(scene: Scene, r: Rng): string {
  const objs = r.shuffle(scene.objects);
  const item = (o: SceneObject) =>
    `a ${objectName(o)} at x ${xLevel(o)} y ${yLevel(o)} , size ${sizeLevel(o)} , depth ${
      depthLevel(o)
    }`;
  const n = scene.objects.length;
  const opening = r.pick([
    `there are ${n} objects :`,
    `the image shows ${n} objects :`,
  ]);
  return `${opening} ${objs.map(item).join(" ; ")} .`;
}
