import assert from "node:assert/strict";
import {
  type DirectTile,
  directTile,
  isCpuAdapter,
  linearBackward,
  linearForward,
  linearWeightGrad,
  matmul,
  MATMUL_TILES,
  type MatmulTile,
} from "../../lib/gpu/ops/matmul.ts";
import { biasBackward } from "../../lib/gpu/ops/reduce.ts";
import {
  checkGrad,
  close,
  dot,
  down,
  f64,
  gpu,
  gpuTest,
  randn,
  rng,
  step,
  U32,
  up,
  zeros,
} from "./helpers.ts";
import { linearBackwardRef, linearRef, matmulRef } from "./matmul_ref.ts";

interface Case {
  m: number;
  n: number;
  k: number;
  batch?: number;
  transA?: boolean;
  transB?: boolean;
  bias?: boolean;
  acc?: boolean;
  alpha?: number;
  broadcastB?: boolean;
  tile?: MatmulTile;
  direct?: DirectTile;
  splitK?: number;
}

async function check(c: Case, seed: number): Promise<void> {
  const rand = rng(seed);
  const batch = c.batch ?? 1;
  const sA = c.m * c.k, sB = c.broadcastB ? 0 : c.k * c.n, sC = c.m * c.n;
  const a = randn(rand, (batch - 1) * sA + c.m * c.k);
  const b = randn(rand, (batch - 1) * sB + c.k * c.n);
  const bias = c.bias ? randn(rand, c.n) : undefined;
  const c0 = c.acc ? randn(rand, (batch - 1) * sC + c.m * c.n) : undefined;
  const alpha = c.alpha ?? 1;
  const ta = await up(a), tb = await up(b);
  const tc = c0 ? await up(c0) : await zeros((batch - 1) * sC + c.m * c.n);
  const tbias = bias ? await up(bias) : undefined;
  await step((r) =>
    matmul(r, tc, ta, tb, {
      m: c.m,
      n: c.n,
      k: c.k,
      batch,
      transA: c.transA,
      transB: c.transB,
      strideA: sA,
      strideB: sB,
      strideC: sC,
      alpha,
      accumulate: c.acc,
      tile: c.tile,
      direct: c.direct,
      splitK: c.splitK,
    }, tbias)
  );
  const want = matmulRef(
    a,
    b,
    {
      m: c.m,
      n: c.n,
      k: c.k,
      batch,
      transA: !!c.transA,
      transB: !!c.transB,
      strideA: sA,
      strideB: sB,
      strideC: sC,
      alpha,
    },
    bias,
    c0,
  );
  close(
    `matmul ${JSON.stringify({ ...c, tile: c.tile ? "custom" : undefined })}${
      c.direct ? " direct" : ""
    }`,
    await down(tc),
    want.c,
    want.bound,
  );
}

const AWKWARD = [1, 7, 33, 257];

// Tolerance: the float32 forward error bound (k + 4) u (|alpha| sum|a b| + |bias| + |C0|), which
// holds for any summation order, per element.
Deno.test({
  name:
    "matmul: all four layouts on awkward shapes (1, 7, 33, 257) match float64 within (k+4)u·Σ|ab|",
  ...gpuTest,
  async fn() {
    let seed = 1;
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (
          const [m, n, k] of [[1, 1, 1], [7, 33, 1], [33, 7, 257], [257, 33, 7], [1, 257, 33], [
            64,
            68,
            36,
          ]]
        ) {
          await check({ m, n, k, transA, transB }, seed++);
        }
      }
    }
    for (const m of AWKWARD) await check({ m, n: 33, k: 257, transB: true }, seed++);
  },
});

Deno.test({
  name: "matmul: batched with broadcast, fused bias, accumulate and alpha",
  ...gpuTest,
  async fn() {
    await check({ m: 33, n: 36, k: 20, batch: 3, bias: true }, 101);
    await check({ m: 7, n: 33, k: 9, batch: 4, transB: true, broadcastB: true, acc: true }, 102);
    await check({
      m: 40,
      n: 12,
      k: 257,
      batch: 2,
      transA: true,
      acc: true,
      bias: true,
      alpha: -0.5,
    }, 103);
    await check({ m: 1, n: 1, k: 1, batch: 5, alpha: 2, acc: true }, 104);
    // Split K (partials summed in a fixed order, then alpha, bias and accumulate).
    await check({ m: 33, n: 36, k: 257, splitK: 3, bias: true, acc: true, alpha: 0.5 }, 105);
    await check({ m: 40, n: 7, k: 300, transA: true, splitK: 4 }, 106);
    await check({ m: 7, n: 12, k: 64, transB: true, splitK: 16, bias: true }, 107);
  },
});

Deno.test({
  name:
    "matmul: the adapter's default big tilings and a 32×32/4×4 tiling in all layouts, at tile edges",
  ...gpuTest,
  async fn() {
    let seed = 200;
    const small: MatmulTile = { bm: 32, bn: 32, bk: 4, tm: 4, tn: 4 };
    for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]]) {
      const tile = small;
      await check({ m: 67, n: 36, k: 20, transA, transB, bias: true, acc: true, tile }, seed++);
      await check({ m: 33, n: 66, k: 9, transA, transB, tile }, seed++);
    }
    // The default big tilings of this adapter kind, across tile edges in both dimensions. (GPU
    // tilings take about a minute of CPU to compile on llvmpipe, so a CPU adapter checks its own;
    // the template branches are the same and the GPU run of these tests covers the GPU tiling.)
    const big = isCpuAdapter(await gpu())
      ? [MATMUL_TILES.cpu]
      : [MATMUL_TILES.gpu, MATMUL_TILES.gpuLarge];
    for (const tile of big) {
      await check({ m: 131, n: 132, k: 20, transB: true, bias: true, acc: true, tile }, seed++);
      await check({ m: 257, n: 131, k: 9, transA: true, tile }, seed++);
      await check({ m: 260, n: 136, k: 40, tile }, seed++);
    }
  },
});

