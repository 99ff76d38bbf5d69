/**
 * Named parameters of the VLM in one flat float32 array. The language model uses Hugging Face
 * Qwen2 names (so export is a rename-free copy); the vision tower lives under `vision.*` and reuses
 * the decoder-layer names for its blocks. Linear weights are stored [out, in] like torch.nn.Linear.
 */
import { type ModelConfig, patchDim } from "./config.ts";
import { imageTokens } from "./config.ts";
import { splitmix32, xoshiro128ss } from "../util/xoshiro.ts";

/** How a parameter starts; `grid2d` is the image-patch position table's 2D sin-cos code. */
export type InitKind = "normal" | "zeros" | "ones" | "grid2d";

/** One parameter tensor's place in the flat array. */
export interface ParamEntry {
  name: string;
  shape: number[];
  /** Element offset into the flat array. */
  offset: number;
  size: number;
  init: InitKind;
  /** AdamW decays matrices and embeddings, not norms, biases or position tables. */
  decay: boolean;
}

/** The ordered list of parameters of a config. */
export interface ParamLayout {
  entries: ParamEntry[];
  byName: Map<string, ParamEntry>;
  /** Total number of float32 values. */
  total: number;
}

/** A layout with its values. */
export interface ParamSet {
  layout: ParamLayout;
  data: Float32Array;
}

/** Parameter names of one pre-norm transformer block under `prefix` (e.g. `model.layers.0`). */
export function blockNames(prefix: string) {
  return {
    ln1: `${prefix}.input_layernorm.weight`,
    q: `${prefix}.self_attn.q_proj.weight`,
    qb: `${prefix}.self_attn.q_proj.bias`,
    k: `${prefix}.self_attn.k_proj.weight`,
    kb: `${prefix}.self_attn.k_proj.bias`,
    v: `${prefix}.self_attn.v_proj.weight`,
    vb: `${prefix}.self_attn.v_proj.bias`,
    o: `${prefix}.self_attn.o_proj.weight`,
    ln2: `${prefix}.post_attention_layernorm.weight`,
    gate: `${prefix}.mlp.gate_proj.weight`,
    up: `${prefix}.mlp.up_proj.weight`,
    down: `${prefix}.mlp.down_proj.weight`,
  };
}

/** Names of a block's tensors. */
export type BlockNames = ReturnType<typeof blockNames>;

/** Prefix of LM layer `i`. */
export function lmLayer(i: number): string {
  return `model.layers.${i}`;
}

/** Prefix of vision block `i`. */
export function visionLayer(i: number): string {
  return `vision.layers.${i}`;
}

/** Fixed names outside the blocks. */
export const NAMES = {
  embed: "model.embed_tokens.weight",
  norm: "model.norm.weight",
  patch: "vision.patch_embed.weight",
  patchBias: "vision.patch_embed.bias",
  pos: "vision.pos_embed",
  vnorm: "vision.norm.weight",
  proj: "vision.projector.weight",
  projBias: "vision.projector.bias",
  projPos: "vision.projector.pos_embed",
} as const;

/** Build the parameter layout of a config (vision first, then the language model). */
export function paramLayout(c: ModelConfig): ParamLayout {
  const entries: ParamEntry[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], init: InitKind, decay: boolean) => {
    const size = shape.reduce((a, b) => a * b, 1);
    entries.push({ name, shape, offset, size, init, decay });
    offset += size;
  };
  const block = (
    prefix: string,
    d: number,
    heads: number,
    kvHeads: number,
    ff: number,
  ) => {
    const hd = d / heads;
    const n = blockNames(prefix);
    add(n.ln1, [d], "ones", false);
    add(n.q, [heads * hd, d], "normal", true);
    add(n.qb, [heads * hd], "zeros", false);
    add(n.k, [kvHeads * hd, d], "normal", true);
    add(n.kb, [kvHeads * hd], "zeros", false);
    add(n.v, [kvHeads * hd, d], "normal", true);
    add(n.vb, [kvHeads * hd], "zeros", false);
    add(n.o, [d, heads * hd], "normal", true);
    add(n.ln2, [d], "ones", false);
    add(n.gate, [ff, d], "normal", true);
    add(n.up, [ff, d], "normal", true);
    add(n.down, [d, ff], "normal", true);
  };
  const d = c.d_model;
  add(NAMES.patch, [d, patchDim(c)], "normal", true);
  add(NAMES.patchBias, [d], "zeros", false);
  add(NAMES.pos, [imageTokens(c), d], "grid2d", false);
  for (let i = 0; i < c.vision_layers; i++) {
    block(visionLayer(i), d, c.vision_heads, c.vision_heads, c.vision_d_ff);
  }
  add(NAMES.vnorm, [d], "ones", false);
  add(NAMES.proj, [d, d], "normal", true);
  add(NAMES.projBias, [d], "zeros", false);
  if (c.projector_pos === 1) add(NAMES.projPos, [imageTokens(c), d], "grid2d", false);
  add(NAMES.embed, [c.vocab_size, d], "normal", true);
  for (let i = 0; i < c.n_layers; i++) {
    block(lmLayer(i), d, c.n_heads, c.n_kv_heads, c.d_ff);
  }
  add(NAMES.norm, [d], "ones", false);
  return { entries, byName: new Map(entries.map((e) => [e.name, e])), total: offset };
}

