/**
 * Every write the runner makes: registering an experiment, its jobs and points, and the job
 * lifecycle. Each function is one transaction, so a crash leaves the store at a commit boundary.
 */
import { blobValue, type DuckDBConnection } from "@duckdb/node-api";
import type { Job, Point } from "../grid/types.ts";
import type { JobSink } from "./sink.ts";
import { queryRows, type Store } from "./db.ts";

/** The spec a run comes from. */
export interface ExperimentRecord {
  name: string;
  hash: string;
  text: string;
}

/** Where a job ran, recorded with every attempt. */
export interface RunEnvironment {
  denoVersion: string;
  /** Adapter description when the job used a GPU, else null. */
  adapter: string | null;
}

/** A checkpoint as stored: the step it covers and the kind's opaque state. */
export interface StoredCheckpoint {
  step: number;
  state: Uint8Array;
}

/** Record (or update, keeping `created_at`) the experiment's spec text and hash. */
export function registerExperiment(store: Store, exp: ExperimentRecord): Promise<void> {
  return store.write(async (con) => {
    await con.run(
      `INSERT INTO experiments VALUES ($1, $2, $3, CAST(now() AS TIMESTAMP))
       ON CONFLICT (name) DO UPDATE SET spec_hash = excluded.spec_hash,
         spec_text = excluded.spec_text`,
      [exp.name, exp.hash, exp.text],
    );
  });
}

/** Stage rows in a temp table through the appender, then run `sql` that consumes it. */
async function viaStage(
  con: DuckDBConnection,
  columns: string[],
  rows: string[][],
  sql: string,
): Promise<void> {
  await con.run(
    `CREATE OR REPLACE TEMP TABLE _stage (${columns.map((c) => `${c} VARCHAR`).join(", ")})`,
  );
  const a = await con.createAppender("_stage", "main", "temp");
  try {
    for (const r of rows) {
      for (const v of r) a.appendVarchar(v);
      a.endRow();
    }
    a.flushSync();
  } finally {
    a.closeSync();
  }
  await con.run(sql);
  await con.run("DROP TABLE temp._stage");
}

/**
 * Add jobs as `pending` unless present. A job id hashes its whole content, so an existing row
 * already describes the same job; its status (done, failed, ...) is kept.
 */
export function upsertJobs(
  store: Store,
  experiment: string,
  jobs: Job[],
  codeVersion: string,
): Promise<void> {
  if (!jobs.length) return Promise.resolve();
  const rows = jobs.map((j) => [
    j.id,
    experiment,
    j.kind,
    j.label,
    JSON.stringify(j.config),
    JSON.stringify(j.inputs),
    codeVersion,
  ]);
  return store.write((con) =>
    viaStage(
      con,
      ["job_id", "experiment", "kind", "label", "config", "inputs", "code_version"],
      rows,
      `INSERT OR IGNORE INTO jobs (job_id, experiment, kind, label, config, inputs, status,
         attempts, code_version)
       SELECT job_id, experiment, kind, label, config::JSON, inputs::JSON, 'pending', 0,
         code_version FROM temp._stage`,
    )
  );
}

/** Record the points (arm x seed) and their jobs by role; a re-planned point replaces its rows. */
export function upsertPoints(store: Store, experiment: string, points: Point[]): Promise<void> {
  const rows: string[][] = [];
  for (const p of points) {
    for (const [role, id] of Object.entries(p.jobs)) {
      rows.push([experiment, p.key, JSON.stringify(p.axes), JSON.stringify(p.config), role, id]);
    }
  }
  if (!rows.length) return Promise.resolve();
  return store.write(async (con) => {
    await viaStage(
      con,
      ["experiment", "point_key", "axes", "config", "role", "job_id"],
      rows,
      `DELETE FROM points WHERE (experiment, point_key) IN
         (SELECT DISTINCT experiment, point_key FROM temp._stage);
       INSERT INTO points SELECT experiment, point_key, axes::JSON, config::JSON, role, job_id
         FROM temp._stage`,
    );
  });
}

const JOB_TABLES = ["metrics", "evaluations", "completions"] as const;

/**
 * Start an attempt: rows beyond the last checkpoint (left by a failed or interrupted attempt)
 * are deleted, the job is marked running, and the checkpoint (if any) is returned.
 */
export function beginAttempt(
  store: Store,
  jobId: string,
  env: RunEnvironment,
): Promise<StoredCheckpoint | null> {
  return store.write(async (con) => {
    const rows = await queryRows(con, "SELECT step, state FROM checkpoints WHERE job_id = $1", [
      jobId,
    ]);
    const ckpt = rows.length
      ? { step: Number(rows[0].step), state: new Uint8Array(rows[0].state as Uint8Array) }
      : null;
    const keep = ckpt ? ckpt.step : -1;
    for (const t of JOB_TABLES) {
      await con.run(`DELETE FROM ${t} WHERE job_id = $1 AND step > $2`, [jobId, keep]);
    }
    await con.run("DELETE FROM artifacts WHERE job_id = $1", [jobId]);
    await con.run(
      `UPDATE jobs SET status = 'running', attempts = attempts + 1,
         started_at = COALESCE(started_at, CAST(now() AS TIMESTAMP)), finished_at = NULL,
         error = NULL, error_stack = NULL, error_kind = NULL, diagnosis = NULL,
         deno_version = $2, adapter = $3, last_step = $4
       WHERE job_id = $1`,
      [jobId, env.denoVersion, env.adapter, ckpt ? ckpt.step : null],
    );
    return ckpt;
  });
}

