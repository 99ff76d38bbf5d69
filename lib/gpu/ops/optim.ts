/** Global-norm gradient clipping (norm on the GPU) and AdamW, with no readback inside a step. */
import {
  constBuffer,
  GpuError,
  grid1d,
  kernel,
  type Recorder,
  scratchBuffer,
  type Tensor,
  uniforms,
} from "../context.ts";
import { distinct, loopBudget, need } from "./util.ts";

/** Elements per level-1 partial of the gradient norm (grad_norm.wgsl CHUNK). */
const NORM_CHUNK = 4096;

/**
 * norm (f32[3]) = [sum of squares, global L2 norm, clip factor] over all `grads`, reduced in a
 * fixed order; clip = min(1, maxNorm / (norm + 1e-6)), or 1 when maxNorm <= 0 (no clipping).
 * Read `norm` back after the step for the `grad_norm` metric; pass it to `adamwStep`.
 */
export function gradNorm(
  r: Recorder,
  norm: Tensor,
  grads: Tensor[],
  opts: { maxNorm: number },
): void {
  need("gradNorm", "norm", norm, 3);
  if (grads.length === 0) throw new GpuError("gradNorm: no gradient tensors");
  for (const g of grads) distinct("gradNorm", { norm, grad: g });
  const slots = grads.map((g) => Math.ceil(g.size / NORM_CHUNK));
  const total = slots.reduce((a, b) => a + b, 0);
  // The finishing thread sums every 256th partial: total / 256 passes.
  loopBudget(r.gpu, "gradNorm", Math.ceil(total / 256) + 16, `${total} partial sums`);
  const part = scratchBuffer(r.gpu, "gradnorm.part", total * 4);
  const pSum = kernel(r.gpu, {
    file: "grad_norm.wgsl",
    entry: "sumsq",
    defines: { SUMSQ: true, FINISH: false },
  });
  let slot0 = 0;
  grads.forEach((g, i) => {
    r.dispatch(
      pSum,
      uniforms([g.size, slot0, total], [opts.maxNorm]),
      [g.buffer, part],
      grid1d(g.size, NORM_CHUNK),
      "grad norm sumsq",
    );
    slot0 += slots[i];
  });
  const pFin = kernel(r.gpu, {
    file: "grad_norm.wgsl",
    entry: "finish",
    defines: { SUMSQ: false, FINISH: true },
  });
  r.dispatch(
    pFin,
    uniforms([0, 0, total], [opts.maxNorm]),
    [part, norm.buffer],
    [1],
    "grad norm finish",
  );
}

/** Hyper-parameters of one AdamW step (PyTorch `torch.optim.AdamW` semantics). */
export interface AdamwOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, for bias correction. */
  step: number;
}

/**
 * One AdamW update of `w` (and its moments m, v) from `grad` scaled by the clip factor in
 * `norm[2]` (from `gradNorm`); pass null for no clipping. All f32[w.size].
 */
export function adamwStep(
  r: Recorder,
  w: Tensor,
  m: Tensor,
  v: Tensor,
  grad: Tensor,
  norm: Tensor | null,
  opts: AdamwOptions,
): void {
  const n = w.size;
  need("adamwStep", "grad", grad, n);
  need("adamwStep", "m", m, n);
  need("adamwStep", "v", v, n);
  distinct("adamwStep", { w, m, v, grad });
  if (!Number.isInteger(opts.step) || opts.step < 1) {
    throw new GpuError(`adamwStep: step must be a positive integer, got ${opts.step}`);
  }
  const bc1 = 1 - Math.pow(opts.beta1, opts.step);
  const bc2 = 1 - Math.pow(opts.beta2, opts.step);
  const gn = norm?.buffer ??
    constBuffer(r.gpu, "adamw.noclip", () => new Float32Array([0, 0, 1, 0]));
  // One small buffer carries this step's lr and bias corrections to every tensor's update; it is
  // rewritten (inside the step, in order) only when they differ from what this step last set.
  const hyper = scratchBuffer(r.gpu, "adamw.hyper", 16);
  const set = [opts.lr, bc1, bc2];
  const last = r.memo.get("adamw.hyper") as number[] | undefined;
  if (!last || last.some((x, i) => x !== set[i])) {
    r.dispatch(
      kernel(r.gpu, { file: "adamw.wgsl", defines: { SET: true } }),
      uniforms([], [...set, 0]),
      [hyper],
      [1],
      "adamw hyper",
    );
    r.memo.set("adamw.hyper", set);
  }
  r.dispatch(
    kernel(r.gpu, { file: "adamw.wgsl", defines: { SET: false } }),
    uniforms([n], [opts.beta1, opts.beta2, opts.eps, opts.weightDecay]),
    [w.buffer, grad.buffer, m.buffer, v.buffer, gn, hyper],
    grid1d(n, 256),
    "adamw",
  );
}
