import assert from "node:assert/strict";
import { acquireGpu, type Gpu, tensor } from "../../../lib/gpu/context.ts";
import { grpoLossScratch, recordGrpoLoss } from "../../../lib/gpu/ops/grpo_loss.ts";
import {
  completionMask,
  groupAdvantages,
  sequenceWeights,
} from "../../../lib/train/rl/objective.ts";
import { scoreRollouts } from "../../../lib/train/rl/rollout.ts";
import { modelConfig } from "../../../lib/model/config.ts";
import { createGpuModel, forwardLogits } from "../../../lib/model/gpu_model.ts";
import { initParams } from "../../../lib/model/params.ts";
import { encode, trainPool, VOCAB_SIZE } from "../../../lib/tasks/mod.ts";
import { satRlTask } from "../../../lib/train/rl/task.ts";
import { decodeCheckpoint, trainRl } from "../../../lib/train/rl/trainer.ts";
import {
  kvGenerate,
  recomputeGenerate,
  stopTokens,
  vlmPolicy,
} from "../../../lib/train/rl/vlm_policy.ts";
import { rlTestConfig } from "./fixtures.ts";
import type { VlmPromptInput } from "../../../lib/train/rl/task.ts";

const DATA = {
  image_size: 24,
  min_objects: 2,
  max_objects: 3,
  train_scenes: 8,
  bench_per_family: 2,
  trace_error_rate: 0.2,
};

function tinyModel(gpu: Gpu, seed = 0) {
  const cfg = modelConfig({ preset: "tiny" }, VOCAB_SIZE, DATA.image_size);
  return createGpuModel(gpu, cfg, initParams(cfg, seed));
}

function logSoftmax(row: Float32Array, v: number, scale: number): number {
  let mx = -Infinity;
  for (const x of row) mx = Math.max(mx, x * scale);
  let s = 0;
  for (const x of row) s += Math.exp(x * scale - mx);
  return row[v] * scale - mx - Math.log(s);
}

const pool = trainPool(0, DATA);

