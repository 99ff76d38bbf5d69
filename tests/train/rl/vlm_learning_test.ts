/**
 * GRPO learns on the real tiny VLM: lib/model's GPU model wrapped by `vlmPolicy`, trained by
 * `trainRl` with KV-cached sampling, the real format reward and the GPU loss, on `sat` prompts in
 * the R1-Zero template.
 *
 * The behaviour to find is the R1-Zero format. A short supervised warm start (the stand-in for a
 * base model that has seen some reasoning documents) teaches the model to answer either directly
 * (`<answer> X </answer>`, format reward 0) or after a short think block
 * (`<think> let me see . </think> <answer> X </answer>`, format reward 1), the think form in 30%
 * of examples. GRPO with the format reward should then raise the think form's share: the papers'
 * premise (the base sometimes produces the format; RL amplifies it), in ten steps.
 *
 * Two choices keep this from depending on luck, both measured on llvmpipe over 6 RL seeds:
 * - the accuracy reward is left out: this model cannot read the image, so accuracy is a coin flip
 *   that only adds noise to the advantages;
 * - the loss is `dr_grpo`. Both forms end in the same `<answer> X </answer>`; `grpo` weights each
 *   token by 1/length, so the short unrewarded form pushes those shared tokens down harder than
 *   the long rewarded form pushes them up, while under `dr_grpo` (constant weights, advantages
 *   summing to 0 per group) the two cancel. With `grpo` 1 of 6 seeds collapsed in one step into
 *   long junk that never closes (format 0/64, the pattern of rising length and truncation seen in
 *   RL from the demo's base); with `dr_grpo` all 6 rose (15/64 -> 29..44 of 64).
 * - the learning rate is 1e-3. Once every image token shared one RoPE position (the presets'
 *   shared_image_position, 2026-12-05), 2e-3 collapsed seed 2 of 6 the same way in one step (train
 *   format rate 0.34 -> 0.00, held-out 9/64 -> 0/64, length 4.5 -> 10.7) while the other five rose
 *   to 35..46 of 64; at 1e-3 all 6 rose (9/64 -> 29..35 of 64; pooled z = 10.8).
 *
 * Statistic: one warm start, then 3 RL seeds (independent sampling streams). For each, the format
 * rate before and after RL on the same 64 held-out samples (same prompts, same counters); pooled,
 * a two-proportion z-test of after > before must give z > 3.09 (one-sided p < 0.001), and every
 * seed must improve. A sign error in the advantages, log-probs misaligned with the sampled tokens,
 * a temperature mismatch or a loss that does not reach the weights would leave the rate flat or
 * lower it.
 */
import assert from "node:assert/strict";
import { acquireGpu, type Gpu } from "../../../lib/gpu/context.ts";
import { imageTokens, modelConfig } from "../../../lib/model/config.ts";
import {
  createGpuModel,
  freeGpuModel,
  type GpuModel,
  readParams,
  trainStep,
} from "../../../lib/model/gpu_model.ts";
import { initParams } from "../../../lib/model/params.ts";
import { encode, rng, SPECIAL, trainPool, VOCAB_SIZE } from "../../../lib/tasks/mod.ts";
import type { RlConfig } from "../../../lib/train/rl/config.ts";
import type { RlPrompt } from "../../../lib/train/rl/policy.ts";
import { scoreRollouts } from "../../../lib/train/rl/rollout.ts";
import { satRlTask, type VlmPromptInput } from "../../../lib/train/rl/task.ts";
import { trainRl } from "../../../lib/train/rl/trainer.ts";
import { kvGenerate, vlmPolicy } from "../../../lib/train/rl/vlm_policy.ts";
import { rlTestConfig } from "./fixtures.ts";

const DATA = {
  image_size: 24,
  min_objects: 2,
  max_objects: 3,
  train_scenes: 64,
  bench_per_family: 2,
  trace_error_rate: 0.2,
};

const WARM_STEPS = 40;
const WARM_BATCH = 16;
const THINK_SHARE = 0.3;
const EVAL_PROMPTS = 8;
const EVAL_GROUP = 8;
const SEEDS = [0, 1, 2];

function rlConfig(): RlConfig {
  return rlTestConfig({
    steps: 10,
    max_completion: 12,
    template: "r1_zero",
    lr: 1e-3,
    loss: "dr_grpo",
    rewards: { format: 1 },
    reflection_words: ["wait"],
    sample_every: 0,
    sample_count: 0,
  });
}

