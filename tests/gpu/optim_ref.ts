/** Float64 reference for global-norm clipping and AdamW (PyTorch semantics). */

/** [sum of squares, norm, clip factor] over all gradients. */
export function gradNormRef(grads: ArrayLike<number>[], maxNorm: number): [number, number, number] {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  const norm = Math.sqrt(s);
  const clip = maxNorm > 0 && Number.isFinite(norm) ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
  return [s, norm, clip];
}

/** One AdamW step in place on w, m, v (float64 arrays). */
export function adamwRef(
  w: Float64Array,
  m: Float64Array,
  v: Float64Array,
  grad: ArrayLike<number>,
  clip: number,
  o: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number },
): void {
  const bc1 = 1 - o.beta1 ** o.step, bc2 = 1 - o.beta2 ** o.step;
  for (let i = 0; i < w.length; i++) {
    const g = grad[i] * clip;
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
    w[i] = w[i] * (1 - o.lr * o.weightDecay) -
      (o.lr / bc1) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + o.eps);
  }
}
