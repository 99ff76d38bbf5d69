/**
 * The VLM's shape: presets plus spec overrides, resolved once into a plain `ModelConfig`.
 * The spec owns defaults (`model.preset`, `model.overrides`); this module only knows what each
 * preset means and checks that the combination is a model that can exist.
 */

/** A typed failure to build a model config, naming the offending key. */
export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelConfigError";
  }
}

/** Everything that fixes the model's parameter shapes and numerics. */
export interface ModelConfig {
  vocab_size: number;
  d_model: number;
  n_layers: number;
  n_heads: number;
  n_kv_heads: number;
  d_ff: number;
  rope_theta: number;
  rms_eps: number;
  /** Longest sequence (image prefix + text) the model is built for. */
  max_seq: number;
  /** Vision tower: width is d_model; blocks, heads and MLP width are its own. */
  vision_layers: number;
  vision_heads: number;
  vision_d_ff: number;
  patch_size: number;
  /**
   * 1: the projector output gets its own learned patch-position table (`vision.projector.pos_embed`)
   * before it enters the language model; 0: the position code is added at the vision input only.
   * In paired probes it made the `tiny` model start reading an object's x from the image tokens
   * at a varying question position sooner (README, "Why relation questions stay at chance").
   */
  projector_pos: number;
  /**
   * 1: every image token sits at RoPE position 0 and the text continues from 1; 0: image tokens at
   * 0..P-1 (row-major patches) and text from P. With distinct positions RoPE rotates each patch's
   * key by its own angle, so a text query matching a colour had to be learned per patch: reading
   * the x of the object named by a colour (two objects, tiny, 600 steps, CPU) gave the named
   * object's level 95 times and the other's 75 (of 260) sequentially, 150 and 38 shared (Qwen2-VL's
   * M-RoPE sections: 88 and 80; README, Design). The patch's place still reaches the text through
   * the position table and the coordinate channels. Text-only sequences are unaffected, so the HF
   * export holds either way.
   */
  shared_image_position: number;
  /**
   * 1: each pixel enters the patch embedding with two more channels, its x and y times its
   * brightness above the background (kernels/model_patchify.wgsl); 0: RGB only. Position otherwise
   * reaches an image token only through the patch-position table, which an even attention over the
   * patches averages away, so reading where an object is had to wait for attention to find it first
   * (README, "Why relation questions stay at chance").
   */
  coord_channels: number;
  /**
   * Pixel standardisation before the patch embedding: (v - pixel_mean) / pixel_std. The presets
   * use the rendered world's statistics (2-5 objects: mean 0.113, std 0.166 over 2000 scenes).
   * Raw [0, 1] pixels (mean 0, std 1 here) left the tiny VLM blind: its vision output collapsed
   * to an image-independent constant and a 5-way colour question stayed at chance.
   */
  pixel_mean: number;
  pixel_std: number;
  /**
   * Standard deviation of the normal init of every weight matrix and the embedding (HF
   * `initializer_range`). Qwen2's 0.02 is a scale for widths in the thousands; at d 64 it starts
   * q·k near zero, and the tiny model's lookups took longer to attend to the named object than
   * with 0.072 (README, "Why relation questions stay at chance").
   */
  init_std: number;
  /** Square RGB images of this many pixels per side. */
  image_size: number;
}

/** Keys a spec may override (CONFIG.md `model.overrides`). */
export const OVERRIDE_KEYS = [
  "d_model",
  "n_layers",
  "n_heads",
  "n_kv_heads",
  "d_ff",
  "rope_theta",
  "max_seq",
  "vision_layers",
  "vision_heads",
  "vision_d_ff",
  "patch_size",
  "projector_pos",
  "coord_channels",
  "shared_image_position",
  "pixel_mean",
  "pixel_std",
  "init_std",
] as const;

/** One overridable key. */
export type OverrideKey = typeof OVERRIDE_KEYS[number];

type PresetShape = Pick<ModelConfig, OverrideKey>;

/** The named presets: `tiny` trains in minutes on a software adapter, `small` is for GPU grids. */
export const PRESETS: Record<string, PresetShape> = {
  tiny: {
    d_model: 64,
    n_layers: 2,
    n_heads: 4,
    n_kv_heads: 2,
    d_ff: 128,
    rope_theta: 10000,
    // 36 image tokens + the longest prompt (72) + 64 new tokens, with room to spare.
    max_seq: 192,
    vision_layers: 1,
    vision_heads: 4,
    vision_d_ff: 128,
    // 4-pixel patches (6×6 grid on 24-pixel images): with 6-pixel ones (4×4) the tiny model read
    // the x level of a named object in a two-object scene 39/200 after 300 steps, with 4-pixel
    // ones 83/200 (tests/model/vision_learning_test.ts; chance ~ 1/10).
    patch_size: 4,
    projector_pos: 0,
    coord_channels: 1,
    shared_image_position: 1,
    pixel_mean: 0.11,
    pixel_std: 0.17,
    // Qwen2's value. 0.072 (1/√(3·64), PyTorch's Linear default at this width) bound names to
    // objects sooner in the lookup probes, but the CPU claims CI's "SFT beats the untuned base"
    // no longer held with it (README, "Why relation questions stay at chance").
    init_std: 0.02,
  },
  small: {
    d_model: 256,
    n_layers: 4,
    n_heads: 8,
    n_kv_heads: 4,
    d_ff: 704,
    rope_theta: 10000,
    max_seq: 256,
    vision_layers: 2,
    vision_heads: 8,
    vision_d_ff: 704,
    patch_size: 6,
    projector_pos: 0,
    coord_channels: 1,
    shared_image_position: 1,
    pixel_mean: 0.11,
    pixel_std: 0.17,
    // Qwen2's value; the GPU runs so far used it, and 1/√(3·256) = 0.036 has not been measured.
    init_std: 0.02,
  },
};

