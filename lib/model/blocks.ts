/**
 * A stack of pre-norm transformer blocks on the GPU, forward and backward side by side, as used by
 * both towers: the vision tower (bidirectional, learned positions) and the language model (RoPE,
 * causal with a bidirectional image prefix, grouped-query heads). Activations needed by the
 * backward are kept per layer; everything else lives in scratch shared across layers.
 */
import {
  attentionBackward,
  attentionForward,
  attentionSavedSize,
  biasBackward,
  copy,
  createArena,
  type Gpu,
  linearBackward,
  linearForward,
  linearWeightGrad,
  matmul,
  type Recorder,
  rmsnormBackward,
  rmsnormForward,
  ropeBackward,
  ropeForward,
  swigluBackward,
  swigluForward,
  type Tensor,
} from "../gpu/mod.ts";
import { blockNames } from "./params.ts";
import type { GpuWeights } from "./weights.ts";

/** Shape of one stack over `batch` sequences of `seq` positions. */
export interface StackDims {
  batch: number;
  seq: number;
  d: number;
  heads: number;
  kvHeads: number;
  ff: number;
  /** Leading positions attending bidirectionally (seq for the vision tower). */
  prefix: number;
  /** RoPE base, or null for no rotary embedding (vision tower). */
  ropeTheta: number | null;
  /** Leading tokens folded onto the first RoPE position (RopeOptions.collapse; 0 = none). */
  ropeCollapse: number;
  eps: number;
  /** Name prefixes of the layers, e.g. `model.layers.0`. */
  layers: string[];
}

/** Per-layer saved activations. */
interface LayerActs {
  h1: Tensor;
  q: Tensor;
  k: Tensor;
  v: Tensor;
  att: Tensor;
  saved: Tensor;
  xmid: Tensor;
  h2: Tensor;
  gate: Tensor;
  up: Tensor;
  act: Tensor;
}

/** Buffers of a stack: residual states x[0..L], saved activations, scratch, gradient stream. */
export interface StackBuffers {
  dims: StackDims;
  rows: number;
  /** x[l] is the input of layer l; x[L] the stack's output. */
  x: Tensor[];
  layers: LayerActs[];
  /** Gradient of the residual stream; the caller writes dL/dx[L], backward leaves dL/dx[0]. */
  dx: Tensor;
  s: {
    qraw: Tensor;
    kraw: Tensor;
    dh: Tensor;
    dact: Tensor;
    dgate: Tensor;
    dup: Tensor;
    datt: Tensor;
    dq: Tensor;
    dk: Tensor;
    dv: Tensor;
    dqraw: Tensor;
    dkraw: Tensor;
  };
  free(): void;
}

/** Allocate a stack's buffers for its dims. */
export function allocStack(gpu: Gpu, dims: StackDims, label: string): StackBuffers {
  const a = createArena(gpu, label);
  const n = dims.batch * dims.seq, d = dims.d, hd = d / dims.heads;
  const qd = dims.heads * hd, kd = dims.kvHeads * hd, ff = dims.ff;
  const saved = attentionSavedSize({
    batch: dims.batch,
    seqLen: dims.seq,
    qHeads: dims.heads,
    kvHeads: dims.kvHeads,
    headDim: hd,
    prefix: dims.prefix,
    scale: 1,
  });
  const L = dims.layers.length;
  const x = Array.from({ length: L + 1 }, (_, l) => a.alloc(`x${l}`, [n, d]));
  const layers = Array.from({ length: L }, (_, l) => ({
    h1: a.alloc(`h1.${l}`, [n, d]),
    q: a.alloc(`q.${l}`, [n, qd]),
    k: a.alloc(`k.${l}`, [n, kd]),
    v: a.alloc(`v.${l}`, [n, kd]),
    att: a.alloc(`att.${l}`, [n, qd]),
    saved: a.alloc(`saved.${l}`, [saved]),
    xmid: a.alloc(`xmid.${l}`, [n, d]),
    h2: a.alloc(`h2.${l}`, [n, d]),
    gate: a.alloc(`gate.${l}`, [n, ff]),
    up: a.alloc(`up.${l}`, [n, ff]),
    act: a.alloc(`act.${l}`, [n, ff]),
  }));
  const s = {
    qraw: a.alloc("qraw", [n, qd]),
    kraw: a.alloc("kraw", [n, kd]),
    dh: a.alloc("dh", [n, d]),
    dact: a.alloc("dact", [n, ff]),
    dgate: a.alloc("dgate", [n, ff]),
    dup: a.alloc("dup", [n, ff]),
    datt: a.alloc("datt", [n, qd]),
    dq: a.alloc("dq", [n, qd]),
    dk: a.alloc("dk", [n, kd]),
    dv: a.alloc("dv", [n, kd]),
    dqraw: a.alloc("dqraw", [n, qd]),
    dkraw: a.alloc("dkraw", [n, kd]),
  };
  return { dims, rows: n, x, layers, dx: a.alloc("dx", [n, d]), s, free: () => a.free() };
}

