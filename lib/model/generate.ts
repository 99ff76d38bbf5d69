/**
 * Batched KV-cache decoding from prompts (image prefix + prompt tokens). The prefill runs the
 * training forward on the padded prompts and copies each layer's (rotated) keys and values into
 * the caches; every decode step then feeds one token per sequence at that sequence's own position.
 * Sampling happens on the GPU with Philox keyed by (seed, step, sequence id, position), so a
 * sequence's completion does not depend on the rest of its batch. Decode steps are recorded in
 * chunks of several tokens per submit; the host only reads the sampled ids to find stop tokens.
 */
import { decodeAttention, kvCacheWrite } from "../gpu/ops/decode.ts";
import { sampleTokens } from "../gpu/ops/sample.ts";
import {
  copy,
  createArena,
  embeddingForward,
  linearForward,
  matmul,
  readback,
  readbackU32,
  type Recorder,
  rmsnormForward,
  ropeForward,
  submit,
  swigluForward,
} from "../gpu/mod.ts";
import { imageTokens, ropeCollapse } from "./config.ts";
import { type GpuModel, preparePass, recordForward } from "./gpu_model.ts";
import { blockNames, lmLayer, NAMES } from "./params.ts";

/** What to generate and how. */
export interface GenerateOptions {
  /** Prompt token ids per sequence (each at least one token). */
  prompts: number[][];
  /** Images [B, H, W, 3] for the prefix, or null for text-only prompts. */
  images: Float32Array | null;
  /** Stable per-sequence ids for the sampler's counter (e.g. prompt index * group + member). */
  seqIds: number[];
  maxNewTokens: number;
  /** Generation ends for a sequence right after it emits one of these (kept in the output). */
  stopTokens: number[];
  /** 0 = greedy. */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  /** Job seed and step: the rest of the sampler's key and counter. */
  seed: number;
  step: number;
  /** Also return the logits [V] that produced every generated token (tests). */
  returnLogits?: boolean;
}

/** Completions, one per prompt. */
export interface GenerateResult {
  /** Generated ids per sequence, up to and including a stop token. */
  tokens: number[][];
  lengths: number[];
  /** True when the sequence ended with a stop token, false when it hit maxNewTokens. */
  stopped: boolean[];
  /** logits[b][i] produced tokens[b][i] (only with returnLogits). */
  logits?: Float32Array[][];
}

/** Decode steps recorded per submit before the host looks for stop tokens. */
const CHUNK = 8;

