import assert from "node:assert/strict";
import { acquireGpu } from "../../lib/gpu/mod.ts";
import { createGpuModel, forwardLogits, freeGpuModel } from "../../lib/model/gpu_model.ts";
import { initParams } from "../../lib/model/params.ts";
import { referenceLogits } from "../../lib/model/reference.ts";
import { microConfig, randomBatch } from "./fixtures.ts";

/** Scale init weights up so that every layer moves the logits measurably. */
function liveParams(c: ReturnType<typeof microConfig>, seed: number) {
  const p = initParams(c, seed);
  for (const e of p.layout.entries) {
    const s = e.init === "ones" ? 1 : 8;
    for (let i = e.offset; i < e.offset + e.size; i++) {
      p.data[i] = e.init === "ones"
        ? 1 + 0.1 * Math.sin(i)
        : p.data[i] * s + (e.init === "zeros" ? 0.05 * Math.cos(i) : 0);
    }
  }
  return p;
}

Deno.test("gpu model: forward logits match the float64 reference (with and without images)", async () => {
  const gpu = await acquireGpu();
  for (const shared of [1, 0]) {
    const c = microConfig({ shared_image_position: shared });
    const params = liveParams(c, 3);
    const model = createGpuModel(gpu, c, params);
    await matchReference(model, c, params, shared);
    freeGpuModel(model);
  }
  gpu.device.destroy();
});

async function matchReference(
  model: ReturnType<typeof createGpuModel>,
  c: ReturnType<typeof microConfig>,
  params: ReturnType<typeof initParams>,
  shared: number,
) {
  for (const withImages of [true, false]) {
    const B = 2, T = 7;
    const b = randomBatch(c, B, T, 9);
    const batch = { batch: B, seq: T, images: withImages ? b.images : null, tokens: b.tokens };
    const got = await forwardLogits(model, batch);
    const want = referenceLogits(params, c, batch);
    let maxErr = 0, maxRef = 0;
    for (let i = 0; i < want.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
      maxRef = Math.max(maxRef, Math.abs(want[i]));
    }
    assert.ok(maxRef > 0.5, `logits should be non-trivial, max |ref| ${maxRef}`);
    assert.ok(
      maxErr < 2e-4 * Math.max(1, maxRef),
      `shared_image_position=${shared} images=${withImages}: max err ${maxErr} (ref ${maxRef})`,
    );
  }
}
