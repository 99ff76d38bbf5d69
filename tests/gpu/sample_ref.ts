/** CPU reference of kernels/sample.wgsl (float64 weights, same ranking and draw semantics). */

import { samplingUniform } from "../../lib/gpu/philox.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The order-preserving u32 of an f32 (as order_key in the kernel). */
export function orderKey(x: number): number {
  f32[0] = x;
  const b = u32[0];
  return (b & 0x80000000) !== 0 ? (~b) >>> 0 : (b | 0x80000000) >>> 0;
}

/** Settings of one reference draw. */
export interface SampleRefOptions {
  temperature: number;
  topK: number;
  topP: number;
}

/** Kept token indices (vocabulary order) and their float64 weights for one row of logits. */
export function keptSet(
  row: ArrayLike<number>,
  o: SampleRefOptions,
): { idx: number[]; w: Float64Array } {
  const V = row.length;
  const keys = Array.from(row, orderKey);
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => keys[b] - keys[a] || a - b);
  const lmax = Math.fround(row[order[0]]);
  const w = Float64Array.from(row, (l) => Math.exp((l - lmax) / o.temperature));
  let ranked = order;
  if (o.topK > 0 && o.topK < V) ranked = ranked.slice(0, o.topK);
  if (o.topP < 1) {
    const zk = ranked.reduce((a, i) => a + w[i], 0);
    const target = o.topP * zk;
    let mass = 0, n = 0;
    while (n < ranked.length && mass < target) mass += w[ranked[n++]];
    ranked = ranked.slice(0, Math.max(1, n));
  }
  const idx = ranked.slice().sort((a, b) => a - b);
  return { idx, w };
}

/** The token the kernel must choose for uniform `u` (greedy when temperature is 0). */
export function sampleRowRef(row: ArrayLike<number>, o: SampleRefOptions, u: number): number {
  if (o.temperature === 0) {
    let best = 0;
    for (let i = 1; i < row.length; i++) if (orderKey(row[i]) > orderKey(row[best])) best = i;
    return best;
  }
  const { idx, w } = keptSet(row, o);
  const total = idx.reduce((a, i) => a + w[i], 0);
  const target = u * total;
  let acc = 0;
  for (const i of idx) {
    acc += w[i];
    if (acc > target) return i;
  }
  return idx[idx.length - 1];
}

/** Reference tokens for a batch: logits [B, V], per-row sequence id and position. */
export function sampleRef(
  logits: ArrayLike<number>,
  B: number,
  V: number,
  seqIds: ArrayLike<number>,
  positions: ArrayLike<number>,
  o: SampleRefOptions & { seed: number; step: number },
): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const row = Array.prototype.slice.call(logits, b * V, (b + 1) * V) as number[];
    out.push(sampleRowRef(row, o, samplingUniform(o.seed, o.step, seqIds[b], positions[b])));
  }
  return out;
}