/** Warm start: SFT on prompt → direct answer, or (share THINK_SHARE) → short think + answer. */
async function warmStart(model: GpuModel, prompts: RlPrompt[], seed: number): Promise<number> {
  const c = model.config, hw = c.image_size * c.image_size * 3;
  let loss = 0;
  const r = rng(seed, "test/rl/warm_start");
  for (let s = 0; s < WARM_STEPS; s++) {
    const rows = Array.from({ length: WARM_BATCH }, (_, j) => {
      const k = (s * WARM_BATCH + j) % prompts.length;
      const p = prompts[k];
      const think = r.float() < THINK_SHARE;
      const completion = think
        ? `<think> let me see . </think> <answer> ${p.answer} </answer>`
        : `<answer> ${p.answer} </answer>`;
      const input = p.input as VlmPromptInput;
      return { input, seq: [...input.tokens, ...encode(completion), SPECIAL.eos] };
    });
    const T = Math.max(...rows.map((r) => r.seq.length)) - 1;
    if (imageTokens(c) + T > c.max_seq) throw new Error("warm start rows exceed max_seq");
    const B = rows.length;
    const tokens = new Int32Array(B * T), targets = new Int32Array(B * T);
    const mask = new Float32Array(B * T), images = new Float32Array(B * hw);
    rows.forEach((r, b) => {
      images.set(r.input.image, b * hw);
      for (let t = 0; t < r.seq.length - 1; t++) {
        tokens[b * T + t] = r.seq[t];
        targets[b * T + t] = r.seq[t + 1];
        // Loss on the completion only (targets from the first completion token on).
        mask[b * T + t] = t + 1 >= r.input.tokens.length ? 1 : 0;
      }
    });
    const res = await trainStep(model, { batch: B, seq: T, images, tokens, targets, mask }, {
      lr: 3e-3,
      weightDecay: 0,
      gradClip: 1,
    });
    loss = res.loss;
  }
  return loss;
}

/** Format rate of the policy's samples on fixed prompts with fixed sampling counters. */
async function formatRate(
  policy: ReturnType<typeof vlmPolicy>,
  prompts: RlPrompt[],
  cfg: RlConfig,
): Promise<{ k: number; n: number; lengths: number }> {
  const samples = await policy.generate({
    prompts,
    groupSize: EVAL_GROUP,
    maxCompletion: cfg.max_completion,
    temperature: cfg.temperature,
    topP: 1,
    topK: 0,
    seed: 12345,
    step: 0,
  });
  const rows = samples.map((_, i) => prompts[Math.floor(i / EVAL_GROUP)]);
  const scored = scoreRollouts(rows, samples, cfg);
  return {
    k: scored.filter((s) => s.wellFormed).length,
    n: scored.length,
    lengths: scored.reduce((a, s) => a + s.length, 0) / scored.length,
  };
}

function tinyModel(gpu: Gpu, seed: number): GpuModel {
  const cfg = modelConfig({ preset: "tiny" }, VOCAB_SIZE, DATA.image_size);
  return createGpuModel(gpu, cfg, initParams(cfg, seed));
}

Deno.test("grpo on the tiny VLM: the format reward's behaviour grows over 3 seeds (z > 3.09)", async () => {
  const gpu = await acquireGpu();
  const cfg = rlConfig();
  let before = 0, after = 0, n = 0;
  const perSeed: string[] = [];
  try {
    const task = satRlTask(trainPool(0, DATA), "r1_zero");
    // One warm start (the "base"), then independent RL runs. Warm-start prompts and RL prompts
    // come from steps 0.., held-out evaluation prompts from far beyond.
    const t0 = performance.now();
    const warm = tinyModel(gpu, 0);
    const warmLoss = await warmStart(warm, task.prompts(0, 64), 0);
    const base = await readParams(warm);
    freeGpuModel(warm);
    const evalPrompts = task.prompts(1000, EVAL_PROMPTS);
    perSeed.push(
      `warm start: loss ${warmLoss.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    for (const seed of SEEDS) {
      const t1 = performance.now();
      const model = createGpuModel(gpu, warm.config, base);
      const policy = vlmPolicy(gpu, model, { temperature: cfg.temperature, generate: kvGenerate });
      const b = await formatRate(policy, evalPrompts, cfg);
      const rates: number[] = [];
      const res = await trainRl({
        gpu,
        cfg,
        seed,
        policy,
        task,
        sink: {
          scalar: (_s, name, v) => name === "format_rate" && rates.push(v),
          evaluation: () => {},
          completion: () => {},
        },
        checkpoint: { load: () => Promise.resolve(null), save: () => Promise.resolve() },
        checkpointEverySeconds: 1e9,
      });
      assert.ok(res.completed);
      const a = await formatRate(policy, evalPrompts, cfg);
      freeGpuModel(policy.model());
      perSeed.push(
        `seed ${seed}: format ${b.k}/${b.n} -> ${a.k}/${a.n}, ` +
          `len ${b.lengths.toFixed(1)} -> ${a.lengths.toFixed(1)}, train format_rate ` +
          `${rates.map((r) => r.toFixed(2)).join(" ")} (${
            ((performance.now() - t1) / 1000).toFixed(1)
          } s)`,
      );
      assert.ok(a.k > b.k, `seed ${seed}: format rate did not rise: ${perSeed.at(-1)}`);
      before += b.k;
      after += a.k;
      n += b.n;
    }
  } finally {
    gpu.device.destroy();
  }
  const p1 = before / n, p2 = after / n, p = (before + after) / (2 * n);
  const z = (p2 - p1) / Math.sqrt(p * (1 - p) * (2 / n));
  // Logged so that a run shows the effect size, not only pass/fail.
  console.log(
    `${perSeed.join("\n")}\npooled format rate ${p1.toFixed(3)} -> ${p2.toFixed(3)}, z = ${
      z.toFixed(2)
    }`,
  );
  assert.ok(z > 3.09, `format rate ${p1} -> ${p2} over ${n} samples per side: z = ${z}`);
});