/** Look up an entry or throw naming the missing parameter. */
export function entry(layout: ParamLayout, name: string): ParamEntry {
  const e = layout.byName.get(name);
  if (!e) throw new Error(`unknown parameter ${name}`);
  return e;
}

/** A view (no copy) of one parameter's values. */
export function view(set: ParamSet, name: string): Float32Array {
  const e = entry(set.layout, name);
  return set.data.subarray(e.offset, e.offset + e.size);
}

/** 32-bit FNV-1a of a string, to give every tensor its own stream. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A seeded xoshiro128** stream returning uniforms in (0, 1). */
export function uniformStream(seed: number, salt: number): () => number {
  // SplitMix32 expands (seed, salt) into the four state words so nearby seeds diverge at once.
  const mix = splitmix32(seed ^ Math.imul(salt, 0x9e3779b9));
  const s = new Uint32Array([mix(), mix(), mix(), mix()]);
  return () => {
    const r = xoshiro128ss(s);
    return ((r >>> 8) + 0.5) / 16777216;
  };
}

/**
 * Amplitude of the initial patch-position code: about the RMS of a patch's content embedding at
 * init (0.02 · √(patch dim) for standardised pixels), so neither drowns the other.
 */
export const POS_INIT_SCALE = 0.3;

/**
 * The 2D sin-cos position code of a `g`×`g` patch grid (row-major) in `d` channels, as MAE
 * fixes it: the first half encodes the column, the second the row, each as sin and cos at d/4
 * geometric frequencies. With a random table (N(0, 0.02²)) the tiny VLM learned to read colours
 * but, after 1,500 steps, still not where an object is (next-digit accuracy of "x 3" in
 * descriptions ~ that without the image); a smooth code makes position a linear read-out.
 */
export function grid2dCode(g: number, d: number, scale: number): Float32Array {
  const out = new Float32Array(g * g * d);
  const half = Math.floor(d / 2), quarter = Math.floor(d / 4);
  for (let p = 0; p < g * g; p++) {
    const coords = [p % g, Math.floor(p / g)];
    coords.forEach((v, axis) => {
      for (let k = 0; k < quarter; k++) {
        const w = 1 / Math.pow(10000, k / quarter);
        out[p * d + axis * half + k] = scale * Math.sin(v * w);
        out[p * d + axis * half + quarter + k] = scale * Math.cos(v * w);
      }
    });
  }
  return out;
}

/** Fresh parameters: normal(0, init_std) matrices, zero biases, unit norms; seeded per tensor. */
export function initParams(c: ModelConfig, seed: number): ParamSet {
  const layout = paramLayout(c);
  const data = new Float32Array(layout.total);
  for (const e of layout.entries) {
    const out = data.subarray(e.offset, e.offset + e.size);
    if (e.init === "ones") out.fill(1);
    else if (e.init === "grid2d") {
      out.set(grid2dCode(Math.round(Math.sqrt(e.shape[0])), e.shape[1], POS_INIT_SCALE));
    } else if (e.init === "normal") {
      const u = uniformStream(seed, fnv1a(e.name));
      for (let i = 0; i < out.length; i += 2) {
        // Box-Muller: two normals per pair of uniforms.
        const r = Math.sqrt(-2 * Math.log(u()));
        const th = 2 * Math.PI * u();
        out[i] = c.init_std * r * Math.cos(th);
        if (i + 1 < out.length) out[i + 1] = c.init_std * r * Math.sin(th);
      }
    }
  }
  return { layout, data };
}

/** Number of parameters (tied embeddings counted once). */
export function paramCount(c: ModelConfig): number {
  return paramLayout(c).total;
}
