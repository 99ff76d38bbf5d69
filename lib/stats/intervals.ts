/** Confidence intervals across seeds: Student-t and seeded bootstrap (percentile, BCa). */
import { mean, se, sortedQuantile } from "./descriptive.ts";
import { createRng } from "./rng.ts";
import { normCdf, normQuantile, tQuantile } from "./special.ts";

/** A point estimate with a two-sided interval at `confidence`. */
export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
  confidence: number;
  /** Sample size the interval is based on. */
  n: number;
}

/** Student-t interval for the mean: mean ± t_{(1+c)/2, n-1} · se. Needs n ≥ 2. */
export function tInterval(xs: ArrayLike<number>, confidence: number): Interval {
  checkConfidence(confidence);
  if (xs.length < 2) throw new RangeError(`a t interval needs n >= 2, got ${xs.length}`);
  const m = mean(xs);
  const half = tQuantile((1 + confidence) / 2, xs.length - 1) * se(xs);
  return { estimate: m, lo: m - half, hi: m + half, confidence, n: xs.length };
}

/** The bootstrap method: plain percentile, or bias-corrected and accelerated (jackknife a). */
export type BootstrapMethod = "percentile" | "bca";

/** Settings of one bootstrap; every field explicit so a report can state them. */
export interface BootstrapConfig {
  method: BootstrapMethod;
  confidence: number;
  resamples: number;
  seed: number;
}

/** A statistic of one sample. */
export type Statistic = (xs: Float64Array) => number;

/** Statistic values of `resamples` with-replacement resamples of `xs`, drawn from `seed`. */
export function bootstrapDistribution(
  xs: ArrayLike<number>,
  statistic: Statistic,
  resamples: number,
  seed: number,
): Float64Array {
  if (xs.length === 0) throw new RangeError("bootstrap of an empty sample");
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`bootstrap resamples must be a positive integer, got ${resamples}`);
  }
  const rng = createRng(seed);
  const n = xs.length;
  const buf = new Float64Array(n);
  const out = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) buf[i] = xs[rng.int(n)];
    out[b] = statistic(buf);
  }
  return out;
}

/** Leave-one-out values of the statistic (for the BCa acceleration). */
export function jackknife(xs: ArrayLike<number>, statistic: Statistic): Float64Array {
  const n = xs.length;
  if (n < 2) throw new RangeError(`jackknife needs n >= 2, got ${n}`);
  const buf = new Float64Array(n - 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let j = 0; j < n; j++) if (j !== i) buf[k++] = xs[j];
    out[i] = statistic(buf);
  }
  return out;
}

/** Percentile interval from a bootstrap distribution (linear interpolation, like numpy). */
export function percentileFromDistribution(
  estimate: number,
  distribution: ArrayLike<number>,
  confidence: number,
): Interval {
  checkConfidence(confidence);
  const s = Float64Array.from(distribution).sort();
  const a = (1 - confidence) / 2;
  return {
    estimate,
    lo: sortedQuantile(s, a),
    hi: sortedQuantile(s, 1 - a),
    confidence,
    n: NaN,
  };
}

/**
 * BCa interval from a bootstrap distribution and jackknife values (Efron 1987; the same formulas
 * as scipy.stats.bootstrap: z0 from the share of resamples below the estimate, ties counted half).
 */
export function bcaFromDistribution(
  estimate: number,
  distribution: ArrayLike<number>,
  jackknifeValues: ArrayLike<number>,
  confidence: number,
): Interval {
  checkConfidence(confidence);
  const s = Float64Array.from(distribution).sort();
  let below = 0;
  let belowOrEqual = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] < estimate) below++;
    if (s[i] <= estimate) belowOrEqual++;
  }
  const share = (below + belowOrEqual) / 2 / s.length;
  const z0 = share <= 0 ? -Infinity : share >= 1 ? Infinity : normQuantile(share);
  const jm = mean(jackknifeValues);
  let num = 0;
  let den = 0;
  for (let i = 0; i < jackknifeValues.length; i++) {
    const d = jm - jackknifeValues[i];
    num += d * d * d;
    den += d * d;
  }
  const accel = num / (6 * Math.pow(den, 1.5));
  const a = (1 - confidence) / 2;
  const adjust = (z: number): number => {
    const t = z0 + z;
    return normCdf(z0 + t / (1 - accel * t));
  };
  const p1 = adjust(normQuantile(a));
  const p2 = adjust(normQuantile(1 - a));
  if (!Number.isFinite(accel) || !(p1 >= 0 && p1 <= 1) || !(p2 >= 0 && p2 <= 1)) {
    // Degenerate (e.g. all resamples equal): the interval collapses to the distribution's range.
    return { estimate, lo: s[0], hi: s[s.length - 1], confidence, n: NaN };
  }
  return { estimate, lo: sortedQuantile(s, p1), hi: sortedQuantile(s, p2), confidence, n: NaN };
}

/** Seeded bootstrap interval of `statistic` (default the mean) over one sample. */
export function bootstrapInterval(
  xs: ArrayLike<number>,
  config: BootstrapConfig,
  statistic: Statistic = mean,
): Interval {
  const sample = Float64Array.from(xs);
  const estimate = statistic(sample);
  const dist = bootstrapDistribution(sample, statistic, config.resamples, config.seed);
  const iv = config.method === "bca"
    ? bcaFromDistribution(estimate, dist, jackknife(sample, statistic), config.confidence)
    : percentileFromDistribution(estimate, dist, config.confidence);
  return { ...iv, n: sample.length };
}

function checkConfidence(c: number): void {
  if (!(c > 0 && c < 1)) throw new RangeError(`confidence must be in (0, 1), got ${c}`);
}
