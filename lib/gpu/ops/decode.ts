/**
 * KV-cached decoding (kernels/kv_cache.wgsl, kernels/decode.wgsl): write new keys/values into
 * per-sequence caches at per-sequence positions, and attend one new query per sequence over its
 * cache. Sequences in a batch may have different lengths; each keeps its own position.
 */

import { GpuError, kernel, type Recorder, type Tensor } from "../context.ts";
import { expectDims, expectSize, grid1d, params } from "./launch.ts";
import { loopBudget } from "./util.ts";

/** Dimensions of a KV-cache write. */
export interface KvCacheWriteOptions {
  batch: number;
  /** Positions written per sequence (prompt length at prefill, 1 per decode step). */
  newTokens: number;
  /** Cache capacity per sequence. */
  maxSeq: number;
  kvHeads: number;
  headDim: number;
}

/**
 * kCache[b, pos[b] + t] = kNew[b, t] and the same for v, for t < newTokens. kNew/vNew
 * [B, Tn, Hkv, D], caches [B, Tmax, Hkv, D], pos [B] u32; rows past Tmax are dropped.
 */
export function kvCacheWrite(
  r: Recorder,
  kCache: Tensor,
  vCache: Tensor,
  kNew: Tensor,
  vNew: Tensor,
  pos: Tensor,
  o: KvCacheWriteOptions,
): void {
  expectDims("kvCacheWrite", {
    batch: o.batch,
    newTokens: o.newTokens,
    maxSeq: o.maxSeq,
    kvHeads: o.kvHeads,
    headDim: o.headDim,
  });
  const row = o.kvHeads * o.headDim;
  const n = o.batch * o.newTokens * row;
  expectSize("kvCacheWrite", "kNew", kNew, n);
  expectSize("kvCacheWrite", "vNew", vNew, n);
  expectSize("kvCacheWrite", "kCache", kCache, o.batch * o.maxSeq * row);
  expectSize("kvCacheWrite", "vCache", vCache, o.batch * o.maxSeq * row);
  expectSize("kvCacheWrite", "pos", pos, o.batch);
  if (kCache.buffer === vCache.buffer) {
    throw new GpuError("kvCacheWrite: kCache and vCache must be different tensors");
  }
  r.dispatch(
    kernel(r.gpu, { file: "kv_cache.wgsl", entry: "kv_cache_write" }),
    params([{ u: o.batch }, { u: o.newTokens }, { u: o.maxSeq }, { u: row }]),
    [kNew.buffer, vNew.buffer, pos.buffer, kCache.buffer, vCache.buffer],
    grid1d(n, 64),
    "kv_cache_write",
  );
}

/** Dimensions of a single-token decode attention. */
export interface DecodeAttentionOptions {
  batch: number;
  qHeads: number;
  kvHeads: number;
  headDim: number;
  maxSeq: number;
  /** Score scale, normally 1 / sqrt(headDim). */
  scale: number;
}

/**
 * out[b, h] = softmax(scale q[b, h] · kCache[b, j < lens[b]]) vCache[b, j < lens[b]].
 * q/out [B, Hq, D], caches [B, Tmax, Hkv, D], lens [B] u32 (cache rows including the new token).
 */
export function decodeAttention(
  r: Recorder,
  out: Tensor,
  q: Tensor,
  kCache: Tensor,
  vCache: Tensor,
  lens: Tensor,
  o: DecodeAttentionOptions,
): void {
  expectDims("decodeAttention", {
    batch: o.batch,
    qHeads: o.qHeads,
    kvHeads: o.kvHeads,
    headDim: o.headDim,
    maxSeq: o.maxSeq,
  });
  if (o.qHeads % o.kvHeads !== 0) {
    throw new GpuError(
      `decodeAttention: qHeads ${o.qHeads} is not a multiple of kvHeads ${o.kvHeads}`,
    );
  }
  if (o.headDim % 4 !== 0) {
    throw new GpuError(`decodeAttention: headDim ${o.headDim} must be a multiple of 4`);
  }
  const nq = o.batch * o.qHeads * o.headDim;
  expectSize("decodeAttention", "q", q, nq);
  // A thread loops over up to maxSeq cache rows (its head-dimension loops unroll).
  loopBudget(r.gpu, "decodeAttention", o.maxSeq + 64, `maxSeq ${o.maxSeq}`);
  expectSize("decodeAttention", "out", out, nq);
  const nc = o.batch * o.maxSeq * o.kvHeads * o.headDim;
  expectSize("decodeAttention", "kCache", kCache, nc);
  expectSize("decodeAttention", "vCache", vCache, nc);
  expectSize("decodeAttention", "lens", lens, o.batch);
  r.dispatch(
    kernel(r.gpu, { file: "decode.wgsl", entry: "decode_attention", consts: { HD: o.headDim } }),
    params([
      { u: o.batch },
      { u: o.qHeads },
      { u: o.kvHeads },
      { u: o.maxSeq },
      { f: o.scale },
    ]),
    [q.buffer, kCache.buffer, vCache.buffer, lens.buffer, out.buffer],
    grid1d(o.batch * o.qHeads, 64),
    "decode_attention",
  );
}
