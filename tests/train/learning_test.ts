/**
 * The trainers learn something chance cannot explain: the `tiny` base model after pretraining
 * beats chance (the best constant answer, 110/200) on cvbench relation_2d (exact one-sided binomial
 * test), and SFT on `sat` with reasoning traces raises its accuracy on the same questions further
 * (exact one-sided McNemar test on the paired outcomes). A small world (2–3 objects); pretraining
 * 3,000 steps of 32 documents (descriptions 0.5, direct answers 0.2, reasoning traces 0.3), SFT 150
 * steps of 16. On the CPU box (lavapipe, 2026-12-05): base 168/200 (P = 3.0e-18), after SFT 177/200
 * (McNemar 14 fixed vs 5 broken, P = 0.032); 20 minutes in a fresh-clone CI run.
 * The base answers through traces ("red square y 6 , blue square y 1 . 6 > 1 , so below .") whose
 * digits it reads off the image.
 *
 * What made it pass: every image token at one RoPE position (ModelConfig.shared_image_position).
 * With a position per patch the same kind of run stayed at chance for months of probes, also at
 * 12,000 steps on an H200 (README, "Why relation questions stay at chance" and "One RoPE position
 * for the whole image"); at 1,500 steps of 32 this test's corpus is not there yet (91/200).
 */
import assert from "node:assert/strict";
import { acquireGpu } from "../../lib/gpu/mod.ts";
import { createGpuModel, freeGpuModel } from "../../lib/model/gpu_model.ts";
import { loadModel } from "../../lib/model/checkpoint.ts";
import { cvbench, trainPool, VOCAB } from "../../lib/tasks/mod.ts";
import { forwardLogits } from "../../lib/model/gpu_model.ts";
import { packBatch, pretrainExample } from "../../lib/train/corpus.ts";
import type { JobConfig } from "../../lib/spec/types.ts";
import { evaluateSamples, type Scored } from "../../lib/train/eval.ts";
import { runPretrain } from "../../lib/train/pretrain.ts";
import { runSft } from "../../lib/train/sft.ts";
import { styleOf } from "../../lib/train/supervised.ts";
import type { Gpu } from "../../lib/gpu/context.ts";
import { fakeContext, recorded } from "./helpers.ts";
import { binomialUpperTail } from "../helpers/binomial.ts";
import { nextSceneImages } from "../helpers/images.ts";

/** Share of relation_2d items whose answer is the most common letter: what a constant answer scores. */
function constantAnswerShare(): number {
  const data = LEARNING_CONFIG.data as unknown as Parameters<typeof cvbench>[0];
  const items = cvbench(data).filter((s) => s.family === "relation_2d");
  const counts = new Map<string, number>();
  for (const s of items) counts.set(s.answer, (counts.get(s.answer) ?? 0) + 1);
  return Math.max(...counts.values()) / items.length;
}

const SUP = {
  lr: 5e-3,
  min_lr_ratio: 0.1,
  warmup_steps: 10,
  schedule: "cosine",
  weight_decay: 0.01,
  grad_clip: 1.0,
};
export const LEARNING_CONFIG: JobConfig = {
  seed: 0,
  init: "base",
  model: { preset: "tiny", overrides: {} },
  data: {
    image_size: 24,
    min_objects: 2,
    max_objects: 3,
    train_scenes: 2000,
    bench_per_family: 200,
    trace_error_rate: 0.2,
  },
  pretrain: {
    ...SUP,
    lr: 3e-3,
    steps: 3000,
    batch_size: 32,
    mix: { describe: 0.5, direct: 0.2, trace: 0.3 },
    phrasings: "all",
  },
  sft: { ...SUP, lr: 5e-4, warmup_steps: 5, steps: 150, batch_size: 16, traces: true },
};

async function relationAccuracy(gpu: Gpu, dir: string): Promise<Scored[]> {
  const state = await loadModel(dir);
  const model = createGpuModel(gpu, state.config, state.params);
  try {
    const data = LEARNING_CONFIG.data as unknown as Parameters<typeof cvbench>[0];
    const items = cvbench(data).filter((s) => s.family === "relation_2d");
    return await evaluateSamples(model, items, styleOf(state.extra)!, 48, 100);
  } finally {
    freeGpuModel(model);
  }
}

