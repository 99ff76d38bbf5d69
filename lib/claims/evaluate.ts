/**
 * Statistical checks of a spec's claims. A compare claim tests arm A against arm B across seeds
 * (Welch one-sided with the minimum effect for greater/less, TOST for equivalent); a trend claim
 * fits one OLS slope per seed and t-tests the slopes. The p-values of all claims of a spec are
 * Holm-Bonferroni adjusted together and each adjusted p is compared with its claim's alpha.
 */
import type { Claim, ConfigValue } from "../spec/types.ts";
import {
  holm,
  mean,
  olsSlope,
  oneSampleTTest,
  tInterval,
  tost,
  tQuantile,
  variance,
  welchTest,
} from "../stats/mod.ts";

/** Per-seed values of one arm, and the seeds it lacks. */
export interface SeedSample {
  seeds: number[];
  values: number[];
  failed: number;
  missing: number;
}

/** A training curve of one seed. */
export interface SeedSeries {
  seed: number;
  steps: number[];
  values: number[];
}

/** What a claim is tested on. */
export type ClaimSamples =
  | { kind: "compare"; a: SeedSample; b: SeedSample }
  | { kind: "trend"; series: SeedSeries[]; failed: number; missing: number };

/** A claim's test before the correction across claims. */
export interface ClaimTest {
  claim: Claim;
  /** The claim in words, e.g. `eval:overall: [init=base, method=rl] > [init=base, method=sft] + 0`. */
  statement: string;
  /** The test used and its degrees of freedom. */
  method: string;
  estimate: number | null;
  /** Two-sided interval at `intervalConfidence` = 1 − 2α, matching the one-sided test at α. */
  lo: number | null;
  hi: number | null;
  intervalConfidence: number;
  /** Raw p-value; null when the claim cannot be tested (too few seeds, ...). */
  p: number | null;
  /** Seeds used, e.g. `3 vs 3 seeds` (with failed/missing seeds named). */
  n: string;
  problem: string | null;
}

/** The outcome of a claim after the correction. */
export type Verdict = "holds" | "fails" | "untestable";

/** A claim's test with its Holm-adjusted p-value and verdict. */
export interface ClaimVerdict extends ClaimTest {
  pAdjusted: number | null;
  verdict: Verdict;
}

function selector(s: Record<string, ConfigValue>): string {
  return `[${
    Object.entries(s).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(
      ", ",
    )
  }]`;
}

/** The claim as a readable statement. */
export function statementOf(c: Claim): string {
  if (c.kind === "trend") {
    return `${c.metric} ${selector(c.arm)}: slope ${c.direction === "increasing" ? "> 0" : "< 0"}`;
  }
  const a = selector(c.a);
  const b = selector(c.b);
  if (c.relation === "greater") return `${c.metric}: ${a} > ${b} + ${c.margin}`;
  if (c.relation === "less") return `${c.metric}: ${a} < ${b} − ${c.margin}`;
  return `${c.metric}: |${a} − ${b}| < ${c.margin}`;
}

function seedsNote(s: SeedSample): string {
  const extra = [s.failed ? `${s.failed} failed` : "", s.missing ? `${s.missing} missing` : ""]
    .filter(Boolean);
  return `${s.values.length}${extra.length ? ` (${extra.join(", ")})` : ""}`;
}

function untestable(base: Omit<ClaimTest, "p" | "problem">, problem: string): ClaimTest {
  return { ...base, p: null, problem };
}

