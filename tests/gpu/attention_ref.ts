/** Float64 CPU reference of kernels/attention.wgsl (same layouts and mask). */

/** Dimensions of a reference attention call. */
export interface AttnDims {
  B: number;
  T: number;
  Hq: number;
  Hkv: number;
  D: number;
  prefix: number;
  scale: number;
  lens?: number[];
}

function visibleEnd(i: number, len: number, prefix: number): number {
  return Math.min(len, Math.max(i + 1, prefix));
}

/** Forward: out [B,T,Hq,D] and lse [B,Hq,T] (padding rows: zeros). */
export function attentionRef(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  a: AttnDims,
): { out: Float64Array; lse: Float64Array } {
  const { B, T, Hq, Hkv, D, prefix, scale } = a;
  const G = Hq / Hkv;
  const out = new Float64Array(B * T * Hq * D);
  const lse = new Float64Array(B * Hq * T);
  for (let b = 0; b < B; b++) {
    const len = Math.min(a.lens?.[b] ?? T, T);
    for (let i = 0; i < len; i++) {
      for (let h = 0; h < Hq; h++) {
        const hk = Math.floor(h / G);
        const qo = ((b * T + i) * Hq + h) * D;
        const end = visibleEnd(i, len, prefix);
        const s = new Float64Array(end);
        let m = -Infinity;
        for (let j = 0; j < end; j++) {
          const ko = ((b * T + j) * Hkv + hk) * D;
          let acc = 0;
          for (let d = 0; d < D; d++) acc += q[qo + d] * k[ko + d];
          s[j] = acc * scale;
          m = Math.max(m, s[j]);
        }
        let z = 0;
        for (let j = 0; j < end; j++) z += Math.exp(s[j] - m);
        for (let j = 0; j < end; j++) {
          const pj = Math.exp(s[j] - m) / z;
          const ko = ((b * T + j) * Hkv + hk) * D;
          for (let d = 0; d < D; d++) out[qo + d] += pj * v[ko + d];
        }
        lse[(b * Hq + h) * T + i] = m + Math.log(z);
      }
    }
  }
  return { out, lse };
}

/** Backward: dq, dk, dv of sum(out * dout), analytically, in float64. */
export function attentionBackwardRef(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  dout: ArrayLike<number>,
  a: AttnDims,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { B, T, Hq, Hkv, D, prefix, scale } = a;
  const G = Hq / Hkv;
  const { out, lse } = attentionRef(q, k, v, a);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  for (let b = 0; b < B; b++) {
    const len = Math.min(a.lens?.[b] ?? T, T);
    for (let i = 0; i < len; i++) {
      for (let h = 0; h < Hq; h++) {
        const hk = Math.floor(h / G);
        const qo = ((b * T + i) * Hq + h) * D;
        let delta = 0;
        for (let d = 0; d < D; d++) delta += dout[qo + d] * out[qo + d];
        const l = lse[(b * Hq + h) * T + i];
        for (let j = 0; j < visibleEnd(i, len, prefix); j++) {
          const ko = ((b * T + j) * Hkv + hk) * D;
          let s = 0, dp = 0;
          for (let d = 0; d < D; d++) {
            s += q[qo + d] * k[ko + d];
            dp += dout[qo + d] * v[ko + d];
          }
          const pj = Math.exp(s * scale - l);
          const ds = pj * (dp - delta);
          for (let d = 0; d < D; d++) {
            dv[ko + d] += pj * dout[qo + d];
            dq[qo + d] += scale * ds * k[ko + d];
            dk[ko + d] += scale * ds * q[qo + d];
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}
