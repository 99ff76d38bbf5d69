/** Dispatch shapes, size checks and uniform packing for the attention, loss, decode and sampling ops. */

import { type Gpu, GpuError, kernel, type Recorder, type Tensor } from "../context.ts";
import { loopBudget } from "./util.ts";

/** Workgroups for `n` threads of `wg`-wide groups on a 2D grid (x fastest, at most 65535 wide). */
export function grid1d(n: number, wg: number): [number, number] {
  const groups = Math.ceil(n / wg);
  if (groups <= 65535) return [groups, 1];
  return [65535, Math.ceil(groups / 65535)];
}

/** Workgroups for one workgroup per row, `rows` rows, on a 2D grid (x fastest). */
export function gridRows(rows: number): [number, number] {
  if (rows <= 65535) return [rows, 1];
  return [65535, Math.ceil(rows / 65535)];
}

/**
 * Throw a GpuError naming the op when a tensor holds fewer than `want` elements (larger is fine:
 * arena buffers sized for the largest batch are used with smaller ones).
 */
export function expectSize(op: string, name: string, t: Tensor, want: number): void {
  if (t.size < want) {
    throw new GpuError(`${op}: ${name} has ${t.size} elements [${t.shape}], needs ${want}`);
  }
}

/** Throw a GpuError naming the op when a dimension is not a positive integer. */
export function expectDims(op: string, dims: Record<string, number>): void {
  for (const k in dims) {
    const v = dims[k];
    if (!Number.isInteger(v) || v < 1) {
      throw new GpuError(`${op}: ${k} must be a positive integer, got ${v}`);
    }
  }
}

/** A little-endian params block from u32 and f32 fields, padded to 16 bytes. */
export function params(fields: ({ u: number } | { f: number })[]): Uint8Array {
  const n = Math.max(4, Math.ceil(fields.length / 4) * 4);
  const buf = new ArrayBuffer(n * 4);
  const view = new DataView(buf);
  fields.forEach((x, i) => {
    if ("u" in x) view.setUint32(i * 4, x.u >>> 0, true);
    else view.setFloat32(i * 4, x.f, true);
  });
  return new Uint8Array(buf);
}

/**
 * Row-wise kernels (loss, log-probabilities, entropy) use one thread per row up to this many
 * columns and one 64-thread workgroup per row beyond: on llvmpipe the workgroup variant's
 * barriers made cross-entropy over 2560 x 152 logits ~10x slower, and narrow rows give a GPU
 * too little work per row to share anyway. (A thread makes at most 3 passes over its row, far
 * below llvmpipe's silent cap of 65535 loop iterations per invocation.)
 */
export const THREAD_PER_ROW_MAX_COLS = 1024;

/** Entry point suffix and dispatch shape of a row-wise kernel for `rows` rows of `cols` columns. */
export function rowLaunch(rows: number, cols: number): { suffix: string; wg: [number, number] } {
  return cols <= THREAD_PER_ROW_MAX_COLS
    ? { suffix: "_rows", wg: grid1d(rows, 64) }
    : { suffix: "", wg: gridRows(rows) };
}

/**
 * Refuse row-wise kernels (loss, log-probabilities, entropy) whose per-invocation loops would
 * exceed a software adapter's cap: at most 4 passes over a row, per thread (thread per row) or
 * 1/64 of it plus two 64-step reductions per pass (workgroup per row).
 */
export function rowLoopBudget(gpu: Gpu, op: string, cols: number): void {
  const passes = cols <= THREAD_PER_ROW_MAX_COLS ? 4 * cols : 4 * (Math.ceil(cols / 64) + 2 * 64);
  loopBudget(gpu, op, passes, `rows of ${cols} columns`);
}

/**
 * Dispatch row-wise kernel `entry` of `file` over `rows` rows of `cols` columns: checks the loop
 * budget (naming `op`), then records the `entry` or `entry_rows` variant that `rowLaunch` picks.
 */
export function dispatchRows(
  r: Recorder,
  op: string,
  spec: { file: string; entry: string; rows: number; cols: number },
  uniforms: Uint8Array,
  buffers: GPUBuffer[],
): void {
  rowLoopBudget(r.gpu, op, spec.cols);
  const launch = rowLaunch(spec.rows, spec.cols);
  const entry = spec.entry + launch.suffix;
  r.dispatch(kernel(r.gpu, { file: spec.file, entry }), uniforms, buffers, launch.wg, entry);
}
