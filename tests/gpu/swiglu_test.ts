import {
  swigluBackward,
  swigluBackwardFused,
  swigluForward,
  swigluForwardFused,
} from "../../lib/gpu/ops/swiglu.ts";
import {
  checkGrad,
  close,
  dot,
  down,
  f64,
  gpuTest,
  randn,
  rng,
  step,
  up,
  zeros,
} from "./helpers.ts";
import { swigluBackwardRef, swigluRef } from "./swiglu_ref.ts";

Deno.test({
  name: "swiglu: float64 backward matches finite differences",
  ...gpuTest,
  fn() {
    const rand = rng(41);
    const g = f64(randn(rand, 12, -4, 4)), u = f64(randn(rand, 12)), d = randn(rand, 12);
    const ref = swigluBackwardRef(d, g, u);
    const loss = () => dot(d, swigluRef(g, u));
    checkGrad("swiglu dgate", loss, g, ref.dg, { probes: 12, seed: 1 });
    checkGrad("swiglu dup", loss, u, ref.du, { probes: 12, seed: 2 });
  },
});

// Tolerance: 1e-6 absolute + 4e-6 relative (a few float32 ops and one exp per element); gates
// reach +-30 to exercise the overflow-safe sigmoid.
Deno.test({
  name: "swiglu: GPU forward/backward, separate and fused gate|up, match float64",
  ...gpuTest,
  async fn() {
    const rand = rng(42);
    for (const [rows, dim] of [[1, 1], [7, 33], [33, 257]]) {
      const n = rows * dim;
      const g = randn(rand, n, -30, 30), u = randn(rand, n), d = randn(rand, n);
      const tg = await up(g), tu = await up(u), td = await up(d);
      const to = await zeros(n), tdg = await zeros(n), tdu = await zeros(n);
      const gu = new Float32Array(2 * n);
      for (let r = 0; r < rows; r++) {
        gu.set(g.subarray(r * dim, (r + 1) * dim), r * 2 * dim);
        gu.set(u.subarray(r * dim, (r + 1) * dim), r * 2 * dim + dim);
      }
      const tgu = await up(gu), to2 = await zeros(n), tdgu = await zeros(2 * n);
      await step((r) => {
        swigluForward(r, to, tg, tu, { rows, dim });
        swigluBackward(r, tdg, tdu, td, tg, tu, { rows, dim });
        swigluForwardFused(r, to2, tgu, { rows, dim });
        swigluBackwardFused(r, tdgu, td, tgu, { rows, dim });
      });
      const want = swigluRef(g, u), b = swigluBackwardRef(d, g, u);
      const w = `swiglu [${rows}, ${dim}]`;
      close(`${w} out`, await down(to), want, 1e-6, 4e-6);
      close(`${w} dgate`, await down(tdg), b.dg, 1e-6, 4e-6);
      close(`${w} dup`, await down(tdu), b.du, 1e-6, 4e-6);
      close(`${w} fused out`, await down(to2), want, 1e-6, 4e-6);
      const dgu = await down(tdgu);
      const dg2 = new Float32Array(n), du2 = new Float32Array(n);
      for (let r = 0; r < rows; r++) {
        dg2.set(dgu.subarray(r * 2 * dim, r * 2 * dim + dim), r * dim);
        du2.set(dgu.subarray(r * 2 * dim + dim, (r + 1) * 2 * dim), r * dim);
      }
      close(`${w} fused dgate`, dg2, b.dg, 1e-6, 4e-6);
      close(`${w} fused dup`, du2, b.du, 1e-6, 4e-6);
    }
  },
});