Deno.test({
  name:
    "matmul: the direct kernel (CPU adapters' default) in all layouts, batched and split, at block edges",
  ...gpuTest,
  async fn() {
    let seed = 300;
    // Each tiling the CPU default picks (directTile), on shapes that end inside a block, with and
    // without vec4 access (K, M or N not a multiple of 4), so every load branch runs.
    const tiles: DirectTile[] = [directTile(600, 200), directTile(100, 64), directTile(7, 20)];
    assert.deepEqual(tiles.map((t) => `${t.tm}x${t.tn}`), ["24x16", "16x8", "16x4"]);
    for (const direct of tiles) {
      for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]]) {
        await check({ m: 67, n: 36, k: 20, transA, transB, bias: true, acc: true, direct }, seed++);
        await check({ m: 33, n: 66, k: 9, transA, transB, direct }, seed++);
        await check({ m: 25, n: 130, k: 7, transA, transB, alpha: -0.5, direct }, seed++);
      }
      await check({ m: 33, n: 36, k: 20, batch: 3, transB: true, bias: true, direct }, seed++);
      await check({ m: 40, n: 12, k: 257, transA: true, splitK: 4, acc: true, direct }, seed++);
      await check({ m: 7, n: 33, k: 130, transB: true, splitK: 3, bias: true, direct }, seed++);
    }
  },
});

Deno.test({
  name:
    "linear: backward (dx, dW, db) matches the float64 reference, which matches finite differences",
  ...gpuTest,
  async fn() {
    const rand = rng(7);
    const rows = 33, inDim = 7, outDim = 12;
    const x = randn(rand, rows * inDim), w = randn(rand, outDim * inDim), b = randn(rand, outDim);
    const dy = randn(rand, rows * outDim);
    // Finite differences of the float64 reference: loss = <dy, linear(x, w, b)>.
    const ref = linearBackwardRef(dy, x, w, rows, inDim, outDim);
    const X = f64(x), W = f64(w), B = f64(b);
    const loss = () => dot(dy, linearRef(X, W, B, rows, inDim, outDim));
    checkGrad("linear dx", loss, X, ref.dx, { probes: 20, seed: 1 });
    checkGrad("linear dW", loss, W, ref.dw, { probes: 20, seed: 2 });
    checkGrad("linear db", loss, B, ref.db, { probes: 12, seed: 3 });
    // GPU forward and backward vs the reference; dW and dx accumulate onto existing values.
    const tx = await up(x), tw = await up(w), tb = await up(b), tdy = await up(dy);
    const ty = await zeros(rows * outDim);
    const dx0 = randn(rand, rows * inDim), dw0 = randn(rand, outDim * inDim);
    const tdx = await up(dx0), tdw = await up(dw0), tdb = await zeros(outDim);
    const opts = { rows, inDim, outDim };
    await step((r) => {
      linearForward(r, ty, tx, tw, opts, tb);
      linearBackward(r, tdx, tdw, tdy, tx, tw, { ...opts, accumulateDx: true, accumulate: true });
      biasBackward(r, tdb, tdy, { rows, cols: outDim, accumulate: false });
    });
    const tol = (K: number) => (K + 4) * U32 * 4 * K;
    close("linear y", await down(ty), linearRef(x, w, b, rows, inDim, outDim), tol(inDim + 1));
    close("linear dx", await down(tdx), ref.dx.map((v, i) => v + dx0[i]), tol(outDim + 1));
    close("linear dW", await down(tdw), ref.dw.map((v, i) => v + dw0[i]), tol(rows + 1));
    close("linear db", await down(tdb), ref.db, tol(rows));
  },
});

Deno.test({
  name: "linear: weight gradients over many rows split K deterministically and match float64",
  ...gpuTest,
  async fn() {
    const rand = rng(8);
    // Many rows, narrow weights (awkward widths): too few output tiles, so matmul splits the rows.
    for (const [rows, inDim, outDim] of [[2048, 33, 7], [1536, 20, 12], [300, 5, 9]]) {
      const x = randn(rand, rows * inDim, -0.5, 0.5), dy = randn(rand, rows * outDim, -0.5, 0.5);
      const tx = await up(x), tdy = await up(dy), tdw = await zeros(outDim * inDim);
      const labels: string[] = [];
      const once = async () => {
        await step((r) => {
          const d = r.dispatch.bind(r);
          r.dispatch = (p, u, b, wg, label) => {
            labels.push(label ?? "");
            d(p, u, b, wg, label);
          };
          linearWeightGrad(r, tdw, tdy, tx, { rows, inDim, outDim });
        });
        return new Uint32Array((await down(tdw)).buffer);
      };
      const first = await once();
      const ref = linearBackwardRef(dy, x, new Float32Array(outDim * inDim), rows, inDim, outDim);
      close(
        `dW rows ${rows}`,
        new Float32Array(first.buffer),
        ref.dw,
        (rows + 4) * U32 * 0.25 * rows,
      );
      if (rows >= 1536) assert.ok(labels.some((l) => /split-k/.test(l)), `labels ${labels}`);
      assert.deepEqual(await once(), first, "the same weight gradient twice is bit-identical");
    }
  },
});
