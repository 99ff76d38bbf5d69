import assert from "node:assert/strict";
import {
  acquireGpu,
  GpuError,
  pipeline,
  readback,
  readbackU32,
  record,
  run,
  tensor,
  uniforms,
} from "../../lib/gpu/context.ts";
import { attentionBackward, attentionSavedSize } from "../../lib/gpu/ops/attention.ts";
import { embeddingBackward } from "../../lib/gpu/ops/embedding.ts";
import { isCpuAdapter, matmul, MATMUL_TILES } from "../../lib/gpu/ops/matmul.ts";
import { SOFTWARE_LOOP_BUDGET } from "../../lib/gpu/ops/util.ts";
import { embeddingBackwardRef } from "./embedding_ref.ts";
import { matmulRef } from "./matmul_ref.ts";
import { randomF32 } from "./ref_util.ts";

// llvmpipe silently stops an invocation's loops after 65535 passes in total (lib/gpu/ops/util.ts).
// Ops either split their work under SOFTWARE_LOOP_BUDGET or refuse the shape with a GpuError.

Deno.test("loop budget: one invocation runs SOFTWARE_LOOP_BUDGET loop passes in full", async () => {
  const gpu = await acquireGpu();
  try {
    // Two loops in a row, as the budget is per invocation, not per loop.
    const code = "struct Params { a: u32, b: u32, c: u32, d: u32 }\n" +
      "@group(0) @binding(0) var<uniform> p: Params;\n" +
      "@group(0) @binding(1) var<storage, read_write> out: array<u32>;\n" +
      "@compute @workgroup_size(64) fn main(@builtin(local_invocation_index) l: u32) {\n" +
      "  var n = 0u; for (var i = 0u; i < p.a; i++) { n += 1u; }\n" +
      "  for (var i = 0u; i < p.b; i++) { n += 1u; }\n" +
      "  out[l] = n; }";
    const out = tensor(gpu, [64]);
    const half = SOFTWARE_LOOP_BUDGET / 2;
    await run(gpu, (r) => {
      r.dispatch(pipeline(gpu, code, "main", {}, "loop_probe"), uniforms([half, half]), [
        out.buffer,
      ], [1]);
    });
    assert.deepEqual([...await readbackU32(gpu, out)], new Array(64).fill(SOFTWARE_LOOP_BUDGET));
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("loop budget: matmul splits a K too long for one invocation and stays exact", async () => {
  const gpu = await acquireGpu();
  try {
    // One 8x8 tile: a single workgroup would loop over all of K (10 passes per 8 of K).
    const m = 3, n = 5, k = 70001;
    const a = randomF32(1, m * k), b = randomF32(2, k * n);
    const ta = tensor(gpu, [m * k], a), tb = tensor(gpu, [k * n], b), tc = tensor(gpu, [m * n]);
    await run(gpu, (r) => {
      matmul(r, tc, ta, tb, { m, n, k, splitK: 1, tile: MATMUL_TILES.cpuSmall });
    });
    const got = await readback(gpu, tc);
    const want = matmulRef(a, b, {
      m,
      n,
      k,
      batch: 1,
      transA: false,
      transB: false,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      alpha: 1,
    });
    for (let i = 0; i < m * n; i++) {
      assert.ok(
        Math.abs(got[i] - want.c[i]) <= want.bound[i],
        `C[${i}] = ${got[i]}, want ${want.c[i]} ± ${want.bound[i]}`,
      );
    }
    // Batched products cannot split K: too long a K is refused on a software adapter.
    if (isCpuAdapter(gpu)) {
      const tc2 = tensor(gpu, [2 * m * n]);
      await assert.rejects(
        () =>
          run(gpu, (r) =>
            matmul(r, tc2, ta, tb, {
              m,
              n,
              k: 50000,
              batch: 2,
              strideA: 0,
              strideB: 0,
              tile: MATMUL_TILES.cpuSmall,
            })),
        (e: Error) => e instanceof GpuError && /loop passes/.test(e.message),
      );
    }
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("loop budget: embedding backward is exact up to the budget and refused beyond it", async () => {
  const gpu = await acquireGpu();
  try {
    // Every token the same: one workgroup adds all n rows, the worst case of the guard's bound.
    const vocab = 2, dim = 4;
    const n = Math.floor(SOFTWARE_LOOP_BUDGET / (1 + 10 / 256)) - 16;
    const tokens = new Uint32Array(n).fill(1);
    const dout = randomF32(3, n * dim);
    const tt = tensor(gpu, [n], tokens), td = tensor(gpu, [n * dim], dout);
    const dtable = tensor(gpu, [vocab * dim]);
    await run(
      gpu,
      (r) => embeddingBackward(r, dtable, td, tt, { n, vocab, dim, accumulate: false }),
    );
    const want = embeddingBackwardRef(tokens, dout, vocab, dim);
    const got = await readback(gpu, dtable);
    for (let i = 0; i < vocab * dim; i++) {
      // n f32 additions of values in [-1, 1): error at most n^2 u in the worst order.
      assert.ok(Math.abs(got[i] - want[i]) <= 1e-2, `dtable[${i}] = ${got[i]}, want ${want[i]}`);
    }
    if (isCpuAdapter(gpu)) {
      const big = 70000;
      const tb = tensor(gpu, [big]), db = tensor(gpu, [big * dim]);
      assert.throws(
        () =>
          embeddingBackward(
            record(gpu),
            dtable,
            db,
            tb,
            { n: big, vocab, dim, accumulate: false },
          ),
        (e: Error) => e instanceof GpuError && /embeddingBackward: 70000 tokens/.test(e.message),
      );
    }
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("loop budget: attention backward refuses too many query rows per kv head on a software adapter", async () => {
  const gpu = await acquireGpu();
  try {
    if (!isCpuAdapter(gpu)) return;
    // 32 query heads per kv head over 2100 rows: a dk/dv thread would loop 67232 times (measured
    // wrong on llvmpipe; 32 x 1901 was right).
    const o = {
      batch: 1,
      seqLen: 2100,
      qHeads: 32,
      kvHeads: 1,
      headDim: 4,
      prefix: 0,
      scale: 0.5,
    };
    const nq = 2100 * 32 * 4, nk = 2100 * 4;
    const q = tensor(gpu, [nq]), k = tensor(gpu, [nk]), v = tensor(gpu, [nk]);
    const saved = tensor(gpu, [attentionSavedSize(o)]);
    assert.throws(
      () =>
        attentionBackward(
          record(gpu),
          tensor(gpu, [nq]),
          tensor(gpu, [nk]),
          tensor(gpu, [nk]),
          q,
          q,
          k,
          v,
          q,
          saved,
          o,
        ),
      (e: Error) => e instanceof GpuError && /attentionBackward: seqLen 2100/.test(e.message),
    );
  } finally {
    gpu.device.destroy();
  }
});
