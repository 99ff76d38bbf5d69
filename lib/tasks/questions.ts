/**
 * Question families over a scene. `sat` (training) and `cvbench` (held-out) ask about the same four
 * skills with disjoint phrasings: cvbench's templates never occur in training text. Every
 * question is multiple choice; the answer is an option letter.
 */
import type { Rng } from "./rng.ts";
import {
  COLOURS,
  depthLevel,
  levelDistance,
  objectName,
  type Scene,
  type SceneObject,
  SHAPES,
  worldDistance,
  xLevel,
  yLevel,
} from "./world.ts";

export const FAMILIES = ["relation_2d", "count_2d", "depth_3d", "distance_3d"] as const;
export type Family = typeof FAMILIES[number];
export type Split = "sat" | "cvbench";
/**
 * Which templates a `sat` question may be phrased in: its own (`own`), or its own and the
 * benchmark's (`all`, for the pretraining corpus only: the "web" a base model read, where the
 * benchmark's way of asking occurs but never its scenes). cvbench questions always use their own.
 */
export type Phrasings = "own" | "all";
export const LETTERS = ["A", "B", "C", "D"] as const;

/** What a question is about, in object indices: the ground the traces stand on. */
export type Facts =
  | { kind: "relation"; a: number; b: number; axis: "x" | "y" }
  | { kind: "count"; attr: "shape" | "colour"; value: string; members: number[] }
  | { kind: "depth"; a: number; b: number; want: "closer" | "farther" }
  | { kind: "distance"; ref: number; a: number; b: number; want: "closer" | "farther" };

/** A multiple-choice question about a scene. */
export interface Question {
  split: Split;
  family: Family;
  /** The question sentence, without its options. */
  question: string;
  /** Option texts in letter order. */
  choices: string[];
  /** The correct option letter ("A", "B", ...). */
  answer: string;
  facts: Facts;
}

/** Minimum separations that make answers unambiguous both visually and in digit levels. */
const MIN_DX = 0.15;
const MIN_DZ = 0.25;
const MIN_DIST_RATIO = 1.3;
const MIN_LEVEL_GAP = 3;

/** Templates: `{a}`, `{b}`, `{r}` are object names, `{n}` a counted noun phrase. */
export const TEMPLATES = {
  sat: {
    relation_x: [
      "is the {a} to the left or to the right of the {b} ?",
      "where is the {a} relative to the {b} ?",
      "which side of the {b} is the {a} on ?",
      "compared with the {b} , where is the {a} ?",
    ],
    relation_y: [
      "is the {a} above or below the {b} ?",
      "where is the {a} relative to the {b} ?",
      "is the {a} higher or lower in the picture than the {b} ?",
      "compared with the {b} , where is the {a} ?",
    ],
    count: [
      "how many {n} are there ?",
      "count the {n} in the picture .",
      "how many {n} can you see ?",
      "what is the number of {n} in the picture ?",
    ],
    depth_closer: [
      "which is nearer to the viewer , the {a} or the {b} ?",
      "which object is closer to the camera : the {a} or the {b} ?",
    ],
    depth_farther: [
      "which is farther from the viewer , the {a} or the {b} ?",
      "of the {a} and the {b} , which one is farther away ?",
    ],
    distance_closer: [
      "which object is nearer to the {r} , the {a} or the {b} ?",
      "is the {a} or the {b} closer to the {r} ?",
    ],
    distance_farther: [
      "which is farther from the {r} , the {a} or the {b} ?",
    ],
  },
  cvbench: {
    relation: [
      "considering the relative positions of the {a} and the {b} in the image , " +
      "where is the {a} located with respect to the {b} ?",
    ],
    count: ["how many {n} are in the image ?"],
    depth: ["which object is closer to the camera taking this photo , the {a} or the {b} ?"],
    distance: ["which of these two objects ( the {a} , the {b} ) , is closer to the {r} ?"],
  },
} as const;

/** Option texts that may appear in choices (besides object names and numbers). */
export const RELATION_WORDS = ["left", "right", "above", "below"] as const;

/**
 * The templates a question draws from, given sat's (`sat`) and the benchmark's (`cv`) for its
 * meaning: a cvbench question the benchmark's, a sat question sat's, plus the benchmark's under
 * `all`.
 */
function phrased(
  split: Split,
  phrasings: Phrasings,
  sat: readonly string[],
  cv: readonly string[],
): readonly string[] {
  if (split === "cvbench") return cv;
  return phrasings === "all" ? [...sat, ...cv] : sat;
}

