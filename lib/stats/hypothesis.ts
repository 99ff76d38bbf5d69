/** Hypothesis tests across seeds: Welch, one-sample t, TOST, Mann-Whitney U, OLS slope, Holm. */
import { mean, variance } from "./descriptive.ts";
import { normSf, tCdf, tQuantile, tSf } from "./special.ts";

/** Which alternative hypothesis a test takes (as in scipy.stats). */
export type Alternative = "two-sided" | "greater" | "less";

/** The result of a t-based test, with the interval for the tested quantity. */
export interface TTestResult {
  statistic: number;
  df: number;
  p: number;
  /** The estimated quantity (a mean difference, a mean, a slope). */
  estimate: number;
  /** Standard error of the estimate. */
  stderr: number;
}

/** p-value of a t statistic for an alternative. */
export function tPValue(t: number, df: number, alternative: Alternative): number {
  if (alternative === "greater") return tSf(t, df);
  if (alternative === "less") return tCdf(t, df);
  return Math.min(1, 2 * tSf(Math.abs(t), df));
}

/**
 * Welch's unequal-variance t-test of mean(a) - mean(b) - delta against 0 (scipy
 * `ttest_ind(a, b, equal_var=False)` when delta = 0). Each sample needs n ≥ 2.
 */
export function welchTest(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  alternative: Alternative,
  delta = 0,
): TTestResult {
  if (a.length < 2 || b.length < 2) {
    throw new RangeError(`Welch's test needs n >= 2 per sample, got ${a.length} and ${b.length}`);
  }
  const va = variance(a) / a.length;
  const vb = variance(b) / b.length;
  if (va === 0 && vb === 0) {
    throw new RangeError("Welch's test is undefined when neither sample varies (df = 0/0)");
  }
  const stderr = Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const estimate = mean(a) - mean(b);
  const statistic = (estimate - delta) / stderr;
  return { statistic, df, p: tPValue(statistic, df, alternative), estimate, stderr };
}

/** Two-sided Welch interval for mean(a) - mean(b) at `confidence`. */
export function welchInterval(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  confidence: number,
): { estimate: number; lo: number; hi: number } {
  const r = welchTest(a, b, "two-sided");
  const half = tQuantile((1 + confidence) / 2, r.df) * r.stderr;
  return { estimate: r.estimate, lo: r.estimate - half, hi: r.estimate + half };
}

/** One-sample t-test of mean(xs) against `mu` (scipy `ttest_1samp`). Needs n ≥ 2. */
export function oneSampleTTest(
  xs: ArrayLike<number>,
  alternative: Alternative,
  mu = 0,
): TTestResult {
  if (xs.length < 2) throw new RangeError(`a one-sample t-test needs n >= 2, got ${xs.length}`);
  const estimate = mean(xs);
  const stderr = Math.sqrt(variance(xs) / xs.length);
  const statistic = (estimate - mu) / stderr;
  const df = xs.length - 1;
  return { statistic, df, p: tPValue(statistic, df, alternative), estimate, stderr };
}

/** Result of a two one-sided tests (TOST) equivalence test. */
export interface TostResult {
  /** max of the two one-sided p-values: equivalence is shown when p < alpha. */
  p: number;
  lower: TTestResult;
  upper: TTestResult;
  estimate: number;
}

/**
 * TOST equivalence of two means within ±margin, each side a Welch one-sided test:
 * H0 diff ≤ -margin vs diff > -margin, and H0 diff ≥ margin vs diff < margin.
 */
export function tost(a: ArrayLike<number>, b: ArrayLike<number>, margin: number): TostResult {
  if (!(margin > 0)) throw new RangeError(`TOST needs a positive margin, got ${margin}`);
  const lower = welchTest(a, b, "greater", -margin);
  const upper = welchTest(a, b, "less", margin);
  return { p: Math.max(lower.p, upper.p), lower, upper, estimate: lower.estimate };
}

/** Mann-Whitney U: the statistic of `x` (U1), its p-value and which p-value method was used. */
export interface MannWhitneyResult {
  u: number;
  p: number;
  method: "exact" | "asymptotic";
}

/**
 * Mann-Whitney U test with scipy's default `method="auto"`: the exact null distribution when
 * either sample has at most 8 values and there are no ties, otherwise the normal approximation
 * with tie correction and continuity correction (scipy `use_continuity=True`).
 */
