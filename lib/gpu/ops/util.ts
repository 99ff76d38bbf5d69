/** Shared checks for op wrappers: every op validates sizes before recording, with context. */
import { GpuError, type Tensor } from "../context.ts";

/** Throw unless `t` holds at least `need` elements. */
export function need(op: string, name: string, t: Tensor, need: number): void {
  if (t.size < need) {
    throw new GpuError(`${op}: ${name} [${t.shape}] holds ${t.size} values, needs ${need}`);
  }
}

/** Throw unless every listed dimension is a positive integer (zero-sized work is rejected early). */
export function dims(op: string, d: Record<string, number>): void {
  for (const [k, v] of Object.entries(d)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new GpuError(`${op}: ${k} must be a positive integer, got ${v}`);
    }
  }
}

/** Throw when two tensors that must not alias share a buffer (WebGPU forbids writable aliasing). */
export function distinct(op: string, ts: Record<string, Tensor>): void {
  const seen = new Map<GPUBuffer, string>();
  for (const [k, t] of Object.entries(ts)) {
    const other = seen.get(t.buffer);
    if (other) throw new GpuError(`${op}: ${k} and ${other} must be different tensors`);
    seen.set(t.buffer, k);
  }
}
