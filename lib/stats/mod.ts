/** Statistics across seeds: descriptive, intervals, tests, rliable aggregates. */
export { createRng, type Rng } from "./rng.ts";
export {
  incompleteBeta,
  logBeta,
  normCdf,
  normQuantile,
  normSf,
  tCdf,
  tPdf,
  tQuantile,
  tSf,
} from "./special.ts";
export {
  iqm,
  mean,
  median,
  quantile,
  sd,
  se,
  sortedQuantile,
  trimMean,
  variance,
} from "./descriptive.ts";
export {
  bcaFromDistribution,
  type BootstrapConfig,
  bootstrapDistribution,
  bootstrapInterval,
  type BootstrapMethod,
  type Interval,
  jackknife,
  percentileFromDistribution,
  type Statistic,
  tInterval,
} from "./intervals.ts";
export {
  type Alternative,
  exactUSf,
  holm,
  type MannWhitneyResult,
  mannWhitneyU,
  olsSlope,
  oneSampleTTest,
  rankWithTies,
  type SlopeResult,
  tost,
  type TostResult,
  tPValue,
  type TTestResult,
  welchInterval,
  welchTest,
} from "./hypothesis.ts";
export {
  aggregateIqm,
  iqmInterval,
  probabilityOfImprovement,
  probabilityOfImprovementInterval,
  type StratifiedBootstrapConfig,
  stratifiedResample,
  type TaskScores,
} from "./rliable.ts";