export function mannWhitneyU(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  alternative: Alternative,
): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError("Mann-Whitney U needs two non-empty samples");
  const { ranks, tieSizes } = rankWithTies([...Array.from(x), ...Array.from(y)]);
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += ranks[i];
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const u = alternative === "greater" ? u1 : alternative === "less" ? u2 : Math.max(u1, u2);
  const factor = alternative === "two-sided" ? 2 : 1;
  const hasTies = tieSizes.some((t) => t > 1);
  const method = (n1 > 8 && n2 > 8) || hasTies ? "asymptotic" : "exact";
  let p: number;
  if (method === "exact") {
    p = exactUSf(Math.round(u), Math.min(n1, n2), Math.max(n1, n2));
  } else {
    const n = n1 + n2;
    const tieTerm = tieSizes.reduce((s, t) => s + t ** 3 - t, 0);
    const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    p = normSf((u - (n1 * n2) / 2 - 0.5) / sigma);
  }
  return { u: u1, p: Math.min(1, Math.max(0, p * factor)), method };
}

/** Average ranks (1-based) of values, with the sizes of each group of tied values. */
export function rankWithTies(values: number[]): { ranks: Float64Array; tieSizes: number[] } {
  const order = values.map((_, i) => i).sort((i, j) => values[i] - values[j]);
  const ranks = new Float64Array(values.length);
  const tieSizes: number[] = [];
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    tieSizes.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, tieSizes };
}

/**
 * P(U ≥ u) under H0 for sample sizes m ≤ n without ties, by counting rank arrangements:
 * scanning values in increasing order, a value of the first sample placed after k values of the
 * second adds k to U.
 */
export function exactUSf(u: number, m: number, n: number): number {
  const maxU = m * n;
  if (u <= 0) return 1;
  if (u > maxU) return 0;
  // counts[j][s]: arrangements of the values seen so far with j from sample 1 and U = s.
  let counts: Float64Array[] = Array.from({ length: m + 1 }, () => new Float64Array(maxU + 1));
  counts[0][0] = 1;
  for (let seen = 0; seen < m + n; seen++) {
    const next = Array.from({ length: m + 1 }, () => new Float64Array(maxU + 1));
    for (let j = 0; j <= Math.min(m, seen); j++) {
      const k = seen - j;
      if (k > n) continue;
      const row = counts[j];
      for (let s = 0; s <= maxU; s++) {
        const c = row[s];
        if (c === 0) continue;
        if (k < n) next[j][s] += c;
        if (j < m) next[j + 1][s + k] += c;
      }
    }
    counts = next;
  }
  const final = counts[m];
  let tail = 0;
  let total = 0;
  for (let s = 0; s <= maxU; s++) {
    total += final[s];
    if (s >= u) tail += final[s];
  }
  return tail / total;
}

/** Ordinary least squares fit of y on x with the t-test of the slope (scipy `linregress`). */
export interface SlopeResult extends TTestResult {
  slope: number;
  intercept: number;
}

/** OLS slope of y on x, its standard error and t-test against 0 (df = n - 2). Needs n ≥ 3. */
export function olsSlope(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  alternative: Alternative,
): SlopeResult {
  const n = x.length;
  if (n !== y.length) throw new RangeError(`olsSlope: x has ${n} values, y has ${y.length}`);
  if (n < 3) throw new RangeError(`olsSlope needs n >= 3 for a t-test, got ${n}`);
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) throw new RangeError("olsSlope: all x values are equal");
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const df = n - 2;
  const rss = Math.max(0, syy - slope * sxy);
  const stderr = Math.sqrt(rss / df / sxx);
  const statistic = slope / stderr;
  return {
    slope,
    intercept,
    statistic,
    df,
    p: tPValue(statistic, df, alternative),
    estimate: slope,
    stderr,
  };
}

/**
 * Holm-Bonferroni adjusted p-values, in the input order: sorted ascending, the i-th (0-based)
 * of m is multiplied by (m - i), made monotone by a running maximum, and capped at 1.
 */
export function holm(ps: readonly number[]): number[] {
  const m = ps.length;
  const order = ps.map((_, i) => i).sort((i, j) => ps[i] - ps[j]);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * ps[idx]));
    adjusted[idx] = running;
  });
  return adjusted;
}
