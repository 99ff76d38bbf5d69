/**
 * The tiny VLM learns to USE THE IMAGE: trained on one-object scenes to name the object's colour
 * after `<bos>` (the text is identical for every scene, so only the image can tell the answer),
 * its held-out accuracy beats the best image-blind predictor (always the held-out set's most
 * common colour) by a margin chance cannot explain (exact one-sided binomial test), and its
 * answers follow the image: given another scene's image, they match the own scene far less often.
 *
 * This is the regression test for the "blind VLM": with raw [0, 1] pixels (pixel_mean 0,
 * pixel_std 1) the same run stays at chance (held-out accuracy 0.19-0.25 after 100-200 steps).
 */
import assert from "node:assert/strict";
import { acquireGpu } from "../../lib/gpu/mod.ts";
import { modelConfig } from "../../lib/model/config.ts";
import {
  createGpuModel,
  forwardLogits,
  freeGpuModel,
  trainStep,
} from "../../lib/model/gpu_model.ts";
import { initParams } from "../../lib/model/params.ts";
import { drawObjects, xLevel } from "../../lib/tasks/world.ts";
import { binomialUpperTail } from "../helpers/binomial.ts";
import { nextSceneImages } from "../helpers/images.ts";
import { COLOURS, renderScene, rng, SPECIAL, tokenId, VOCAB_SIZE } from "../../lib/tasks/mod.ts";

const SIZE = 24;
const PIXELS = SIZE * SIZE * 3;

/** `n` one-object scenes from stream `seed`: images, colour-token targets. */
function colourBatch(seed: number, n: number) {
  const r = rng(seed, "vision-colour");
  const images = new Float32Array(n * PIXELS), targets = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    const scene = drawObjects(r, { min_objects: 1, max_objects: 1 });
    images.set(renderScene(scene, SIZE), b * PIXELS);
    targets[b] = tokenId(scene.objects[0].colour);
  }
  return {
    batch: n,
    seq: 1,
    images,
    tokens: new Int32Array(n).fill(SPECIAL.bos),
    targets,
    mask: new Float32Array(n).fill(1),
  };
}

/**
 * A batch whose prediction target is the one position of each sequence its mask marks; `decoys`
 * holds, per sequence, the answer that reading the wrong object would give (-1: none).
 */
type ReadingBatch = ReturnType<typeof colourBatch> & { decoys?: Int32Array };

/** What an image-reading run scored on its held-out batch. */
interface Reading {
  n: number;
  /** Correct answers with each scene's own image, and with the next scene's image. */
  k: number;
  kOther: number;
  /** Accuracy of the best image-blind rule: always the held-out set's most common answer. */
  blind: number;
  /** Exact one-sided binomial P(X >= k) under the blind rule's accuracy. */
  p: number;
  /**
   * Over the held-out sequences whose decoy is at least 2 from the target: how many, and how many
   * answers are the decoy. About 40% when the model reads whichever object, not the named one.
   */
  decoyItems: number;
  kDecoy: number;
  /** Of those sequences, how many answers are the target (the named object's level). */
  kNamed: number;
}

/**
 * Train a fresh `tiny` model for `steps` batches of `batchSize` from `makeBatch`, then answer `n`
 * held-out sequences by the highest logit among `candidates` at each sequence's answer position
 * (the one its mask marks).
 */
async function imageReading(
  makeBatch: (seed: number, n: number) => ReadingBatch,
  opts: { steps: number; batchSize: number; n: number; candidates: number[] },
): Promise<Reading> {
  const gpu = await acquireGpu();
  const cfg = modelConfig({ preset: "tiny", overrides: {} }, VOCAB_SIZE, SIZE);
  const model = createGpuModel(gpu, cfg, initParams(cfg, 0));
  try {
    for (let s = 0; s < opts.steps; s++) {
      await trainStep(model, makeBatch(s, opts.batchSize), {
        lr: 3e-3,
        weightDecay: 0.01,
        gradClip: 1,
      });
    }
    const { n, candidates } = opts, held = makeBatch(1_000_000, n), V = cfg.vocab_size;
    const answerAt = (b: number) => {
      for (let t = 0; t < held.seq; t++) if (held.mask[b * held.seq + t]) return b * held.seq + t;
      throw new Error(`held-out sequence ${b} marks no answer`);
    };
    const at = Array.from({ length: n }, (_, b) => answerAt(b));
    const target = at.map((i) => held.targets[i]);
    const answers = async (images: Float32Array) => {
      const logits = await forwardLogits(model, { ...held, images });
      return at.map((i) => {
        let best = candidates[0];
        for (const id of candidates) if (logits[i * V + id] > logits[i * V + best]) best = id;
        return best;
      });
    };
    const own = await answers(held.images);
    const k = own.filter((a, b) => a === target[b]).length;
    // Each scene gets the next scene's image: an image-reading model now answers for that one.
    const kOther = (await answers(nextSceneImages(held.images, n)))
      .filter((a, b) => a === target[b]).length;
    const blind = Math.max(...candidates.map((id) => target.filter((t) => t === id).length)) / n;
    const digit = (id: number) => candidates.indexOf(id);
    const decoys = held.decoys ?? new Int32Array(n).fill(-1);
    const apart = own.map((_, b) => b).filter((b) =>
      decoys[b] >= 0 && Math.abs(decoys[b] - digit(target[b])) >= 2
    );
    const kDecoy = apart.filter((b) => digit(own[b]) === decoys[b]).length;
    const kNamed = apart.filter((b) => own[b] === target[b]).length;
    return {
      n,
      k,
      kOther,
      blind,
      p: binomialUpperTail(k, n, blind),
      decoyItems: apart.length,
      kDecoy,
      kNamed,
    };
  } finally {
    freeGpuModel(model);
    gpu.device.destroy();
  }
}

