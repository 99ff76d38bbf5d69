/**
 * Attention forward and backward (kernels/attention.wgsl): grouped-query heads, causal mask with a
 * bidirectional image prefix, optional per-sequence valid lengths (right padding).
 */

import {
  type Gpu,
  GpuError,
  kernel,
  type KernelSpec,
  type Recorder,
  type Tensor,
} from "../context.ts";
import { expectDims, expectSize, grid1d, params } from "./launch.ts";
import { isCpuAdapter, loopBudget } from "./util.ts";

/** Every dimension of an attention call, explicit. */
export interface AttentionOptions {
  batch: number;
  seqLen: number;
  qHeads: number;
  kvHeads: number;
  headDim: number;
  /** Leading positions that attend bidirectionally among themselves (image tokens); 0 = none. */
  prefix: number;
  /** Score scale, normally 1 / sqrt(headDim). */
  scale: number;
  /** Optional [batch] u32 valid lengths; rows at or beyond a sequence's length are padding. */
  lengths?: Tensor;
  /** Key rows per dk/dv thread (tests and benches; default `attentionKeysPerThread`). */
  keysPerThread?: number;
  /**
   * Threads sharing each dk/dv key block's queries, a divisor of 64; 1 runs the unsplit kernel
   * (tests and benches; default `attentionQuerySplits`).
   */
  querySplits?: number;
  /**
   * Threads sharing each forward and dq query block's keys, a divisor of 64; 1 runs the unsplit
   * kernels (tests and benches; default `attentionKeySplits`).
   */
  keySplits?: number;
}

/** Elements of the `saved` workspace the forward fills and the backward reads: 2 * B * Hq * T. */
export function attentionSavedSize(o: AttentionOptions): number {
  return 2 * o.batch * o.qHeads * o.seqLen;
}

/** Query rows per thread in the forward and dq passes: 64 accumulator floats per row block. */
export function attentionRowsPerThread(headDim: number): number {
  return Math.max(1, Math.min(4, Math.floor(64 / headDim)));
}

/**
 * Key rows per thread in the dk/dv pass. GPUs: 4 accumulators per key, so half the query
 * blocking (register pressure). CPU adapters: up to 4 keys whatever the head size, as each query
 * row a thread loads then serves more keys (llvmpipe, B16 T144 Hq8 Hkv4 D32: 90 ms with 1 key per
 * thread, 36 ms with 4; D16 at the tiny preset's shape: 6.5 -> 5.5 ms with 4 keys instead of 2).
 */
export function attentionKeysPerThread(headDim: number, cpu = false): number {
  return Math.max(1, Math.min(4, Math.floor((cpu ? 128 : 32) / headDim)));
}

/**
 * Threads per dk/dv key block, each taking every S-th query row. GPUs: 8, so the pass has 8x the
 * threads of one per key block and its longest thread (the first key's, which every query sees)
 * 1/8 of the serial loop (H200, B32 T256 Hq8 Hkv4 D32, whole backward: 5.22 ms unsplit, 3.21 /
 * 3.11 / 3.22 ms with 4 / 8 / 16 splits; bench/gpu_attention.ts times them all).
 * CPU adapters: 1, the unsplit kernel, as one thread per key block already fills a few cores
 * (llvmpipe, B32 T256 Hq8 Hkv4 D32, whole backward: 205-245 ms unsplit, 575 ms with 8 splits).
 */
export function attentionQuerySplits(cpu = false): number {
  return cpu ? 1 : 8;
}

/**
 * Threads sharing each forward and dq query block's keys, each taking every SK-th key. GPUs: 8,
 * for the same reason as `attentionQuerySplits` (B*Hq*T/R threads of up to T dependent steps leave
 * a GPU mostly idle). CPU adapters: 1, the unsplit kernels, whose threads already fill the cores.
 */
export function attentionKeySplits(cpu = false): number {
  return cpu ? 1 : 8;
}

/** The kernel of `entry` for a head size, dk/dv blocking (RK keys, S splits) and SK key splits. */
function source(
  headDim: number,
  entry: string,
  rk: number,
  splits: number,
  keySplits: number,
): KernelSpec {
  return {
    file: "attention.wgsl",
    entry,
    // The split kernels' //#for unrolling bounds.
    defines: { R: attentionRowsPerThread(headDim), HD4: headDim / 4, RK: rk },
    consts: {
      HD: headDim,
      R: attentionRowsPerThread(headDim),
      RK: rk,
      S: splits,
      SK: keySplits,
    },
  };
}

