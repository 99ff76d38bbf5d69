/**
 * Float64 CPU reference of the GRPO loss, written straight from TRL's GRPOTrainer formulas
 * (per-token clipped surrogate + β·k3, then each variant's own reduction), independent of the
 * per-sequence weights the GPU path uses.
 */
import type { LossType } from "../../lib/train/rl/config.ts";

/** Inputs as plain nested arrays: [B][T] token values, [B] advantages. */
export interface RefInputs {
  logp: number[][];
  oldLogp: number[][];
  refLogp: number[][];
  mask: number[][];
  adv: number[];
  epsLow: number;
  epsHigh: number;
  beta: number;
  loss: LossType;
  maxCompletion: number;
  /** dapo's normaliser (active tokens of the whole generation batch); defaults to this batch's. */
  batchTokens?: number;
}

/** Per-token loss term l_{i,t}. */
function tokenLoss(x: RefInputs, i: number, t: number): number {
  const r = Math.exp(x.logp[i][t] - x.oldLogp[i][t]);
  const rc = Math.min(Math.max(r, 1 - x.epsLow), 1 + x.epsHigh);
  let l = -Math.min(r * x.adv[i], rc * x.adv[i]);
  if (x.beta !== 0) {
    const d = x.refLogp[i][t] - x.logp[i][t];
    l += x.beta * (Math.exp(d) - d - 1);
  }
  return l;
}

/** The aggregated loss value. */
export function refLoss(x: RefInputs): number {
  const b = x.logp.length;
  const rowSum = (i: number) =>
    x.logp[i].reduce((s, _, t) => s + x.mask[i][t] * tokenLoss(x, i, t), 0);
  const rowN = (i: number) => x.mask[i].reduce((s, v) => s + v, 0);
  let all = 0, n = 0;
  for (let i = 0; i < b; i++) {
    all += rowSum(i);
    n += rowN(i);
  }
  switch (x.loss) {
    case "grpo": {
      let s = 0;
      for (let i = 0; i < b; i++) s += rowSum(i) / Math.max(1, rowN(i));
      return s / b;
    }
    case "bnpo":
      return all / Math.max(1, n);
    case "dr_grpo":
      return all / (b * x.maxCompletion);
    case "dapo":
      return all / Math.max(1, x.batchTokens ?? n);
  }
}

/** Analytic dL/dlogp of `refLoss`, [B][T]. */
export function refGrad(x: RefInputs): number[][] {
  const b = x.logp.length;
  let n = 0;
  for (const row of x.mask) for (const v of row) n += v;
  return x.logp.map((row, i) => {
    const ni = x.mask[i].reduce((s, v) => s + v, 0);
    const norm = x.loss === "grpo"
      ? b * Math.max(1, ni)
      : x.loss === "dr_grpo"
      ? b * x.maxCompletion
      : x.loss === "dapo"
      ? Math.max(1, x.batchTokens ?? n)
      : Math.max(1, n);
    return row.map((lp, t) => {
      const r = Math.exp(lp - x.oldLogp[i][t]);
      const rc = Math.min(Math.max(r, 1 - x.epsLow), 1 + x.epsHigh);
      let g = r * x.adv[i] <= rc * x.adv[i] ? -r * x.adv[i] : 0;
      if (x.beta !== 0) g += x.beta * (1 - Math.exp(x.refLogp[i][t] - lp));
      return x.mask[i][t] * g / norm;
    });
  });
}

/** Mean k3 KL over active tokens and the clipped fraction (TRL's region definition). */
export function refStats(x: RefInputs): { kl: number; clipFraction: number } {
  let kl = 0, clipped = 0, n = 0;
  x.logp.forEach((row, i) =>
    row.forEach((lp, t) => {
      const m = x.mask[i][t];
      if (!m) return;
      n++;
      const d = x.refLogp[i][t] - lp;
      kl += Math.exp(d) - d - 1;
      const r = Math.exp(lp - x.oldLogp[i][t]);
      if ((r < 1 - x.epsLow && x.adv[i] < 0) || (r > 1 + x.epsHigh && x.adv[i] > 0)) clipped++;
    })
  );
  return { kl: kl / Math.max(1, n), clipFraction: clipped / Math.max(1, n) };
}
