/**
 * One binary format for both a job's resumable checkpoint and its `model.bin` artifact:
 * "ZGMODEL1" | u32 header bytes | JSON header | pad to 4 | float32 params | [float32 m | v].
 * The header carries the config, the parameter layout, the optimizer step, the RNG state and any
 * trainer state (`extra`), so a resumed job continues bit-exactly.
 */
import { type ModelConfig, validateConfig } from "./config.ts";
import { paramLayout, type ParamSet } from "./params.ts";

const MAGIC = "ZGMODEL1";

/** A typed failure to read a checkpoint, naming what did not match. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** JSON-serialisable trainer state carried alongside the weights. */
export type Extra = null | boolean | number | string | Extra[] | { [k: string]: Extra };

/** Everything a job needs to continue where it stopped. */
export interface ModelState {
  config: ModelConfig;
  params: ParamSet;
  /** AdamW first and second moments (same layout as params), absent in a weights-only file. */
  adam: { m: Float32Array; v: Float32Array } | null;
  /** Optimizer steps taken so far. */
  step: number;
  /** Random generator state words (e.g. a data sampler's), restored verbatim. */
  rng: number[];
  extra: Extra;
}

interface Header {
  config: ModelConfig;
  names: string[];
  total: number;
  hasAdam: boolean;
  step: number;
  rng: number[];
  extra: Extra;
}

/** Serialize a model state to bytes (ctx.checkpoint.save or `model.bin`). */
export function encodeState(s: ModelState): Uint8Array {
  const header: Header = {
    config: s.config,
    names: s.params.layout.entries.map((e) => e.name),
    total: s.params.layout.total,
    hasAdam: s.adam !== null,
    step: s.step,
    rng: s.rng.map((x) => x >>> 0),
    extra: s.extra,
  };
  const hbytes = new TextEncoder().encode(JSON.stringify(header));
  const hlen = Math.ceil((8 + 4 + hbytes.length) / 4) * 4;
  const floats = s.params.layout.total * (s.adam ? 3 : 1);
  const out = new Uint8Array(hlen + floats * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, hbytes.length, true);
  out.set(hbytes, 12);
  const f = new Float32Array(out.buffer, hlen, floats);
  f.set(s.params.data, 0);
  if (s.adam) {
    f.set(s.adam.m, s.params.layout.total);
    f.set(s.adam.v, 2 * s.params.layout.total);
  }
  return out;
}

/** Parse bytes written by `encodeState`; checks that the layout matches the stored config. */
export function decodeState(bytes: Uint8Array): ModelState {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new CheckpointError(`not a zerogrid model file (magic ${MAGIC} missing)`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + n))) as Header;
  // Files written before shared_image_position existed placed image tokens at 0..P-1; keep that.
  header.config.shared_image_position ??= 0;
  try {
    validateConfig(header.config);
  } catch (e) {
    // e.g. a file written before pixel_mean/pixel_std existed: its images were fed unnormalised.
    throw new CheckpointError(`checkpoint config is not valid: ${(e as Error).message}`);
  }
  const layout = paramLayout(header.config);
  if (layout.total !== header.total) {
    throw new CheckpointError(
      `checkpoint holds ${header.total} values but its config lays out ${layout.total}`,
    );
  }
  layout.entries.forEach((e, i) => {
    if (header.names[i] !== e.name) {
      throw new CheckpointError(`parameter ${i} is ${header.names[i]}, expected ${e.name}`);
    }
  });
  const hlen = Math.ceil((12 + n) / 4) * 4;
  const floats = layout.total * (header.hasAdam ? 3 : 1);
  if (bytes.length !== hlen + floats * 4) {
    throw new CheckpointError(
      `checkpoint is ${bytes.length} bytes, expected ${hlen + floats * 4}`,
    );
  }
  // Copy out so the state never aliases the caller's (possibly reused) buffer.
  const f = new Float32Array(bytes.slice(hlen).buffer);
  const T = layout.total;
  return {
    config: header.config,
    params: { layout, data: f.slice(0, T) },
    adam: header.hasAdam ? { m: f.slice(T, 2 * T), v: f.slice(2 * T, 3 * T) } : null,
    step: header.step,
    rng: header.rng,
    extra: header.extra,
  };
}

/** Write `model.bin` (weights only unless the state carries moments) into a directory. */
export async function saveModel(dir: string, s: ModelState): Promise<void> {
  const path = `${dir}/model.bin`;
  const tmp = `${path}.tmp`;
  await Deno.writeFile(tmp, encodeState(s));
  await Deno.rename(tmp, path);
}

/** Read `model.bin` from an artifact directory. */
export async function loadModel(dir: string): Promise<ModelState> {
  const path = `${dir}/model.bin`;
  try {
    return decodeState(await Deno.readFile(path));
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(`${path}: ${e.message}`);
    throw e;
  }
}
