/**
 * Philox 4x32-10 (Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3", SC'11), the
 * CPU twin of `kernels/philox.wgsl`. Counter-based: every draw is a pure function of
 * (key, counter), so a sequence's random numbers do not depend on which batch it sits in.
 */

const M0 = 0xD2511F53;
const M1 = 0xCD9E8D57;
const W0 = 0x9E3779B9;
const W1 = 0xBB67AE85;

/** High 32 bits of the 64-bit product of two u32, from 16-bit halves exactly as the WGSL does. */
export function mulhi32(a: number, b: number): number {
  const aLo = a & 0xffff, aHi = a >>> 16, bLo = b & 0xffff, bHi = b >>> 16;
  const lolo = aLo * bLo, lohi = aLo * bHi, hilo = aHi * bLo, hihi = aHi * bHi;
  const mid = (lolo >>> 16) + (lohi & 0xffff) + (hilo & 0xffff);
  return (hihi + (lohi >>> 16) + (hilo >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

/** One Philox 4x32-10 block: 4 counter words and 2 key words (u32 each) to 4 output words. */
export function philox4x32(
  ctr: readonly [number, number, number, number],
  key: readonly [number, number],
): [number, number, number, number] {
  let c0 = ctr[0] >>> 0, c1 = ctr[1] >>> 0, c2 = ctr[2] >>> 0, c3 = ctr[3] >>> 0;
  let k0 = key[0] >>> 0, k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi32(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** A u32 word to a uniform in [0, 1) with 24 bits, exactly representable in f32 (GPU and CPU agree). */
export function wordToUniform(x: number): number {
  return (x >>> 8) / 16777216;
}

/** The Philox key of a job seed: low and high 32 bits of a non-negative integer seed. */
export function seedKey(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`philox seed must be a non-negative safe integer, got ${seed}`);
  }
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/**
 * The sampling uniform of token position `pos` of sequence `seq` at step `step` under `seed`:
 * counter = (pos, seq, step, 0), key = seedKey(seed); the first output word becomes the uniform.
 */
export function samplingUniform(seed: number, step: number, seq: number, pos: number): number {
  return wordToUniform(philox4x32([pos, seq, step, 0], seedKey(seed))[0]);
}
