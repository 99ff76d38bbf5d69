import assert from "node:assert/strict";
import { acquireGpu, type Gpu, readback, run, type Tensor, tensor } from "../../lib/gpu/context.ts";
import {
  attentionBackward,
  attentionForward,
  attentionKeysPerThread,
  attentionKeySplits,
  type AttentionOptions,
  attentionQuerySplits,
  attentionSavedSize,
} from "../../lib/gpu/ops/attention.ts";
import { attentionBackwardRef, attentionRef, type AttnDims } from "./attention_ref.ts";
import { assertClose, randomF32 } from "./ref_util.ts";

// Tolerances (f32 kernels vs float64 reference, inputs in [-1, 1)): forward atol 2e-5 + rtol 1e-4;
// backward atol 1e-4 + rtol 1e-3.
const CASES: AttnDims[] = [
  { B: 1, T: 1, Hq: 2, Hkv: 2, D: 8, prefix: 0, scale: 1 / Math.sqrt(8) },
  { B: 2, T: 7, Hq: 4, Hkv: 2, D: 16, prefix: 3, scale: 1 / Math.sqrt(16), lens: [7, 5] },
  { B: 2, T: 7, Hq: 2, Hkv: 2, D: 8, prefix: 7, scale: 0.5 },
  { B: 2, T: 33, Hq: 2, Hkv: 1, D: 32, prefix: 5, scale: 1 / Math.sqrt(32) },
  { B: 3, T: 33, Hq: 4, Hkv: 4, D: 8, prefix: 0, scale: 1 / Math.sqrt(8), lens: [33, 1, 20] },
  // Padding inside the image prefix, and a prefix longer than the sequence.
  { B: 2, T: 7, Hq: 2, Hkv: 1, D: 16, prefix: 5, scale: 0.25, lens: [3, 7] },
  { B: 1, T: 7, Hq: 4, Hkv: 2, D: 8, prefix: 10, scale: 0.3 },
];

function optsOf(gpu: Gpu, a: AttnDims): AttentionOptions {
  return {
    batch: a.B,
    seqLen: a.T,
    qHeads: a.Hq,
    kvHeads: a.Hkv,
    headDim: a.D,
    prefix: a.prefix,
    scale: a.scale,
    lengths: a.lens ? tensor(gpu, [a.B], Uint32Array.from(a.lens)) : undefined,
  };
}

function nanTensor(gpu: Gpu, n: number): Tensor {
  return tensor(gpu, [n], new Float32Array(n).fill(NaN));
}

function name(a: AttnDims): string {
  return `B${a.B} T${a.T} Hq${a.Hq} Hkv${a.Hkv} D${a.D} prefix${a.prefix}` +
    (a.lens ? ` lens[${a.lens}]` : "");
}

Deno.test("attention: reference backward matches central finite differences of the reference forward", () => {
  for (const a of [CASES[1], { ...CASES[3], T: 9, prefix: 4, lens: [9, 6] }]) {
    const nq = a.B * a.T * a.Hq * a.D, nk = a.B * a.T * a.Hkv * a.D;
    const q = Float64Array.from(randomF32(1, nq)), k = Float64Array.from(randomF32(2, nk));
    const v = Float64Array.from(randomF32(3, nk)), dout = Float64Array.from(randomF32(4, nq));
    const loss = () => attentionRef(q, k, v, a).out.reduce((s, x, i) => s + x * dout[i], 0);
    const g = attentionBackwardRef(q, k, v, dout, a);
    const eps = 1e-6;
    for (const [label, x, gx] of [["q", q, g.dq], ["k", k, g.dk], ["v", v, g.dv]] as const) {
      for (let t = 0; t < 25; t++) {
        const i = (t * 7919) % x.length;
        const x0 = x[i];
        x[i] = x0 + eps;
        const lp = loss();
        x[i] = x0 - eps;
        const lm = loss();
        x[i] = x0;
        const fd = (lp - lm) / (2 * eps);
        assert.ok(
          Math.abs(fd - gx[i]) <= 1e-7 + 1e-6 * Math.abs(fd),
          `${name(a)} d${label}[${i}]: analytic ${gx[i]} vs finite difference ${fd}`,
        );
      }
    }
  }
});

