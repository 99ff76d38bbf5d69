/** Shared helpers for the attention/loss/decode/sampling GPU tests: seeded data and comparisons. */

import { philox4x32, wordToUniform } from "../../lib/gpu/philox.ts";

/** A seeded stream of uniforms in [0, 1) (Philox keyed by `seed`, counter = draw index). */
export function uniforms(seed: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 4) {
    const w = philox4x32([i / 4, 0, 0, 0], [seed, 0x5eed]);
    for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = wordToUniform(w[j]);
  }
  return out;
}

/** `n` seeded f32 values uniform in [-scale, scale). */
export function randomF32(seed: number, n: number, scale = 1): Float32Array<ArrayBuffer> {
  const u = uniforms(seed, n);
  return Float32Array.from(u, (x) => (2 * x - 1) * scale);
}

/** Largest |a - b| / (atol + rtol |b|) over all elements (<= 1 means within tolerance). */
export function maxErrRatio(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  atol: number,
  rtol: number,
): { ratio: number; at: number; maxAbs: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let ratio = 0, at = -1, maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    const r = e / (atol + rtol * Math.abs(b[i]));
    if (!(r <= ratio)) {
      ratio = r;
      at = i;
    }
    maxAbs = Math.max(maxAbs, e);
  }
  return { ratio, at, maxAbs };
}

/** Assert that `a` matches `b` within atol + rtol |b| everywhere, with a useful message. */
export function assertClose(
  what: string,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  atol: number,
  rtol: number,
): void {
  const { ratio, at, maxAbs } = maxErrRatio(a, b, atol, rtol);
  if (!(ratio <= 1)) {
    throw new Error(
      `${what}: element ${at} got ${a[at]}, want ${b[at]} (max abs err ${maxAbs}, ` +
        `tolerance ${atol} + ${rtol}|want|)`,
    );
  }
}
