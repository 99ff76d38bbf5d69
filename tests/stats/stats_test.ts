import assert from "node:assert/strict";
import {
  aggregateIqm,
  bcaFromDistribution,
  bootstrapInterval,
  createRng,
  exactUSf,
  holm,
  iqm,
  iqmInterval,
  jackknife,
  mannWhitneyU,
  mean,
  median,
  normQuantile,
  olsSlope,
  oneSampleTTest,
  percentileFromDistribution,
  probabilityOfImprovement,
  probabilityOfImprovementInterval,
  quantile,
  sd,
  se,
  tCdf,
  tInterval,
  tost,
  tQuantile,
  trimMean,
  variance,
  welchInterval,
  welchTest,
} from "../../lib/stats/mod.ts";
import { REF } from "./scipy_ref.ts";

const { A, B, C, D, SKEW, TIES_X, TIES_Y, STEPS, SERIES, FLAT, PS } = REF.data;
const MC: Record<string, { lo: number; hi: number; se: number }> = REF.monteCarlo;

/** |actual - expected| ≤ 1e-9 · max(1, |expected|). */
function close(actual: number, expected: number, what: string, tol = 1e-9): void {
  const err = Math.abs(actual - expected);
  assert.ok(
    err <= tol * Math.max(1, Math.abs(expected)),
    `${what}: got ${actual}, scipy ${expected} (|err| ${err.toExponential(2)})`,
  );
}

Deno.test("t and normal quantiles/CDF match scipy to 1e-9", () => {
  for (const [p, df, q] of REF.tQuantile) close(tQuantile(p, df), q, `t.ppf(${p}, ${df})`);
  for (const [x, df, c] of REF.tCdf) close(tCdf(x, df), c, `t.cdf(${x}, ${df})`);
  for (const [p, q] of REF.normQuantile) close(normQuantile(p), q, `norm.ppf(${p})`);
});

Deno.test("descriptive statistics and t intervals match numpy/scipy", () => {
  const samples = { A, C, SKEW } as const;
  for (const [name, xs] of Object.entries(samples)) {
    const r = REF.descriptive[name as keyof typeof REF.descriptive];
    close(mean(xs), r.mean, `${name} mean`);
    close(variance(xs), r.var, `${name} var`);
    close(sd(xs), r.sd, `${name} sd`);
    close(se(xs), r.se, `${name} sem`);
    close(quantile(xs, 0.1), r.q10, `${name} q10`);
    close(quantile(xs, 0.25), r.q25, `${name} q25`);
    close(median(xs), r.median, `${name} median`);
    close(quantile(xs, 0.9), r.q90, `${name} q90`);
    close(iqm(xs), r.iqm, `${name} iqm`);
    close(trimMean(xs, 0.1), r.trim10, `${name} trim_mean 0.1`);
    const t95 = tInterval(xs, 0.95);
    close(t95.lo, r.t95[0], `${name} t95 lo`);
    close(t95.hi, r.t95[1], `${name} t95 hi`);
    const t90 = tInterval(xs, 0.9);
    close(t90.lo, r.t90[0], `${name} t90 lo`);
    close(t90.hi, r.t90[1], `${name} t90 hi`);
    assert.equal(t95.n, xs.length);
  }
  assert.throws(() => tInterval([1], 0.95), RangeError);
  assert.throws(() => mean([]), RangeError);
});

Deno.test("Welch t-test (three alternatives, margin) and its interval match scipy", () => {
  for (const alt of ["two-sided", "greater", "less"] as const) {
    const r = welchTest(A, B, alt);
    close(r.statistic, REF.welch[alt].t, `welch ${alt} t`);
    close(r.p, REF.welch[alt].p, `welch ${alt} p`);
    close(r.df, REF.welch[alt].df, `welch ${alt} df`);
  }
  const iv = welchInterval(A, B, 0.95);
  close(iv.lo, REF.welch.ci95[0], "welch ci lo");
  close(iv.hi, REF.welch.ci95[1], "welch ci hi");
  const cd = welchTest(C, D, "greater");
  close(cd.statistic, REF.welch.CD_greater.t, "welch C>D t");
  close(cd.p, REF.welch.CD_greater.p, "welch C>D p");
  const m = welchTest(A, B, "greater", 0.05);
  close(m.statistic, REF.welch.delta05_greater.t, "welch margin t");
  close(m.p, REF.welch.delta05_greater.p, "welch margin p");
});