/**
 * A kernel that ignores RK and S, with the adapter's defaults (and SK, unless given): one pipeline
 * per head size.
 */
function plainSource(
  gpu: Gpu,
  headDim: number,
  entry: string,
  keySplits = attentionKeySplits(isCpuAdapter(gpu)),
): KernelSpec {
  const cpu = isCpuAdapter(gpu);
  return source(
    headDim,
    entry,
    attentionKeysPerThread(headDim, cpu),
    attentionQuerySplits(cpu),
    keySplits,
  );
}

/** The forward and dq key splits of a call: the options if given, else the adapter's default. */
function keySplitsOf(gpu: Gpu, o: AttentionOptions): number {
  const sk = o.keySplits ?? attentionKeySplits(isCpuAdapter(gpu));
  if (!Number.isInteger(sk) || sk < 1 || 64 % sk !== 0) {
    throw new GpuError(`attention: keySplits must be a divisor of 64, got ${sk}`);
  }
  return sk;
}

/**
 * The forward or dq kernel of a call and its grid: unsplit, one thread per R-row query block; or
 * split SK ways, one 64-lane workgroup per 64 / SK query blocks of one (batch, head).
 */
function queryPass(
  gpu: Gpu,
  o: AttentionOptions,
  unsplit: string,
  split: string,
): { spec: KernelSpec; entry: string; grid: [number, number] } {
  const sk = keySplitsOf(gpu, o);
  const blocks = Math.ceil(o.seqLen / attentionRowsPerThread(o.headDim));
  const entry = sk === 1 ? unsplit : split;
  // Threads: one per block unsplit; split, 64-lane workgroups of 64 / SK blocks each.
  const threads = sk === 1 ? blocks : Math.ceil(blocks * sk / 64) * 64;
  return {
    spec: plainSource(gpu, o.headDim, entry, sk),
    entry,
    grid: grid1d(o.batch * o.qHeads * threads, 64),
  };
}

/** The dk/dv blocking of a call: the options if given, else the adapter's defaults. */
function dkvBlocking(gpu: Gpu, o: AttentionOptions): { rk: number; splits: number } {
  const cpu = isCpuAdapter(gpu);
  const rk = o.keysPerThread ?? attentionKeysPerThread(o.headDim, cpu);
  if (!Number.isInteger(rk) || rk < 1 || rk > 8) {
    throw new GpuError(`attention: keysPerThread must be an integer in [1, 8], got ${rk}`);
  }
  const splits = o.querySplits ?? attentionQuerySplits(cpu);
  if (!Number.isInteger(splits) || splits < 1 || 64 % splits !== 0) {
    throw new GpuError(`attention: querySplits must be a divisor of 64, got ${splits}`);
  }
  return { rk, splits };
}

function check(o: AttentionOptions): void {
  expectDims("attention", {
    batch: o.batch,
    seqLen: o.seqLen,
    qHeads: o.qHeads,
    kvHeads: o.kvHeads,
    headDim: o.headDim,
  });
  if (o.qHeads % o.kvHeads !== 0) {
    throw new GpuError(`attention: qHeads ${o.qHeads} is not a multiple of kvHeads ${o.kvHeads}`);
  }
  if (o.headDim % 4 !== 0) {
    throw new GpuError(`attention: headDim ${o.headDim} must be a multiple of 4 (vec4 rows)`);
  }
  if (!Number.isInteger(o.prefix) || o.prefix < 0) {
    throw new GpuError(`attention: prefix must be a non-negative integer, got ${o.prefix}`);
  }
  if (o.lengths) expectSize("attention", "lengths", o.lengths, o.batch);
}

/**
 * Per-invocation loop passes on a software adapter: a forward or dq thread loops over at most
 * seqLen keys, a dk/dv thread over the (qHeads / kvHeads) × seqLen query rows of its group (the
 * head-dimension loops inside are unrolled; measured correct up to D 128).
 */
function checkLoops(gpu: Gpu, o: AttentionOptions, backward: boolean): void {
  const group = o.qHeads / o.kvHeads;
  const passes = backward ? group * (o.seqLen + 1) : o.seqLen;
  loopBudget(
    gpu,
    backward ? "attentionBackward" : "attentionForward",
    passes + 64,
    `seqLen ${o.seqLen} with ${group} query heads per kv head`,
  );
}