function fill(t: string, names: Record<string, string>): string {
  return t.replace(/\{(\w)\}/g, (_, k: string) => names[k]);
}

/** "( A ) left ( B ) right": how options follow a question. */
export function formatChoices(choices: readonly string[]): string {
  return choices.map((c, i) => `( ${LETTERS[i]} ) ${c}`).join(" ");
}

/** Question sentence followed by its lettered options. */
export function questionText(q: Pick<Question, "question" | "choices">): string {
  return `${q.question} ${formatChoices(q.choices)}`;
}

/** The answer's option text ("left", "red circle", "3"). */
export function answerText(q: Pick<Question, "choices" | "answer">): string {
  return q.choices[LETTERS.indexOf(q.answer as typeof LETTERS[number])];
}

function pairs(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) out.push([i, j]);
  return out;
}

/**
 * Two options in a fixed order (the order the question names them, or left/right, above/below),
 * as CV-Bench lists them; the answer's letter is where the right one falls.
 */
function twoWay(
  first: string,
  second: string,
  right: string,
): { choices: string[]; answer: string } {
  return { choices: [first, second], answer: right === first ? "A" : "B" };
}

/**
 * Whether `a` and `b` are far enough apart along `axis` (and on different digit levels) for a
 * relation between them to be stated or asked without ambiguity.
 */
export function separated(a: SceneObject, b: SceneObject, axis: "x" | "y"): boolean {
  const coord = (o: SceneObject) => axis === "x" ? o.x : o.y;
  const lvl = (o: SceneObject) => axis === "x" ? xLevel(o) : yLevel(o);
  return Math.abs(coord(a) - coord(b)) >= MIN_DX && lvl(a) !== lvl(b);
}

/** The relation word of `a` with respect to `b` along `axis` ("left", "below", ...). */
export function relationWord(a: SceneObject, b: SceneObject, axis: "x" | "y"): string {
  if (axis === "x") return a.x < b.x ? "left" : "right";
  return a.y < b.y ? "above" : "below";
}

function relation(scene: Scene, r: Rng, split: Split, phrasings: Phrasings): Question | null {
  const objs = scene.objects;
  const axis: "x" | "y" = r.bool(0.5) ? "x" : "y";
  const ok = pairs(objs.length).filter(([a, b]) => separated(objs[a], objs[b], axis));
  if (ok.length === 0) return null;
  const [a, b] = r.pick(ok);
  const [lo, hi] = axis === "x" ? ["left", "right"] : ["above", "below"];
  const { choices, answer } = twoWay(lo, hi, relationWord(objs[a], objs[b], axis));
  const templates = phrased(
    split,
    phrasings,
    TEMPLATES.sat[axis === "x" ? "relation_x" : "relation_y"],
    TEMPLATES.cvbench.relation,
  );
  const question = fill(r.pick(templates), { a: objectName(objs[a]), b: objectName(objs[b]) });
  return {
    split,
    family: "relation_2d",
    question,
    choices,
    answer,
    facts: { kind: "relation", a, b, axis },
  };
}

/** "circles", "red objects": the noun phrase counted. */
export function countNoun(attr: "shape" | "colour", value: string): string {
  return attr === "shape" ? `${value}s` : `${value} objects`;
}

function count(scene: Scene, r: Rng, split: Split, phrasings: Phrasings): Question {
  const objs = scene.objects;
  const attr: "shape" | "colour" = r.bool(0.5) ? "shape" : "colour";
  const present = (attr === "shape" ? SHAPES : COLOURS).filter((v: string) =>
    objs.some((o) => (attr === "shape" ? o.shape : o.colour) === v)
  );
  const value = r.pick(present);
  const members = objs.map((o, i) => ({ o, i }))
    .filter(({ o }) => (attr === "shape" ? o.shape : o.colour) === value)
    .sort((p, q) => p.o.x - q.o.x || p.i - q.i)
    .map(({ i }) => i);
  const truth = members.length;
  // Three distinct distractors from 0..max(5, truth + 2), then a shuffle: the correct slot is
  // uniform over the four letters whatever the count.
  const pool: number[] = [];
  for (let k = 0; k <= Math.max(5, truth + 2); k++) if (k !== truth) pool.push(k);
  const options = r.shuffle([truth, ...r.shuffle(pool).slice(0, 3)]);
  const choices = options.map(String);
  const answer = LETTERS[options.indexOf(truth)];
  const templates = phrased(split, phrasings, TEMPLATES.sat.count, TEMPLATES.cvbench.count);
  const question = fill(r.pick(templates), { n: countNoun(attr, value) });
  return {
    split,
    family: "count_2d",
    question,
    choices,
    answer,
    facts: { kind: "count", attr, value, members },
  };
}

