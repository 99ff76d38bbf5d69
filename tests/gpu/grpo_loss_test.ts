import assert from "node:assert/strict";
import { acquireGpu, type Gpu, readback, run, tensor } from "../../lib/gpu/context.ts";
import { grpoLossScratch, readGrpoTotals, recordGrpoLoss } from "../../lib/gpu/ops/grpo_loss.ts";
import type { LossType } from "../../lib/train/rl/config.ts";
import {
  completionMask,
  groupAdvantages,
  leftAlignedPositions,
  sequenceWeights,
} from "../../lib/train/rl/objective.ts";
import { refGrad, type RefInputs, refLoss, refStats } from "./grpo_loss_ref.ts";
import { rng } from "./helpers.ts";

interface Case {
  loss: LossType;
  beta: number;
  epsHigh: number | null;
  mu: number;
  maskTruncated: boolean;
  seed: number;
}

function makeInputs(c: Case, groups = 3, g = 4, t = 11) {
  const rand = rng(c.seed);
  const b = groups * g;
  const lengths = Array.from({ length: b }, (_, i) => i === 1 ? 0 : 1 + Math.floor(rand() * t));
  const truncated = lengths.map((l) => l === t || rand() < 0.2);
  const rewards = Array.from({ length: b }, () => Math.floor(rand() * 3) / 2);
  const adv = groupAdvantages(rewards, g, true);
  const mask = completionMask(leftAlignedPositions(lengths, t), truncated, b, t, c.maskTruncated);
  const logp = Array.from({ length: b }, () => Array.from({ length: t }, () => -3 * rand() - 0.01));
  // μ > 1: the policy has moved since sampling, far enough that some ratios leave [1-ε, 1+ε].
  const oldLogp = logp.map((row) => row.map((v) => c.mu > 1 ? v + (rand() - 0.5) * 0.8 : v));
  const refLogp = logp.map((row) => row.map((v) => v + (rand() - 0.5) * 0.6));
  const x: RefInputs = {
    logp,
    oldLogp,
    refLogp,
    mask: Array.from({ length: b }, (_, i) => Array.from(mask.subarray(i * t, (i + 1) * t))),
    adv: Array.from(adv),
    epsLow: 0.2,
    epsHigh: c.epsHigh ?? 0.2,
    beta: c.beta,
    loss: c.loss,
    maxCompletion: t,
  };
  return { x, mask, b, t };
}

async function gpuLoss(gpu: Gpu, c: Case) {
  const { x, mask, b, t } = makeInputs(c);
  const flat = (a: number[][]) => new Float32Array(a.flat());
  const logp = tensor(gpu, [b, t], flat(x.logp));
  const scratch = grpoLossScratch(gpu, b, t);
  const bufs = {
    logp,
    oldLogp: c.mu > 1 ? tensor(gpu, [b, t], flat(x.oldLogp)) : logp,
    refLogp: c.beta !== 0 ? tensor(gpu, [b, t], flat(x.refLogp)) : logp,
    mask: tensor(gpu, [b, t], mask),
    advantages: tensor(gpu, [b], new Float32Array(x.adv)),
    weights: tensor(gpu, [b], sequenceWeights(c.loss, mask, b, t, t)),
    ...scratch,
  };
  await run(gpu, (r) => recordGrpoLoss(r, bufs, { epsLow: 0.2, epsHigh: x.epsHigh, beta: c.beta }));
  const totals = await readGrpoTotals(gpu, scratch.totals);
  const dlogp = await readback(gpu, scratch.dlogp);
  // The reference at μ = 1 must see old = logp exactly as the GPU does (f32-rounded).
  const xr = { ...x, logp: x.logp.map((r) => r.map(Math.fround)) };
  if (c.mu === 1) xr.oldLogp = xr.logp;
  if (c.beta === 0) xr.refLogp = xr.logp;
  return { totals, dlogp, xr, b, t };
}

function close(got: number, want: number, what: string, rel = 2e-5, abs = 1e-6) {
  assert.ok(
    Math.abs(got - want) <= abs + rel * Math.abs(want),
    `${what}: gpu ${got} vs float64 ${want}`,
  );
}

const cases: Case[] = [];
let seed = 1;
for (const loss of ["grpo", "bnpo", "dr_grpo", "dapo"] as LossType[]) {
  cases.push({ loss, beta: 0, epsHigh: null, mu: 1, maskTruncated: false, seed: seed++ });
  cases.push({ loss, beta: 0.04, epsHigh: 0.28, mu: 2, maskTruncated: true, seed: seed++ });
  cases.push({ loss, beta: 0.1, epsHigh: null, mu: 2, maskTruncated: false, seed: seed++ });
}

