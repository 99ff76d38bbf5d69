/**
 * Seeded random numbers for the task world: xoshiro128** (Blackman & Vigna) keyed by splitmix32
 * over (seed, stream). Independent streams come from distinct stream names, so a generator can be
 * re-created for any (seed, stream) without replaying others — the basis of bit-exact resumes.
 */
import { xoshiro128ss } from "../util/xoshiro.ts";

/** A seeded generator; every draw advances its 128-bit state. */
export interface Rng {
  /** Uniform 32-bit unsigned integer. */
  u32(): number;
  /** Uniform float in [0, 1) with 32 bits of resolution. */
  float(): number;
  /** Uniform float in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Uniform integer in [0, n), unbiased (rejection sampling). */
  int(n: number): number;
  /** True with probability p. */
  bool(p: number): boolean;
  /** A uniformly chosen element. */
  pick<T>(xs: readonly T[]): T;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(xs: readonly T[]): T[];
  /** A copy of the current state (4 words), for checkpoints. */
  state(): Uint32Array;
}

/** FNV-1a over UTF-16 code units, then a murmur3 finaliser; `basis` selects an independent hash. */
export function hashString32(s: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** A generator for (seed, stream): the same pair always yields the same sequence. */
export function rng(seed: number, stream: string | number): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`rng seed must be a safe integer, got ${seed}`);
  }
  const name = typeof stream === "number" ? `#${stream}` : stream;
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  // Fold seed and both stream hashes through one splitmix chain so every input bit reaches every
  // state word.
  const sm = { x: fmix32(lo ^ hashString32(name)) ^ Math.imul(hi, 0x9e3779b1) };
  const k2 = hashString32(name, 0x01234567);
  const s = new Uint32Array(4);
  s[0] = splitmix32(sm);
  s[1] = splitmix32(sm) ^ k2;
  s[2] = splitmix32(sm) ^ fmix32(hi + 0x6a09e667);
  s[3] = splitmix32(sm);
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  return rngFromState(s);
}

/** Resume a generator from `Rng.state()`. */
export function rngFromState(state: Uint32Array): Rng {
  if (state.length !== 4) throw new RangeError(`rng state must have 4 words, got ${state.length}`);
  const s = Uint32Array.from(state);
  const u32 = (): number => xoshiro128ss(s);
  const float = () => u32() / 4294967296;
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new RangeError(`rng.int(n) needs an integer 1..2^32, got ${n}`);
    }
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = u32();
      if (x < limit) return x % n;
    }
  };
  return {
    u32,
    float,
    range: (lo, hi) => lo + (hi - lo) * float(),
    int,
    bool: (p) => float() < p,
    pick: <T>(xs: readonly T[]): T => {
      if (xs.length === 0) throw new RangeError("rng.pick from an empty list");
      return xs[int(xs.length)];
    },
    shuffle: <T>(xs: readonly T[]): T[] => {
      const out = xs.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
    state: () => Uint32Array.from(s),
  };
}

/** A 64-bit content hash (two independent 32-bit FNV-1a/murmur lanes) as 16 hex digits. */
export function contentHash(bytes: Uint8Array): string {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i], 0x01000193);
    b = Math.imul(b ^ bytes[i], 0x5bd1e995);
    b ^= b >>> 15;
  }
  const h1 = fmix32(a ^ bytes.length);
  const h2 = fmix32(b ^ Math.imul(bytes.length, 0x27d4eb2d));
  return h1.toString(16).padStart(8, "0") + h2.toString(16).padStart(8, "0");
}
