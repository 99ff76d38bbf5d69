/**
 * The GRPO objective's host-side pieces: group-relative advantages, completion masks and the
 * per-sequence weights that turn per-token loss terms into each aggregation variant.
 *
 * Per generated token t of completion i (following TRL's GRPOTrainer):
 *   r_{i,t}  = exp(logp_{i,t} - logp_old_{i,t})            (μ = 1: logp_old = logp, detached)
 *   l_{i,t}  = -min(r A_i, clip(r, 1 - ε_low, 1 + ε_high) A_i) + β k3_{i,t}
 *   k3_{i,t} = exp(logp_ref - logp) - (logp_ref - logp) - 1  (β = 0: no reference model)
 * and with m_{i,t} the completion mask (1 for generated tokens up to and including the stop
 * token; 0 for padding and, with `mask_truncated`, for every token of a truncated completion):
 *   grpo    : L = (1/B) Σ_i [ Σ_t m l / max(1, Σ_t m) ]       (per-sequence mean, then mean)
 *   bnpo    : L = Σ_{i,t} m l / max(1, Σ_{i,t} m)               (token mean over this batch)
 *   dr_grpo : L = Σ_{i,t} m l / (B · max_completion)            (constant normaliser, no length bias)
 *   dapo    : L = Σ_{i,t} m l / max(1, N)   with N the active tokens of the WHOLE generation batch
 *             (all micro-batches of the step). With one micro-batch per step, as here, N equals
 *             bnpo's normaliser and the two coincide; they differ only under micro-batching.
 * Every variant is L = Σ_{i,t} w_i m_{i,t} l_{i,t}, so the GPU kernel takes per-sequence weights
 * w_i (computed here) and its backward is dL/dlogp_{i,t} = w_i m_{i,t} ∂l/∂logp.
 */
import type { LossType } from "./config.ts";

/** Inconsistent shapes or values passed to the objective's helpers. */
export class ObjectiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ObjectiveError";
  }
}

/**
 * Group-relative advantages: A_i = r_i - mean(group), divided by (std(group) + 1e-4) when
 * `scale` (std with Bessel's correction, as torch.std; the 1e-4 keeps all-equal groups at 0).
 * `rewards` holds consecutive groups of `groupSize`.
 */
export function groupAdvantages(
  rewards: ArrayLike<number>,
  groupSize: number,
  scale: boolean,
): Float64Array {
  const n = rewards.length;
  if (groupSize < 1 || n % groupSize !== 0) {
    throw new ObjectiveError(`${n} rewards do not split into groups of ${groupSize}`);
  }
  const out = new Float64Array(n);
  for (let g = 0; g < n; g += groupSize) {
    let mean = 0;
    for (let j = 0; j < groupSize; j++) mean += rewards[g + j];
    mean /= groupSize;
    let ss = 0;
    for (let j = 0; j < groupSize; j++) ss += (rewards[g + j] - mean) ** 2;
    const std = groupSize > 1 ? Math.sqrt(ss / (groupSize - 1)) : 0;
    for (let j = 0; j < groupSize; j++) {
      const a = rewards[g + j] - mean;
      out[g + j] = scale ? a / (std + 1e-4) : a;
    }
  }
  return out;
}

/**
 * Completion mask [rows*cols] (1 = a generated token counted in the loss): ones at
 * `positions[i]` (every generated token of completion i, including its stop token), except for
 * truncated completions when `maskTruncated`.
 */
export function completionMask(
  positions: number[][],
  truncated: ArrayLike<boolean>,
  rows: number,
  cols: number,
  maskTruncated: boolean,
): Float32Array<ArrayBuffer> {
  if (positions.length !== rows) {
    throw new ObjectiveError(`${positions.length} completions for ${rows} rows`);
  }
  const m = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    if (maskTruncated && truncated[i]) continue;
    for (const p of positions[i]) {
      if (!(p >= i * cols && p < (i + 1) * cols)) {
        throw new ObjectiveError(
          `completion ${i}: position ${p} outside its row [${i * cols}, ${(i + 1) * cols})`,
        );
      }
      m[p] = 1;
    }
  }
  return m;
}

/** Positions of completions laid out from column 0 of each row (`lengths[i]` tokens). */
export function leftAlignedPositions(lengths: ArrayLike<number>, cols: number): number[][] {
  return Array.from(lengths as ArrayLike<number>, (n, i) => {
    if (n > cols) throw new ObjectiveError(`completion ${i} has ${n} tokens, more than ${cols}`);
    return Array.from({ length: n }, (_, k) => i * cols + k);
  });
}

/** Per-sequence weights w_i for a loss variant (see module doc); `batchTokens` is dapo's N. */
export function sequenceWeights(
  loss: LossType,
  mask: Float32Array,
  nSeq: number,
  maxLen: number,
  maxCompletion: number,
  batchTokens?: number,
): Float32Array<ArrayBuffer> {
  if (mask.length !== nSeq * maxLen) {
    throw new ObjectiveError(`mask has ${mask.length} entries, expected ${nSeq}×${maxLen}`);
  }
  const active = new Float64Array(nSeq);
  let total = 0;
  for (let i = 0; i < nSeq; i++) {
    let s = 0;
    for (let t = 0; t < maxLen; t++) s += mask[i * maxLen + t];
    active[i] = s;
    total += s;
  }
  const w = new Float32Array(nSeq);
  for (let i = 0; i < nSeq; i++) {
    switch (loss) {
      case "grpo":
        w[i] = 1 / (nSeq * Math.max(1, active[i]));
        break;
      case "bnpo":
        w[i] = 1 / Math.max(1, total);
        break;
      case "dr_grpo":
        w[i] = 1 / (nSeq * maxCompletion);
        break;
      case "dapo":
        w[i] = 1 / Math.max(1, batchTokens ?? total);
        break;
      default:
        throw new ObjectiveError(`unknown loss type ${loss}`);
    }
  }
  return w;
}
