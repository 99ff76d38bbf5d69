/** SwiGLU (silu(gate) * up), forward and backward, on separate or fused gate/up buffers. */
import { grid1d, kernel, type Recorder, type Tensor, uniforms } from "../context.ts";
import { dims, distinct, need } from "./util.ts";

/** Shapes: gate, up and out are [rows, dim]. */
export interface SwigluOptions {
  rows: number;
  dim: number;
}

function forwardPipeline(r: Recorder): GPUComputePipeline {
  return kernel(r.gpu, {
    file: "swiglu.wgsl",
    entry: "forward",
    defines: { FORWARD: true, BACKWARD: false, FUSED: false },
  });
}

function backwardPipeline(r: Recorder, fused: boolean): GPUComputePipeline {
  return kernel(r.gpu, {
    file: "swiglu.wgsl",
    entry: "backward",
    defines: { FORWARD: false, BACKWARD: true, FUSED: fused },
  });
}

/** out = silu(gate) * up, gate and up separate [rows, dim] tensors. */
export function swigluForward(
  r: Recorder,
  out: Tensor,
  gate: Tensor,
  up: Tensor,
  opts: SwigluOptions,
): void {
  const { rows, dim } = opts;
  dims("swigluForward", { rows, dim });
  for (const [k, t] of Object.entries({ out, gate, up })) need("swigluForward", k, t, rows * dim);
  distinct("swigluForward", { out, gate });
  distinct("swigluForward", { out, up });
  r.dispatch(
    forwardPipeline(r),
    uniforms([rows, dim, dim, 0, dim, 0, 0, 0]),
    [gate.buffer, up.buffer, out.buffer],
    grid1d(rows * dim, 256),
    "swiglu fwd",
  );
}

/** dgate, dup from dout (all [rows, dim]); overwrites dgate and dup. */
export function swigluBackward(
  r: Recorder,
  dgate: Tensor,
  dup: Tensor,
  dout: Tensor,
  gate: Tensor,
  up: Tensor,
  opts: SwigluOptions,
): void {
  const { rows, dim } = opts;
  dims("swigluBackward", { rows, dim });
  for (const [k, t] of Object.entries({ dgate, dup, dout, gate, up })) {
    need("swigluBackward", k, t, rows * dim);
  }
  distinct("swigluBackward", { dgate, dup, dout, gate });
  distinct("swigluBackward", { dgate, dup, up });
  r.dispatch(
    backwardPipeline(r, false),
    uniforms([rows, dim, dim, 0, dim, 0, 0, 0]),
    [dout.buffer, gate.buffer, up.buffer, dgate.buffer, dup.buffer],
    grid1d(rows * dim, 256),
    "swiglu bwd",
  );
}

/** out[rows, dim] = silu(gu[:, :dim]) * gu[:, dim:], gu the [rows, 2*dim] output of one matmul. */
export function swigluForwardFused(
  r: Recorder,
  out: Tensor,
  gu: Tensor,
  opts: SwigluOptions,
): void {
  const { rows, dim } = opts;
  dims("swigluForwardFused", { rows, dim });
  need("swigluForwardFused", "gu", gu, rows * 2 * dim);
  need("swigluForwardFused", "out", out, rows * dim);
  distinct("swigluForwardFused", { out, gu });
  r.dispatch(
    forwardPipeline(r),
    uniforms([rows, dim, 2 * dim, 0, 2 * dim, dim, 0, 0]),
    [gu.buffer, gu.buffer, out.buffer],
    grid1d(rows * dim, 256),
    "swiglu fwd",
  );
}

/** dgu[rows, 2*dim] (gate half | up half) from dout[rows, dim]; overwrites dgu. */
export function swigluBackwardFused(
  r: Recorder,
  dgu: Tensor,
  dout: Tensor,
  gu: Tensor,
  opts: SwigluOptions,
): void {
  const { rows, dim } = opts;
  dims("swigluBackwardFused", { rows, dim });
  need("swigluBackwardFused", "gu", gu, rows * 2 * dim);
  need("swigluBackwardFused", "dgu", dgu, rows * 2 * dim);
  need("swigluBackwardFused", "dout", dout, rows * dim);
  distinct("swigluBackwardFused", { dgu, dout, gu });
  r.dispatch(
    backwardPipeline(r, true),
    uniforms([rows, dim, 2 * dim, 0, 2 * dim, dim, 0, 0]),
    [dout.buffer, gu.buffer, gu.buffer, dgu.buffer],
    grid1d(rows * dim, 256),
    "swiglu bwd",
  );
}
