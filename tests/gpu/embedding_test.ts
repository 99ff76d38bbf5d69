import { deepStrictEqual } from "node:assert/strict";
import { embeddingBackward, embeddingForward } from "../../lib/gpu/ops/embedding.ts";
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
  U32,
  up,
  zeros,
} from "./helpers.ts";
import { embeddingBackwardRef, embeddingRef } from "./embedding_ref.ts";

Deno.test({
  name: "embedding: float64 backward matches finite differences",
  ...gpuTest,
  fn() {
    const rand = rng(51);
    const tokens = [2, 0, 2, 3, 2], vocab = 4, dim = 3;
    const table = f64(randn(rand, vocab * dim)), d = randn(rand, tokens.length * dim);
    const grad = embeddingBackwardRef(tokens, d, vocab, dim);
    checkGrad(
      "embedding dtable",
      () => dot(d, embeddingRef(tokens, table, vocab, dim)),
      table,
      grad,
      {
        probes: vocab * dim,
        seed: 1,
      },
    );
  },
});

// Tolerance: forward is exact (a copy); backward the float32 summation bound (c + 2) u sum|terms|
// for a row summing c terms. Frequent tokens and an out-of-range id are included.
Deno.test({
  name: "embedding: GPU lookup exact, gradient matches float64 and is bit-identical across runs",
  ...gpuTest,
  async fn() {
    const rand = rng(52);
    for (const [n, vocab, dim] of [[1, 1, 1], [7, 5, 33], [600, 33, 257], [257, 300, 7]]) {
      const tokens = Uint32Array.from(
        { length: n },
        () => (rand() < 0.3 ? 1 : Math.floor(rand() * vocab)) % vocab,
      );
      if (n > 1) tokens[n - 1] = vocab + 3;
      const table = randn(rand, vocab * dim),
        d = randn(rand, n * dim),
        dt0 = randn(rand, vocab * dim);
      const ttok = await up(tokens), ttab = await up(table), td = await up(d);
      const to = await zeros(n * dim), tdt = await up(dt0), tdt2 = await zeros(vocab * dim);
      const o = { n, vocab, dim };
      await step((r) => {
        embeddingForward(r, to, ttok, ttab, o);
        embeddingBackward(r, tdt, td, ttok, { ...o, accumulate: true });
        embeddingBackward(r, tdt2, td, ttok, { ...o, accumulate: false });
      });
      const w = `embedding ${JSON.stringify(o)}`;
      close(`${w} fwd`, await down(to), embeddingRef(tokens, table, vocab, dim), 0);
      const g = embeddingBackwardRef(tokens, d, vocab, dim);
      const count = new Float64Array(vocab);
      for (const t of tokens) if (t < vocab) count[t]++;
      const absSum = embeddingBackwardRef(tokens, d.map(Math.abs), vocab, dim);
      const bound = absSum.map((s, i) =>
        (count[Math.floor(i / dim)] + 2) * U32 * (s + Math.abs(dt0[i]))
      );
      close(`${w} bwd (accumulated)`, await down(tdt), g.map((v, i) => v + dt0[i]), bound);
      const first = await down(tdt2);
      close(`${w} bwd`, first, g, bound);
      await step((r) => embeddingBackward(r, tdt2, td, ttok, { ...o, accumulate: false }));
      deepStrictEqual(new Uint32Array((await down(tdt2)).buffer), new Uint32Array(first.buffer));
    }
  },
});