function uniforms(o: AttentionOptions): Uint8Array {
  return params([
    { u: o.batch },
    { u: o.seqLen },
    { u: o.qHeads },
    { u: o.kvHeads },
    { u: o.prefix },
    { u: o.lengths ? 1 : 0 },
    { f: o.scale },
    { u: 0 },
  ]);
}

/**
 * out = softmax(scale q kᵀ + mask) v. q/out [B, T, Hq, D], k/v [B, T, Hkv, D]; `saved`
 * [2, B, Hq, T] receives the per-row logsumexp for the backward.
 */
export function attentionForward(
  r: Recorder,
  out: Tensor,
  saved: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  o: AttentionOptions,
): void {
  check(o);
  const nq = o.batch * o.seqLen * o.qHeads * o.headDim;
  const nk = o.batch * o.seqLen * o.kvHeads * o.headDim;
  expectSize("attentionForward", "q", q, nq);
  expectSize("attentionForward", "out", out, nq);
  expectSize("attentionForward", "k", k, nk);
  expectSize("attentionForward", "v", v, nk);
  expectSize("attentionForward", "saved", saved, attentionSavedSize(o));
  checkLoops(r.gpu, o, false);
  const pass = queryPass(r.gpu, o, "attention_fwd", "attention_fwd_split");
  const lens = o.lengths?.buffer ?? q.buffer;
  r.dispatch(
    kernel(r.gpu, pass.spec),
    uniforms(o),
    [q.buffer, k.buffer, v.buffer, lens, out.buffer, saved.buffer],
    pass.grid,
    pass.entry,
  );
}

/**
 * Gradients of attentionForward: writes dq [B, T, Hq, D], dk and dv [B, T, Hkv, D] (overwritten,
 * not accumulated) from dout and the forward's q, k, v, out and `saved` (whose second half it
 * uses as scratch). Deterministic: no atomics.
 */
export function attentionBackward(
  r: Recorder,
  dq: Tensor,
  dk: Tensor,
  dv: Tensor,
  dout: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  saved: Tensor,
  o: AttentionOptions,
): void {
  check(o);
  const nq = o.batch * o.seqLen * o.qHeads * o.headDim;
  const nk = o.batch * o.seqLen * o.kvHeads * o.headDim;
  for (const [name, t] of [["q", q], ["out", out], ["dout", dout], ["dq", dq]] as const) {
    expectSize("attentionBackward", name, t, nq);
  }
  for (const [name, t] of [["k", k], ["v", v], ["dk", dk], ["dv", dv]] as const) {
    expectSize("attentionBackward", name, t, nk);
  }
  expectSize("attentionBackward", "saved", saved, attentionSavedSize(o));
  checkLoops(r.gpu, o, true);
  const u = uniforms(o);
  const { rk, splits } = dkvBlocking(r.gpu, o);
  const lens = o.lengths?.buffer ?? q.buffer;
  const rows = grid1d(o.batch * o.seqLen * o.qHeads, 64);
  const dqPass = queryPass(r.gpu, o, "attention_bwd_dq", "attention_bwd_dq_split");
  r.dispatch(
    kernel(r.gpu, plainSource(r.gpu, o.headDim, "attention_bwd_delta")),
    u,
    [out.buffer, dout.buffer, saved.buffer],
    rows,
    "attention_bwd_delta",
  );
  r.dispatch(
    kernel(r.gpu, dqPass.spec),
    u,
    [q.buffer, k.buffer, v.buffer, lens, dout.buffer, saved.buffer, dq.buffer],
    dqPass.grid,
    dqPass.entry,
  );
  const keyBlocks = Math.ceil(o.seqLen / rk);
  // Split: one 64-lane workgroup per 64 / splits key blocks of one (batch, kv head).
  const dkvThreads = splits === 1
    ? o.batch * o.kvHeads * keyBlocks
    : o.batch * o.kvHeads * Math.ceil(keyBlocks * splits / 64) * 64;
  const entry = splits === 1 ? "attention_bwd_dkv" : "attention_bwd_dkv_split";
  r.dispatch(
    kernel(r.gpu, source(o.headDim, entry, rk, splits, attentionKeySplits(isCpuAdapter(r.gpu)))),
    u,
    [q.buffer, k.buffer, v.buffer, lens, dout.buffer, saved.buffer, dk.buffer, dv.buffer],
    grid1d(dkvThreads, 64),
    entry,
  );
}
