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
  for (const k in d) {
    const v = d[k];
    if (!Number.isInteger(v) || v < 1) {
      throw new GpuError(`${op}: ${k} must be a positive integer, got ${v}`);
    }
  }
}

/** Throw when two tensors that must not alias share a buffer (WebGPU forbids writable aliasing). */
export function distinct(op: string, ts: Record<string, Tensor>): void {
  // Called for every dispatch with 2-4 tensors: pairwise checks beat building a map.
  const keys = Object.keys(ts);
  for (let i = 1; i < keys.length; i++) {
    for (let j = 0; j < i; j++) {
      if (ts[keys[i]].buffer === ts[keys[j]].buffer) {
        throw new GpuError(`${op}: ${keys[i]} and ${keys[j]} must be different tensors`);
      }
    }
  }
}