function attnOpts(dims: StackDims) {
  const hd = dims.d / dims.heads;
  return {
    batch: dims.batch,
    seqLen: dims.seq,
    qHeads: dims.heads,
    kvHeads: dims.kvHeads,
    headDim: hd,
    prefix: dims.prefix,
    scale: 1 / Math.sqrt(hd),
  };
}

function ropeOpts(dims: StackDims, heads: number) {
  return {
    rows: dims.batch * dims.seq,
    seq: dims.seq,
    heads,
    headDim: dims.d / dims.heads,
    theta: dims.ropeTheta!,
    posOffset: 0,
    collapse: dims.ropeCollapse,
  };
}

/** Record the forward of every layer: x[0] (filled by the caller) → x[L]. */
export function stackForward(r: Recorder, W: GpuWeights, st: StackBuffers): void {
  const dims = st.dims, n = st.rows, d = dims.d, hd = d / dims.heads;
  const qd = dims.heads * hd, kd = dims.kvHeads * hd;
  const w = (name: string) => W.w.get(name)!;
  const norm = { rows: n, dim: d, eps: dims.eps };
  dims.layers.forEach((prefix, l) => {
    const nm = blockNames(prefix), A = st.layers[l], xin = st.x[l], xout = st.x[l + 1];
    rmsnormForward(r, A.h1, xin, w(nm.ln1), norm);
    const rope = dims.ropeTheta !== null;
    linearForward(
      r,
      rope ? st.s.qraw : A.q,
      A.h1,
      w(nm.q),
      { rows: n, inDim: d, outDim: qd },
      w(nm.qb),
    );
    linearForward(
      r,
      rope ? st.s.kraw : A.k,
      A.h1,
      w(nm.k),
      { rows: n, inDim: d, outDim: kd },
      w(nm.kb),
    );
    linearForward(r, A.v, A.h1, w(nm.v), { rows: n, inDim: d, outDim: kd }, w(nm.vb));
    if (rope) {
      ropeForward(r, A.q, st.s.qraw, ropeOpts(dims, dims.heads));
      ropeForward(r, A.k, st.s.kraw, ropeOpts(dims, dims.kvHeads));
    }
    attentionForward(r, A.att, A.saved, A.q, A.k, A.v, attnOpts(dims));
    copy(r, A.xmid, xin, { n: n * d });
    matmul(r, A.xmid, A.att, w(nm.o), { m: n, n: d, k: qd, transB: true, accumulate: true });
    rmsnormForward(r, A.h2, A.xmid, w(nm.ln2), norm);
    linearForward(r, A.gate, A.h2, w(nm.gate), { rows: n, inDim: d, outDim: dims.ff });
    linearForward(r, A.up, A.h2, w(nm.up), { rows: n, inDim: d, outDim: dims.ff });
    swigluForward(r, A.act, A.gate, A.up, { rows: n, dim: dims.ff });
    copy(r, xout, A.xmid, { n: n * d });
    matmul(r, xout, A.act, w(nm.down), { m: n, n: d, k: dims.ff, transB: true, accumulate: true });
  });
}

/**
 * Record the backward of every layer, last to first: on entry st.dx = dL/dx[L], on exit
 * st.dx = dL/dx[0]. Parameter gradients are overwritten (each is produced exactly once per step).
 */
