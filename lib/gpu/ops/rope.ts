/** Rotary position embedding (Qwen2/HF rotate_half convention), forward and backward. */
import { constBuffer, grid1d, kernel, type Recorder, type Tensor, uniforms } from "../context.ts";
import { dims, distinct, need } from "./util.ts";

/**
 * Shapes of RoPE over tokens laid out [rows = batch * seq, heads, headDim] inside rows of
 * `inStride` elements starting at column `inOffset` (defaults heads * headDim and 0, i.e. a plain
 * [rows, heads * headDim] tensor); likewise for the output.
 */
export interface RopeOptions {
  rows: number;
  /** Sequence length: token r is token r % seq of its sequence (unless positions are given). */
  seq: number;
  heads: number;
  headDim: number;
  theta: number;
  /** Position of the first token of each sequence (decoding continues from the cache length). */
  posOffset: number;
  /**
   * The first `collapse + 1` tokens of each sequence share position posOffset and token s > collapse
   * sits at posOffset + s - collapse (an image prefix of collapse + 1 tokens at one position; see
   * ModelConfig.shared_image_position). Default 0: plain 1D positions.
   */
  collapse?: number;
  inStride?: number;
  inOffset?: number;
  outStride?: number;
  outOffset?: number;
}

/** The HF inverse-frequency table, computed as HF does (float32 of theta^(-2i/d)). */
export function ropeInvFreq(theta: number, headDim: number): Float32Array<ArrayBuffer> {
  const half = headDim / 2;
  const f = new Float32Array(half);
  for (let i = 0; i < half; i++) f[i] = 1 / Math.pow(theta, (2 * i) / headDim);
  return f;
}

function rope(
  r: Recorder,
  out: Tensor,
  x: Tensor,
  opts: RopeOptions,
  backward: boolean,
  positions?: Tensor,
): void {
  const name = backward ? "ropeBackward" : "ropeForward";
  const { rows, seq, heads, headDim } = opts;
  const collapse = opts.collapse ?? 0;
  dims(name, { rows, seq, heads, headDim });
  if (!Number.isInteger(collapse) || collapse < 0 || collapse >= seq) {
    throw new Error(`${name}: collapse ${collapse} must be an integer in [0, seq ${seq})`);
  }
  if (headDim % 2 !== 0) throw new Error(`${name}: headDim ${headDim} must be even`);
  const width = heads * headDim;
  const inStride = opts.inStride ?? width, inOffset = opts.inOffset ?? 0;
  const outStride = opts.outStride ?? width, outOffset = opts.outOffset ?? 0;
  need(name, "x", x, (rows - 1) * inStride + inOffset + width);
  need(name, "out", out, (rows - 1) * outStride + outOffset + width);
  distinct(name, { out, x });
  if (positions) need(name, "positions", positions, rows);
  const inv = constBuffer(
    r.gpu,
    `rope.invfreq.${opts.theta}.${headDim}`,
    () => ropeInvFreq(opts.theta, headDim),
  );
  const pos = positions?.buffer ?? constBuffer(r.gpu, "rope.nopos", () => new Uint32Array(4));
  const flag = (backward ? 1 : 0) | (positions ? 2 : 0);
  const p = kernel(r.gpu, { file: "rope.wgsl" });
  r.dispatch(
    p,
    uniforms([
      rows,
      seq,
      heads,
      headDim,
      inStride,
      inOffset,
      outStride,
      outOffset,
      opts.posOffset,
      flag,
      collapse,
      0,
    ]),
    [x.buffer, out.buffer, inv, pos],
    grid1d(rows * heads * (headDim / 2), 256),
    backward ? "rope bwd" : "rope fwd",
  );
}

/** out = RoPE(x); `positions` (u32[rows]) overrides the positions from posOffset/collapse. */
export function ropeForward(
  r: Recorder,
  out: Tensor,
  x: Tensor,
  opts: RopeOptions,
  positions?: Tensor,
): void {
  rope(r, out, x, opts, false, positions);
}

/** dx = RoPE⁻¹(dy) (rotation by the negated angle), same layout options as the forward. */
export function ropeBackward(
  r: Recorder,
  dx: Tensor,
  dy: Tensor,
  opts: RopeOptions,
  positions?: Tensor,
): void {
  rope(r, dx, dy, opts, true, positions);
}
