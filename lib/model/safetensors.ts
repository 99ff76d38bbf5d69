/**
 * Export of the language model as safetensors + a Hugging Face `config.json` (Qwen2ForCausalLM,
 * tied embeddings), and import of such a checkpoint back into a parameter set. The LM's names are
 * already Qwen2's, so both directions are copies; the vision tower is not part of the export.
 */
import type { ModelConfig } from "./config.ts";
import { paramLayout, type ParamSet } from "./params.ts";

/** A typed failure to read or match a safetensors checkpoint. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

/** One tensor of a safetensors file. */
export interface StTensor {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

/** True for the parameters that belong to the language model (exported to HF). */
export function isLmParam(name: string): boolean {
  return name.startsWith("model.");
}

/** Encode named float32 tensors as a safetensors file. */
export function encodeSafetensors(
  tensors: { name: string; shape: number[]; data: Float32Array }[],
  metadata: Record<string, string> = { format: "pt" },
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: "F32", shape: t.shape, data_offsets: [off, off + t.data.length * 4] };
    off += t.data.length * 4;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the tensor data starts 8-byte aligned (as the reference writer does).
  json += " ".repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let pos = 8 + hb.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Half-precision bits to float. */
function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Decode a safetensors file into float32 tensors (F32, F16 and BF16 are accepted). */
export function decodeSafetensors(bytes: Uint8Array): Map<string, StTensor> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) throw new SafetensorsError("file shorter than its 8-byte header length");
  const n = Number(dv.getBigUint64(0, true));
  if (8 + n > bytes.length) throw new SafetensorsError(`header length ${n} exceeds the file`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + n;
  const out = new Map<string, StTensor>();
  for (const [name, h] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [a, b] = h.data_offsets;
    const count = h.shape.reduce((x, y) => x * y, 1);
    const data = new Float32Array(count);
    const raw = bytes.slice(base + a, base + b);
    const rdv = new DataView(raw.buffer);
    if (h.dtype === "F32") {
      if (raw.length !== count * 4) throw new SafetensorsError(`${name}: F32 size mismatch`);
      data.set(new Float32Array(raw.buffer));
    } else if (h.dtype === "BF16" || h.dtype === "F16") {
      if (raw.length !== count * 2) throw new SafetensorsError(`${name}: ${h.dtype} size mismatch`);
      const u = new Uint32Array(1), f = new Float32Array(u.buffer);
      for (let i = 0; i < count; i++) {
        const bits = rdv.getUint16(i * 2, true);
        if (h.dtype === "F16") data[i] = f16(bits);
        else {
          u[0] = bits << 16;
          data[i] = f[0];
        }
      }
    } else {
      throw new SafetensorsError(`${name}: dtype ${h.dtype} is not supported (F32, F16, BF16)`);
    }
    out.set(name, { dtype: h.dtype, shape: h.shape, data });
  }
  return out;
}

/** The HF `config.json` of the language model (Qwen2ForCausalLM, tied embeddings). */
export function hfConfig(c: ModelConfig): Record<string, unknown> {
  return {
    architectures: ["Qwen2ForCausalLM"],
    model_type: "qwen2",
    vocab_size: c.vocab_size,
    hidden_size: c.d_model,
    intermediate_size: c.d_ff,
    num_hidden_layers: c.n_layers,
    num_attention_heads: c.n_heads,
    num_key_value_heads: c.n_kv_heads,
    head_dim: c.d_model / c.n_heads,
    hidden_act: "silu",
    max_position_embeddings: c.max_seq,
    rms_norm_eps: c.rms_eps,
    rope_theta: c.rope_theta,
    tie_word_embeddings: true,
    use_sliding_window: false,
    sliding_window: null,
    max_window_layers: c.n_layers,
    attention_dropout: 0.0,
    initializer_range: c.init_std,
    use_cache: true,
    torch_dtype: "float32",
  };
}

/** Safetensors bytes of the language model's parameters. */
export function exportLmSafetensors(p: ParamSet): Uint8Array {
  const tensors = p.layout.entries.filter((e) => isLmParam(e.name)).map((e) => ({
    name: e.name,
    shape: e.shape,
    data: p.data.subarray(e.offset, e.offset + e.size),
  }));
  return encodeSafetensors(tensors);
}

/** Write `model.safetensors` and `config.json` into `dir` (created if missing). */
export async function exportHf(dir: string, c: ModelConfig, p: ParamSet): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/model.safetensors`, exportLmSafetensors(p));
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(hfConfig(c), null, 2) + "\n");
}

/**
 * Copy the LM tensors of a safetensors file into a copy of `into` (whose vision tower is kept).
 * Every LM parameter must be present with the same shape; a separate `lm_head.weight` is only
 * accepted when it equals the embedding (the model ties them).
 */
export function importLmSafetensors(bytes: Uint8Array, into: ParamSet): ParamSet {
  const tensors = decodeSafetensors(bytes);
  const data = into.data.slice();
  for (const e of into.layout.entries) {
    if (!isLmParam(e.name)) continue;
    const t = tensors.get(e.name);
    if (!t) throw new SafetensorsError(`checkpoint lacks ${e.name}`);
    if (t.shape.join(",") !== e.shape.join(",")) {
      throw new SafetensorsError(`${e.name}: shape [${t.shape}] but the model needs [${e.shape}]`);
    }
    data.set(t.data, e.offset);
  }
  const head = tensors.get("lm_head.weight");
  const emb = tensors.get("model.embed_tokens.weight");
  if (head && emb && head.data.some((x, i) => x !== emb.data[i])) {
    throw new SafetensorsError(
      "lm_head.weight differs from embed_tokens: untied heads unsupported",
    );
  }
  return { layout: into.layout, data };
}

/** Read an HF `config.json` into the LM part of a ModelConfig (vision keys come from `base`). */
export function configFromHf(hf: Record<string, unknown>, base: ModelConfig): ModelConfig {
  const num = (k: string): number => {
    const v = hf[k];
    if (typeof v !== "number") {
      throw new SafetensorsError(`config.json: ${k} missing or not a number`);
    }
    return v;
  };
  if (hf.tie_word_embeddings === false) {
    throw new SafetensorsError("config.json: untied word embeddings are not supported");
  }
  const c: ModelConfig = {
    ...base,
    vocab_size: num("vocab_size"),
    d_model: num("hidden_size"),
    d_ff: num("intermediate_size"),
    n_layers: num("num_hidden_layers"),
    n_heads: num("num_attention_heads"),
    n_kv_heads: num("num_key_value_heads"),
    rms_eps: num("rms_norm_eps"),
    rope_theta: num("rope_theta"),
    // Optional in HF configs; it only matters to a model trained from scratch.
    init_std: typeof hf.initializer_range === "number" ? hf.initializer_range : base.init_std,
  };
  paramLayout(c);
  return c;
}

/** Load `model.safetensors` + `config.json` from `dir` onto a base parameter set. */
export async function importHf(
  dir: string,
  base: ParamSet,
): Promise<ParamSet> {
  return importLmSafetensors(await Deno.readFile(`${dir}/model.safetensors`), base);
}
