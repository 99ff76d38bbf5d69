/** The DuckDB store: one file per run directory; only this module writes it. */
export { openStore, queryRows, StoreError } from "./db.ts";
export type { OpenOptions, Store } from "./db.ts";
export { SCHEMA, TABLES } from "./schema.ts";
export type { TableName } from "./schema.ts";
export { createJobSink } from "./sink.ts";
export type { JobSink } from "./sink.ts";
export {
  beginAttempt,
  failJob,
  finishJob,
  interruptJob,
  registerExperiment,
  saveCheckpoint,
  skipJob,
  upsertJobs,
  upsertPoints,
} from "./writes.ts";
export type {
  ArtifactRecord,
  ExperimentRecord,
  FailureRecord,
  RunEnvironment,
  StoredCheckpoint,
} from "./writes.ts";
export { experiments, jobStatuses, statusCounts, tableCounts } from "./queries.ts";
export type { JobStatus, JobStatusRow } from "./queries.ts";
export { exportParquet } from "./export.ts";
export { mergeStores } from "./merge.ts";
export type { MergeResult } from "./merge.ts";

/** The store file inside a run directory. */
export function storePath(outDir: string): string {
  return `${outDir}/store.duckdb`;
}
