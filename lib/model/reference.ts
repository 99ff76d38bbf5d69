/**
 * A plain float64 CPU forward of the whole VLM: the ground truth the GPU model is tested against
 * (logits, loss, log-probs, and through finite differences, gradients). Slow and obvious on
 * purpose; the sequence is [image tokens (bidirectional prefix)] + [text tokens (causal)].
 */
import { imageTokens, type ModelConfig, patchDim, pixelChannels, ropeCollapse } from "./config.ts";
import { blockNames, lmLayer, NAMES, type ParamSet, view, visionLayer } from "./params.ts";

/** Inputs of one batch. `images` is [B, H, W, 3] or null for text-only sequences. */
export interface RefBatch {
  batch: number;
  /** Text length per sequence (all sequences share it). */
  seq: number;
  images: Float32Array | null;
  /** Token ids [B, T]. */
  tokens: Int32Array | Uint32Array;
}

/**
 * Cut [B, H, W, 3] images into [B, P, ps*ps*C] patches, row-major patches, (y, x, channel) inside,
 * each RGB value standardised as (v - pixel_mean) / pixel_std; with `coord_channels` two more
 * channels per pixel: its x and y in (-1, 1) times max(0, standardised max(r, g, b)).
 */
export function patchify(c: ModelConfig, images: Float32Array, batch: number): Float64Array {
  const ps = c.patch_size, n = c.image_size, g = n / ps, pd = patchDim(c), P = imageTokens(c);
  const C = pixelChannels(c);
  const out = new Float64Array(batch * P * pd);
  for (let b = 0; b < batch; b++) {
    for (let py = 0; py < g; py++) {
      for (let px = 0; px < g; px++) {
        const base = (b * P + py * g + px) * pd;
        for (let iy = 0; iy < ps; iy++) {
          for (let ix = 0; ix < ps; ix++) {
            const y = py * ps + iy, x = px * ps + ix, at = base + (iy * ps + ix) * C;
            const src = ((b * n + y) * n + x) * 3, pixel = images.subarray(src, src + 3);
            for (let ch = 0; ch < 3; ch++) out[at + ch] = (pixel[ch] - c.pixel_mean) / c.pixel_std;
            if (C === 5) {
              const gate = Math.max(0, (Math.max(...pixel) - c.pixel_mean) / c.pixel_std);
              out[at + 3] = gate * ((2 * x + 1) / n - 1);
              out[at + 4] = gate * ((2 * y + 1) / n - 1);
            }
          }
        }
      }
    }
  }
  return out;
}

/** y[N, out] = x[N, in] · Wᵀ (+ b), W stored [out, in]. */
export function linear(
  x: Float64Array,
  n: number,
  w: Float32Array,
  inDim: number,
  outDim: number,
  b?: Float32Array,
): Float64Array {
  const y = new Float64Array(n * outDim);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < outDim; o++) {
      let s = b ? b[o] : 0;
      for (let k = 0; k < inDim; k++) s += x[i * inDim + k] * w[o * inDim + k];
      y[i * outDim + o] = s;
    }
  }
  return y;
}

/** Row-wise RMSNorm: x / sqrt(mean(x²) + eps) * w. */
export function rmsnorm(
  x: Float64Array,
  n: number,
  d: number,
  w: Float32Array,
  eps: number,
): Float64Array {
  const y = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let k = 0; k < d; k++) ss += x[i * d + k] ** 2;
    const r = 1 / Math.sqrt(ss / d + eps);
    for (let k = 0; k < d; k++) y[i * d + k] = x[i * d + k] * r * w[k];
  }
  return y;
}

/**
 * In-place rotate-half RoPE (HF convention) on [S, heads, hd]: token t at position
 * pos0 + max(t, collapse) - collapse (the first collapse + 1 tokens share pos0).
 */