export function stackBackward(r: Recorder, W: GpuWeights, st: StackBuffers): void {
  const dims = st.dims, n = st.rows, d = dims.d, hd = d / dims.heads;
  const qd = dims.heads * hd, kd = dims.kvHeads * hd, ff = dims.ff;
  const w = (name: string) => W.w.get(name)!;
  const g = (name: string) => W.g.get(name)!;
  const S = st.s, dx = st.dx;
  for (let l = dims.layers.length - 1; l >= 0; l--) {
    const nm = blockNames(dims.layers[l]), A = st.layers[l], xin = st.x[l];
    // MLP: x_out = x_mid + down(silu(gate(h2)) * up(h2)), h2 = norm2(x_mid).
    linearBackward(r, S.dact, null, dx, A.act, w(nm.down), {
      rows: n,
      inDim: ff,
      outDim: d,
      accumulateDx: false,
      accumulate: false,
    });
    linearWeightGrad(r, g(nm.down), dx, A.act, { rows: n, inDim: ff, outDim: d });
    swigluBackward(r, S.dgate, S.dup, S.dact, A.gate, A.up, { rows: n, dim: ff });
    linearBackward(r, S.dh, null, S.dgate, A.h2, w(nm.gate), {
      rows: n,
      inDim: d,
      outDim: ff,
      accumulateDx: false,
      accumulate: false,
    });
    linearWeightGrad(r, g(nm.gate), S.dgate, A.h2, { rows: n, inDim: d, outDim: ff });
    linearBackward(r, S.dh, null, S.dup, A.h2, w(nm.up), {
      rows: n,
      inDim: d,
      outDim: ff,
      accumulateDx: true,
      accumulate: false,
    });
    linearWeightGrad(r, g(nm.up), S.dup, A.h2, { rows: n, inDim: d, outDim: ff });
    rmsnormBackward(r, dx, g(nm.ln2), S.dh, A.xmid, w(nm.ln2), {
      rows: n,
      dim: d,
      eps: dims.eps,
      accumulateDx: true,
      accumulate: false,
    });
    // Attention: x_mid = x_in + o(attn(rope(q(h1)), rope(k(h1)), v(h1))), h1 = norm1(x_in).
    linearBackward(r, S.datt, null, dx, A.att, w(nm.o), {
      rows: n,
      inDim: qd,
      outDim: d,
      accumulateDx: false,
      accumulate: false,
    });
    linearWeightGrad(r, g(nm.o), dx, A.att, { rows: n, inDim: qd, outDim: d });
    attentionBackward(r, S.dq, S.dk, S.dv, S.datt, A.q, A.k, A.v, A.att, A.saved, attnOpts(dims));
    let dq = S.dq, dk = S.dk;
    if (dims.ropeTheta !== null) {
      ropeBackward(r, S.dqraw, S.dq, ropeOpts(dims, dims.heads));
      ropeBackward(r, S.dkraw, S.dk, ropeOpts(dims, dims.kvHeads));
      dq = S.dqraw;
      dk = S.dkraw;
    }
    linearBackward(r, S.dh, null, dq, A.h1, w(nm.q), {
      rows: n,
      inDim: d,
      outDim: qd,
      accumulateDx: false,
      accumulate: false,
    });
    linearWeightGrad(r, g(nm.q), dq, A.h1, { rows: n, inDim: d, outDim: qd });
    linearBackward(r, S.dh, null, dk, A.h1, w(nm.k), {
      rows: n,
      inDim: d,
      outDim: kd,
      accumulateDx: true,
      accumulate: false,
    });
    linearWeightGrad(r, g(nm.k), dk, A.h1, { rows: n, inDim: d, outDim: kd });
    linearBackward(r, S.dh, null, S.dv, A.h1, w(nm.v), {
      rows: n,
      inDim: d,
      outDim: kd,
      accumulateDx: true,
      accumulate: false,
    });
    linearWeightGrad(r, g(nm.v), S.dv, A.h1, { rows: n, inDim: d, outDim: kd });
    biasBackward(r, g(nm.qb), dq, { rows: n, cols: qd, accumulate: false });
    biasBackward(r, g(nm.kb), dk, { rows: n, cols: kd, accumulate: false });
    biasBackward(r, g(nm.vb), S.dv, { rows: n, cols: kd, accumulate: false });
    rmsnormBackward(r, dx, g(nm.ln1), S.dh, xin, w(nm.ln1), {
      rows: n,
      dim: d,
      eps: dims.eps,
      accumulateDx: true,
      accumulate: false,
    });
  }
}
