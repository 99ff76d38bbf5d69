/** A small seeded generator for resampling: xoshiro128** seeded through splitmix32. */
import { splitmix32, xoshiro128ss } from "../util/xoshiro.ts";

/** A seeded stream of uniform numbers; the same seed always gives the same stream. */
export interface Rng {
  /** Uniform in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** Creates a generator from an integer seed (any safe integer; negative and large values are folded). */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`rng seed must be a safe integer, got ${seed}`);
  }
  // splitmix32 expands the seed into four non-zero state words, as xoshiro requires.
  const split = splitmix32(seed ^ Math.floor(seed / 0x100000000));
  const s = new Uint32Array([split(), split(), split(), split()]);
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  const u32 = (): number => xoshiro128ss(s);
  const next = (): number => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
  return {
    next,
    int(n: number): number {
      if (!Number.isInteger(n) || n <= 0) {
        throw new RangeError(`rng.int needs a positive integer, got ${n}`);
      }
      return Math.floor(next() * n);
    },
  };
}
