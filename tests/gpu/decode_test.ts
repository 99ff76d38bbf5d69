import assert from "node:assert/strict";
import { acquireGpu, readback, run, tensor } from "../../lib/gpu/context.ts";
import { attentionForward, attentionSavedSize } from "../../lib/gpu/ops/attention.ts";
import { decodeAttention, kvCacheWrite } from "../../lib/gpu/ops/decode.ts";
import { decodeAttentionRef, kvCacheWriteRef } from "./decode_ref.ts";
import { assertClose, randomF32 } from "./ref_util.ts";

Deno.test("decode: KV-cache prefill and per-sequence append copy exactly, dropping rows past Tmax", async () => {
  const gpu = await acquireGpu();
  try {
    const B = 4, Tmax = 9, Hkv = 2, D = 8, row = Hkv * D;
    const kc = tensor(gpu, [B, Tmax, Hkv, D]), vc = tensor(gpu, [B, Tmax, Hkv, D]);
    let kRef: Float64Array = new Float64Array(B * Tmax * row);
    let vRef: Float64Array = new Float64Array(B * Tmax * row);
    const steps: { Tn: number; pos: number[] }[] = [
      { Tn: 5, pos: [0, 0, 0, 0] },
      { Tn: 1, pos: [5, 2, 8, 9] },
      { Tn: 3, pos: [6, 3, 7, 1] },
    ];
    for (const [si, s] of steps.entries()) {
      const kn = randomF32(50 + si, B * s.Tn * row), vn = randomF32(60 + si, B * s.Tn * row);
      await run(gpu, (r) => {
        kvCacheWrite(
          r,
          kc,
          vc,
          tensor(gpu, [kn.length], kn),
          tensor(gpu, [vn.length], vn),
          tensor(gpu, [B], Uint32Array.from(s.pos)),
          { batch: B, newTokens: s.Tn, maxSeq: Tmax, kvHeads: Hkv, headDim: D },
        );
      });
      kRef = kvCacheWriteRef(kRef, kn, s.pos, { B, Tn: s.Tn, Tmax, row });
      vRef = kvCacheWriteRef(vRef, vn, s.pos, { B, Tn: s.Tn, Tmax, row });
      assert.deepEqual(Array.from(await readback(gpu, kc)), Array.from(kRef), `k after step ${si}`);
      assert.deepEqual(Array.from(await readback(gpu, vc)), Array.from(vRef), `v after step ${si}`);
    }
  } finally {
    gpu.device.destroy();
  }
});

// Tolerance vs float64: atol 2e-5 + rtol 1e-4.
Deno.test("decode: single-token attention over per-sequence cache lengths matches the reference", async () => {
  const gpu = await acquireGpu();
  try {
    const cases = [
      { B: 3, Hq: 4, Hkv: 2, D: 16, Tmax: 40, lens: [1, 33, 40] },
      { B: 2, Hq: 2, Hkv: 2, D: 8, Tmax: 7, lens: [7, 3] },
      { B: 1, Hq: 2, Hkv: 1, D: 32, Tmax: 70, lens: [65] },
    ];
    for (const [ci, c] of cases.entries()) {
      const scale = 1 / Math.sqrt(c.D);
      const qh = randomF32(70 + ci, c.B * c.Hq * c.D);
      const kh = randomF32(80 + ci, c.B * c.Tmax * c.Hkv * c.D);
      const vh = randomF32(90 + ci, c.B * c.Tmax * c.Hkv * c.D);
      const out = tensor(gpu, [c.B, c.Hq, c.D]);
      await run(gpu, (r) =>
        decodeAttention(
          r,
          out,
          tensor(gpu, [qh.length], qh),
          tensor(gpu, [kh.length], kh),
          tensor(gpu, [vh.length], vh),
          tensor(gpu, [c.B], Uint32Array.from(c.lens)),
          { batch: c.B, qHeads: c.Hq, kvHeads: c.Hkv, headDim: c.D, maxSeq: c.Tmax, scale },
        ));
      const ref = decodeAttentionRef(qh, kh, vh, c.lens, { ...c, scale });
      assertClose(`case ${ci} decode out`, await readback(gpu, out), ref, 2e-5, 1e-4);
    }
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("decode: prefill into the cache then decoding row i reproduces full prefix attention's row i", async () => {
  const gpu = await acquireGpu();
  try {
    const B = 3, T = 12, Hq = 4, Hkv = 2, D = 16, prefix = 4, Tmax = 16;
    const scale = 1 / Math.sqrt(D);
    const rows = [4, 11, 7]; // the decoded row per sequence (>= prefix: causal beyond the image)
    const qh = randomF32(11, B * T * Hq * D);
    const kh = randomF32(12, B * T * Hkv * D), vh = randomF32(13, B * T * Hkv * D);
    const q = tensor(gpu, [qh.length], qh);
    const k = tensor(gpu, [kh.length], kh), v = tensor(gpu, [vh.length], vh);
    const o = {
      batch: B,
      seqLen: T,
      qHeads: Hq,
      kvHeads: Hkv,
      headDim: D,
      prefix,
      scale,
    };
    const full = tensor(gpu, [B, T, Hq, D]), saved = tensor(gpu, [attentionSavedSize(o)]);
    const kc = tensor(gpu, [B, Tmax, Hkv, D]), vc = tensor(gpu, [B, Tmax, Hkv, D]);
    const qd = new Float32Array(B * Hq * D);
    rows.forEach((i, b) =>
      qd.set(qh.subarray((b * T + i) * Hq * D, (b * T + i + 1) * Hq * D), b * Hq * D)
    );
    const dec = tensor(gpu, [B, Hq, D]);
    await run(gpu, (r) => {
      attentionForward(r, full, saved, q, k, v, o);
      kvCacheWrite(r, kc, vc, k, v, tensor(gpu, [B], new Uint32Array(B)), {
        batch: B,
        newTokens: T,
        maxSeq: Tmax,
        kvHeads: Hkv,
        headDim: D,
      });
      decodeAttention(
        r,
        dec,
        tensor(gpu, [qd.length], qd),
        kc,
        vc,
        tensor(gpu, [B], Uint32Array.from(rows, (i) => i + 1)),
        { batch: B, qHeads: Hq, kvHeads: Hkv, headDim: D, maxSeq: Tmax, scale },
      );
    });
    const f = await readback(gpu, full);
    const want = new Float32Array(B * Hq * D);
    rows.forEach((i, b) =>
      want.set(f.subarray((b * T + i) * Hq * D, (b * T + i + 1) * Hq * D), b * Hq * D)
    );
    assertClose("decode vs prefill attention", await readback(gpu, dec), want, 1e-5, 1e-4);
  } finally {
    gpu.device.destroy();
  }
});