Deno.test("grpo_loss: every variant's value, gradient, KL and clip fraction match float64", async () => {
  const gpu = await acquireGpu();
  try {
    for (const c of cases) {
      const tag = JSON.stringify(c);
      const { totals, dlogp, xr, b, t } = await gpuLoss(gpu, c);
      close(totals.loss, refLoss(xr), `${tag} loss`);
      const g = refGrad(xr);
      let nonzero = 0;
      for (let i = 0; i < b; i++) {
        for (let j = 0; j < t; j++) {
          close(dlogp[i * t + j], g[i][j], `${tag} dlogp[${i},${j}]`, 1e-4, 1e-7);
          if (g[i][j] !== 0) nonzero++;
        }
      }
      assert.ok(nonzero > b, `${tag}: gradient is almost all zero (${nonzero}), test is vacuous`);
      const s = refStats(xr);
      const active = xr.mask.flat().reduce((a, v) => a + v, 0);
      close(totals.klSum / active, s.kl, `${tag} kl`, 1e-4, 1e-6);
      close(totals.clipped / active, s.clipFraction, `${tag} clip`);
      assert.equal(totals.nonFinite, 0);
      if (c.mu > 1) assert.ok(s.clipFraction > 0, `${tag}: no clipped tokens, clip path untested`);
    }
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("grpo_loss: a NaN or Inf log-prob on an active token is counted, not swallowed", async () => {
  const gpu = await acquireGpu();
  try {
    const [b, t] = [2, 3];
    const mask = new Float32Array([1, 1, 0, 1, 0, 0]);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const lp = new Float32Array([-1, bad, bad, -2, bad, -1]);
      const logp = tensor(gpu, [b, t], lp);
      const scratch = grpoLossScratch(gpu, b, t);
      await run(gpu, (r) =>
        recordGrpoLoss(r, {
          logp,
          oldLogp: logp,
          refLogp: logp,
          mask: tensor(gpu, [b, t], mask),
          advantages: tensor(gpu, [b], new Float32Array([1, -1])),
          weights: tensor(gpu, [b], new Float32Array([0.25, 0.25])),
          ...scratch,
        }, { epsLow: 0.2, epsHigh: 0.2, beta: 0 }));
      // Only [0,1] is both bad and active.
      assert.equal((await readGrpoTotals(gpu, scratch.totals)).nonFinite, 1, String(bad));
    }
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("grpo_loss: float64 reference gradient matches central finite differences", () => {
  for (const c of cases) {
    const { x } = makeInputs(c);
    if (c.mu === 1) x.oldLogp = x.logp.map((r) => r.slice());
    const g = refGrad(x);
    const h = 1e-6;
    for (let i = 0; i < x.logp.length; i++) {
      for (let t = 0; t < x.logp[i].length; t++) {
        const r = Math.exp(x.logp[i][t] - x.oldLogp[i][t]);
        // Skip the measure-zero kinks of the clip where the derivative is one-sided.
        if (Math.abs(r - (1 - x.epsLow)) < 1e-4 || Math.abs(r - (1 + x.epsHigh)) < 1e-4) continue;
        const v = x.logp[i][t];
        // At μ = 1 the old log-prob is a detached copy: it must not move with logp.
        x.logp[i][t] = v + h;
        const up = refLoss(x);
        x.logp[i][t] = v - h;
        const down = refLoss(x);
        x.logp[i][t] = v;
        const fd = (up - down) / (2 * h);
        assert.ok(
          Math.abs(fd - g[i][t]) <= 1e-7 + 1e-5 * Math.abs(fd),
          `${JSON.stringify(c)} [${i},${t}]: fd ${fd} vs analytic ${g[i][t]}`,
        );
      }
    }
  }
});

Deno.test("grpo_loss: group advantages are mean-centred and optionally std-scaled", () => {
  const r = [1, 0, 0, 1, 2, 2, 2, 2];
  const a = groupAdvantages(r, 4, false);
  assert.deepEqual(Array.from(a), [0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0]);
  const s = groupAdvantages(r, 4, true);
  const std = Math.sqrt((4 * 0.25) / 3);
  close(s[0], 0.5 / (std + 1e-4), "scaled");
  assert.equal(s[5], 0);
  assert.throws(() => groupAdvantages(r, 3, true), /groups of 3/);
});

Deno.test("grpo_loss: masks and weights per variant", () => {
  const pos = leftAlignedPositions([2, 3, 0], 3);
  const m = completionMask(pos, [false, true, false], 3, 3, true);
  assert.deepEqual(Array.from(m), [1, 1, 0, 0, 0, 0, 0, 0, 0]);
  const m2 = completionMask(pos, [false, true, false], 3, 3, false);
  // Positions need not start at column 0 (the VLM puts the prompt first).
  assert.deepEqual(Array.from(completionMask([[1, 2], [4]], [false, false], 2, 3, false)), [
    0,
    1,
    1,
    0,
    1,
    0,
  ]);
  assert.throws(() => completionMask([[3]], [false], 1, 3, false), /outside its row/);
  assert.deepEqual(
    Array.from(sequenceWeights("grpo", m2, 3, 3, 4)),
    [1 / 6, 1 / 9, 1 / 3].map(Math.fround),
  );
  assert.deepEqual(
    Array.from(sequenceWeights("bnpo", m2, 3, 3, 4)),
    [0.2, 0.2, 0.2].map(Math.fround),
  );
  assert.deepEqual(
    Array.from(sequenceWeights("dr_grpo", m2, 3, 3, 4)),
    [1 / 12, 1 / 12, 1 / 12].map(Math.fround),
  );
  assert.deepEqual(
    Array.from(sequenceWeights("dapo", m2, 3, 3, 4, 10)),
    [0.1, 0.1, 0.1].map(Math.fround),
  );
});