/** Tests one claim on its samples (no correction across claims yet). */
export function testClaim(claim: Claim, samples: ClaimSamples): ClaimTest {
  const level = 1 - 2 * claim.alpha;
  const statement = statementOf(claim);
  if (claim.kind === "compare") {
    if (samples.kind !== "compare") {
      throw new Error(`claim ${claim.name}: expected compare samples`);
    }
    const { a, b } = samples;
    const base = {
      claim,
      statement,
      method: "",
      estimate: a.values.length && b.values.length ? mean(a.values) - mean(b.values) : null,
      lo: null,
      hi: null,
      intervalConfidence: level,
      n: `${seedsNote(a)} vs ${seedsNote(b)} seeds`,
    };
    if (a.values.length < 2 || b.values.length < 2) {
      return untestable({ ...base, method: "Welch" }, "needs at least 2 seeds per arm");
    }
    if (variance(a.values) === 0 && variance(b.values) === 0) {
      // Welch's df is 0/0 when no seed differs from another in either arm: no test to run.
      return check({ ...base, method: "Welch", p: NaN, problem: null });
    }
    const w = welchTest(a.values, b.values, "two-sided");
    const half = tQuantile(1 - claim.alpha, w.df) * w.stderr;
    const iv = { lo: w.estimate - half, hi: w.estimate + half };
    if (claim.relation === "equivalent") {
      if (!(claim.margin > 0)) {
        return untestable({ ...base, ...iv, method: "TOST" }, "equivalence needs a margin > 0");
      }
      const r = tost(a.values, b.values, claim.margin);
      return check({
        ...base,
        ...iv,
        method: `TOST (two one-sided Welch, df=${w.df.toFixed(1)})`,
        p: r.p,
        problem: null,
      });
    }
    const greater = claim.relation === "greater";
    const r = welchTest(
      a.values,
      b.values,
      greater ? "greater" : "less",
      greater ? claim.margin : -claim.margin,
    );
    return check({
      ...base,
      ...iv,
      method: `Welch one-sided (df=${r.df.toFixed(1)})`,
      p: r.p,
      problem: null,
    });
  }
  if (samples.kind !== "trend") throw new Error(`claim ${claim.name}: expected trend samples`);
  const slopes: number[] = [];
  for (const s of samples.series) {
    if (s.steps.length >= 3 && new Set(s.steps).size > 1) {
      slopes.push(olsSlope(s.steps, s.values, "two-sided").slope);
    }
  }
  const extra = [
    samples.failed ? `${samples.failed} failed` : "",
    samples.missing ? `${samples.missing} missing` : "",
  ]
    .filter(Boolean);
  const base = {
    claim,
    statement,
    method: "t-test on per-seed OLS slopes",
    estimate: slopes.length ? mean(slopes) : null,
    lo: null,
    hi: null,
    intervalConfidence: level,
    n: `${slopes.length}${extra.length ? ` (${extra.join(", ")})` : ""} seeds`,
  };
  if (slopes.length < 2) {
    return untestable(base, "needs curves of at least 2 seeds (3+ steps each)");
  }
  const r = oneSampleTTest(slopes, claim.direction === "increasing" ? "greater" : "less", 0);
  const iv = tInterval(slopes, level);
  return check({
    ...base,
    lo: iv.lo,
    hi: iv.hi,
    method: `${base.method} (df=${r.df})`,
    p: r.p,
    problem: null,
  });
}

function check(t: ClaimTest): ClaimTest {
  return t.p === null || Number.isNaN(t.p)
    ? { ...t, p: null, problem: "degenerate data (zero variance)" }
    : t;
}

/** Applies Holm-Bonferroni across all claims (untestable ones count, with p = 1) and judges each. */
export function judgeClaims(tests: ClaimTest[]): ClaimVerdict[] {
  const adjusted = holm(tests.map((t) => t.p ?? 1));
  return tests.map((t, i) => {
    if (t.p === null) return { ...t, pAdjusted: null, verdict: "untestable" as const };
    return {
      ...t,
      pAdjusted: adjusted[i],
      verdict: adjusted[i] <= t.claim.alpha ? "holds" : "fails",
    };
  });
}

/** The process exit code for a set of verdicts: 0 when every claim holds, 1 otherwise. */
export function verdictExitCode(verdicts: ClaimVerdict[]): number {
  return verdicts.every((v) => v.verdict === "holds") ? 0 : 1;
}