export function rope(
  x: Float64Array,
  s: number,
  heads: number,
  hd: number,
  theta: number,
  pos0: number,
  collapse = 0,
): void {
  const half = hd / 2;
  for (let t = 0; t < s; t++) {
    const pos = pos0 + Math.max(t, collapse) - collapse;
    for (let h = 0; h < heads; h++) {
      const base = (t * heads + h) * hd;
      for (let i = 0; i < half; i++) {
        const inv = Math.pow(theta, -(2 * i) / hd);
        const a = pos * inv;
        const c = Math.cos(a), sn = Math.sin(a);
        const x1 = x[base + i], x2 = x[base + i + half];
        x[base + i] = x1 * c - x2 * sn;
        x[base + i + half] = x2 * c + x1 * sn;
      }
    }
  }
}

/**
 * Attention of one sequence: q [S, nh, hd], k/v [S, nkv, hd] → [S, nh*hd]. Position j is visible
 * from i when j <= i or j < prefix (the bidirectional prefix); query head h reads kv head
 * h / (nh / nkv).
 */
export function attention(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  s: number,
  nh: number,
  nkv: number,
  hd: number,
  prefix: number,
): Float64Array {
  const out = new Float64Array(s * nh * hd);
  const scale = 1 / Math.sqrt(hd);
  const group = nh / nkv;
  const sc = new Float64Array(s);
  for (let h = 0; h < nh; h++) {
    const kh = Math.floor(h / group);
    for (let i = 0; i < s; i++) {
      let m = -Infinity;
      for (let j = 0; j < s; j++) {
        if (!(j <= i || j < prefix)) {
          sc[j] = -Infinity;
          continue;
        }
        let d = 0;
        for (let e = 0; e < hd; e++) d += q[(i * nh + h) * hd + e] * k[(j * nkv + kh) * hd + e];
        sc[j] = d * scale;
        m = Math.max(m, sc[j]);
      }
      let z = 0;
      for (let j = 0; j < s; j++) {
        sc[j] = sc[j] === -Infinity ? 0 : Math.exp(sc[j] - m);
        z += sc[j];
      }
      for (let e = 0; e < hd; e++) {
        let acc = 0;
        for (let j = 0; j < s; j++) acc += sc[j] * v[(j * nkv + kh) * hd + e];
        out[(i * nh + h) * hd + e] = acc / z;
      }
    }
  }
  return out;
}

/** One pre-norm block on a single sequence x [S, d]; returns the new residual stream. */
function block(
  p: ParamSet,
  c: ModelConfig,
  prefix: string,
  x: Float64Array,
  s: number,
  heads: number,
  kvHeads: number,
  ff: number,
  useRope: boolean,
  attnPrefix: number,
  collapse = 0,
): Float64Array {
  const d = c.d_model, hd = d / heads;
  const n = blockNames(prefix);
  const h = rmsnorm(x, s, d, view(p, n.ln1), c.rms_eps);
  const q = linear(h, s, view(p, n.q), d, heads * hd, view(p, n.qb));
  const k = linear(h, s, view(p, n.k), d, kvHeads * hd, view(p, n.kb));
  const v = linear(h, s, view(p, n.v), d, kvHeads * hd, view(p, n.vb));
  if (useRope) {
    rope(q, s, heads, hd, c.rope_theta, 0, collapse);
    rope(k, s, kvHeads, hd, c.rope_theta, 0, collapse);
  }
  const a = attention(q, k, v, s, heads, kvHeads, hd, attnPrefix);
  const o = linear(a, s, view(p, n.o), heads * hd, d);
  const x1 = new Float64Array(s * d);
  for (let i = 0; i < x1.length; i++) x1[i] = x[i] + o[i];
  const h2 = rmsnorm(x1, s, d, view(p, n.ln2), c.rms_eps);
  const g = linear(h2, s, view(p, n.gate), d, ff);
  const u = linear(h2, s, view(p, n.up), d, ff);
  for (let i = 0; i < g.length; i++) g[i] = (g[i] / (1 + Math.exp(-g[i]))) * u[i];
  const m = linear(g, s, view(p, n.down), ff, d);
  for (let i = 0; i < x1.length; i++) x1[i] += m[i];
  return x1;
}

