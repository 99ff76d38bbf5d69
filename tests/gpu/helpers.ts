/** Test helpers for GPU kernels: one device per test file, seeded data, tolerance checks. */
import {
  acquireGpu,
  type Gpu,
  readback,
  type Recorder,
  run,
  type Tensor,
  tensor,
} from "../../lib/gpu/context.ts";

let shared: Promise<Gpu> | null = null;

/** The device shared by a test file's tests (acquired once). */
export function gpu(): Promise<Gpu> {
  shared ??= acquireGpu();
  return shared;
}

/** Deno.test options for GPU tests: the device outlives each test, so skip leak sanitizers. */
export const gpuTest = { sanitizeResources: false, sanitizeOps: false };

/** Seeded PRNG (mulberry32) returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n floats uniform in [lo, hi), rounded to float32. */
export function randn(rand: () => number, n: number, lo = -1, hi = 1): Float32Array<ArrayBuffer> {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** Upload host data as a tensor. */
export async function up(
  data: Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>,
  shape?: number[],
): Promise<Tensor> {
  return tensor(await gpu(), shape ?? [data.length], data);
}

/** An uninitialised (zero) tensor of n floats. */
export async function zeros(n: number): Promise<Tensor> {
  return tensor(await gpu(), [n]);
}

/** Run one recorded step on the shared device. */
export async function step(build: (r: Recorder) => void): Promise<void> {
  await run(await gpu(), build);
}

/** Read a tensor back. */
export async function down(t: Tensor): Promise<Float32Array> {
  return readback(await gpu(), t);
}

/**
 * Assert |got[i] - want[i]| <= tol[i] (or a scalar tol, + rel * |want[i]|) for every i, naming
 * the first failing index.
 */
export function close(
  what: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: number | ArrayLike<number>,
  rel = 0,
): void {
  if (got.length < want.length) {
    throw new Error(`${what}: got ${got.length} values, want ${want.length}`);
  }
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const t = (typeof tol === "number" ? tol : tol[i]) + rel * Math.abs(want[i]);
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= t)) {
      throw new Error(
        `${what}: index ${i}: got ${got[i]}, want ${want[i]} (|err| ${e} > tol ${t})`,
      );
    }
    worst = Math.max(worst, e);
  }
}

/**
 * Central finite differences of a float64 scalar function, compared with an analytic gradient:
 * |fd - g| <= atol + rtol * |g| at `probes` random coordinates.
 */
export function checkGrad(
  what: string,
  f: (x: Float64Array) => number,
  x: Float64Array,
  grad: ArrayLike<number>,
  opts: { probes: number; seed: number; h?: number; atol?: number; rtol?: number },
): void {
  const rand = rng(opts.seed);
  const h = opts.h ?? 1e-6, atol = opts.atol ?? 1e-6, rtol = opts.rtol ?? 1e-5;
  for (let p = 0; p < Math.min(opts.probes, x.length); p++) {
    const i = opts.probes >= x.length ? p : Math.floor(rand() * x.length);
    const keep = x[i];
    x[i] = keep + h;
    const fp = f(x);
    x[i] = keep - h;
    const fm = f(x);
    x[i] = keep;
    const fd = (fp - fm) / (2 * h);
    const e = Math.abs(fd - grad[i]);
    if (!(e <= atol + rtol * Math.abs(grad[i]))) {
      throw new Error(`${what}: d/dx[${i}]: finite difference ${fd}, analytic ${grad[i]}`);
    }
  }
}

/** Float64 copy. */
export function f64(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a);
}

/** sum_i a[i] * b[i] in float64 (a random projection turns an output into a scalar loss). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Unit roundoff of float32. */
export const U32 = 2 ** -24;