function depth(
  scene: Scene,
  r: Rng,
  split: Split,
  phrasings: Phrasings,
): Question | null {
  const objs = scene.objects;
  const ok = pairs(objs.length).filter(([a, b]) =>
    a < b && Math.abs(objs[a].z - objs[b].z) >= MIN_DZ &&
    Math.abs(depthLevel(objs[a]) - depthLevel(objs[b])) >= 2
  );
  if (ok.length === 0) return null;
  const [a, b] = r.shuffle(r.pick(ok));
  const want: "closer" | "farther" = split === "sat" && r.bool(0.3) ? "farther" : "closer";
  const aWins = want === "closer" ? objs[a].z < objs[b].z : objs[a].z > objs[b].z;
  const { choices, answer } = twoWay(
    objectName(objs[a]),
    objectName(objs[b]),
    objectName(objs[aWins ? a : b]),
  );
  // The benchmark only asks which is closer (`want` is "farther" for sat alone), so "farther"
  // keeps sat's phrasings.
  const templates = want === "closer"
    ? phrased(split, phrasings, TEMPLATES.sat.depth_closer, TEMPLATES.cvbench.depth)
    : TEMPLATES.sat.depth_farther;
  const question = fill(r.pick(templates), { a: objectName(objs[a]), b: objectName(objs[b]) });
  return {
    split,
    family: "depth_3d",
    question,
    choices,
    answer,
    facts: { kind: "depth", a, b, want },
  };
}

function distance(
  scene: Scene,
  r: Rng,
  split: Split,
  phrasings: Phrasings,
): Question | null {
  const objs = scene.objects;
  const n = objs.length;
  const ok: [number, number, number][] = [];
  for (let ref = 0; ref < n; ref++) {
    for (const [a, b] of pairs(n)) {
      if (a === ref || b === ref || a > b) continue;
      const [da, db] = [worldDistance(objs[ref], objs[a]), worldDistance(objs[ref], objs[b])];
      const [la, lb] = [levelDistance(objs[ref], objs[a]), levelDistance(objs[ref], objs[b])];
      // The digit arithmetic a trace shows must agree with the world, with room to spare.
      if (
        Math.max(da, db) >= MIN_DIST_RATIO * Math.min(da, db) &&
        Math.abs(la - lb) >= MIN_LEVEL_GAP && (da < db) === (la < lb)
      ) ok.push([ref, a, b]);
    }
  }
  if (ok.length === 0) return null;
  const [ref, a0, b0] = r.pick(ok);
  const [a, b] = r.shuffle([a0, b0]);
  const want: "closer" | "farther" = split === "sat" && r.bool(0.3) ? "farther" : "closer";
  const da = worldDistance(objs[ref], objs[a]);
  const db = worldDistance(objs[ref], objs[b]);
  const aWins = want === "closer" ? da < db : da > db;
  const { choices, answer } = twoWay(
    objectName(objs[a]),
    objectName(objs[b]),
    objectName(objs[aWins ? a : b]),
  );
  const templates = want === "closer"
    ? phrased(split, phrasings, TEMPLATES.sat.distance_closer, TEMPLATES.cvbench.distance)
    : TEMPLATES.sat.distance_farther;
  const question = fill(r.pick(templates), {
    a: objectName(objs[a]),
    b: objectName(objs[b]),
    r: objectName(objs[ref]),
  });
  return {
    split,
    family: "distance_3d",
    question,
    choices,
    answer,
    facts: { kind: "distance", ref, a, b, want },
  };
}

/** A question of `family` about `scene`, or null when the scene cannot support one unambiguously. */
export function askQuestion(
  scene: Scene,
  family: Family,
  r: Rng,
  split: Split,
  phrasings: Phrasings,
): Question | null {
  switch (family) {
    case "relation_2d":
      return relation(scene, r, split, phrasings);
    case "count_2d":
      return count(scene, r, split, phrasings);
    case "depth_3d":
      return depth(scene, r, split, phrasings);
    case "distance_3d":
      return distance(scene, r, split, phrasings);
  }
}
