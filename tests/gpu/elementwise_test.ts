import { deepStrictEqual } from "node:assert/strict";
import { accumulate, add, axpby, copy, fill, scale } from "../../lib/gpu/ops/elementwise.ts";
import { close, down, gpuTest, randn, rng, step, up, zeros } from "./helpers.ts";

// Element-wise results are single float32 roundings of exact expressions: tolerance 1 ulp-ish.
Deno.test({
  name:
    "elementwise: add, axpby, accumulate, scale, fill and copy match float64 (n = 1, 257, 70000)",
  ...gpuTest,
  async fn() {
    const rand = rng(71);
    for (const n of [1, 257, 70000]) {
      const a = randn(rand, n), b = randn(rand, n);
      const ta = await up(a), tb = await up(b);
      const t1 = await zeros(n), t2 = await zeros(n), t3 = await up(a.slice()), t4 = await zeros(n);
      const t5 = await zeros(n), t6 = await zeros(n + 3);
      await step((r) => {
        add(r, t1, ta, tb, { n });
        axpby(r, t2, ta, tb, { n, alpha: 0.5, beta: -2 });
        accumulate(r, t3, tb, { n, alpha: 3 });
        scale(r, t4, ta, { n, alpha: -1.5, beta: 0.25 });
        fill(r, t5, { n, value: 7 });
        copy(r, t6, ta, { n, dstOffset: 3 });
      });
      close(`add ${n}`, await down(t1), a.map((x, i) => x + b[i]), 0, 2 ** -23);
      close(
        `axpby ${n}`,
        await down(t2),
        Array.from(a, (x, i) => 0.5 * x - 2 * b[i]),
        1e-7,
        2 ** -22,
      );
      close(
        `accumulate ${n}`,
        await down(t3),
        Array.from(a, (x, i) => x + 3 * b[i]),
        1e-7,
        2 ** -22,
      );
      close(`scale ${n}`, await down(t4), Array.from(a, (x) => -1.5 * x + 0.25), 1e-7, 2 ** -22);
      deepStrictEqual(Array.from(await down(t5)), new Array(n).fill(7));
      deepStrictEqual((await down(t6)).subarray(3), a);
    }
  },
});
