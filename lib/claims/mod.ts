/** Claims of a spec checked statistically: tests, Holm correction, verdict tables, exit code. */
export {
  type ClaimSamples,
  type ClaimTest,
  type ClaimVerdict,
  judgeClaims,
  type SeedSample,
  type SeedSeries,
  statementOf,
  testClaim,
  type Verdict,
  verdictExitCode,
} from "./evaluate.ts";
export { ClaimDataError, claimTrainScalars, gatherClaimSamples } from "./gather.ts";
export { verdictLatex, verdictMarkdown, verdictText } from "./verdict_table.ts";