Deno.test({
  name: "vision learning: the tiny VLM names a one-object scene's colour from the image alone",
  sanitizeResources: false,
  fn: async () => {
    const { n, k, kOther, blind, p } = await imageReading(colourBatch, {
      steps: 80,
      batchSize: 16,
      n: 100,
      candidates: COLOURS.map((c) => tokenId(c)),
    });
    console.log(
      `held-out colour accuracy ${k}/${n} (image-blind best ${blind}), P(X>=${k}) = ${
        p.toExponential(2)
      }; with another scene's image ${kOther}/${n}`,
    );
    assert.ok(p < 1e-6, `colour at chance: ${k}/${n} vs blind ${blind}, p=${p}`);
    assert.ok(kOther < k - 30, `answers do not follow the image: ${kOther} vs ${k}`);
  },
});

/**
 * The tiny VLM also learns WHERE an object is: trained on two-object scenes to give the x level
 * (0-9) of the object named by `<bos> colour shape`, its held-out exact accuracy beats the best
 * image-blind rule (always the held-out set's most common level) by a margin chance cannot explain
 * (exact one-sided binomial test), and its answers follow the image.
 *
 * What it shows is reading where AN object is; it does not show that the named one is read. Of the
 * 140 held-out scenes whose two objects are 2+ levels apart, the run below answers the named
 * object's level in 36 and the other object's in 46 (2026-12-05, shared image position): the name,
 * one token before the answer, is not bound to its object — the step relation questions rest on
 * (the next test binds a name at the answer position; README, "Why relation questions stay at
 * chance"). On lavapipe this run reads 62/200 (best blind rule 31/200, P = 3.1e-8; 26/200 with
 * another scene's image); with a RoPE position per patch 80/200 (52 vs 44), with RGB-only patches
 * as well 52/200 (P = 9.0e-5), 59/200 with the projector's own position table as well. A
 * probe of the same task on another data stream read 18/200 after 300 steps (23/200 after 1,000)
 * with the position table initialised N(0, 0.02²) and 6-pixel patches, 39/200 with the 2D sin-cos
 * start, and 83/200 with 4-pixel patches as well: why `tiny` uses both.
 */
/**
 * Batches of `n` scenes of `objects` objects from stream `seed`; the target is the x-level digit of
 * the object named by `<bos> colour shape`, with 0..maxFiller copies of "the" (drawn per example)
 * between `<bos>` and the name, so with maxFiller > 0 every sequence has its answer elsewhere.
 * With `colourLast` the name is written `shape colour`, so the answer is due at the colour word.
 */
function positionBatches(maxFiller: number, objects = 2, colourLast = false) {
  const stream = colourLast
    ? "vision-position-colour-last"
    : objects === 2
    ? (maxFiller ? "vision-position-shifted" : "vision-position")
    : `vision-position-${objects}-objects`;
  return (seed: number, n: number) => {
    const r = rng(seed, stream);
    const T = 3 + maxFiller;
    const images = new Float32Array(n * PIXELS);
    const tokens = new Int32Array(n * T).fill(tokenId("the"));
    const targets = new Int32Array(n * T), mask = new Float32Array(n * T);
    const decoys = new Int32Array(n).fill(-1);
    for (let b = 0; b < n; b++) {
      const scene = drawObjects(r, { min_objects: objects, max_objects: objects });
      images.set(renderScene(scene, SIZE), b * PIXELS);
      const o = scene.objects[r.int(objects)];
      const k = maxFiller ? r.int(maxFiller + 1) : 0;
      tokens[b * T] = SPECIAL.bos;
      tokens[b * T + 1 + k] = tokenId(colourLast ? o.shape : o.colour);
      tokens[b * T + 2 + k] = tokenId(colourLast ? o.colour : o.shape);
      targets[b * T + 2 + k] = tokenId(String(xLevel(o)));
      mask[b * T + 2 + k] = 1;
      if (objects === 2) decoys[b] = xLevel(scene.objects.find((q) => q !== o)!);
    }
    return { batch: n, seq: T, images, tokens, targets, mask, decoys };
  };
}

