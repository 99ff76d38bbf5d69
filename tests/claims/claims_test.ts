import assert from "node:assert/strict";
import {
  type ClaimSamples,
  judgeClaims,
  testClaim,
  verdictExitCode,
  verdictMarkdown,
  verdictText,
} from "../../lib/claims/mod.ts";
import { expandPoints } from "../../lib/grid/expand.ts";
import { buildReport } from "../../lib/report/mod.ts";
import type { Claim } from "../../lib/spec/types.ts";
import { openStore } from "../../lib/store/mod.ts";
import { REF } from "../stats/scipy_ref.ts";
import { writeFixtureStore } from "../report/fixture.ts";

const { A, B, STEPS } = REF.data;

function close(actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null, `${what}: null`);
  assert.ok(
    Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs scipy ${expected}`,
  );
}

const sample = (values: readonly number[]) => ({
  seeds: values.map((_, i) => i),
  values: [...values],
  failed: 0,
  missing: 0,
});

function compare(
  name: string,
  relation: "greater" | "less" | "equivalent",
  margin: number,
  alpha = 0.05,
): Claim {
  return {
    kind: "compare",
    name,
    metric: "eval:overall",
    a: { method: "rl" },
    b: { method: "sft" },
    relation,
    margin,
    alpha,
  };
}

const AB: ClaimSamples = { kind: "compare", a: sample(A), b: sample(B) };

Deno.test("compare claims: Welch one-sided with a margin and TOST match scipy", () => {
  const g = testClaim(compare("g", "greater", 0.05), AB);
  close(g.p, REF.welch.delta05_greater.p, "greater p");
  close(g.estimate, A.reduce((a, b) => a + b) / 5 - B.reduce((a, b) => a + b) / 4, "estimate");
  const e = testClaim(compare("e", "equivalent", 0.1), AB);
  close(e.p, REF.tost.AB_m01.p, "TOST p");
  // "less" mirrors "greater": B < A − 0.05 has the same p as A > B + 0.05.
  const l = testClaim(compare("l", "less", 0.05), { kind: "compare", a: sample(B), b: sample(A) });
  close(l.p, REF.welch.delta05_greater.p, "less p");
  // The reported interval is the two-sided 1 − 2α Welch interval: its lower end clears the margin
  // exactly when the one-sided test rejects.
  assert.equal(g.intervalConfidence, 0.9);
  assert.equal(g.lo! > 0.05, g.p! < 0.05);
});

Deno.test("trend claims: t-test on per-seed OLS slopes matches scipy", () => {
  const claim: Claim = {
    kind: "trend",
    name: "t",
    metric: "train:completion_length/mean",
    arm: { method: "rl" },
    direction: "increasing",
    alpha: 0.05,
  };
  const series = REF.trend.series.map((values, seed) => ({
    seed,
    steps: [...STEPS],
    values: [...values],
  }));
  const r = testClaim(claim, { kind: "trend", series, failed: 0, missing: 0 });
  close(r.p, REF.trend.p, "trend p");
  close(r.lo, REF.trend.ci90[0], "trend ci lo");
  close(r.hi, REF.trend.ci90[1], "trend ci hi");
  const down = testClaim({ ...claim, direction: "decreasing" }, {
    kind: "trend",
    series,
    failed: 0,
    missing: 0,
  });
  close(down.p, 1 - REF.trend.p, "decreasing p");
  const one = testClaim(claim, {
    kind: "trend",
    series: series.slice(0, 1),
    failed: 1,
    missing: 0,
  });
  assert.equal(one.p, null);
  assert.match(one.n, /1 \(1 failed\) seeds/);
});

Deno.test("verdicts: Holm across claims, failing and untestable claims give exit code 1", () => {
  const holds = testClaim(compare("holds", "greater", 0.0), AB);
  const fails = testClaim(compare("fails", "greater", 0.2), AB);
  const tooFew = testClaim(compare("too_few", "greater", 0.0), {
    kind: "compare",
    a: { seeds: [0], values: [0.6], failed: 2, missing: 0 },
    b: sample(B),
  });
  const v = judgeClaims([holds, fails, tooFew]);
  assert.deepEqual(v.map((x) => x.verdict), ["holds", "fails", "untestable"]);
  // Holm with m = 3 (the untestable claim counts with p = 1): the smallest p is tripled.
  close(v[0].pAdjusted, Math.min(1, 3 * holds.p!), "holm smallest");
  assert.equal(verdictExitCode(v), 1);
  assert.equal(verdictExitCode(judgeClaims([holds])), 0);
  assert.equal(verdictExitCode([]), 0);
  // Correction can turn a raw pass into a fail: p = 0.03 alone holds at α = 0.05, not among 3.
  const marginal = { ...holds, p: 0.03 };
  assert.equal(judgeClaims([marginal])[0].verdict, "holds");
  assert.equal(
    judgeClaims([marginal, { ...holds, p: 0.5 }, { ...holds, p: 0.6 }])[0].verdict,
    "fails",
  );
  const md = verdictMarkdown(v);
  assert.match(md, /\| holds \|.*\*\*holds\*\*/);
  assert.match(md, /\*\*FAILS\*\*/);
  assert.match(verdictText(v), /1\/3 claims hold/);
});

Deno.test("claims over a test-filled store: two hold, one fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zerogrid_claims_" });
  try {
    const exp = await writeFixtureStore(`${dir}/store.duckdb`);
    const store = await openStore(`${dir}/store.duckdb`, { readOnly: true });
    const r = await buildReport(store, exp, expandPoints(exp), {
      outDir: `${dir}/report`,
      curveBins: 20,
      completionSamples: 0,
      bootstrap: { method: "percentile", resamples: 1000, seed: 0 },
    });
    await store.close();
    const byName = Object.fromEntries(r.verdicts.map((v) => [v.claim.name, v]));
    assert.equal(byName.rl_beats_sft_on_base.verdict, "holds");
    assert.equal(byName.length_grows_under_rl.verdict, "holds");
    // The fixture's slope is 0.5 per step for base/rl.
    assert.ok(Math.abs(byName.length_grows_under_rl.estimate! - 0.5) < 0.05);
    assert.equal(byName.instruct_rl_beats_base_rl.verdict, "fails");
    assert.match(byName.instruct_rl_beats_base_rl.n, /2 \(1 failed\) vs 3 seeds/);
    assert.equal(verdictExitCode(r.verdicts), 1);
    const claimsMd = await Deno.readTextFile(`${dir}/report/claims.md`);
    assert.match(claimsMd, /instruct_rl_beats_base_rl.*\*\*FAILS\*\*/);
    const tex = await Deno.readTextFile(`${dir}/report/claims.tex`);
    assert.ok(tex.includes("\\toprule") && tex.includes("rl\\_beats\\_sft\\_on\\_base"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compare claims: arms that do not vary across seeds are degenerate, not a crash", () => {
  // Every seed equal in both arms (e.g. models that all give one constant answer): Welch's df is
  // 0/0, so the claim reports the problem instead of a p-value, and counts as not holding.
  const flat = { kind: "compare", a: sample([0.5, 0.5, 0.5]), b: sample([0.3, 0.3, 0.3]) } as const;
  for (const relation of ["greater", "equivalent"] as const) {
    const t = testClaim(compare("flat", relation, 0.1), flat);
    assert.equal(t.p, null);
    assert.equal(t.problem, "degenerate data (zero variance)");
    assert.ok(Math.abs(t.estimate! - 0.2) < 1e-12);
  }
  // One arm varying is enough for Welch.
  const one = testClaim(compare("one", "greater", 0), {
    kind: "compare",
    a: sample([0.5, 0.6, 0.7]),
    b: sample([0.3, 0.3, 0.3]),
  });
  assert.ok(one.p !== null && one.p < 0.05);
});
