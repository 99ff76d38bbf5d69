/** Shared checks for op wrappers: every op validates sizes before recording, with context. */
import { type Gpu, GpuError, type Tensor } from "../context.ts";

/** Whether this device is a CPU (software) adapter. */
export function isCpuAdapter(gpu: Gpu): boolean {
  return gpu.isFallback || /llvmpipe|lavapipe|swiftshader|software/i.test(gpu.adapter);
}

/**
 * llvmpipe (Mesa's software adapter) stops an invocation's loops after 65535 iterations in total,
 * counting every pass of every loop, nested or not, and the results are then silently wrong
 * (measured with LLVM 15: a 70000-trip loop ran 65535 times; two 40000-trip loops in a row ran
 * 40000 and 25534 times; workgroup barriers do not reset the count). Constant-trip inner loops
 * of up to 32 passes are unrolled and do not count. Ops keep each invocation's loop passes below
 * `SOFTWARE_LOOP_BUDGET` on software adapters, by splitting the work or by refusing the shape.
 */
export const SOFTWARE_LOOP_CAP = 65535;

/** Loop passes an op may plan per invocation on a software adapter (the cap less a margin). */
export const SOFTWARE_LOOP_BUDGET = 60000;

/**
 * Throw a GpuError when an invocation of `op` would run more than `SOFTWARE_LOOP_BUDGET` loop
 * passes (`passes`, the op's worst case for this shape) on a software adapter; no-op elsewhere.
 */
export function loopBudget(gpu: Gpu, op: string, passes: number, shape: string): void {
  if (passes <= SOFTWARE_LOOP_BUDGET || !isCpuAdapter(gpu)) return;
  throw new GpuError(
    `${op}: ${shape} needs up to ${Math.ceil(passes)} loop passes per shader invocation, but ` +
      `${gpu.adapter} silently stops an invocation's loops after ${SOFTWARE_LOOP_CAP} (wrong ` +
      `results); use a smaller shape or a hardware GPU`,
  );
}

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
