import assert from "node:assert/strict";
import { ropeBackward, ropeForward } from "../../lib/gpu/ops/rope.ts";
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
import { ropeRef } from "./rope_ref.ts";

Deno.test({
  name: "rope: float64 backward (inverse rotation) matches finite differences",
  ...gpuTest,
  fn() {
    const rand = rng(31);
    const o = { rows: 3, seq: 3, heads: 2, headDim: 4, theta: 10000, posOffset: 5 };
    const x = f64(randn(rand, 24)), dy = randn(rand, 24);
    const grad = ropeRef(dy, o, -1);
    checkGrad("rope dx", () => dot(dy, ropeRef(x, o, 1)), x, grad, { probes: 24, seed: 1 });
  },
});

// Tolerance 2e-6 absolute on |x| <= 1: the angle is the same float32 product on both sides, so
// only the GPU's sin/cos after range reduction (and two products) differ.
Deno.test({
  name:
    "rope: GPU forward/backward match float64, with offsets, shared prefixes, strided views and positions",
  ...gpuTest,
  async fn() {
    const rand = rng(32);
    for (
      const [rows, seq, heads, headDim, posOffset, collapse] of [
        [1, 1, 1, 2, 0, 0],
        [14, 7, 3, 8, 0, 0],
        [66, 33, 2, 64, 257, 0],
        [257, 257, 1, 16, 3000, 0],
        // A shared-position prefix: tokens 0..4 of each sequence at posOffset, then +1 each.
        [14, 7, 3, 8, 2, 4],
        [66, 33, 2, 16, 0, 32],
      ]
    ) {
      const o = { rows, seq, heads, headDim, theta: 1e6, posOffset, collapse };
      const n = rows * heads * headDim;
      const x = randn(rand, n), dy = randn(rand, n);
      const tx = await up(x), tdy = await up(dy), ty = await zeros(n), tdx = await zeros(n);
      await step((r) => {
        ropeForward(r, ty, tx, o);
        ropeBackward(r, tdx, tdy, o);
      });
      close(`rope fwd ${JSON.stringify(o)}`, await down(ty), ropeRef(x, o, 1), 2e-6);
      close(`rope bwd ${JSON.stringify(o)}`, await down(tdx), ropeRef(dy, o, -1), 2e-6);
    }
    // K inside a fused [rows, q | k | v] buffer (k at column offset 8, width 2 heads x 4), rotated
    // into a plain tensor; explicit per-token positions (decoding sequences of unequal length).
    const rows = 5, heads = 2, headDim = 4, width = 24;
    const qkv = randn(rand, rows * width);
    const positions = new Uint32Array([0, 9, 2, 40, 7]);
    const o = {
      rows,
      seq: 1,
      heads,
      headDim,
      theta: 10000,
      posOffset: 0,
      inStride: width,
      inOffset: 8,
    };
    const tq = await up(qkv), tpos = await up(positions), tk = await zeros(rows * heads * headDim);
    await step((r) => ropeForward(r, tk, tq, o, tpos));
    const k = new Float32Array(rows * 8);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < 8; j++) k[r * 8 + j] = qkv[r * width + 8 + j];
    }
    close("rope strided+positions", await down(tk), ropeRef(k, o, 1, positions), 2e-6);
  },
});

Deno.test({
  name: "rope: a shared-position prefix gives its tokens one rotation and shifts the rest",
  ...gpuTest,
  async fn() {
    // Independent of rope_ref's position rule: rows 0..2 (collapse 2) must all equal the rotation
    // at posOffset, and row 3 + j that of posOffset + 1 + j in a plain (collapse 0) call.
    const heads = 1, headDim = 8, seq = 6, n = seq * headDim;
    const one = randn(rng(33), headDim);
    const x = new Float32Array(n);
    for (let r = 0; r < seq; r++) x.set(one, r * headDim);
    const tx = await up(x), shared = await zeros(n), plain = await zeros(n);
    const base = { rows: seq, seq, heads, headDim, theta: 10000, posOffset: 7 };
    await step((r) => {
      ropeForward(r, shared, tx, { ...base, collapse: 2 });
      ropeForward(r, plain, tx, base);
    });
    const s = await down(shared), p = await down(plain);
    const row = (a: Float32Array, i: number) => a.subarray(i * headDim, (i + 1) * headDim);
    for (const i of [0, 1, 2]) close(`shared row ${i}`, row(s, i), row(p, 0), 0);
    for (const i of [3, 4, 5]) close(`row ${i}`, row(s, i), row(p, i - 2), 0);
    await assert.rejects(
      step((r) => ropeForward(r, shared, tx, { ...base, collapse: seq })),
      /collapse 6 must be an integer in \[0, seq 6\)/,
    );
  },
});
