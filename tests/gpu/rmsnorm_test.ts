import { rmsnormBackward, rmsnormForward } from "../../lib/gpu/ops/rmsnorm.ts";
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
import { rmsnormBackwardRef, rmsnormRef } from "./rmsnorm_ref.ts";

const EPS = 1e-6;

Deno.test({
  name: "rmsnorm: float64 backward matches finite differences",
  ...gpuTest,
  fn() {
    const rand = rng(11);
    const rows = 3, dim = 7;
    const x = f64(randn(rand, rows * dim)), w = f64(randn(rand, dim)), dy = randn(rand, rows * dim);
    const ref = rmsnormBackwardRef(dy, x, w, rows, dim, EPS);
    const loss = () => dot(dy, rmsnormRef(x, w, rows, dim, EPS).y);
    checkGrad("rmsnorm dx", loss, x, ref.dx, { probes: rows * dim, seed: 1 });
    checkGrad("rmsnorm dw", loss, w, ref.dw, { probes: dim, seed: 2 });
  },
});

// Tolerances: forward 2e-6 relative + 1e-6 absolute (one reduction of dim squares, then a scale);
// backward 1e-5 relative + 1e-5 absolute (dw sums up to 257 rows).
Deno.test({
  name:
    "rmsnorm: GPU forward/backward (workgroup or thread per row) match float64 on awkward shapes",
  ...gpuTest,
  async fn() {
    let seed = 20;
    for (
      const [rows, dim, threadPerRow] of [[1, 1, 1], [7, 33, 0], [7, 33, 1], [257, 7, 1], [
        33,
        257,
        0,
      ], [33, 257, 1]]
    ) {
      const rand = rng(seed++);
      const x = randn(rand, rows * dim, -2, 2), w = randn(rand, dim), dy = randn(rand, rows * dim);
      const dx0 = randn(rand, rows * dim), dw0 = randn(rand, dim);
      const tx = await up(x), tw = await up(w), tdy = await up(dy);
      const ty = await zeros(rows * dim), trs = await zeros(rows);
      const tdx = await up(dx0), tdw = await up(dw0), tdx2 = await zeros(rows * dim);
      const o = { rows, dim, eps: EPS, threadPerRow: threadPerRow === 1 };
      await step((r) => {
        rmsnormForward(r, ty, tx, tw, o, trs);
        rmsnormBackward(r, tdx, tdw, tdy, tx, tw, { ...o, accumulateDx: true, accumulate: true });
        rmsnormBackward(r, tdx2, null, tdy, tx, tw, {
          ...o,
          accumulateDx: false,
          accumulate: false,
        });
      });
      const f = rmsnormRef(x, w, rows, dim, EPS);
      const b = rmsnormBackwardRef(dy, x, w, rows, dim, EPS);
      const what = `rmsnorm [${rows}, ${dim}]${threadPerRow ? " per row" : ""}`;
      close(`${what} y`, await down(ty), f.y, 1e-6, 2e-6);
      close(`${what} rstd`, await down(trs), f.rstd, 1e-6, 2e-6);
      close(
        `${what} dx (accumulated)`,
        await down(tdx),
        b.dx.map((v, i) => v + dx0[i]),
        1e-5,
        1e-5,
      );
      close(`${what} dx`, await down(tdx2), b.dx, 1e-5, 1e-5);
      close(
        `${what} dw (accumulated)`,
        await down(tdw),
        b.dw.map((v, i) => v + dw0[i]),
        1e-5,
        1e-5,
      );
    }
  },
});
