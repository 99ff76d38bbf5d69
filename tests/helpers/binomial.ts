/** Exact binomial tails for the learning tests' "beats chance" statistics. */

/** P(X >= k) for X ~ Binomial(n, q), exactly (log-space terms; q = 1/2 unless given). */
export function binomialUpperTail(k: number, n: number, q = 0.5): number {
  let logC = 0, p = 0; // log C(n, i), accumulated upward
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    if (i >= k) p += Math.exp(logC + i * Math.log(q) + (n - i) * Math.log(1 - q));
  }
  return Math.min(1, p);
}
