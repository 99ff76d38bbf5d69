/** Float64 reference for matmul (all layouts, batched, bias, accumulate) and its error bound. */

/** Options mirroring `MatmulOptions` (strides resolved). */
export interface MatmulRefOptions {
  m: number;
  n: number;
  k: number;
  batch: number;
  transA: boolean;
  transB: boolean;
  strideA: number;
  strideB: number;
  strideC: number;
  alpha: number;
}

/**
 * C (float64) = alpha · op(A) · op(B) (+ bias) (+ c0), and per-element forward error bound
 * (k + 4) u (|alpha| sum|a b| + |bias| + |c0|) for float32 evaluation in any summation order.
 */
export function matmulRef(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  o: MatmulRefOptions,
  bias?: ArrayLike<number>,
  c0?: ArrayLike<number>,
): { c: Float64Array; bound: Float64Array } {
  const size = (o.batch - 1) * o.strideC + o.m * o.n;
  const c = new Float64Array(size);
  const bound = new Float64Array(size);
  if (c0) { for (let i = 0; i < size; i++) c[i] = c0[i]; }
  const u = 2 ** -24;
  for (let z = 0; z < o.batch; z++) {
    for (let i = 0; i < o.m; i++) {
      for (let j = 0; j < o.n; j++) {
        let s = 0, sa = 0;
        for (let t = 0; t < o.k; t++) {
          const av = a[z * o.strideA + (o.transA ? t * o.m + i : i * o.k + t)];
          const bv = b[z * o.strideB + (o.transB ? j * o.k + t : t * o.n + j)];
          s += av * bv;
          sa += Math.abs(av * bv);
        }
        const ci = z * o.strideC + i * o.n + j;
        const extra = (bias ? bias[j] : 0) + (c0 ? c0[ci] : 0);
        c[ci] = o.alpha * s + extra;
        bound[ci] = (o.k + 4) * u *
          (Math.abs(o.alpha) * sa + Math.abs(bias ? bias[j] : 0) + Math.abs(c0 ? c0[ci] : 0));
      }
    }
  }
  return { c, bound };
}

/** Backward of y = x Wᵀ + b: dx = dy W, dW = dyᵀ x, db = colsum(dy), all float64. */
export function linearBackwardRef(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  rows: number,
  inDim: number,
  outDim: number,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const dx = new Float64Array(rows * inDim);
  const dw = new Float64Array(outDim * inDim);
  const db = new Float64Array(outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      const g = dy[r * outDim + o];
      db[o] += g;
      for (let i = 0; i < inDim; i++) {
        dx[r * inDim + i] += g * w[o * inDim + i];
        dw[o * inDim + i] += g * x[r * inDim + i];
      }
    }
  }
  return { dx, dw, db };
}

/** Forward of the linear layer in float64: y = x Wᵀ + b. */
export function linearRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  b: ArrayLike<number> | null,
  rows: number,
  inDim: number,
  outDim: number,
): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i] * w[o * inDim + i];
      y[r * outDim + o] = s;
    }
  }
  return y;
}
