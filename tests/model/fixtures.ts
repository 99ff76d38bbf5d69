/** Small shared fixtures for the model tests: a micro config and seeded batches. */
import type { ModelConfig } from "../../lib/model/config.ts";
import { uniformStream } from "../../lib/model/params.ts";

/** A model small enough for float64 references and finite differences on llvmpipe. */
export function microConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    vocab_size: 23,
    d_model: 16,
    n_layers: 2,
    n_heads: 4,
    n_kv_heads: 2,
    d_ff: 24,
    rope_theta: 10000,
    rms_eps: 1e-6,
    max_seq: 32,
    vision_layers: 1,
    vision_heads: 2,
    vision_d_ff: 20,
    patch_size: 4,
    // On, so the reference and finite-difference tests cover the projector's position table.
    projector_pos: 1,
    // On, so the reference and finite-difference tests cover the coordinate channels.
    coord_channels: 1,
    // On, so the reference, finite-difference and decoding tests cover the shared image position.
    shared_image_position: 1,
    // Not (0, 1), so the reference and finite-difference tests exercise the standardisation.
    pixel_mean: 0.4,
    pixel_std: 0.3,
    init_std: 0.02,
    image_size: 8,
    ...over,
  };
}

/** A seeded batch: images in [0, 1), tokens, next-token targets, and a mask with some zeros. */
export function randomBatch(c: ModelConfig, batch: number, seq: number, seed: number) {
  const u = uniformStream(seed, 7);
  const images = new Float32Array(batch * c.image_size * c.image_size * 3).map(() => u());
  const tokens = new Int32Array(batch * seq).map(() => Math.floor(u() * c.vocab_size));
  const targets = new Int32Array(batch * seq).map(() => Math.floor(u() * c.vocab_size));
  const mask = new Float32Array(batch * seq).map((_, i) => (i % 5 === 0 ? 0 : 1));
  return { images, tokens, targets, mask };
}