Deno.test("one-sample t-test matches scipy ttest_1samp", () => {
  for (const alt of ["two-sided", "greater", "less"] as const) {
    const r = oneSampleTTest(C, alt, 1.0);
    close(r.statistic, REF.oneSample[alt].t, `1samp ${alt} t`);
    close(r.p, REF.oneSample[alt].p, `1samp ${alt} p`);
    close(r.df, REF.oneSample[alt].df, `1samp ${alt} df`);
  }
});

Deno.test("TOST equivalence matches shifted scipy Welch tests", () => {
  const cases = { AB_m01: [A, B, 0.1], AB_m005: [A, B, 0.05], CD_m1: [C, D, 1.0] } as const;
  for (const [name, [x, y, m]] of Object.entries(cases)) {
    const r = tost(x, y, m);
    const ref = REF.tost[name as keyof typeof REF.tost];
    close(r.lower.p, ref.pLower, `${name} lower p`);
    close(r.upper.p, ref.pUpper, `${name} upper p`);
    close(r.p, ref.p, `${name} p`);
  }
  // A and B differ by ~0.075: equivalent within 0.1 is not shown at n=5/4, nor within 0.05.
  assert.ok(tost(A, B, 0.05).p > 0.5);
});

Deno.test("Mann-Whitney U matches scipy's default method (exact and asymptotic)", () => {
  const cases = {
    AB: [A, B, "exact"],
    A_SKEW: [A, SKEW, "exact"],
    CD: [C, D, "asymptotic"],
    ties: [TIES_X, TIES_Y, "asymptotic"],
    C_SKEW: [C, SKEW, "asymptotic"],
  } as const;
  for (const [name, [x, y, method]] of Object.entries(cases)) {
    for (const alt of ["two-sided", "greater", "less"] as const) {
      const r = mannWhitneyU(x, y, alt);
      const ref = REF.mannWhitney[`${name}/${alt}` as keyof typeof REF.mannWhitney];
      close(r.u, ref.u, `${name}/${alt} U`);
      close(r.p, ref.p, `${name}/${alt} p`);
      assert.equal(r.method, method, `${name} method`);
    }
  }
  // The exact null distribution sums to one and is symmetric about mn/2.
  assert.equal(exactUSf(0, 3, 4), 1);
  // P(U >= u) = P(U <= mn - u) = 1 - P(U >= mn - u + 1), for m=3, n=4 (mn=12).
  for (let u = 0; u <= 12; u++) {
    close(exactUSf(u, 3, 4), 1 - exactUSf(12 - u + 1, 3, 4), `sym ${u}`);
  }
  close(exactUSf(12, 3, 4), 1 / 35, "P(U = mn) = 1 / C(7, 3)");
});

Deno.test("OLS slope and its t-test match scipy linregress", () => {
  for (const [name, y] of Object.entries({ SERIES, FLAT })) {
    for (const alt of ["two-sided", "greater", "less"] as const) {
      const r = olsSlope(STEPS, y, alt);
      const ref = REF.linregress[`${name}/${alt}` as keyof typeof REF.linregress];
      close(r.slope, ref.slope, `${name} slope`);
      close(r.intercept, ref.intercept, `${name} intercept`);
      close(r.stderr, ref.stderr, `${name} stderr`);
      close(r.p, ref.p, `${name}/${alt} p`);
    }
  }
  assert.throws(() => olsSlope([1, 1, 1], [1, 2, 3], "two-sided"), RangeError);
});

Deno.test("Holm-Bonferroni adjusted p-values", () => {
  const adj = holm(PS);
  REF.holm.forEach((p, i) => close(adj[i], p, `holm[${i}]`));
  // Hand check: m=3, sorted 0.01 0.02 0.04 → 0.03, 0.04, 0.04 (monotone), in input order.
  assert.deepEqual(holm([0.04, 0.01, 0.02]).map((p) => +p.toFixed(12)), [0.04, 0.03, 0.04]);
});