Deno.test("attention: GPU forward and backward match the float64 reference on awkward shapes", async () => {
  const gpu = await acquireGpu();
  try {
    for (const [ci, a] of CASES.entries()) {
      const nq = a.B * a.T * a.Hq * a.D, nk = a.B * a.T * a.Hkv * a.D;
      const qh = randomF32(10 + ci, nq), kh = randomF32(20 + ci, nk);
      const vh = randomF32(30 + ci, nk), doh = randomF32(40 + ci, nq);
      const o = optsOf(gpu, a);
      const q = tensor(gpu, [nq], qh), k = tensor(gpu, [nk], kh), v = tensor(gpu, [nk], vh);
      const dout = tensor(gpu, [nq], doh);
      const ref = attentionRef(qh, kh, vh, a);
      const gref = attentionBackwardRef(qh, kh, vh, doh, a);
      // The dk/dv blockings GPUs and CPU adapters use, whichever this adapter is, each unsplit
      // and split as GPUs split it, plus one more split count per case (2 to 64 ways: 32 to 1
      // key blocks per workgroup, one or several reduction outputs per lane); the forward and dq
      // passes alternate unsplit and split as GPUs split them, plus one more count per case.
      const blockings: [number, number, number][] = [];
      const sk = [1, attentionKeySplits(false)];
      for (
        const rk of new Set([attentionKeysPerThread(a.D, false), attentionKeysPerThread(a.D, true)])
      ) {
        for (const s of new Set([1, attentionQuerySplits(false), attentionQuerySplits(true)])) {
          blockings.push([rk, s, sk[blockings.length % 2]]);
        }
      }
      blockings.push([attentionKeysPerThread(a.D, false), [2, 4, 16, 32, 64][ci % 5], 1]);
      blockings.push([attentionKeysPerThread(a.D, false), 1, [64, 32, 16, 4, 2][ci % 5]]);
      for (const [keysPerThread, querySplits, keySplits] of blockings) {
        const ob = { ...o, keysPerThread, querySplits, keySplits };
        const tag = `${name(a)} RK${keysPerThread} S${querySplits} SK${keySplits}`;
        // NaN-filled, so an element a blocking fails to write cannot pass on an earlier one's value.
        const dq = nanTensor(gpu, nq), dk = nanTensor(gpu, nk), dv = nanTensor(gpu, nk);
        const out = nanTensor(gpu, nq), saved = nanTensor(gpu, attentionSavedSize(o));
        await run(gpu, (r) => {
          attentionForward(r, out, saved, q, k, v, ob);
          attentionBackward(r, dq, dk, dv, dout, q, k, v, out, saved, ob);
        });
        assertClose(`${tag} out`, await readback(gpu, out), ref.out, 2e-5, 1e-4);
        const lse = (await readback(gpu, saved)).subarray(0, a.B * a.Hq * a.T);
        assertClose(`${tag} lse`, lse, ref.lse, 2e-5, 1e-4);
        assertClose(`${tag} dq`, await readback(gpu, dq), gref.dq, 1e-4, 1e-3);
        assertClose(`${tag} dk`, await readback(gpu, dk), gref.dk, 1e-4, 1e-3);
        assertClose(`${tag} dv`, await readback(gpu, dv), gref.dv, 1e-4, 1e-3);
      }
    }
  } finally {
    gpu.device.destroy();
  }
});

