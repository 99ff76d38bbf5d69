/** Float64 CPU references of kernels/logprob.wgsl and kernels/entropy.wgsl. */

import { rowLse } from "./cross_entropy_ref.ts";

/** logp[n] = log softmax(scale * logits[n])[targets[n]]. */
export function logprobRef(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  N: number,
  V: number,
  scale: number,
): Float64Array {
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    out[n] = scale * logits[n * V + targets[n]] - rowLse(logits, n, V, scale);
  }
  return out;
}

/** dlogits of sum_n g[n] logp[n]. */
export function logprobBackwardRef(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  g: ArrayLike<number>,
  N: number,
  V: number,
  scale: number,
): Float64Array {
  const d = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    const lse = rowLse(logits, n, V, scale);
    for (let i = 0; i < V; i++) {
      const p = Math.exp(scale * logits[n * V + i] - lse);
      d[n * V + i] = g[n] * scale * ((i === targets[n] ? 1 : 0) - p);
    }
  }
  return d;
}

/** Entropy of softmax(scale * logits[n]) per row. */
export function entropyRef(
  logits: ArrayLike<number>,
  N: number,
  V: number,
  scale: number,
): Float64Array {
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const lse = rowLse(logits, n, V, scale);
    let h = 0;
    for (let i = 0; i < V; i++) {
      const lp = scale * logits[n * V + i] - lse;
      h -= Math.exp(lp) * lp;
    }
    out[n] = h;
  }
  return out;
}
