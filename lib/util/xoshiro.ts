/**
 * The xoshiro128** generator (Blackman & Vigna) and the splitmix32 seeder that the statistics and
 * model-initialisation streams use. The task world seeds its own way (lib/tasks/rng.ts); all three
 * share this step, so a fix here reaches every seeded stream at once.
 */

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Advance the state `s` (4 words, not all zero) in place and return the next 32-bit output. */
export function xoshiro128ss(s: Uint32Array): number {
  const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
  const t = (s[1] << 9) >>> 0;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}

/**
 * A splitmix32 sequence from a 32-bit start (MurmurHash3's finaliser on a Weyl sequence): expands
 * one seed word into state words that differ in every bit for nearby seeds.
 */
export function splitmix32(start: number): () => number {
  let x = start >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}
