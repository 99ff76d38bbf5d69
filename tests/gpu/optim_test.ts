import { deepStrictEqual } from "node:assert/strict";
import { adamwStep, gradNorm } from "../../lib/gpu/ops/optim.ts";
import type { Tensor } from "../../lib/gpu/context.ts";
import { close, down, f64, gpuTest, randn, rng, step, up, zeros } from "./helpers.ts";
import { adamwRef, gradNormRef } from "./optim_ref.ts";

const HP = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

// Tolerance: the norm to 1e-6 relative (a two-level sum of ~10^4 squares); parameters after three
// clipped steps to 2e-6 absolute (each step moves a weight by about lr).
Deno.test({
  name: "optim: grad norm over many tensors and clipped AdamW steps match float64",
  ...gpuTest,
  async fn() {
    const rand = rng(61);
    const sizes = [1, 7, 33, 257, 4097, 9000];
    const ws = sizes.map((n) => randn(rand, n));
    const W = ws.map(f64),
      M = sizes.map((n) => new Float64Array(n)),
      V = sizes.map((n) => new Float64Array(n));
    const tw: Tensor[] = [], tm: Tensor[] = [], tv: Tensor[] = [], tg: Tensor[] = [];
    for (let i = 0; i < sizes.length; i++) {
      tw.push(await up(ws[i]));
      tm.push(await zeros(sizes[i]));
      tv.push(await zeros(sizes[i]));
      tg.push(await zeros(sizes[i]));
    }
    const tn = await zeros(3);
    for (const [s, maxNorm] of [[1, 1.0], [2, 1000], [3, 0]] as const) {
      const gs = sizes.map((n) => randn(rand, n, -0.5, 0.5));
      for (let i = 0; i < sizes.length; i++) await up(gs[i]).then((t) => (tg[i] = t));
      await step((r) => {
        gradNorm(r, tn, tg, { maxNorm });
        for (let i = 0; i < sizes.length; i++) {
          adamwStep(r, tw[i], tm[i], tv[i], tg[i], tn, { ...HP, step: s });
        }
      });
      const want = gradNormRef(gs, maxNorm);
      close(`grad norm step ${s}`, await down(tn), want, 0, 1e-6);
      for (let i = 0; i < sizes.length; i++) {
        adamwRef(W[i], M[i], V[i], gs[i], want[2], { ...HP, step: s });
        close(`adamw step ${s} tensor ${i}`, await down(tw[i]), W[i], 2e-6);
      }
    }
    // Without a norm tensor AdamW does not clip.
    const w0 = randn(rand, 5), g0 = randn(rand, 5, -100, 100);
    const t = [await up(w0), await zeros(5), await zeros(5), await up(g0)];
    await step((r) => adamwStep(r, t[0], t[1], t[2], t[3], null, { ...HP, step: 1 }));
    const W0 = f64(w0);
    adamwRef(W0, new Float64Array(5), new Float64Array(5), g0, 1, { ...HP, step: 1 });
    close("adamw unclipped", await down(t[0]), W0, 2e-6);
  },
});

Deno.test({
  name:
    "optim: AdamW with per-tensor learning rates and steps in one recorded step matches float64",
  ...gpuTest,
  async fn() {
    // Each tensor's lr and step (bias correction) differ, and the first and last share theirs, so
    // the per-step hyper-parameter buffer is rewritten inside the step and reused after a change.
    const rand = rng(63);
    const sizes = [5, 300, 17, 64];
    const hps = [
      { ...HP, step: 2 },
      { ...HP, lr: 3e-2, step: 2 },
      { ...HP, lr: 5e-3, weightDecay: 0, step: 9 },
      { ...HP, step: 2 },
    ];
    const w = sizes.map((n) => randn(rand, n)), g = sizes.map((n) => randn(rand, n));
    const tw = await Promise.all(w.map((x) => up(x)));
    const tg = await Promise.all(g.map((x) => up(x)));
    const tm = await Promise.all(sizes.map(zeros)), tv = await Promise.all(sizes.map(zeros));
    await step((r) => {
      tw.forEach((t, i) => adamwStep(r, t, tm[i], tv[i], tg[i], null, hps[i]));
    });
    for (let i = 0; i < sizes.length; i++) {
      const W = f64(w[i]);
      adamwRef(W, new Float64Array(sizes[i]), new Float64Array(sizes[i]), g[i], 1, hps[i]);
      close(`adamw tensor ${i}`, await down(tw[i]), W, 2e-6);
    }
  },
});

Deno.test({
  name:
    "optim: the same clipped AdamW step twice from the same state gives bit-identical parameters",
  ...gpuTest,
  async fn() {
    const rand = rng(62);
    const sizes = [33, 5000, 257];
    const w = sizes.map((n) => randn(rand, n)), g = sizes.map((n) => randn(rand, n));
    const m = sizes.map((n) => randn(rand, n, -0.1, 0.1)),
      v = sizes.map((n) => randn(rand, n, 0, 0.01));
    const once = async () => {
      const tw = await Promise.all(w.map((x) => up(x.slice())));
      const tg = await Promise.all(g.map((x) => up(x.slice())));
      const tm = await Promise.all(m.map((x) => up(x.slice())));
      const tv = await Promise.all(v.map((x) => up(x.slice())));
      const tn = await zeros(3);
      await step((r) => {
        gradNorm(r, tn, tg, { maxNorm: 0.5 });
        tw.forEach((t, i) => adamwStep(r, t, tm[i], tv[i], tg[i], tn, { ...HP, step: 7 }));
      });
      const out = [await down(tn), ...(await Promise.all(tw.map(down)))];
      return out.map((f) => new Uint32Array(f.buffer));
    };
    const a = await once(), b = await once();
    deepStrictEqual(a, b);
  },
});
