/** Float64 reference for RoPE (rotate_half) with the angle rounded to float32 as HF computes it. */
import { ropeInvFreq } from "../../lib/gpu/ops/rope.ts";

/** out = RoPE(x) (sign = 1) or its inverse (sign = -1) on a [rows, heads, headDim] tensor. */
export function ropeRef(
  x: ArrayLike<number>,
  o: {
    rows: number;
    seq: number;
    heads: number;
    headDim: number;
    theta: number;
    posOffset: number;
    collapse?: number;
  },
  sign: 1 | -1,
  positions?: ArrayLike<number>,
): Float64Array {
  const half = o.headDim / 2;
  const inv = ropeInvFreq(o.theta, o.headDim);
  const out = new Float64Array(o.rows * o.heads * o.headDim);
  for (let r = 0; r < o.rows; r++) {
    const c = o.collapse ?? 0;
    const pos = positions ? positions[r] : o.posOffset + Math.max(r % o.seq, c) - c;
    for (let h = 0; h < o.heads; h++) {
      for (let i = 0; i < half; i++) {
        const a = Math.fround(Math.fround(pos) * inv[i]);
        const c = Math.cos(a), s = sign * Math.sin(a);
        const b = (r * o.heads + h) * o.headDim;
        const x1 = x[b + i], x2 = x[b + i + half];
        out[b + i] = x1 * c - x2 * s;
        out[b + i + half] = x2 * c + x1 * s;
      }
    }
  }
  return out;
}
