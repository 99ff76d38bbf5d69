import assert from "node:assert/strict";
import { acquireGpu, fill, tensor } from "../../lib/gpu/mod.ts";
import { decodeState, encodeState } from "../../lib/model/checkpoint.ts";
import {
  computeLogprobs,
  createGpuModel,
  freeGpuModel,
  readModelState,
  rlStep,
  trainStep,
} from "../../lib/model/gpu_model.ts";
import { initParams } from "../../lib/model/params.ts";
import { microConfig, randomBatch } from "./fixtures.ts";

Deno.test("gpu model: a tiny model overfits one batch of random targets far below chance", async () => {
  const gpu = await acquireGpu();
  const c = microConfig({ d_model: 32, d_ff: 64, vision_d_ff: 32 });
  const model = createGpuModel(gpu, c, initParams(c, 0));
  const B = 4, T = 8;
  const b = randomBatch(c, B, T, 5);
  const batch = { batch: B, seq: T, ...b };
  const opt = { lr: 2e-2, weightDecay: 0.01, gradClip: 1.0 };
  const first = await trainStep(model, batch, opt);
  let last = first;
  for (let i = 0; i < 24; i++) last = await trainStep(model, batch, opt);
  // Random targets: a model that learned nothing sits at log(V) ≈ 3.14 nats.
  assert.ok(Math.abs(first.loss - Math.log(c.vocab_size)) < 0.2, `initial loss ${first.loss}`);
  assert.ok(last.loss < 0.5, `loss after 25 steps ${last.loss} (initial ${first.loss})`);
  assert.ok(first.gradNorm > 0 && Number.isFinite(last.gradNorm));
  assert.equal(model.step, 25);
  console.log(`overfit: loss ${first.loss.toFixed(3)} -> ${last.loss.toFixed(4)} in 25 steps`);
  freeGpuModel(model);
  gpu.device.destroy();
});

Deno.test("gpu model: save after k steps, load, continue == uninterrupted run, bit for bit", async () => {
  const gpu = await acquireGpu();
  const c = microConfig();
  const B = 2, T = 6;
  const batches = [1, 2, 3, 4, 5, 6].map((s) => ({ batch: B, seq: T, ...randomBatch(c, B, T, s) }));
  const opt = { lr: 3e-3, weightDecay: 0.1, gradClip: 0.5 };
  const straight = createGpuModel(gpu, c, initParams(c, 8));
  for (const b of batches) await trainStep(straight, b, opt);
  const want = await readModelState(straight);
  freeGpuModel(straight);

  const first = createGpuModel(gpu, c, initParams(c, 8));
  for (const b of batches.slice(0, 3)) await trainStep(first, b, opt);
  const s = await readModelState(first);
  freeGpuModel(first);
  const bytes = encodeState({ config: c, ...s, rng: [1, 2], extra: null });
  const back = decodeState(bytes);
  const resumed = createGpuModel(gpu, back.config, back.params, back.adam, back.step);
  for (const b of batches.slice(3)) await trainStep(resumed, b, opt);
  const got = await readModelState(resumed);
  assert.equal(got.step, 6);
  assert.deepEqual(
    new Uint32Array(got.params.data.buffer),
    new Uint32Array(want.params.data.buffer),
  );
  assert.deepEqual(new Uint32Array(got.adam.m.buffer), new Uint32Array(want.adam.m.buffer));
  assert.deepEqual(new Uint32Array(got.adam.v.buffer), new Uint32Array(want.adam.v.buffer));
  freeGpuModel(resumed);
  gpu.device.destroy();
});

Deno.test("gpu model: rlStep with dL/dlogp = -1/N raises the log-probability of the given tokens", async () => {
  const gpu = await acquireGpu();
  const c = microConfig();
  const model = createGpuModel(gpu, c, initParams(c, 2));
  const B = 2, T = 6;
  const b = randomBatch(c, B, T, 4);
  const batch = { batch: B, seq: T, images: b.images, tokens: b.tokens, targets: b.targets };
  const mean = (a: Float32Array) => a.reduce((s, x) => s + x, 0) / a.length;
  const before = mean((await computeLogprobs(model, batch, { temperature: 1 })).logp);
  const dlogp = tensor(gpu, [B * T]);
  for (let i = 0; i < 10; i++) {
    const opt = { lr: 1e-2, weightDecay: 0, gradClip: 1 };
    const res = await rlStep(model, batch, { temperature: 1 }, opt, (r, logp) => {
      // The caller's objective: maximise the mean log-prob, dL/dlogp = -1/N everywhere.
      fill(r, dlogp, { n: logp.size, value: -1 / logp.size });
      return dlogp;
    });
    assert.ok(res.gradNorm > 0);
  }
  const after = mean((await computeLogprobs(model, batch, { temperature: 1 })).logp);
  assert.ok(after > before + 1, `mean logp ${before} -> ${after}`);
  freeGpuModel(model);
  gpu.device.destroy();
});