/** The `model` section of a resolved job config. */
export interface ModelSection {
  preset: string;
  overrides?: Partial<Record<string, number>>;
}

/** RMSNorm epsilon, Qwen2's value; a property of the architecture, not a tunable. */
export const RMS_EPS = 1e-6;

/** Resolve `model.preset` + `model.overrides` with the tokenizer's vocab and the image size. */
export function modelConfig(
  section: ModelSection,
  vocabSize: number,
  imageSize: number,
): ModelConfig {
  const preset = PRESETS[section.preset];
  if (!preset) {
    throw new ModelConfigError(
      `model.preset "${section.preset}" is unknown (allowed: ${Object.keys(PRESETS).join(", ")})`,
    );
  }
  const shape: PresetShape = { ...preset };
  for (const [k, v] of Object.entries(section.overrides ?? {})) {
    if (!(OVERRIDE_KEYS as readonly string[]).includes(k)) {
      throw new ModelConfigError(
        `model.overrides.${k} is not a model key (allowed: ${OVERRIDE_KEYS.join(", ")})`,
      );
    }
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new ModelConfigError(`model.overrides.${k} must be a number, got ${String(v)}`);
    }
    shape[k as OverrideKey] = v;
  }
  const cfg: ModelConfig = {
    ...shape,
    vocab_size: vocabSize,
    rms_eps: RMS_EPS,
    image_size: imageSize,
  };
  validateConfig(cfg);
  return cfg;
}

/** Throw a ModelConfigError unless the config describes a buildable model. */
export function validateConfig(c: ModelConfig): void {
  const ints: (keyof ModelConfig)[] = [
    "vocab_size",
    "d_model",
    "n_layers",
    "n_heads",
    "n_kv_heads",
    "d_ff",
    "max_seq",
    "vision_layers",
    "vision_heads",
    "vision_d_ff",
    "patch_size",
    "image_size",
  ];
  for (const k of ints) {
    const v = c[k];
    if (!Number.isInteger(v) || v < (k === "vision_layers" ? 0 : 1)) {
      throw new ModelConfigError(`model ${k} must be a positive integer, got ${v}`);
    }
  }
  if (c.d_model % c.n_heads !== 0) {
    throw new ModelConfigError(`d_model ${c.d_model} is not divisible by n_heads ${c.n_heads}`);
  }
  if ((c.d_model / c.n_heads) % 2 !== 0) {
    throw new ModelConfigError(`head dim ${c.d_model / c.n_heads} must be even for RoPE`);
  }
  if (c.n_heads % c.n_kv_heads !== 0) {
    throw new ModelConfigError(
      `n_heads ${c.n_heads} is not a multiple of n_kv_heads ${c.n_kv_heads}`,
    );
  }
  if (c.d_model % c.vision_heads !== 0) {
    throw new ModelConfigError(
      `d_model ${c.d_model} is not divisible by vision_heads ${c.vision_heads}`,
    );
  }
  if (c.image_size % c.patch_size !== 0) {
    throw new ModelConfigError(
      `image_size ${c.image_size} is not a multiple of patch_size ${c.patch_size}`,
    );
  }
  if (imageTokens(c) >= c.max_seq) {
    throw new ModelConfigError(
      `max_seq ${c.max_seq} leaves no room for text after ${imageTokens(c)} image tokens`,
    );
  }
  if (!(c.rope_theta > 0)) throw new ModelConfigError(`rope_theta must be > 0`);
  if (c.projector_pos !== 0 && c.projector_pos !== 1) {
    throw new ModelConfigError(`model projector_pos must be 0 or 1, got ${c.projector_pos}`);
  }
  if (c.coord_channels !== 0 && c.coord_channels !== 1) {
    throw new ModelConfigError(`model coord_channels must be 0 or 1, got ${c.coord_channels}`);
  }
  if (c.shared_image_position !== 0 && c.shared_image_position !== 1) {
    throw new ModelConfigError(
      `model shared_image_position must be 0 or 1, got ${c.shared_image_position}`,
    );
  }
  if (typeof c.pixel_mean !== "number" || !Number.isFinite(c.pixel_mean)) {
    throw new ModelConfigError(`model pixel_mean must be a finite number, got ${c.pixel_mean}`);
  }
  for (const k of ["pixel_std", "init_std"] as const) {
    const v = c[k];
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
      throw new ModelConfigError(`model ${k} must be a positive number, got ${v}`);
    }
  }
}

/** Number of image tokens in the sequence prefix. */
export function imageTokens(c: ModelConfig): number {
  const g = c.image_size / c.patch_size;
  return g * g;
}

/**
 * How many leading tokens of a sequence with `prefix` image tokens RoPE folds onto the first
 * position (RopeOptions.collapse): P - 1 with shared_image_position, else 0.
 */
export function ropeCollapse(c: ModelConfig, prefix: number): number {
  return c.shared_image_position === 1 && prefix > 0 ? prefix - 1 : 0;
}

/** Features per pixel: RGB, plus the gated x and y when `coord_channels` is 1. */
export function pixelChannels(c: ModelConfig): number {
  return c.coord_channels === 1 ? 5 : 3;
}

/** Features per patch (patch_size² × pixel channels). */
export function patchDim(c: ModelConfig): number {
  return c.patch_size * c.patch_size * pixelChannels(c);
}

/** Per-head width of the language model. */
export function headDim(c: ModelConfig): number {
  return c.d_model / c.n_heads;
}
