/** Deterministic column reductions (bias gradients; RMSNorm's weight gradient reuses them). */
import { grid1d, kernel, type Recorder, scratchBuffer, type Tensor, uniforms } from "../context.ts";
import { dims, loopBudget, need } from "./util.ts";

/** Rows summed per partial: a function of the shape only, so results are reproducible. */
function chunking(rows: number): { chunk: number; chunks: number } {
  // About 128 partials: enough workgroups in pass 1, a short serial sum per column in pass 2.
  const chunk = Math.max(32, Math.ceil(rows / 128));
  return { chunk, chunks: Math.ceil(rows / chunk) };
}

/**
 * out[j] (=|+=) sum_r term(r, j) over a row-major [rows, cols] input, summed in a fixed order.
 * term = dy[r, j], or dy[r, j] * x[r, j] * rstd[r] when `rms` is given.
 */
export function columnSum(
  r: Recorder,
  out: Tensor,
  dy: Tensor,
  opts: { rows: number; cols: number; accumulate: boolean; label: string },
  rms?: { x: Tensor; rstd: GPUBuffer },
): void {
  const { rows, cols } = opts;
  dims("columnSum", { rows, cols });
  need(opts.label, "dy", dy, rows * cols);
  need(opts.label, "out", out, cols);
  const { chunk, chunks } = chunking(rows);
  loopBudget(r.gpu, "columnSum", Math.max(chunk, chunks), `${rows} rows`);
  const part = scratchBuffer(r.gpu, "colsum.part", chunks * cols * 4);
  const u = uniforms([rows, cols, chunk, chunks, opts.accumulate ? 1 : 0, 0, 0, 0]);
  const pPart = kernel(r.gpu, {
    file: "colsum.wgsl",
    entry: "partial",
    defines: { PARTIAL: true, FINISH: false, RMS: !!rms },
  });
  const bufs = [dy.buffer, part];
  if (rms) {
    need(opts.label, "x", rms.x, rows * cols);
    bufs.push(rms.x.buffer, rms.rstd);
  }
  r.dispatch(pPart, u, bufs, [Math.ceil(cols / 256), chunks], `${opts.label} partial`);
  const pFin = kernel(r.gpu, {
    file: "colsum.wgsl",
    entry: "finish",
    defines: { PARTIAL: false, FINISH: true, RMS: false },
  });
  r.dispatch(pFin, u, [part, out.buffer], grid1d(cols, 256), `${opts.label} finish`);
}

/** dbias[j] (=|+=) sum_r dy[r, j]: the gradient of a bias added to every row. */
export function biasBackward(
  r: Recorder,
  dbias: Tensor,
  dy: Tensor,
  opts: { rows: number; cols: number; accumulate: boolean },
): void {
  columnSum(r, dbias, dy, { ...opts, label: "bias bwd" });
}