/** Commit the sink's rows and the checkpoint together. */
export function saveCheckpoint(
  store: Store,
  sink: JobSink,
  state: Uint8Array,
): Promise<void> {
  return store.write(async (con) => {
    await sink.flushInto(con);
    const step = sink.maxStep();
    // Update in place, insert only the first time: DuckDB's INSERT OR REPLACE on a keyed table
    // costs about twice as much, and a job saves many checkpoints.
    const params = [sink.jobId, step, blobValue(state)];
    const updated = await con.run(
      `UPDATE checkpoints SET step = $2, state = $3, saved_at = CAST(now() AS TIMESTAMP)
       WHERE job_id = $1`,
      params,
    );
    if (Number(updated.rowsChanged) === 0) {
      await con.run(
        `INSERT INTO checkpoints VALUES ($1, $2, $3, CAST(now() AS TIMESTAMP))`,
        params,
      );
    }
    await con.run("UPDATE jobs SET last_step = $2 WHERE job_id = $1", [sink.jobId, step]);
  });
}

/** An artifact directory as recorded (path relative to the run directory). */
export interface ArtifactRecord {
  path: string;
  bytes: number;
  sha256: string;
}

/** Commit the sink's remaining rows, the artifact and status `done`; drop the checkpoint. */
export function finishJob(
  store: Store,
  sink: JobSink,
  seconds: number,
  artifact: ArtifactRecord | null,
): Promise<void> {
  return store.write(async (con) => {
    await sink.flushInto(con);
    if (artifact) {
      await con.run("INSERT OR REPLACE INTO artifacts VALUES ($1, $2, $3, $4)", [
        sink.jobId,
        artifact.path,
        artifact.bytes,
        artifact.sha256,
      ]);
    }
    await con.run("DELETE FROM checkpoints WHERE job_id = $1", [sink.jobId]);
    await con.run(
      `UPDATE jobs SET status = 'done', finished_at = CAST(now() AS TIMESTAMP),
         seconds = COALESCE(seconds, 0) + $2,
         last_step = CASE WHEN $3 >= 0 THEN $3 ELSE last_step END
       WHERE job_id = $1`,
      [sink.jobId, seconds, sink.maxStep()],
    );
  });
}

/** A failure as recorded with the job. */
export interface FailureRecord {
  message: string;
  stack: string | null;
  /** The error's class name (`NumericError`, `TransientError`, `Error`, ...). */
  kind: string;
  /** A NumericError's detail (step and diagnosis), else null. */
  diagnosis: Record<string, unknown> | null;
}

/**
 * Mark a job failed. Its rows up to the failure are kept (they show how a NaN came about); the
 * next attempt deletes those beyond the last checkpoint before resuming.
 */
export function failJob(
  store: Store,
  sink: JobSink,
  seconds: number,
  failure: FailureRecord,
): Promise<void> {
  return store.write(async (con) => {
    await sink.flushInto(con);
    await con.run(
      `UPDATE jobs SET status = 'failed', finished_at = CAST(now() AS TIMESTAMP),
         seconds = COALESCE(seconds, 0) + $2, error = $3, error_stack = $4, error_kind = $5,
         diagnosis = $6::JSON
       WHERE job_id = $1`,
      [
        sink.jobId,
        seconds,
        failure.message,
        failure.stack,
        failure.kind,
        failure.diagnosis ? JSON.stringify(failure.diagnosis) : null,
      ],
    );
  });
}

/** An attempt that stopped early (signal, transient error): unsaved rows are dropped. */
export function interruptJob(
  store: Store,
  sink: JobSink,
  seconds: number,
  reason: string,
): Promise<void> {
  sink.discard();
  return store.write(async (con) => {
    await con.run(
      `UPDATE jobs SET status = 'pending', seconds = COALESCE(seconds, 0) + $2, error = $3
       WHERE job_id = $1`,
      [sink.jobId, seconds, reason],
    );
  });
}

/** Mark a job skipped because a dependency did not complete. */
export function skipJob(store: Store, jobId: string, reason: string): Promise<void> {
  return store.write(async (con) => {
    await con.run(
      `UPDATE jobs SET status = 'skipped', error = $2, error_stack = NULL, error_kind = NULL
       WHERE job_id = $1`,
      [jobId, reason],
    );
  });
}
