/** The runner: job kinds' contract, graph selection (shards, filters) and execution. */
export { NumericError, TransientError } from "./kind.ts";
export type { Checkpointer, CompletionRecord, JobContext, JobKind, MetricSink } from "./kind.ts";
export { checkKinds, runGraph, RunnerError } from "./run.ts";
export type { ResourceProvider, RunOptions, RunSummary } from "./run.ts";
export {
  closure,
  filterPoints,
  formatAxisValue,
  parseOnly,
  parseShard,
  selectGraph,
  SelectionError,
  shardPoints,
} from "./select.ts";
export type { OnlyFilter, SelectOptions, Shard } from "./select.ts";
export {
  createProgress,
  estimateRemaining,
  formatDuration,
  silentProgress,
  stderrProgressOptions,
} from "./progress.ts";
export type {
  EstimateInput,
  Outcome,
  ProgressOptions,
  ProgressSink,
  RunningEstimate,
} from "./progress.ts";
export { installStopSignals } from "./signals.ts";
