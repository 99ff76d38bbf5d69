/** Float64 CPU reference of kernels/decode.wgsl and kernels/kv_cache.wgsl. */

/** out[b, h] = softmax(scale q·k_j) v_j over cache rows j < lens[b]. */
export function decodeAttentionRef(
  q: ArrayLike<number>,
  kc: ArrayLike<number>,
  vc: ArrayLike<number>,
  lens: ArrayLike<number>,
  d: { B: number; Hq: number; Hkv: number; D: number; Tmax: number; scale: number },
): Float64Array {
  const { B, Hq, Hkv, D, Tmax, scale } = d;
  const out = new Float64Array(B * Hq * D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const hk = Math.floor(h / (Hq / Hkv));
      const qo = (b * Hq + h) * D;
      const len = Math.min(lens[b], Tmax);
      const s = new Float64Array(len);
      let m = -Infinity;
      for (let j = 0; j < len; j++) {
        const ko = ((b * Tmax + j) * Hkv + hk) * D;
        let acc = 0;
        for (let e = 0; e < D; e++) acc += q[qo + e] * kc[ko + e];
        s[j] = acc * scale;
        m = Math.max(m, s[j]);
      }
      let z = 0;
      for (let j = 0; j < len; j++) z += Math.exp(s[j] - m);
      for (let j = 0; j < len; j++) {
        const w = Math.exp(s[j] - m) / z;
        const ko = ((b * Tmax + j) * Hkv + hk) * D;
        for (let e = 0; e < D; e++) out[qo + e] += w * vc[ko + e];
      }
    }
  }
  return out;
}

/** The cache after writing src [B, Tn, row] at rows pos[b] + t (rows past Tmax dropped). */
export function kvCacheWriteRef(
  cache: ArrayLike<number>,
  src: ArrayLike<number>,
  pos: ArrayLike<number>,
  d: { B: number; Tn: number; Tmax: number; row: number },
): Float64Array {
  const out = Float64Array.from(cache);
  for (let b = 0; b < d.B; b++) {
    for (let t = 0; t < d.Tn; t++) {
      const dt = pos[b] + t;
      if (dt >= d.Tmax) continue;
      for (let e = 0; e < d.row; e++) {
        out[(b * d.Tmax + dt) * d.row + e] = src[(b * d.Tn + t) * d.row + e];
      }
    }
  }
  return out;
}
