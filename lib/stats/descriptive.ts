/** Descriptive statistics over a sample (across seeds, usually). */

/** Arithmetic mean; throws on an empty sample. */
export function mean(xs: ArrayLike<number>): number {
  nonEmpty(xs, "mean");
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const m = s / xs.length;
  // One correction pass (as numpy's pairwise sum is more exact than a naive running sum).
  let c = 0;
  for (let i = 0; i < xs.length; i++) c += xs[i] - m;
  return m + c / xs.length;
}

/** Sample variance with `ddof` delta degrees of freedom (1 = unbiased, the default of the tests). */
export function variance(xs: ArrayLike<number>, ddof = 1): number {
  if (xs.length - ddof <= 0) {
    throw new RangeError(`variance needs more than ${ddof} values, got ${xs.length}`);
  }
  const m = mean(xs);
  let ss = 0;
  let c = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i] - m;
    ss += d * d;
    c += d;
  }
  return (ss - (c * c) / xs.length) / (xs.length - ddof);
}

/** Sample standard deviation (ddof 1). */
export function sd(xs: ArrayLike<number>): number {
  return Math.sqrt(variance(xs, 1));
}

/** Standard error of the mean, sd / sqrt(n). */
export function se(xs: ArrayLike<number>): number {
  return sd(xs) / Math.sqrt(xs.length);
}

/** Quantile with linear interpolation between order statistics (numpy's default, "linear"). */
export function quantile(xs: ArrayLike<number>, q: number): number {
  nonEmpty(xs, "quantile");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q must be in [0, 1], got ${q}`);
  const s = Float64Array.from(xs).sort();
  return sortedQuantile(s, q);
}

/** Quantile of an already ascending-sorted sample (linear interpolation). */
export function sortedQuantile(s: ArrayLike<number>, q: number): number {
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, s.length - 1);
  const frac = h - lo;
  return frac === 0 ? s[lo] : s[lo] + (s[hi] - s[lo]) * frac;
}

/** Median (linear-interpolated 0.5 quantile). */
export function median(xs: ArrayLike<number>): number {
  return quantile(xs, 0.5);
}

/**
 * Trimmed mean cutting `floor(proportion * n)` values from each end, as scipy.stats.trim_mean.
 */
export function trimMean(xs: ArrayLike<number>, proportion: number): number {
  nonEmpty(xs, "trimMean");
  if (!(proportion >= 0 && proportion < 0.5)) {
    throw new RangeError(`trim proportion must be in [0, 0.5), got ${proportion}`);
  }
  const s = Float64Array.from(xs).sort();
  const cut = Math.floor(proportion * s.length);
  return mean(s.subarray(cut, s.length - cut));
}

/** Interquartile mean: the 25% trimmed mean (Agarwal et al., 2021). */
export function iqm(xs: ArrayLike<number>): number {
  return trimMean(xs, 0.25);
}

function nonEmpty(xs: ArrayLike<number>, what: string): void {
  if (xs.length === 0) throw new RangeError(`${what} of an empty sample`);
}
