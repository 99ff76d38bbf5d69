/**
 * Weight gradients dW[out, in] = dYᵀ[out, rows] · X[rows, in] with split-K. With many rows and a
 * small weight, one matmul has only a handful of output tiles to spread over the GPU; splitting
 * the rows into Z fixed chunks (a batched matmul into partials) and summing the partials in a
 * fixed order (`columnSum`) keeps every core busy and the result deterministic for a given shape.
 */
import {
  columnSum,
  linearBackward,
  matmul,
  type Recorder,
  scratchBuffer,
  type Tensor,
} from "../gpu/mod.ts";

/** Output tiles (128×128) below which a weight gradient is split over rows. */
const MIN_TILES = 64;
/** Fewest rows per chunk worth a separate partial. */
const MIN_CHUNK = 256;
/** Most chunks. */
const MAX_SPLIT = 32;

/** The number of row chunks used for a weight gradient of this shape (1 = no split). */
export function splitCount(rows: number, inDim: number, outDim: number): number {
  const tiles = Math.ceil(inDim / 128) * Math.ceil(outDim / 128);
  let z = 1;
  while (
    tiles * z < MIN_TILES && z * 2 <= MAX_SPLIT && rows % (z * 2) === 0 &&
    rows / (z * 2) >= MIN_CHUNK
  ) z *= 2;
  return z;
}

/** dW (=) dyᵀ · x for y = x · Wᵀ; dy [rows, outDim], x [rows, inDim], dW [outDim, inDim]. */
export function weightGrad(
  r: Recorder,
  dw: Tensor,
  dy: Tensor,
  x: Tensor,
  o: { rows: number; inDim: number; outDim: number },
): void {
  const z = splitCount(o.rows, o.inDim, o.outDim);
  if (z === 1) {
    linearBackward(r, null, dw, dy, x, dw, { ...o, accumulateDx: false, accumulate: false });
    return;
  }
  const chunk = o.rows / z, cols = o.outDim * o.inDim;
  const buf = scratchBuffer(r.gpu, "model.splitk", z * cols * 4);
  const part: Tensor = { buffer: buf, shape: [z, o.outDim, o.inDim], size: z * cols };
  matmul(r, part, dy, x, {
    m: o.outDim,
    n: o.inDim,
    k: chunk,
    batch: z,
    transA: true,
    strideA: chunk * o.outDim,
    strideB: chunk * o.inDim,
    strideC: cols,
    label: "linear bwd dw split",
  });
  columnSum(r, dw, part, { rows: z, cols, accumulate: false, label: "linear bwd dw sum" });
}