/** Generate completions for a batch of prompts with the model's current weights. */
export async function generate(model: GpuModel, o: GenerateOptions): Promise<GenerateResult> {
  const c = model.config, gpu = model.gpu, W = model.weights;
  const B = o.prompts.length, d = c.d_model, V = c.vocab_size;
  if (B === 0) return { tokens: [], lengths: [], stopped: [] };
  if (o.seqIds.length !== B) {
    throw new Error(`generate: ${o.seqIds.length} seqIds for ${B} prompts`);
  }
  if (o.prompts.some((p) => p.length === 0)) throw new Error("generate: empty prompt");
  if (!(o.maxNewTokens >= 1)) throw new Error(`generate: maxNewTokens ${o.maxNewTokens} < 1`);
  const P = o.images ? imageTokens(c) : 0;
  const Tp = Math.max(...o.prompts.map((p) => p.length));
  const maxSeq = P + Tp + o.maxNewTokens;
  if (maxSeq > c.max_seq) {
    throw new Error(
      `generate: ${P} image + ${Tp} prompt + ${o.maxNewTokens} new tokens exceed max_seq ${c.max_seq}`,
    );
  }
  const hd = d / c.n_heads, qd = c.n_heads * hd, kd = c.n_kv_heads * hd;
  const w = (n: string) => W.w.get(n)!;

  // Prefill: the full forward over [image | right-padded prompts].
  const padded = new Uint32Array(B * Tp);
  o.prompts.forEach((p, b) => padded.set(p, b * Tp));
  const pass = preparePass(model, { batch: B, seq: Tp, images: o.images, tokens: padded });

  const a = createArena(gpu, "generate");
  const caches = Array.from({ length: c.n_layers }, (_, l) => ({
    k: a.alloc(`k${l}`, [B * maxSeq * kd]),
    v: a.alloc(`v${l}`, [B * maxSeq * kd]),
  }));
  const zeros = a.alloc("zeros", [B]);
  const x = a.alloc("x", [B, d]), h = a.alloc("h", [B, d]);
  const qraw = a.alloc("qraw", [B, qd]), q = a.alloc("q", [B, qd]);
  const kraw = a.alloc("kraw", [B, kd]), k = a.alloc("k", [B, kd]), v = a.alloc("v", [B, kd]);
  const att = a.alloc("att", [B, qd]);
  const gate = a.alloc("gate", [B, c.d_ff]), up = a.alloc("up", [B, c.d_ff]);
  const act = a.alloc("act", [B, c.d_ff]);
  const logits = a.alloc("logits", [B, V]);
  const tok = a.alloc("tok", [B]);
  const pos = a.alloc("pos", [B]), lens = a.alloc("lens", [B]), ropePos = a.alloc("ropePos", [B]);
  const seqIds = a.alloc("seqIds", [B], Uint32Array.from(o.seqIds));
  const n = o.maxNewTokens;
  // Per step i: cache position of the token fed in, and of the one it predicts (the RNG counter).
  // Its RoPE position is the cache position less the image tokens folded onto position 0.
  const collapse = ropeCollapse(c, P);
  const posTable = new Uint32Array(n * B), lensTable = new Uint32Array(n * B);
  const ropeTable = new Uint32Array(n * B);
  const samplePos = new Uint32Array((n + 1) * B);
  for (let i = 0; i <= n; i++) {
    for (let b = 0; b < B; b++) {
      const at = P + o.prompts[b].length + i; // absolute position of generated token i
      samplePos[i * B + b] = at;
      if (i < n) {
        posTable[i * B + b] = at; // decode step i feeds token i (position `at`), predicts i + 1
        ropeTable[i * B + b] = at - collapse;
        lensTable[i * B + b] = at + 1;
      }
    }
  }
  const posT = a.alloc("posTable", [n * B], posTable);
  const lensT = a.alloc("lensTable", [n * B], lensTable);
  const ropeT = a.alloc("ropeTable", [n * B], ropeTable);
  const sposT = a.alloc("samplePos", [(n + 1) * B], samplePos);
  const spos = a.alloc("spos", [B]);
  const history = a.alloc("history", [n * B]);
  const logitHist = o.returnLogits ? a.alloc("logitHist", [n * B * V]) : null;

  const sample = (r: Recorder, i: number) => {
    copy(r, spos, sposT, { n: B, srcOffset: i * B });
    sampleTokens(r, tok, logits, seqIds, spos, {
      batch: B,
      vocab: V,
      seed: o.seed,
      step: o.step,
      temperature: o.temperature,
      topK: o.topK,
      topP: o.topP,
    });
    copy(r, history, tok, { n: B, dstOffset: i * B });
    if (logitHist) copy(r, logitHist, logits, { n: B * V, dstOffset: i * B * V });
  };

  // submit() does not wait: the readback of the sampled tokens waits for the work anyway.
  submit(gpu, (r) => {
    recordForward(r, model, pass);
    const S = P + Tp;
    pass.stack.layers.forEach((A, l) => {
      kvCacheWrite(r, caches[l].k, caches[l].v, A.k, A.v, zeros, {
        batch: B,
        newTokens: S,
        maxSeq,
        kvHeads: c.n_kv_heads,
        headDim: hd,
      });
    });
    // Each sequence's next-token logits sit at its last prompt position.
    o.prompts.forEach((p, b) => {
      copy(r, logits, pass.logits, {
        n: V,
        srcOffset: (b * Tp + p.length - 1) * V,
        dstOffset: b * V,
      });
    });
    sample(r, 0);
  });

  const decodeStep = (r: Recorder, i: number) => {
    copy(r, pos, posT, { n: B, srcOffset: i * B });
    copy(r, lens, lensT, { n: B, srcOffset: i * B });
    copy(r, ropePos, ropeT, { n: B, srcOffset: i * B });
    embeddingForward(r, x, tok, w(NAMES.embed), { n: B, vocab: V, dim: d });
    const norm = { rows: B, dim: d, eps: c.rms_eps };
    const ropeO = (heads: number) => ({
      rows: B,
      seq: 1,
      heads,
      headDim: hd,
      theta: c.rope_theta,
      posOffset: 0,
    });
    for (let l = 0; l < c.n_layers; l++) {
      const nm = blockNames(lmLayer(l));
      rmsnormForward(r, h, x, w(nm.ln1), norm);
      linearForward(r, qraw, h, w(nm.q), { rows: B, inDim: d, outDim: qd }, w(nm.qb));
      linearForward(r, kraw, h, w(nm.k), { rows: B, inDim: d, outDim: kd }, w(nm.kb));
      linearForward(r, v, h, w(nm.v), { rows: B, inDim: d, outDim: kd }, w(nm.vb));
      ropeForward(r, q, qraw, ropeO(c.n_heads), ropePos);
      ropeForward(r, k, kraw, ropeO(c.n_kv_heads), ropePos);
      kvCacheWrite(r, caches[l].k, caches[l].v, k, v, pos, {
        batch: B,
        newTokens: 1,
        maxSeq,
        kvHeads: c.n_kv_heads,
        headDim: hd,
      });
      decodeAttention(r, att, q, caches[l].k, caches[l].v, lens, {
        batch: B,
        qHeads: c.n_heads,
        kvHeads: c.n_kv_heads,
        headDim: hd,
        maxSeq,
        scale: 1 / Math.sqrt(hd),
      });
      matmul(r, x, att, w(nm.o), { m: B, n: d, k: qd, transB: true, accumulate: true });
      rmsnormForward(r, h, x, w(nm.ln2), norm);
      linearForward(r, gate, h, w(nm.gate), { rows: B, inDim: d, outDim: c.d_ff });
      linearForward(r, up, h, w(nm.up), { rows: B, inDim: d, outDim: c.d_ff });
      swigluForward(r, act, gate, up, { rows: B, dim: c.d_ff });
      matmul(r, x, act, w(nm.down), { m: B, n: d, k: c.d_ff, transB: true, accumulate: true });
    }
    rmsnormForward(r, h, x, w(NAMES.norm), norm);
    linearForward(r, logits, h, w(NAMES.embed), { rows: B, inDim: d, outDim: V });
    sample(r, i + 1);
  };

  const stop = new Set(o.stopTokens);
  const out: number[][] = Array.from({ length: B }, () => []);
  const done = new Array<boolean>(B).fill(false);
  const stopped = new Array<boolean>(B).fill(false);
  let have = 1; // tokens sampled so far (token 0 came from the prefill)
  let seen = 0;
  while (true) {
    const hist = await readbackU32(gpu, history);
    for (let i = seen; i < have; i++) {
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const t = hist[i * B + b];
        out[b].push(t);
        if (stop.has(t)) {
          done[b] = true;
          stopped[b] = true;
        } else if (out[b].length >= n) done[b] = true;
      }
    }
    seen = have;
    if (done.every(Boolean) || have >= n) break;
    const upto = Math.min(n, have + CHUNK);
    submit(gpu, (r) => {
      for (let i = have - 1; i < upto - 1; i++) decodeStep(r, i);
    });
    have = upto;
  }
  let logitsOut: Float32Array[][] | undefined;
  if (logitHist) {
    const all = await readback(gpu, logitHist);
    logitsOut = out.map((toks, b) =>
      toks.map((_, i) => all.slice((i * B + b) * V, (i * B + b + 1) * V))
    );
  }
  a.free();
  return { tokens: out, lengths: out.map((t) => t.length), stopped, logits: logitsOut };
}
