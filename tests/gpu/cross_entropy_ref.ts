/** Float64 CPU reference of kernels/cross_entropy.wgsl. */

/** Row logsumexp of scale * logits[row] in float64. */
export function rowLse(logits: ArrayLike<number>, row: number, V: number, scale = 1): number {
  let m = -Infinity;
  for (let i = 0; i < V; i++) m = Math.max(m, scale * logits[row * V + i]);
  let s = 0;
  for (let i = 0; i < V; i++) s += Math.exp(scale * logits[row * V + i] - m);
  return m + Math.log(s);
}

/** Masked cross-entropy per row and its gradient scaled by `factor`. */
export function crossEntropyRef(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  mask: ArrayLike<number>,
  N: number,
  V: number,
  factor: number,
): { loss: Float64Array; dlogits: Float64Array } {
  const loss = new Float64Array(N);
  const dlogits = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    if (mask[n] === 0) continue;
    const lse = rowLse(logits, n, V);
    loss[n] = mask[n] * (lse - logits[n * V + targets[n]]);
    for (let i = 0; i < V; i++) {
      const p = Math.exp(logits[n * V + i] - lse);
      dlogits[n * V + i] = factor * mask[n] * (p - (i === targets[n] ? 1 : 0));
    }
  }
  return { loss, dlogits };
}
