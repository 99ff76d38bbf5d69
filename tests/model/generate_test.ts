import assert from "node:assert/strict";
import { acquireGpu, type Gpu } from "../../lib/gpu/mod.ts";
import { generate } from "../../lib/model/generate.ts";
import { createGpuModel, forwardLogits, freeGpuModel } from "../../lib/model/gpu_model.ts";
import { initParams } from "../../lib/model/params.ts";
import { microConfig, randomBatch } from "./fixtures.ts";

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

Deno.test("generate: greedy KV-cache decoding equals argmax of repeated full forwards, logits too", async () => {
  const gpu = await acquireGpu();
  // Both image-position layouts: decoding must place the new tokens' RoPE where the forward does.
  for (const shared of [1, 0]) await decodeMatchesForward(gpu, shared);
  gpu.device.destroy();
});

async function decodeMatchesForward(gpu: Gpu, shared: number) {
  const c = microConfig({ max_seq: 40, shared_image_position: shared });
  const params = initParams(c, 6);
  for (let i = 0; i < params.data.length; i++) params.data[i] *= 4; // peaked, non-degenerate logits
  const model = createGpuModel(gpu, c, params);
  const B = 3;
  const { images } = randomBatch(c, B, 1, 2);
  const prompts = [[1, 2, 3], [4, 5, 6, 7, 8], [9]];
  const res = await generate(model, {
    prompts,
    images,
    seqIds: [0, 1, 2],
    maxNewTokens: 10,
    stopTokens: [],
    temperature: 0,
    topK: 0,
    topP: 1,
    seed: 0,
    step: 0,
    returnLogits: true,
  });
  const V = c.vocab_size, img = c.image_size * c.image_size * 3;
  let worst = 0;
  for (let b = 0; b < B; b++) {
    assert.equal(res.lengths[b], 10);
    assert.equal(res.stopped[b], false);
    const seq = [...prompts[b], ...res.tokens[b]];
    const full = await forwardLogits(model, {
      batch: 1,
      seq: seq.length,
      images: images.slice(b * img, (b + 1) * img),
      tokens: Int32Array.from(seq),
    });
    for (let i = 0; i < 10; i++) {
      const row = full.subarray((prompts[b].length - 1 + i) * V, (prompts[b].length + i) * V);
      assert.equal(res.tokens[b][i], argmax(row), `seq ${b} token ${i}`);
      const dec = res.logits![b][i];
      for (let j = 0; j < V; j++) worst = Math.max(worst, Math.abs(dec[j] - row[j]));
    }
  }
  assert.ok(worst < 1e-4, `shared_image_position=${shared}: decode vs forward |diff| ${worst}`);
  console.log(
    `shared_image_position=${shared}: decode vs full-forward logits max |diff| ${
      worst.toExponential(2)
    }`,
  );
  freeGpuModel(model);
}

Deno.test("generate: stop tokens end a sequence; sampling depends on (seed, seq id), not the batch", async () => {
  const gpu = await acquireGpu();
  const c = microConfig({ max_seq: 40 });
  const model = createGpuModel(gpu, c, initParams(c, 7));
  const base = {
    images: null,
    maxNewTokens: 12,
    temperature: 1,
    topK: 0,
    topP: 1,
    seed: 3,
    step: 5,
  };
  const both = await generate(model, {
    ...base,
    prompts: [[1, 2], [3, 4, 5]],
    seqIds: [10, 11],
    stopTokens: [],
  });
  const alone = await generate(model, {
    ...base,
    prompts: [[3, 4, 5]],
    seqIds: [11],
    stopTokens: [],
  });
  assert.deepEqual(alone.tokens[0], both.tokens[1]);
  const other = await generate(model, {
    ...base,
    seed: 4,
    prompts: [[3, 4, 5]],
    seqIds: [11],
    stopTokens: [],
  });
  assert.notDeepEqual(other.tokens[0], alone.tokens[0]);
  // Stop at the first occurrence of the third sampled token's id.
  const stopId = both.tokens[0][2];
  const first = both.tokens[0].indexOf(stopId);
  const stopped = await generate(model, {
    ...base,
    prompts: [[1, 2]],
    seqIds: [10],
    stopTokens: [stopId],
  });
  assert.deepEqual(stopped.tokens[0], both.tokens[0].slice(0, first + 1));
  assert.equal(stopped.stopped[0], true);
  freeGpuModel(model);
  gpu.device.destroy();
});
