import assert from "node:assert/strict";
import { acquireGpu, readback, run, tensor } from "../../lib/gpu/context.ts";
import { entropyForward, logprobBackward, logprobForward } from "../../lib/gpu/ops/logprob.ts";
import { entropyRef, logprobBackwardRef, logprobRef } from "./logprob_ref.ts";
import { assertClose, randomF32, uniforms } from "./ref_util.ts";

// Shapes: rows 1/7/33, vocab 1/7/257/1000/8200 (64 threads per row);
// scale 1 and 1/0.7 (temperature 0.7).
// Tolerance vs float64: atol 1e-5 + rtol 1e-4 (logits in ±5).
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 7, 1 / 0.7],
  [33, 257, 1],
  [7, 1000, 1 / 0.7],
  [2, 8200, 1],
];

function batch(seed: number, N: number, V: number) {
  const logits = randomF32(seed, N * V, 5);
  const u = uniforms(seed + 1, 2 * N);
  const targets = Uint32Array.from({ length: N }, (_, n) => Math.floor(u[n] * V));
  const g = Float32Array.from({ length: N }, (_, n) => 2 * u[N + n] - 1);
  return { logits, targets, g };
}

Deno.test("logprob: reference backward matches central finite differences", () => {
  const N = 4, V = 6, scale = 1.3;
  const { logits, targets, g } = batch(7, N, V);
  const x = Float64Array.from(logits);
  const obj = () => logprobRef(x, targets, N, V, scale).reduce((a, lp, n) => a + g[n] * lp, 0);
  const d = logprobBackwardRef(x, targets, g, N, V, scale);
  const eps = 1e-6;
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    x[i] = x0 + eps;
    const lp = obj();
    x[i] = x0 - eps;
    const lm = obj();
    x[i] = x0;
    const fd = (lp - lm) / (2 * eps);
    assert.ok(Math.abs(fd - d[i]) < 1e-7 + 1e-6 * Math.abs(fd), `dlogits[${i}] ${d[i]} vs ${fd}`);
  }
});

Deno.test("logprob: GPU logp, its backward and entropy match the float64 reference", async () => {
  const gpu = await acquireGpu();
  try {
    for (const [si, [N, V, scale]] of SHAPES.entries()) {
      const { logits, targets, g } = batch(200 + si, N, V);
      const tl = tensor(gpu, [N, V], logits), tt = tensor(gpu, [N], targets);
      const tg = tensor(gpu, [N], g);
      const logp = tensor(gpu, [N]), ent = tensor(gpu, [N]), dl = tensor(gpu, [N, V]);
      const o = { rows: N, vocab: V, scale };
      await run(gpu, (r) => {
        logprobForward(r, logp, tl, tt, o);
        logprobBackward(r, dl, tl, tt, tg, o);
        entropyForward(r, ent, tl, o);
      });
      const tag = `N${N} V${V} scale${scale.toFixed(3)}`;
      assertClose(
        `${tag} logp`,
        await readback(gpu, logp),
        logprobRef(logits, targets, N, V, scale),
        1e-5,
        1e-4,
      );
      assertClose(
        `${tag} dlogits`,
        await readback(gpu, dl),
        logprobBackwardRef(logits, targets, g, N, V, scale),
        1e-6,
        1e-4,
      );
      assertClose(
        `${tag} entropy`,
        await readback(gpu, ent),
        entropyRef(logits, N, V, scale),
        1e-5,
        1e-4,
      );
    }
  } finally {
    gpu.device.destroy();
  }
});