// Per-thread loops run up to T keys (forward, dq) or G * T queries (dk/dv); llvmpipe silently
// stops an invocation's loops after 65535 iterations in total, so check the preset lengths too.
Deno.test("attention: a long sequence with wide GQA groups (T 257, D 32, 4 query heads per kv head) matches the reference", async () => {
  const gpu = await acquireGpu();
  try {
    const a: AttnDims = {
      B: 1,
      T: 257,
      Hq: 4,
      Hkv: 1,
      D: 32,
      prefix: 36,
      scale: 1 / Math.sqrt(32),
    };
    const nq = a.B * a.T * a.Hq * a.D, nk = a.B * a.T * a.Hkv * a.D;
    const qh = randomF32(61, nq), kh = randomF32(62, nk), vh = randomF32(63, nk);
    const doh = randomF32(64, nq);
    const o = optsOf(gpu, a);
    const q = tensor(gpu, [nq], qh), k = tensor(gpu, [nk], kh), v = tensor(gpu, [nk], vh);
    const dout = tensor(gpu, [nq], doh);
    const out = tensor(gpu, [nq]), saved = tensor(gpu, [attentionSavedSize(o)]);
    const ref = attentionRef(qh, kh, vh, a);
    const gref = attentionBackwardRef(qh, kh, vh, doh, a);
    // This adapter's kernels, and the GPUs' split ones (4 dk/dv workgroups per kv head here).
    for (const split of [false, true]) {
      const ob = split
        ? { ...o, querySplits: attentionQuerySplits(false), keySplits: attentionKeySplits(false) }
        : o;
      const tag = `long ${split ? "split as on GPUs" : "default"}`;
      const dq = nanTensor(gpu, nq), dk = nanTensor(gpu, nk), dv = nanTensor(gpu, nk);
      await run(gpu, (r) => {
        attentionForward(r, out, saved, q, k, v, ob);
        attentionBackward(r, dq, dk, dv, dout, q, k, v, out, saved, ob);
      });
      assertClose(`${tag} out`, await readback(gpu, out), ref.out, 2e-5, 1e-4);
      assertClose(`${tag} dq`, await readback(gpu, dq), gref.dq, 1e-4, 1e-3);
      assertClose(`${tag} dk`, await readback(gpu, dk), gref.dk, 1e-4, 1e-3);
      assertClose(`${tag} dv`, await readback(gpu, dv), gref.dv, 1e-4, 1e-3);
    }
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("attention: backward is bit-identical run to run (GQA and query-split reductions without atomics)", async () => {
  const gpu = await acquireGpu();
  try {
    // GQA with several workgroups per kv head and padded rows; every pass unsplit and split as
    // GPUs split it. Each kernel's two runs find different values in the outputs (NaN, the other
    // kernel's, its own), so one that read or skipped its outputs would differ.
    const a: AttnDims = { ...CASES[3], T: 70, lens: [70, 45] };
    const nq = a.B * a.T * a.Hq * a.D, nk = a.B * a.T * a.Hkv * a.D;
    const o = optsOf(gpu, a);
    const q = tensor(gpu, [nq], randomF32(5, nq)), k = tensor(gpu, [nk], randomF32(6, nk));
    const v = tensor(gpu, [nk], randomF32(7, nk)), dout = tensor(gpu, [nq], randomF32(8, nq));
    const out = tensor(gpu, [nq]), saved = tensor(gpu, [attentionSavedSize(o)]);
    const dq = nanTensor(gpu, nq), dk = nanTensor(gpu, nk), dv = nanTensor(gpu, nk);
    const splits = [1, attentionQuerySplits(false)];
    const results = new Map<number, Float32Array[][]>(splits.map((s) => [s, []]));
    for (let rep = 0; rep < 2; rep++) {
      for (const querySplits of rep ? splits.toReversed() : splits) {
        const ob = {
          ...o,
          querySplits,
          keySplits: querySplits === 1 ? 1 : attentionKeySplits(false),
        };
        await run(gpu, (r) => {
          attentionForward(r, out, saved, q, k, v, ob);
          attentionBackward(r, dq, dk, dv, dout, q, k, v, out, saved, ob);
        });
        results.get(querySplits)!.push([
          await readback(gpu, out),
          await readback(gpu, dq),
          await readback(gpu, dk),
          await readback(gpu, dv),
        ]);
      }
    }
    for (const [s, [first, second]] of results) {
      for (let t = 0; t < 4; t++) {
        assert.deepEqual(
          new Uint32Array(first[t].buffer),
          new Uint32Array(second[t].buffer),
          `S${s} ${["out", "dq", "dk", "dv"][t]} differs between runs`,
        );
      }
    }
  } finally {
    gpu.device.destroy();
  }
});