Deno.test({
  name: "learning: tiny base beats chance on cvbench relation_2d; SFT on sat raises it",
  sanitizeResources: false,
  fn: async () => {
    const gpu = await acquireGpu();
    try {
      const opts = { checkpointEverySeconds: 1e9, stepsPerReadback: 8 };
      const base = await Deno.makeTempDir();
      await runPretrain(fakeContext(gpu, "pretrain", LEARNING_CONFIG, base, {}, recorded()), opts);
      const before = await relationAccuracy(gpu, base);
      const n = before.length, k = before.filter((s) => s.correct).length;
      // Chance is the best constant answer, not 1/2: the 200 items' answers are 110 B / 90 A, so a
      // model that always says "B" (as the blind pretrained models did) scores 110 (p = 0.09 vs 1/2).
      const q = Math.max(0.5, constantAnswerShare());
      const p = binomialUpperTail(k, n, q);
      console.log(
        `base relation_2d: ${k}/${n} = ${(k / n).toFixed(3)}, binomial(n, ${q}) P(X>=${k}) = ${
          p.toExponential(2)
        }`,
      );
      assert.ok(p < 0.01, `base model at chance: ${k}/${n}, p=${p}`);

      const sft = await Deno.makeTempDir();
      await runSft(
        fakeContext(gpu, "sft", LEARNING_CONFIG, sft, { model: base }, recorded()),
        opts,
      );
      const after = await relationAccuracy(gpu, sft);
      const k2 = after.filter((s) => s.correct).length;
      // Discordant pairs: b = fixed by SFT, c = broken by SFT; H0: b ~ Binomial(b + c, 1/2).
      const b = after.filter((s, i) => s.correct && !before[i].correct).length;
      const c = after.filter((s, i) => !s.correct && before[i].correct).length;
      const pm = binomialUpperTail(b, b + c);
      console.log(`sft relation_2d: ${k2}/${n}; McNemar b=${b} c=${c} P=${pm.toExponential(2)}`);
      assert.ok(k2 > k && pm < 0.05, `SFT did not raise accuracy: ${k}->${k2}, p=${pm}`);
    } finally {
      gpu.device.destroy();
    }
  },
});

/**
 * Mean NLL of the image-determined tokens of held-out descriptions (the word after "a", "x", "y",
 * "depth", "are"), with each description's own image and with another scene's image.
 */
async function imageGap(gpu: Gpu, dir: string): Promise<{ own: number; other: number }> {
  const state = await loadModel(dir);
  const model = createGpuModel(gpu, state.config, state.params);
  try {
    const data = LEARNING_CONFIG.data as unknown as Parameters<typeof trainPool>[1];
    const held = trainPool(1, { ...data, train_scenes: 200 });
    const only = { describe: 1, direct: 0, trace: 0 };
    const B = 32, T = 64, V = state.config.vocab_size;
    const exs = Array.from({ length: B }, (_, i) => pretrainExample(held, only, 0, i, 145, "all"));
    const { batch } = packBatch(exs, T, data.image_size);
    const other = nextSceneImages(batch.images!, B);
    const nll = async (images: Float32Array) => {
      const logits = await forwardLogits(model, { batch: B, seq: T, images, tokens: batch.tokens });
      let sum = 0, n = 0;
      for (let r = 0; r < B * T; r++) {
        if (!batch.mask[r] || !["a", "x", "y", "depth", "are"].includes(VOCAB[batch.tokens[r]])) {
          continue;
        }
        let m = -Infinity, z = 0;
        for (let v = 0; v < V; v++) m = Math.max(m, logits[r * V + v]);
        for (let v = 0; v < V; v++) z += Math.exp(logits[r * V + v] - m);
        sum += m + Math.log(z) - logits[r * V + batch.targets[r]];
        n++;
      }
      return sum / n;
    };
    return { own: await nll(batch.images!), other: await nll(other) };
  } finally {
    freeGpuModel(model);
  }
}

/**
 * Pretraining on scene descriptions alone makes the image-determined tokens better predicted with
 * the scene's own image than with another's. Measured on lavapipe (2026-12-05), NLL own vs other:
 * with the presets' coordinate channels 1.711 vs 1.724 at this test's seed 0 — it FAILS there —
 * and 1.847 vs 1.963, 1.870 vs 1.973 at seeds 1 and 2; with RGB-only patches 1.854 vs 1.968 (seed
 * 0), 1.806 vs 1.890, 1.856 vs 2.025. The step at which image reading starts varies by seed (README,
 * "Why relation questions stay at chance"); the coordinate channels stay on for the lookups they
 * made learnable, and this single-seed test is left as it was rather than re-seeded.
 */
Deno.test({
  name: "learning: pretraining on descriptions makes predictions depend on the image",
  ignore: Deno.env.get("ZEROGRID_SLOW_TESTS") !== "1",
  sanitizeResources: false,
  fn: async () => {
    const gpu = await acquireGpu();
    try {
      const cfg = {
        ...LEARNING_CONFIG,
        pretrain: {
          ...(LEARNING_CONFIG.pretrain as Record<string, unknown>),
          // 120 steps were too few even with standardised pixels (gap 0.001 nats); at 400 the
          // image-determined tokens' NLL was 1.556 (own image) vs 1.810 (another scene's image).
          steps: 400,
          batch_size: 16,
          lr: 3e-3,
          mix: { describe: 1, direct: 0, trace: 0 },
          phrasings: "all",
        },
      } as JobConfig;
      const dir = await Deno.makeTempDir();
      await runPretrain(fakeContext(gpu, "pretrain", cfg, dir, {}, recorded()), {
        checkpointEverySeconds: 1e9,
        stepsPerReadback: 8,
      });
      const { own, other } = await imageGap(gpu, dir);
      console.log(
        `image-determined tokens: NLL ${own.toFixed(4)} (own image) vs ${
          other.toFixed(4)
        } (other image)`,
      );
      assert.ok(own < other - 0.05, `predictions ignore the image: ${own} vs ${other}`);
    } finally {
      gpu.device.destroy();
    }
  },
});
