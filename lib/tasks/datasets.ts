/**
 * The two data sets: the `sat` training pool (scenes from the job seed) and the fixed `cvbench`
 * benchmark (scenes from `CVBENCH_SEED`, identical for every job so arms and seeds compare on the
 * same questions). Streams are disjoint by name, and the pool also refuses any scene whose
 * rendered content hashes equal to a benchmark image.
 */
import { contentHash, type Rng, rng } from "./rng.ts";
import { imageBytes, renderScene, visibility } from "./render.ts";
import { askQuestion, FAMILIES, type Family, type Phrasings, type Question } from "./questions.ts";
import { makeTrace, type Trace } from "./traces.ts";
import { type DataConfig, drawObjects, type Scene, validateDataConfig } from "./world.ts";

/** The seed of the benchmark's streams: a definition of the benchmark, like CV-Bench's content. */
export const CVBENCH_SEED = 0;

/** Minimum share of an object's own pixels that must stay visible behind nearer objects. */
const MIN_VISIBLE = 0.6;

/** A question with its scene and image. */
export interface Sample extends Question {
  /** Stable id, e.g. `sat/s0/17` or `cvbench/depth_3d/3`. */
  id: string;
  scene: Scene;
  /** `[image_size, image_size, 3]`, row-major, values in [0, 1]. */
  image: Float32Array;
}

/** Raised when generation cannot satisfy its constraints (e.g. too many objects for the image). */
export class GenerationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GenerationError";
  }
}

/** The content hash of an image (its bytes after quantisation to 8 bits). */
export function imageHash(img: Float32Array): string {
  return contentHash(imageBytes(img));
}

/** A scene whose every object keeps at least 60% of its pixels visible (rejection sampling). */
export function generateScene(r: Rng, data: DataConfig): Scene {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const scene = drawObjects(r, data);
    const { total, visible } = visibility(scene, data.image_size);
    if (total.every((t, i) => t > 0 && visible[i] >= MIN_VISIBLE * t)) return scene;
  }
  throw new GenerationError(
    `no scene with ${data.min_objects}..${data.max_objects} visible objects found in 1000 tries ` +
      `at image_size ${data.image_size}`,
  );
}

/** The `cvbench` benchmark: `bench_per_family` questions per family, one scene each, fixed. */
export function cvbench(data: DataConfig): Sample[] {
  validateDataConfig(data);
  const out: Sample[] = [];
  for (const family of FAMILIES) {
    for (let k = 0; k < data.bench_per_family; k++) {
      const r = rng(CVBENCH_SEED, `cvbench/${family}/${k}`);
      for (let attempt = 0;; attempt++) {
        if (attempt === 1000) {
          throw new GenerationError(`no scene supports a cvbench ${family} question (item ${k})`);
        }
        const scene = generateScene(r, data);
        const q = askQuestion(scene, family, r, "cvbench", "own");
        if (!q) continue;
        out.push({
          ...q,
          id: `cvbench/${family}/${k}`,
          scene,
          image: renderScene(scene, data.image_size),
        });
        break;
      }
    }
  }
  return out;
}

/** The `sat` training pool of one seed: scenes, their images and content hashes. */
export interface TrainPool {
  seed: number;
  data: DataConfig;
  scenes: Scene[];
  images: Float32Array[];
  hashes: string[];
}

/** Build the training pool of `seed`, skipping scenes whose image is also a benchmark image. */
export function trainPool(seed: number, data: DataConfig, bench?: readonly Sample[]): TrainPool {
  validateDataConfig(data);
  const banned = new Set((bench ?? cvbench(data)).map((s) => imageHash(s.image)));
  const scenes: Scene[] = [];
  const images: Float32Array[] = [];
  const hashes: string[] = [];
  for (let i = 0; i < data.train_scenes; i++) {
    const r = rng(seed, `sat/scene/${i}`);
    for (;;) {
      const scene = generateScene(r, data);
      const image = renderScene(scene, data.image_size);
      const h = imageHash(image);
      if (banned.has(h)) continue;
      scenes.push(scene);
      images.push(image);
      hashes.push(h);
      break;
    }
  }
  return { seed, data, scenes, images, hashes };
}

/**
 * Training question number `index` of the pool: family uniform, scene uniform among those that
 * support it. Stateless in `index`, so a resumed job draws exactly the same samples. `stream`
 * names an independent sequence of questions (e.g. `pretrain`, `sft`); the default `sat` is the
 * one RL draws from. `phrasings` widens the templates for the pretraining corpus only.
 */
export function satSample(
  pool: TrainPool,
  index: number,
  stream = "sat",
  phrasings: Phrasings = "own",
): Sample {
  const r = rng(pool.seed, `${stream}/sample/${index}`);
  const family: Family = r.pick(FAMILIES);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const s = r.int(pool.scenes.length);
    const q = askQuestion(pool.scenes[s], family, r, "sat", phrasings);
    if (q) {
      return {
        ...q,
        id: `${stream}/s${pool.seed}/${index}`,
        scene: pool.scenes[s],
        image: pool.images[s],
      };
    }
  }
  throw new GenerationError(`no pool scene supports a sat ${family} question (sample ${index})`);
}

/** Scene number `index` of the pool, for descriptions. */
export function poolScene(pool: TrainPool, index: number): { scene: Scene; image: Float32Array } {
  const i = ((index % pool.scenes.length) + pool.scenes.length) % pool.scenes.length;
  return { scene: pool.scenes[i], image: pool.images[i] };
}

/** The reasoning trace of a sample, drawn from its own stream (`<id>/trace`). */
export function sampleTrace(sample: Sample, seed: number, errorRate: number): Trace {
  return makeTrace(sample, sample.scene, rng(seed, `${sample.id}/trace`), errorRate);
}
