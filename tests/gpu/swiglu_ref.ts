/** Float64 reference for SwiGLU: out = silu(g) * u and its gradients. */

const sig = (g: number) => 1 / (1 + Math.exp(-g));

/** out = g * sigmoid(g) * u element-wise. */
export function swigluRef(g: ArrayLike<number>, u: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: g.length }, (_, i) => g[i] * sig(g[i]) * u[i]);
}

/** Gradients with respect to g and u given the upstream gradient d. */
export function swigluBackwardRef(
  d: ArrayLike<number>,
  g: ArrayLike<number>,
  u: ArrayLike<number>,
): { dg: Float64Array; du: Float64Array } {
  const dg = new Float64Array(g.length), du = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) {
    const s = sig(g[i]);
    dg[i] = d[i] * u[i] * s * (1 + g[i] * (1 - s));
    du[i] = d[i] * g[i] * s;
  }
  return { dg, du };
}