Deno.test("vlm policy: completion log-probs sit at prompt_len - 1 + k of the model's logits", async () => {
  const gpu = await acquireGpu();
  try {
    const model = tinyModel(gpu);
    const temperature = 0.7;
    const policy = vlmPolicy(gpu, model, { temperature, generate: kvGenerate });
    const prompts = satRlTask(pool, "r1_zero").prompts(0, 2);
    const samples = await policy.generate({
      prompts,
      groupSize: 2,
      maxCompletion: 5,
      temperature,
      topP: 1,
      topK: 0,
      seed: 1,
      step: 0,
    });
    assert.equal(samples.length, 4);
    const rows = samples.map((_, i) => prompts[i >> 1]);
    const batch = policy.prepare(rows, samples);
    const lp = await policy.logprobs(batch);
    const data = batch.data as { tokens: Int32Array; images: Float32Array };
    const logits = await forwardLogits(model, {
      batch: batch.rows,
      seq: batch.cols,
      images: data.images,
      tokens: data.tokens,
    });
    const V = VOCAB_SIZE;
    samples.forEach((s, i) => {
      const pl = (rows[i].input as VlmPromptInput).tokens.length;
      s.tokens.forEach((tok, k) => {
        const at = batch.positions[i][k];
        assert.equal(at, i * batch.cols + pl - 1 + k);
        const want = logSoftmax(logits.subarray(at * V, (at + 1) * V), tok, 1 / temperature);
        assert.ok(Math.abs(lp[at] - want) < 2e-4, `row ${i} token ${k}: ${lp[at]} vs ${want}`);
      });
    });
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("vlm policy: sampling is a pure function of (seed, step), KV and recompute samplers agree, greedy = argmax", async () => {
  const gpu = await acquireGpu();
  try {
    const model = tinyModel(gpu, 3);
    const prompts = satRlTask(pool, "r1_zero").prompts(1, 2).map((p) => p.input as VlmPromptInput);
    const req = {
      prompts: [],
      groupSize: 2,
      maxCompletion: 4,
      temperature: 1,
      topP: 1,
      topK: 0,
      seed: 5,
      step: 2,
    };
    const stop = stopTokens();
    const a = await recomputeGenerate(model, prompts, req, stop);
    const b = await recomputeGenerate(model, prompts, req, stop);
    assert.deepEqual(a, b);
    const c = await recomputeGenerate(model, prompts, { ...req, step: 3 }, stop);
    assert.notDeepEqual(a.map((x) => x.tokens), c.map((x) => x.tokens));
    // lib/model's KV-cached sampler draws the same tokens from the same Philox counters.
    assert.deepEqual(await kvGenerate(model, prompts, req, stop), a);
    // Greedy: each token is the argmax of the logits at the previous position.
    const g = await recomputeGenerate(model, prompts.slice(0, 1), {
      ...req,
      temperature: 0,
      groupSize: 1,
    }, stop);
    const p = prompts[0];
    const seq = [...p.tokens, ...g[0].tokens];
    const T = seq.length - 1;
    const logits = await forwardLogits(model, {
      batch: 1,
      seq: T,
      images: p.image,
      tokens: Int32Array.from(seq.slice(0, T)),
    });
    g[0].tokens.forEach((tok, k) => {
      const at = p.tokens.length - 1 + k;
      const row = logits.subarray(at * VOCAB_SIZE, (at + 1) * VOCAB_SIZE);
      assert.equal(tok, row.indexOf(Math.max(...row)), `greedy token ${k}`);
    });
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("vlm policy: one GRPO update lowers the surrogate loss and raises the rewarded completion", async () => {
  const gpu = await acquireGpu();
  try {
    const policy = vlmPolicy(gpu, tinyModel(gpu, 2), { temperature: 1, generate: kvGenerate });
    const [prompt] = satRlTask(pool, "r1_zero").prompts(2, 1);
    const G = 4;
    const samples = await policy.generate({
      prompts: [prompt],
      groupSize: G,
      maxCompletion: 6,
      temperature: 1,
      topP: 1,
      topK: 0,
      seed: 2,
      step: 0,
    });
    const good = `<think> </think> <answer> ${prompt.answer} </answer>`;
    samples[0] = { tokens: encode(good), text: good, truncated: false };
    const rows = samples.map(() => prompt);
    const scored = scoreRollouts(rows, samples, {
      rewards: { format: 1, accuracy: 1 },
      length_reward: { enabled: false, weight: 0, cap: 1 },
      reflection_words: [],
    });
    const adv = groupAdvantages(scored.map((x) => x.reward), G, true);
    assert.ok(adv[0] > 0 && adv.slice(1).every((a) => a < 0), `advantages ${adv}`);
    const batch = policy.prepare(rows, samples);
    const n = batch.rows * batch.cols;
    const mask = completionMask(
      batch.positions,
      samples.map(() => false),
      batch.rows,
      batch.cols,
      false,
    );
    const w = sequenceWeights("grpo", mask, batch.rows, batch.cols, 6);
    const before = await policy.logprobs(batch);
    // The surrogate at the new weights, with the old log-probs as the ratio's denominator.
    const surrogate = (lp: Float32Array) => {
      let l = 0;
      for (let i = 0; i < batch.rows; i++) {
        for (const p of batch.positions[i]) l -= w[i] * Math.exp(lp[p] - before[p]) * adv[i];
      }
      return l;
    };
    const t = (d: Float32Array<ArrayBuffer>) => tensor(gpu, [d.length], d);
    const scratch = grpoLossScratch(gpu, batch.rows, batch.cols);
    const gn = await policy.update(batch, (r, logp) => {
      recordGrpoLoss(r, {
        logp,
        oldLogp: logp,
        refLogp: logp,
        mask: t(mask),
        advantages: t(new Float32Array(adv)),
        weights: t(w),
        ...scratch,
      }, { epsLow: 0.2, epsHigh: 0.2, beta: 0 });
      return scratch.dlogp;
    }, { lr: 1e-4, weightDecay: 0, gradClip: 0 });
    assert.ok(gn > 0);
    assert.equal(n, before.length);
    const after = await policy.logprobs(batch);
    const sum = (lp: Float32Array, i: number) => batch.positions[i].reduce((a, p) => a + lp[p], 0);
    assert.ok(surrogate(after) < surrogate(before), `${surrogate(after)} >= ${surrogate(before)}`);
    assert.ok(sum(after, 0) > sum(before, 0), "the rewarded completion did not become likelier");
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("vlm policy: two GRPO steps on the tiny VLM run end to end with finite metrics", async () => {
  const gpu = await acquireGpu();
  try {
    const cfg = rlTestConfig({
      steps: 2,
      prompts_per_step: 2,
      group_size: 2,
      max_completion: 6,
      lr: 1e-3,
      beta: 0.04,
      num_iterations: 2,
      length_reward: { enabled: true, weight: 0.5, cap: 6 },
      reflection_words: ["wait"],
      sample_every: 1,
      sample_count: 2,
    });
    const scalars: Record<string, number>[] = [{}, {}];
    let samples = 0;
    let saved: Uint8Array | null = null;
    const policy = vlmPolicy(gpu, tinyModel(gpu, 1), { temperature: 1, generate: kvGenerate });
    // An untrained model's completions all score 0, so every advantage would be 0. Replace the
    // first completion of each group by a correct, well-formed one (scored like any other) so
    // the update has a signal to carry back through the model.
    const sampler = policy.generate;
    policy.generate = async (req) => {
      const out = await sampler(req);
      req.prompts.forEach((p, j) => {
        const text = `<think> </think> <answer> ${p.answer} </answer>`;
        out[j * req.groupSize] = { tokens: encode(text), text, truncated: false };
      });
      return out;
    };
    const res = await trainRl({
      gpu,
      cfg,
      seed: 0,
      policy,
      task: satRlTask(pool, "r1_zero"),
      sink: {
        scalar: (s, n, v) => scalars[s][n] = v,
        evaluation: () => {},
        completion: () => samples++,
      },
      checkpoint: {
        load: () => Promise.resolve(null),
        save: (b) => (saved = b, Promise.resolve()),
      },
      checkpointEverySeconds: 0,
    });
    assert.equal(res.steps, 2);
    for (const m of scalars) {
      for (const k of ["loss", "grad_norm", "kl", "entropy", "completion_length/mean"]) {
        assert.ok(Number.isFinite(m[k]), `${k} = ${m[k]}`);
      }
      assert.ok(m.grad_norm > 0, "no gradient reached the model");
      assert.ok(m.entropy > 0);
    }
    assert.equal(samples, 4);
    assert.ok(saved !== null);
    // The checkpoint restores into a fresh policy.
    const fresh = vlmPolicy(gpu, tinyModel(gpu, 9), { temperature: 1, generate: kvGenerate });
    const ck = decodeCheckpoint(saved!);
    assert.equal(ck.step, 1);
    await fresh.loadState(ck.policy);
    // One generation step of μ = 2 updates had been taken when it was written.
    assert.equal(fresh.model().step, 2);
    assert.equal(policy.model().step, 4);
  } finally {
    gpu.device.destroy();
  }
});