/**
 * Train on `positionBatches(maxFiller, objects, colourLast)` for `steps`; require image-grounded
 * reading, and with `bound` also that the named object is read, not the other one.
 */
async function assertReadsPositions(
  maxFiller: number,
  steps: number,
  objects = 2,
  { colourLast = false, bound = false } = {},
): Promise<void> {
  const { n, k, kOther, blind, p, decoyItems, kDecoy, kNamed } = await imageReading(
    positionBatches(maxFiller, objects, colourLast),
    {
      steps,
      batchSize: 32,
      n: 200,
      candidates: Array.from({ length: 10 }, (_, i) => tokenId(String(i))),
    },
  );
  console.log(
    `held-out x-level accuracy ${k}/${n} (image-blind best ${blind}), P(X>=${k}) = ${
      p.toExponential(2)
    }; with another scene's image ${kOther}/${n}`,
  );
  // Whether it is the NAMED object that is read (binding): without binding the named and the
  // other object's level are answered equally often (sign test against 1/2).
  const pBound = binomialUpperTail(kNamed, kNamed + kDecoy);
  if (decoyItems > 0) {
    console.log(
      `objects 2+ levels apart (${decoyItems}): named object's level ${kNamed}, the other's ${kDecoy}, ` +
        `sign test P = ${pBound.toExponential(2)}`,
    );
  }
  assert.ok(p < 1e-4, `x level at chance: ${k}/${n} vs blind ${blind}, p=${p}`);
  assert.ok(kOther < k - 20, `answers do not follow the image: ${kOther} vs ${k}`);
  if (bound) {
    assert.ok(pBound < 1e-6, `the name is not bound: named ${kNamed} vs other ${kDecoy}`);
  }
}

Deno.test({
  name: "vision learning: the tiny VLM reads an object's x level in a two-object scene",
  sanitizeResources: false,
  fn: () => assertReadsPositions(0, 300),
});

/**
 * BINDING: the same lookup with the name written `shape colour`, so the colour word sits where the
 * answer is due, and the NAMED object's level must be read, not the other one's (sign test over
 * the held-out scenes whose two levels differ by 2+). This holds because every image token shares
 * one RoPE position (ModelConfig.shared_image_position): with a position per patch the same run
 * answered the named object's level about as often as the other's (probe, CPU box, 2026-12-05:
 * 95 vs 75 of 260 after 600 steps; shared 150 vs 38). With the colour one token before the answer
 * (`colour shape`, the test above) the tiny model still does not bind within 2,000 steps (README,
 * "Why relation questions stay at chance").
 */
Deno.test({
  name: "vision learning: the tiny VLM reads the x level of the object its colour word names",
  sanitizeResources: false,
  fn: () => assertReadsPositions(0, 600, 2, { colourLast: true, bound: true }),
});

/**
 * The same lookup when the name's position varies (0-60 fillers): what the pretraining corpus asks
 * of the model for every image-grounded token. Numbers here date from before the shared image
 * position (a RoPE position per patch). With the preset's coordinate channels this run reads
 * 60/200 on lavapipe (best image-blind rule 30/200, P = 5.7e-8; 30/200 with another scene's image);
 * 72/200 with the projector's position table as well. With RGB-only patches it gave one constant
 * answer, 23/200 (also with the table; RoPE's base 10^4 to 10^12 and head size 32 did not change
 * it), although the same task at any fixed position learned: an even attention averages the
 * position code of RGB-only patches away, which leaves the gradient no foothold until attention has
 * found the object, while at a fixed place RoPE's phase to the image gives one (README, "Why
 * relation questions stay at chance"). Whether it is the named object that is read (binding) is
 * printed, not asserted; at a varying position the probes found it unbound (README). 3.6 min on the
 * CPU box, so ZEROGRID_SLOW_TESTS=1.
 */
Deno.test({
  name: "vision learning: the tiny VLM reads an object's x level wherever the name sits",
  ignore: Deno.env.get("ZEROGRID_SLOW_TESTS") !== "1",
  sanitizeResources: false,
  fn: () => assertReadsPositions(60, 600),
});

/**
 * ONE object's x level asked at a varying position (0-10 fillers before the name): the image tokens'
 * values must carry x, since RoPE's phase to the image changes with the position (numbers from
 * before the shared image position). On lavapipe this
 * run reads 167/200 (20/200 with another scene's image) after 1,000 steps with the preset's
 * coordinate channels; with RGB-only patches 131/200, and 157/200 with the projector's position
 * table added (on another stream 99/200 with the table, 27/200 without, both after 1,000 steps).
 * About 3.5 min on the CPU box: ZEROGRID_SLOW_TESTS=1.
 */
Deno.test({
  name: "vision learning: the tiny VLM reads one object's x level wherever the name sits",
  ignore: Deno.env.get("ZEROGRID_SLOW_TESTS") !== "1",
  sanitizeResources: false,
  fn: () => assertReadsPositions(10, 1000, 1),
});