/** Vision tower of one image: patches [P, pd] → projected prefix embeddings [P, d]. */
export function visionForward(p: ParamSet, c: ModelConfig, patches: Float64Array): Float64Array {
  const d = c.d_model, P = imageTokens(c);
  const x = linear(patches, P, view(p, NAMES.patch), patchDim(c), d, view(p, NAMES.patchBias));
  const pos = view(p, NAMES.pos);
  for (let i = 0; i < x.length; i++) x[i] += pos[i];
  let h: Float64Array = x;
  for (let l = 0; l < c.vision_layers; l++) {
    h = block(p, c, visionLayer(l), h, P, c.vision_heads, c.vision_heads, c.vision_d_ff, false, P);
  }
  const nrm = rmsnorm(h, P, d, view(p, NAMES.vnorm), c.rms_eps);
  const out = linear(nrm, P, view(p, NAMES.proj), d, d, view(p, NAMES.projBias));
  if (c.projector_pos === 1) {
    const projPos = view(p, NAMES.projPos);
    for (let i = 0; i < out.length; i++) out[i] += projPos[i];
  }
  return out;
}

/** Logits [B, T, V] of every text position (float64). */
export function referenceLogits(p: ParamSet, c: ModelConfig, batch: RefBatch): Float64Array {
  const { batch: B, seq: T } = batch;
  const d = c.d_model, V = c.vocab_size;
  const P = batch.images ? imageTokens(c) : 0;
  const S = P + T, collapse = ropeCollapse(c, P);
  const patches = batch.images ? patchify(c, batch.images, B) : null;
  const emb = view(p, NAMES.embed);
  const logits = new Float64Array(B * T * V);
  for (let b = 0; b < B; b++) {
    let x: Float64Array = new Float64Array(S * d);
    if (patches) {
      const img = visionForward(
        p,
        c,
        patches.subarray(b * P * patchDim(c), (b + 1) * P * patchDim(c)),
      );
      x.set(img, 0);
    }
    for (let t = 0; t < T; t++) {
      const tok = batch.tokens[b * T + t];
      for (let e = 0; e < d; e++) x[(P + t) * d + e] = emb[tok * d + e];
    }
    for (let l = 0; l < c.n_layers; l++) {
      x = block(p, c, lmLayer(l), x, S, c.n_heads, c.n_kv_heads, c.d_ff, true, P, collapse);
    }
    const h = rmsnorm(x.subarray(P * d), T, d, view(p, NAMES.norm), c.rms_eps);
    logits.set(linear(h, T, emb, d, V), b * T * V);
  }
  return logits;
}

/** Log-softmax value of `target` in row `row` of [N, V] logits. */
export function logSoftmaxAt(logits: Float64Array, row: number, v: number, target: number): number {
  let m = -Infinity;
  for (let j = 0; j < v; j++) m = Math.max(m, logits[row * v + j]);
  let z = 0;
  for (let j = 0; j < v; j++) z += Math.exp(logits[row * v + j] - m);
  return logits[row * v + target] - m - Math.log(z);
}

/** Mean cross-entropy over positions where mask > 0 (weighted by the mask). */
export function referenceLoss(
  p: ParamSet,
  c: ModelConfig,
  batch: RefBatch,
  targets: Int32Array | Uint32Array,
  mask: Float32Array,
): number {
  const logits = referenceLogits(p, c, batch);
  let s = 0, w = 0;
  for (let i = 0; i < batch.batch * batch.seq; i++) {
    if (mask[i] === 0) continue;
    s -= mask[i] * logSoftmaxAt(logits, i, c.vocab_size, targets[i]);
    w += mask[i];
  }
  return w > 0 ? s / w : 0;
}

/** Per-token log-probabilities [B, T] of `targets` (the RL view of the same forward). */
export function referenceLogprobs(
  p: ParamSet,
  c: ModelConfig,
  batch: RefBatch,
  targets: Int32Array | Uint32Array,
): Float64Array {
  const logits = referenceLogits(p, c, batch);
  const out = new Float64Array(batch.batch * batch.seq);
  for (let i = 0; i < out.length; i++) out[i] = logSoftmaxAt(logits, i, c.vocab_size, targets[i]);
  return out;
}