Deno.test("BCa and percentile on a fixed bootstrap distribution match scipy exactly", () => {
  const { dist, bca90, pct90 } = REF.fixedBootstrap;
  const est = mean(A);
  const bca = bcaFromDistribution(est, dist, jackknife(A, mean), 0.9);
  close(bca.lo, bca90[0], "bca lo");
  close(bca.hi, bca90[1], "bca hi");
  const pct = percentileFromDistribution(est, dist, 0.9);
  close(pct.lo, pct90[0], "percentile lo");
  close(pct.hi, pct90[1], "percentile hi");
});

Deno.test("seeded bootstrap: reproducible at a seed, within Monte-Carlo error of scipy", () => {
  for (const [name, xs] of Object.entries({ C, SKEW })) {
    for (const method of ["bca", "percentile"] as const) {
      const cfg = { method, confidence: 0.95, resamples: 20000, seed: 7 };
      const r = bootstrapInterval(xs, cfg);
      assert.deepEqual(bootstrapInterval(xs, cfg), r, "same seed, same interval");
      const other = bootstrapInterval(xs, { ...cfg, seed: 8 });
      assert.notEqual(other.lo, r.lo, "another seed draws other resamples");
      const ref = MC[`${name}/${method === "bca" ? "BCa" : "percentile"}`];
      // A 2.5% quantile from 20k resamples has MC sd ≈ 0.02·se; 0.1·se is ~5 sd.
      const tol = 0.1 * ref.se;
      assert.ok(Math.abs(r.lo - ref.lo) < tol, `${name} ${method} lo ${r.lo} vs ${ref.lo}`);
      assert.ok(Math.abs(r.hi - ref.hi) < tol, `${name} ${method} hi ${r.hi} vs ${ref.hi}`);
    }
  }
});

Deno.test("seeded RNG: same seed same stream, uniform-ish", () => {
  const a = createRng(42);
  const b = createRng(42);
  const xs = Array.from({ length: 10000 }, () => a.next());
  assert.deepEqual(Array.from({ length: 10000 }, () => b.next()), xs);
  assert.ok(Math.abs(mean(xs) - 0.5) < 0.02);
  const counts = new Array(6).fill(0);
  const c = createRng(1);
  for (let i = 0; i < 60000; i++) counts[c.int(6)]++;
  for (const k of counts) assert.ok(Math.abs(k - 10000) < 500, `int(6) counts ${counts}`);
  assert.notEqual(createRng(43).next(), createRng(42).next());
});

Deno.test("rliable: IQM, probability of improvement and stratified bootstrap", () => {
  const { X, Y, iqmX, iqmY, poi } = REF.rliable;
  close(aggregateIqm(X), iqmX, "IQM X");
  close(aggregateIqm(Y), iqmY, "IQM Y");
  close(probabilityOfImprovement(X, Y), poi, "P(X > Y)");
  close(probabilityOfImprovement(X, X), 0.5, "P(X > X)");
  const cfg = { confidence: 0.95, resamples: 2000, seed: 3 };
  const iv = probabilityOfImprovementInterval(X, Y, cfg);
  assert.deepEqual(probabilityOfImprovementInterval(X, Y, cfg), iv);
  assert.ok(iv.lo <= poi && poi <= iv.hi && iv.hi <= 1 && iv.lo >= 0);
  // One task: the stratified bootstrap is the plain bootstrap of the 25% trimmed mean.
  for (const [name, xs] of Object.entries({ C, SKEW })) {
    const r = iqmInterval([xs], { confidence: 0.95, resamples: 20000, seed: 11 });
    const ref = MC[`${name}/iqm_percentile`];
    close(r.estimate, iqm(xs), `${name} IQM estimate`);
    const tol = 0.1 * ref.se;
    assert.ok(Math.abs(r.lo - ref.lo) < tol, `${name} IQM lo ${r.lo} vs ${ref.lo}`);
    assert.ok(Math.abs(r.hi - ref.hi) < tol, `${name} IQM hi ${r.hi} vs ${ref.hi}`);
  }
});
