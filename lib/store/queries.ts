/** Read-side queries used by the runner (what is done), `status` and reports. */
import { queryRows, type Store } from "./db.ts";
import { TABLES } from "./schema.ts";

/** Job lifecycle states, as stored in `jobs.status`. */
export type JobStatus = "pending" | "running" | "done" | "failed" | "skipped";

/** One job's state as the runner and `status` see it. */
export interface JobStatusRow {
  jobId: string;
  experiment: string;
  kind: string;
  label: string;
  status: JobStatus;
  attempts: number;
  lastStep: number | null;
  seconds: number | null;
  error: string | null;
  errorKind: string | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Every job's status, keyed by job id (optionally only one experiment's). */
export async function jobStatuses(
  store: Store,
  experiment?: string,
): Promise<Map<string, JobStatusRow>> {
  const rows = await queryRows(
    store.con,
    `SELECT job_id, experiment, kind, label, status, attempts, last_step, seconds, error,
       error_kind FROM jobs ${experiment === undefined ? "" : "WHERE experiment = $1"}
     ORDER BY job_id`,
    experiment === undefined ? [] : [experiment],
  );
  const out = new Map<string, JobStatusRow>();
  for (const r of rows) {
    out.set(String(r.job_id), {
      jobId: String(r.job_id),
      experiment: String(r.experiment),
      kind: String(r.kind),
      label: String(r.label),
      status: String(r.status) as JobStatus,
      attempts: Number(r.attempts),
      lastStep: num(r.last_step),
      seconds: num(r.seconds),
      error: str(r.error),
      errorKind: str(r.error_kind),
    });
  }
  return out;
}

/** The experiments recorded in a store. */
export async function experiments(
  store: Store,
): Promise<{ name: string; specHash: string; specText: string }[]> {
  const rows = await queryRows(
    store.con,
    "SELECT name, spec_hash, spec_text FROM experiments ORDER BY name",
  );
  return rows.map((r) => ({
    name: String(r.name),
    specHash: String(r.spec_hash),
    specText: String(r.spec_text),
  }));
}

/** Row count of every table. */
export async function tableCounts(store: Store): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const rows = await queryRows(store.con, `SELECT count(*) AS n FROM ${t}`);
    out[t] = Number(rows[0].n);
  }
  return out;
}

/** Job counts per kind and status, for `status`. */
export async function statusCounts(
  store: Store,
  experiment?: string,
): Promise<{ kind: string; status: JobStatus; n: number }[]> {
  const rows = await queryRows(
    store.con,
    `SELECT kind, status, count(*) AS n FROM jobs
     ${experiment === undefined ? "" : "WHERE experiment = $1"}
     GROUP BY kind, status ORDER BY kind, status`,
    experiment === undefined ? [] : [experiment],
  );
  return rows.map((r) => ({
    kind: String(r.kind),
    status: String(r.status) as JobStatus,
    n: Number(r.n),
  }));
}
