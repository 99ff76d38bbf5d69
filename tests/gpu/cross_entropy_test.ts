import assert from "node:assert/strict";
import { acquireGpu, readback, run, tensor } from "../../lib/gpu/context.ts";
import { crossEntropy, crossEntropyLoss } from "../../lib/gpu/ops/cross_entropy.ts";
import { crossEntropyRef } from "./cross_entropy_ref.ts";
import { assertClose, randomF32, uniforms } from "./ref_util.ts";

// Shapes: rows 1/7/33, vocab 1/7/257/1000/8200 (64 threads per row, so wide rows exercise the
// strided loops). Tolerance vs float64: atol 1e-5 + rtol 1e-4 (logits in ±5).
const SHAPES: [number, number][] = [[1, 1], [7, 7], [33, 257], [7, 1000], [2, 8200]];

function batch(seed: number, N: number, V: number) {
  const logits = randomF32(seed, N * V, 5);
  const u = uniforms(seed + 1, 2 * N);
  const mask = new Float32Array(N);
  const targets = new Uint32Array(N);
  for (let n = 0; n < N; n++) {
    // Roughly a quarter of rows masked out, with an out-of-range target that must not be read.
    mask[n] = N > 1 && u[n] < 0.25 ? 0 : 0.5 + u[n];
    targets[n] = mask[n] === 0 ? 0xffffffff : Math.floor(u[N + n] * V);
  }
  return { logits, targets, mask };
}

Deno.test("cross_entropy: reference gradient matches central finite differences", () => {
  const N = 5, V = 9;
  const { logits, targets, mask } = batch(3, N, V);
  const x = Float64Array.from(logits);
  const total = () => crossEntropyRef(x, targets, mask, N, V, 1).loss.reduce((a, b) => a + b, 0);
  const g = crossEntropyRef(x, targets, mask, N, V, 1).dlogits;
  const eps = 1e-6;
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    x[i] = x0 + eps;
    const lp = total();
    x[i] = x0 - eps;
    const lm = total();
    x[i] = x0;
    const fd = (lp - lm) / (2 * eps);
    assert.ok(Math.abs(fd - g[i]) < 1e-7 + 1e-6 * Math.abs(fd), `dlogits[${i}] ${g[i]} vs ${fd}`);
  }
});

Deno.test("cross_entropy: GPU loss and dlogits match the float64 reference (masked rows, awkward shapes)", async () => {
  const gpu = await acquireGpu();
  try {
    for (const [si, [N, V]] of SHAPES.entries()) {
      const { logits, targets, mask } = batch(100 + si, N, V);
      const factor = 1 / Math.max(1, mask.reduce((a, b) => a + b, 0));
      const tl = tensor(gpu, [N, V], logits), tt = tensor(gpu, [N], targets);
      const tm = tensor(gpu, [N], mask);
      const loss = tensor(gpu, [N]), loss2 = tensor(gpu, [N]);
      // Poison dlogits so that rows the kernel skips would show up.
      const d0 = new Float32Array(N * V).fill(123);
      const tdl = tensor(gpu, [N, V], d0);
      await run(gpu, (r) => {
        crossEntropy(r, loss, tdl, tl, tt, tm, { rows: N, vocab: V, factor });
        crossEntropyLoss(r, loss2, tl, tt, tm, { rows: N, vocab: V });
      });
      const ref = crossEntropyRef(logits, targets, mask, N, V, factor);
      const tag = `N${N} V${V}`;
      assertClose(`${tag} loss`, await readback(gpu, loss), ref.loss, 1e-5, 1e-4);
      assertClose(`${tag} loss (forward only)`, await readback(gpu, loss2), ref.loss, 1e-5, 1e-4);
      assertClose(`${tag} dlogits`, await readback(gpu, tdl), ref.dlogits, 1e-6, 1e-4);
    }
  } finally {
    gpu.device.destroy();
  }
});
