"""Regenerates tests/stats/scipy_ref.ts (SciPy reference values copied into the Deno tests).

Run: python3 tests/stats/scipy_reference.py > tests/stats/scipy_ref.ts   (scipy 1.17.1, numpy 2.4)
The tests never call Python; this script only documents where the numbers came from.
"""
import json

import numpy as np
import scipy
from scipy import stats

A = [0.61, 0.58, 0.64, 0.59, 0.62]
B = [0.52, 0.55, 0.50, 0.57]
C = [1.3, -0.4, 2.2, 0.9, 1.7, 0.1, 3.1, 1.1, -0.8, 2.5, 0.6, 1.9]
D = [0.2, 1.4, 0.8, 2.9, -0.3, 1.0, 0.5, 1.8, 2.2, 0.7, 1.2]
SKEW = [0.1, 0.15, 0.2, 0.22, 0.3, 0.35, 0.5, 0.9, 1.6, 3.2]
TIES_X = [1, 2, 2, 3, 4, 4, 4]
TIES_Y = [2, 3, 3, 5, 6]
STEPS = list(range(0, 100, 10))
SERIES = [0.11, 0.18, 0.16, 0.25, 0.27, 0.33, 0.31, 0.42, 0.45, 0.47]
FLAT = [0.5, 0.47, 0.52, 0.49, 0.51, 0.48, 0.5, 0.53, 0.49, 0.5]
PS = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04]


def f(x):
    return float(x)


out = {"versions": {"scipy": scipy.__version__, "numpy": np.__version__}}
out["data"] = dict(A=A, B=B, C=C, D=D, SKEW=SKEW, TIES_X=TIES_X, TIES_Y=TIES_Y, STEPS=STEPS,
                   SERIES=SERIES, FLAT=FLAT, PS=PS)

out["tQuantile"] = [[p, df, f(stats.t.ppf(p, df))] for p, df in
                    [(0.975, 1), (0.975, 2), (0.975, 4), (0.975, 2.5), (0.995, 9), (0.95, 29),
                     (0.975, 1000), (0.9, 3.7), (0.025, 6), (0.999, 2)]]
out["tCdf"] = [[x, df, f(stats.t.cdf(x, df))] for x, df in
               [(2.3, 4), (-1.7, 7.3), (5.5, 3), (0.3, 12), (-4.2, 2.2)]]
out["normQuantile"] = [[p, f(stats.norm.ppf(p))] for p in [0.975, 0.01, 0.5 + 1e-3, 0.9999]]

desc = {}
for name, xs in [("A", A), ("C", C), ("SKEW", SKEW)]:
    x = np.array(xs)
    desc[name] = dict(
        mean=f(np.mean(x)), var=f(np.var(x, ddof=1)), sd=f(np.std(x, ddof=1)), se=f(stats.sem(x)),
        q10=f(np.quantile(x, 0.1)), q25=f(np.quantile(x, 0.25)), median=f(np.median(x)),
        q90=f(np.quantile(x, 0.9)), iqm=f(stats.trim_mean(x, 0.25)),
        trim10=f(stats.trim_mean(x, 0.1)),
        t95=[f(v) for v in stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))],
        t90=[f(v) for v in stats.t.interval(0.90, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))],
    )
out["descriptive"] = desc

welch = {}
for alt in ["two-sided", "greater", "less"]:
    r = stats.ttest_ind(A, B, equal_var=False, alternative=alt)
    welch[alt] = dict(t=f(r.statistic), p=f(r.pvalue), df=f(r.df))
r = stats.ttest_ind(A, B, equal_var=False)
welch["ci95"] = [f(v) for v in r.confidence_interval(0.95)]
r = stats.ttest_ind(C, D, equal_var=False, alternative="greater")
welch["CD_greater"] = dict(t=f(r.statistic), p=f(r.pvalue), df=f(r.df))
# Margin delta: test mean(A) - mean(B) > 0.05 equals ttest_ind(A - 0.05, B).
r = stats.ttest_ind(np.array(A) - 0.05, B, equal_var=False, alternative="greater")
welch["delta05_greater"] = dict(t=f(r.statistic), p=f(r.pvalue), df=f(r.df))
out["welch"] = welch

one = {}
for alt in ["two-sided", "greater", "less"]:
    r = stats.ttest_1samp(C, 1.0, alternative=alt)
    one[alt] = dict(t=f(r.statistic), p=f(r.pvalue), df=f(r.df))
out["oneSample"] = one

# TOST via shifted Welch one-sided tests: H0 diff <= -m and H0 diff >= m.
tost = {}
for name, (x, y, m) in {"AB_m01": (A, B, 0.1), "AB_m005": (A, B, 0.05),
                        "CD_m1": (C, D, 1.0)}.items():
    lo = stats.ttest_ind(np.array(x) + m, y, equal_var=False, alternative="greater")
    hi = stats.ttest_ind(np.array(x) - m, y, equal_var=False, alternative="less")
    tost[name] = dict(pLower=f(lo.pvalue), pUpper=f(hi.pvalue), p=f(max(lo.pvalue, hi.pvalue)))
out["tost"] = tost

