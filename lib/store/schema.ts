/**
 * The store's tables. One DuckDB file per run directory (`results/<experiment>/store.duckdb`).
 * Reports and stats read these; only `lib/store` writes them.
 */

/** DDL for every table, in creation order. */
export const SCHEMA: string[] = [
  `CREATE TABLE IF NOT EXISTS experiments (
    name VARCHAR PRIMARY KEY,
    spec_hash VARCHAR NOT NULL,
    spec_text VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
  )`,
  // status: pending | running | done | failed | skipped. `error` holds the failure message or the
  // skip reason; `error_kind` the error's class (NumericError, TransientError, ...); `diagnosis` a
  // NumericError's detail; `last_step` the highest step committed so far.
  `CREATE TABLE IF NOT EXISTS jobs (
    job_id VARCHAR PRIMARY KEY,
    experiment VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    config JSON NOT NULL,
    inputs JSON NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    seconds DOUBLE,
    error VARCHAR,
    error_stack VARCHAR,
    code_version VARCHAR NOT NULL,
    deno_version VARCHAR,
    adapter VARCHAR,
    last_step BIGINT,
    error_kind VARCHAR,
    diagnosis JSON
  )`,
  // A grid point (arm x seed) and the jobs realising it, by role (role 'final' describes the point).
  `CREATE TABLE IF NOT EXISTS points (
    experiment VARCHAR NOT NULL,
    point_key VARCHAR NOT NULL,
    axes JSON NOT NULL,
    config JSON NOT NULL,
    role VARCHAR NOT NULL,
    job_id VARCHAR NOT NULL,
    PRIMARY KEY (experiment, point_key, role)
  )`,
  `CREATE TABLE IF NOT EXISTS metrics (
    job_id VARCHAR NOT NULL,
    step BIGINT NOT NULL,
    name VARCHAR NOT NULL,
    value DOUBLE
  )`,
  `CREATE TABLE IF NOT EXISTS evaluations (
    job_id VARCHAR NOT NULL,
    step BIGINT NOT NULL,
    benchmark VARCHAR NOT NULL,
    family VARCHAR NOT NULL,
    n INTEGER NOT NULL,
    correct INTEGER NOT NULL,
    accuracy DOUBLE NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS completions (
    job_id VARCHAR NOT NULL,
    step BIGINT NOT NULL,
    prompt VARCHAR NOT NULL,
    completion VARCHAR NOT NULL,
    answer VARCHAR NOT NULL,
    reward DOUBLE NOT NULL,
    extra JSON
  )`,
  // `path` is relative to the run directory (`artifacts/<job_id>`), so merged stores stay valid.
  `CREATE TABLE IF NOT EXISTS artifacts (
    job_id VARCHAR PRIMARY KEY,
    path VARCHAR NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 VARCHAR NOT NULL
  )`,
  // A job's latest resumable state. Written in the same transaction as the metrics emitted up to
  // it, so a crash loses only rows after the checkpoint, which the resumed job emits again.
  `CREATE TABLE IF NOT EXISTS checkpoints (
    job_id VARCHAR PRIMARY KEY,
    step BIGINT NOT NULL,
    state BLOB NOT NULL,
    saved_at TIMESTAMP NOT NULL
  )`,
];

/** Tables in dependency-free export/merge order. */
export const TABLES = [
  "experiments",
  "jobs",
  "points",
  "metrics",
  "evaluations",
  "completions",
  "artifacts",
  "checkpoints",
] as const;

/** A table name of the store. */
export type TableName = typeof TABLES[number];
