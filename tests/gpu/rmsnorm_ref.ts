/** Float64 reference for RMSNorm forward and backward. */

/** y = x * rstd * w per row, rstd = 1 / sqrt(mean(x^2) + eps). */
export function rmsnormRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  rows: number,
  dim: number,
  eps: number,
): { y: Float64Array; rstd: Float64Array } {
  const y = new Float64Array(rows * dim), rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += x[r * dim + j] ** 2;
    const rs = 1 / Math.sqrt(s / dim + eps);
    rstd[r] = rs;
    for (let j = 0; j < dim; j++) y[r * dim + j] = x[r * dim + j] * rs * w[j];
  }
  return { y, rstd };
}

/** dx and dw of RMSNorm given the upstream gradient dy. */
export function rmsnormBackwardRef(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  rows: number,
  dim: number,
  eps: number,
): { dx: Float64Array; dw: Float64Array } {
  const dx = new Float64Array(rows * dim), dw = new Float64Array(dim);
  const { rstd } = rmsnormRef(x, w, rows, dim, eps);
  for (let r = 0; r < rows; r++) {
    const rs = rstd[r];
    let t = 0;
    for (let j = 0; j < dim; j++) t += dy[r * dim + j] * w[j] * x[r * dim + j];
    for (let j = 0; j < dim; j++) {
      const i = r * dim + j;
      dx[i] = rs * w[j] * dy[i] - x[i] * rs ** 3 * t / dim;
      dw[j] += dy[i] * x[i] * rs;
    }
  }
  return { dx, dw };
}
