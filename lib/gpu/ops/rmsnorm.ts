/** RMSNorm forward and backward (Qwen2: y = x / rms(x) * w). */
import { grid1d, kernel, type Recorder, scratchBuffer, type Tensor, uniforms } from "../context.ts";
import { isCpuAdapter } from "./matmul.ts";
import { columnSum } from "./reduce.ts";

const NONE = { FORWARD: false, BACKWARD: false, ROWS: false, ROWS_BACKWARD: false };
import { dims, distinct, loopBudget, need } from "./util.ts";

/** Shapes of an RMSNorm over the last dimension of a row-major [rows, dim] tensor. */
export interface RmsnormOptions {
  rows: number;
  dim: number;
  eps: number;
  /**
   * One thread per row instead of a workgroup per row (default: on CPU adapters, where barriers
   * are expensive; the sums are then sequential, so results differ in the last bits).
   */
  threadPerRow?: boolean;
}

/** Loop passes of one invocation: two passes over the row, or over 1/128 of it plus reductions. */
function loopPasses(dim: number, perRow: boolean): number {
  return perRow ? 2 * dim : 2 * Math.ceil(dim / 128) + 32;
}

/** out = x * rstd * w per row; `saved` (f32[rows]) receives rstd when given. */
export function rmsnormForward(
  r: Recorder,
  out: Tensor,
  x: Tensor,
  w: Tensor,
  opts: RmsnormOptions,
  saved?: Tensor,
): void {
  const { rows, dim, eps } = opts;
  dims("rmsnormForward", { rows, dim });
  need("rmsnormForward", "x", x, rows * dim);
  need("rmsnormForward", "out", out, rows * dim);
  need("rmsnormForward", "w", w, dim);
  distinct("rmsnormForward", { out, x });
  if (saved) need("rmsnormForward", "saved", saved, rows);
  const rstd = saved?.buffer ?? scratchBuffer(r.gpu, "rmsnorm.rstd", 4);
  const perRow = opts.threadPerRow ?? isCpuAdapter(r.gpu);
  loopBudget(r.gpu, "rmsnormForward", loopPasses(dim, perRow), `dim ${dim}`);
  const p = kernel(r.gpu, {
    file: "rmsnorm.wgsl",
    entry: perRow ? "forward_rows" : "forward",
    defines: { ...NONE, [perRow ? "ROWS" : "FORWARD"]: true },
  });
  r.dispatch(
    p,
    uniforms([rows, dim, saved ? 1 : 0], [eps]),
    [x.buffer, w.buffer, out.buffer, rstd],
    grid1d(rows, perRow ? 64 : 1),
    "rmsnorm fwd",
  );
}

/**
 * Backward: dx (=|+= when accumulateDx) from dy, recomputing rstd from x; dw (=|+= when
 * accumulate) = sum over rows of dy * x * rstd, reduced in a fixed order. dw may be null.
 */
export function rmsnormBackward(
  r: Recorder,
  dx: Tensor,
  dw: Tensor | null,
  dy: Tensor,
  x: Tensor,
  w: Tensor,
  opts: RmsnormOptions & { accumulateDx: boolean; accumulate: boolean },
): void {
  const { rows, dim, eps } = opts;
  dims("rmsnormBackward", { rows, dim });
  need("rmsnormBackward", "x", x, rows * dim);
  need("rmsnormBackward", "dy", dy, rows * dim);
  need("rmsnormBackward", "dx", dx, rows * dim);
  need("rmsnormBackward", "w", w, dim);
  distinct("rmsnormBackward", { dx, dy });
  distinct("rmsnormBackward", { dx, x });
  const rstd = scratchBuffer(r.gpu, "rmsnorm.rstd", rows * 4);
  const perRow = opts.threadPerRow ?? isCpuAdapter(r.gpu);
  loopBudget(r.gpu, "rmsnormBackward", loopPasses(dim, perRow), `dim ${dim}`);
  const p = kernel(r.gpu, {
    file: "rmsnorm.wgsl",
    entry: perRow ? "backward_rows" : "backward",
    defines: { ...NONE, [perRow ? "ROWS_BACKWARD" : "BACKWARD"]: true },
  });
  r.dispatch(
    p,
    uniforms([rows, dim, opts.accumulateDx ? 1 : 0], [eps]),
    [dy.buffer, x.buffer, w.buffer, dx.buffer, rstd],
    grid1d(rows, perRow ? 64 : 1),
    "rmsnorm bwd",
  );
  if (dw) {
    columnSum(
      r,
      dw,
      dy,
      { rows, cols: dim, accumulate: opts.accumulate, label: "rmsnorm bwd dw" },
      {
        x,
        rstd,
      },
    );
  }
}
