/**
 * The synthetic visual world: scenes of coloured shapes with a 2D position and a depth. Geometry
 * lives here; pixels live in `render.ts`. Coordinates: x, y in [0, 1] with y pointing down (image
 * convention), z in [0, 1] with 0 the nearest to the camera.
 */
import type { Rng } from "./rng.ts";

/** The `data` section of the resolved job config (defaults live in lib/spec). */
export interface DataConfig {
  image_size: number;
  min_objects: number;
  max_objects: number;
  train_scenes: number;
  bench_per_family: number;
  trace_error_rate: number;
}

export const SHAPES = ["circle", "square", "triangle"] as const;
export const COLOURS = ["red", "green", "blue", "yellow", "purple"] as const;
export type Shape = typeof SHAPES[number];
export type Colour = typeof COLOURS[number];

/** Linear RGB of each colour at zero depth. */
export const COLOUR_RGB: Readonly<Record<Colour, readonly [number, number, number]>> = {
  red: [0.95, 0.15, 0.1],
  green: [0.15, 0.85, 0.2],
  blue: [0.2, 0.35, 1.0],
  yellow: [0.95, 0.9, 0.1],
  purple: [0.7, 0.2, 0.9],
};

/** One object. `size` is its intrinsic scale (near 1); its drawn radius also shrinks with depth. */
export interface SceneObject {
  shape: Shape;
  colour: Colour;
  x: number;
  y: number;
  z: number;
  size: number;
}

/** A scene: objects with unique (colour, shape) pairs, so "the red circle" always names one. */
export interface Scene {
  objects: SceneObject[];
}

/** Raised for a data config the world cannot honour. */
export class TaskConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TaskConfigError";
  }
}

/** Most objects a scene can hold (one per colour × shape). */
export const MAX_OBJECTS = SHAPES.length * COLOURS.length;

/**
 * Check the parts of `data` the world depends on; throws `TaskConfigError` naming the key.
 * Scenes hold 2..8 objects, and max_objects >= 3 because distance questions need three.
 */
export function validateDataConfig(data: DataConfig): void {
  const int = (k: keyof DataConfig, lo: number, hi: number) => {
    const v = data[k];
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new TaskConfigError(`data.${k} must be an integer in [${lo}, ${hi}], got ${v}`);
    }
  };
  int("image_size", 8, 256);
  int("min_objects", 2, 8);
  int("max_objects", Math.max(3, data.min_objects), Math.min(8, MAX_OBJECTS));
  int("train_scenes", 1, 10_000_000);
  int("bench_per_family", 1, 1_000_000);
  if (!(data.trace_error_rate >= 0 && data.trace_error_rate <= 1)) {
    throw new TaskConfigError(
      `data.trace_error_rate must be in [0, 1], got ${data.trace_error_rate}`,
    );
  }
}

/** Drawn radius as a fraction of the image side: nearer (smaller z) objects are larger. */
export function apparentRadius(o: SceneObject): number {
  return (0.17 - 0.08 * o.z) * o.size;
}

/** Share of the object colour kept at depth z (the rest fades to the background): a depth cue. */
export function brightness(o: SceneObject): number {
  return 1 - 0.5 * o.z;
}

const level = (v: number) => Math.max(0, Math.min(9, Math.floor(v * 10)));

/** Horizontal position as a digit 0 (left) .. 9 (right), as traces and descriptions state it. */
export function xLevel(o: SceneObject): number {
  return level(o.x);
}

/** Vertical position as a digit 0 (top) .. 9 (bottom). */
export function yLevel(o: SceneObject): number {
  return level(o.y);
}

/** Depth as a digit 0 (nearest) .. 9 (farthest). */
export function depthLevel(o: SceneObject): number {
  return level(o.z);
}

/** Drawn size as a digit 1 (small) .. 9 (large). */
export function sizeLevel(o: SceneObject): number {
  const r = apparentRadius(o);
  // Radii span roughly [0.08, 0.19]; map that range onto 1..9.
  return Math.max(1, Math.min(9, Math.round(1 + (r - 0.08) / 0.11 * 8)));
}

/** "red circle": the name questions, choices and traces use for an object. */
export function objectName(o: SceneObject): string {
  return `${o.colour} ${o.shape}`;
}

/** L1 distance in digit levels over (x, y, depth): the arithmetic that traces show. */
export function levelDistance(a: SceneObject, b: SceneObject): number {
  return Math.abs(xLevel(a) - xLevel(b)) + Math.abs(yLevel(a) - yLevel(b)) +
    Math.abs(depthLevel(a) - depthLevel(b));
}

/** Euclidean 3D distance in world units: the ground truth for distance questions. */
export function worldDistance(a: SceneObject, b: SceneObject): number {
  return Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z);
}

/**
 * Draw the objects of a scene (no visibility check: see `generateScene` in scenes.ts, which
 * rejects scenes whose objects are hidden behind others).
 */
export function drawObjects(r: Rng, data: Pick<DataConfig, "min_objects" | "max_objects">): Scene {
  const n = data.min_objects + r.int(data.max_objects - data.min_objects + 1);
  const kinds = r.shuffle(
    SHAPES.flatMap((shape) => COLOURS.map((colour) => ({ shape, colour }))),
  ).slice(0, n);
  const objects = kinds.map(({ shape, colour }) => {
    const z = r.float();
    const size = r.range(0.9, 1.1);
    return { shape, colour, x: r.range(0.1, 0.9), y: r.range(0.1, 0.9), z, size };
  });
  return { objects };
}

/** A canonical string of a scene's content (values rounded to 1e-6), for hashing and tests. */
export function sceneKey(scene: Scene): string {
  return scene.objects.map((o) =>
    `${o.colour}/${o.shape}/${o.x.toFixed(6)}/${o.y.toFixed(6)}/${o.z.toFixed(6)}/${
      o.size.toFixed(6)
    }`
  ).join(";");
}