mwu = {}
for name, (x, y) in {"AB": (A, B), "CD": (C, D), "ties": (TIES_X, TIES_Y),
                     "C_SKEW": (C, SKEW), "A_SKEW": (A, SKEW)}.items():
    for alt in ["two-sided", "greater", "less"]:
        r = stats.mannwhitneyu(x, y, alternative=alt)
        mwu[f"{name}/{alt}"] = dict(u=f(r.statistic), p=f(r.pvalue))
out["mannWhitney"] = mwu

lin = {}
for name, y in {"SERIES": SERIES, "FLAT": FLAT}.items():
    for alt in ["two-sided", "greater", "less"]:
        r = stats.linregress(STEPS, y, alternative=alt)
        lin[f"{name}/{alt}"] = dict(slope=f(r.slope), intercept=f(r.intercept), p=f(r.pvalue),
                                    stderr=f(r.stderr))
out["linregress"] = lin


def holm(ps):
    m = len(ps)
    order = sorted(range(m), key=lambda i: ps[i])
    adj = [0.0] * m
    for k, i in enumerate(order):
        adj[i] = min(1.0, max((m - j) * ps[order[j]] for j in range(k + 1)))
    return adj


out["holm"] = holm(PS)

# BCa and percentile on a fixed bootstrap distribution (n_resamples=0 reuses the given one).
rng = np.random.default_rng(12345)
dist = np.array([np.mean(rng.choice(A, len(A))) for _ in range(40)])
prev = stats._resampling.BootstrapResult(
    confidence_interval=None, bootstrap_distribution=dist, standard_error=None)
bca = stats.bootstrap((A,), np.mean, n_resamples=0, bootstrap_result=prev, method="BCa",
                      confidence_level=0.9)
pct = stats.bootstrap((A,), np.mean, n_resamples=0, bootstrap_result=prev, method="percentile",
                      confidence_level=0.9)
out["fixedBootstrap"] = dict(dist=[f(v) for v in dist],
                             bca90=[f(bca.confidence_interval.low), f(bca.confidence_interval.high)],
                             pct90=[f(pct.confidence_interval.low), f(pct.confidence_interval.high)])

# Monte-Carlo references: large-resample scipy bootstraps (compared loosely).
mc = {}
for name, xs in [("C", C), ("SKEW", SKEW)]:
    for method in ["BCa", "percentile"]:
        r = stats.bootstrap((xs,), np.mean, n_resamples=200000, method=method, rng=0)
        mc[f"{name}/{method}"] = dict(lo=f(r.confidence_interval.low),
                                      hi=f(r.confidence_interval.high),
                                      se=f(r.standard_error))
    r = stats.bootstrap((xs,), lambda x, axis: stats.trim_mean(x, 0.25, axis=axis),
                        n_resamples=200000, method="percentile", rng=0)
    mc[f"{name}/iqm_percentile"] = dict(lo=f(r.confidence_interval.low),
                                        hi=f(r.confidence_interval.high), se=f(r.standard_error))
out["monteCarlo"] = mc

# rliable: IQM over runs x tasks and probability of improvement (U / (n_x n_y) per task).
X = np.array([[0.61, 0.52, 0.33], [0.58, 0.55, 0.30], [0.64, 0.50, 0.41], [0.59, 0.57, 0.36]])
Y = np.array([[0.55, 0.50, 0.35], [0.57, 0.49, 0.28], [0.52, 0.51, 0.30]])
poi = np.mean([stats.mannwhitneyu(X[:, m], Y[:, m], alternative="greater").statistic
               / (X.shape[0] * Y.shape[0]) for m in range(X.shape[1])])
out["rliable"] = dict(X=X.T.tolist(), Y=Y.T.tolist(), iqmX=f(stats.trim_mean(X, 0.25, axis=None)),
                      iqmY=f(stats.trim_mean(Y, 0.25, axis=None)), poi=f(poi))

# Trend claims: one OLS slope per seed, one-sample t-test of the slopes (greater), 90% interval.
TREND = [[0.11, 0.18, 0.16, 0.25, 0.27, 0.33, 0.31, 0.42, 0.45, 0.47],
         [0.10, 0.12, 0.19, 0.2, 0.24, 0.29, 0.35, 0.33, 0.41, 0.44],
         [0.13, 0.11, 0.14, 0.22, 0.2, 0.26, 0.27, 0.3, 0.36, 0.35]]
slopes = [stats.linregress(STEPS, y).slope for y in TREND]
r = stats.ttest_1samp(slopes, 0.0, alternative="greater")
iv = stats.t.interval(0.9, len(slopes) - 1, loc=np.mean(slopes), scale=stats.sem(slopes))
out["trend"] = dict(series=TREND, slopes=[f(v) for v in slopes], p=f(r.pvalue), t=f(r.statistic),
                    ci90=[f(v) for v in iv])

print("// Generated by tests/stats/scipy_reference.py; do not edit by hand.")
print(f"// scipy {scipy.__version__}, numpy {np.__version__}")
print("// deno-fmt-ignore-file")
print("export const REF = " + json.dumps(out, indent=1) + ";")
