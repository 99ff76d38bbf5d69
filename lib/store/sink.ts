/**
 * The store's `MetricSink`: rows are buffered in memory and land only when the runner commits them
 * (with a checkpoint or the job's completion) inside one transaction, through DuckDB's appender.
 */
import {
  BIGINT,
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  VARCHAR,
} from "@duckdb/node-api";
import type { CompletionRecord, MetricSink } from "../runner/kind.ts";

/** A job's buffered sink; `flushInto` must run inside the caller's transaction. */
export interface JobSink extends MetricSink {
  readonly jobId: string;
  /** Rows buffered and not yet flushed (metrics + evaluations + completions). */
  pending(): number;
  /** Highest step of any row this sink has seen (flushed or not), or -1. */
  maxStep(): number;
  /** Append every buffered row on `con` (which must be inside a transaction), then clear. */
  flushInto(con: DuckDBConnection): Promise<number>;
  /** Drop buffered rows (an interrupted attempt; they are emitted again on resume). */
  discard(): void;
}

interface EvalRow {
  step: number;
  benchmark: string;
  family: string;
  n: number;
  correct: number;
}

/** DuckDB's vector size: rows per appended data chunk. */
const CHUNK_ROWS = 2048;

function checkStep(step: number, what: string): void {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new RangeError(`${what}: step must be a non-negative integer, got ${step}`);
  }
}

/**
 * A buffered sink for one job's rows. `resumedFrom` is the step of the checkpoint an attempt
 * resumes from, so a checkpoint saved before any new row still covers the rows already stored.
 */
export function createJobSink(jobId: string, resumedFrom = -1): JobSink {
  let steps: number[] = [];
  let names: string[] = [];
  let values: number[] = [];
  let evals: EvalRow[] = [];
  let comps: CompletionRecord[] = [];
  let max = resumedFrom;

  const see = (step: number) => {
    if (step > max) max = step;
  };
  const clear = () => {
    steps = [];
    names = [];
    values = [];
    evals = [];
    comps = [];
  };

  return {
    jobId,
    scalar(step, name, value) {
      checkStep(step, `metric ${name}`);
      if (!name) throw new RangeError("metric name must be non-empty");
      steps.push(step);
      names.push(name);
      values.push(value);
      see(step);
    },
    evaluation(step, benchmark, family, n, correct) {
      checkStep(step, `evaluation ${benchmark}/${family}`);
      if (
        !Number.isInteger(n) || !Number.isInteger(correct) || n < 0 || correct < 0 || correct > n
      ) {
        throw new RangeError(
          `evaluation ${benchmark}/${family}: need integers 0 <= correct <= n, got ${correct}/${n}`,
        );
      }
      evals.push({ step, benchmark, family, n, correct });
      see(step);
    },
    completion(record) {
      checkStep(record.step, "completion");
      comps.push({ ...record });
      see(record.step);
    },
    pending: () => steps.length + evals.length + comps.length,
    maxStep: () => max,
    async flushInto(con) {
      const total = steps.length + evals.length + comps.length;
      if (steps.length) await appendMetrics(con, jobId, steps, names, values);
      if (evals.length) {
        await withAppender(con, "evaluations", (a) => {
          for (const e of evals) {
            a.appendVarchar(jobId);
            a.appendBigInt(BigInt(e.step));
            a.appendVarchar(e.benchmark);
            a.appendVarchar(e.family);
            a.appendInteger(e.n);
            a.appendInteger(e.correct);
            a.appendDouble(e.n > 0 ? e.correct / e.n : NaN);
            a.endRow();
          }
        });
      }
      if (comps.length) {
        await withAppender(con, "completions", (a) => {
          for (const c of comps) {
            a.appendVarchar(jobId);
            a.appendBigInt(BigInt(c.step));
            a.appendVarchar(c.prompt);
            a.appendVarchar(c.completion);
            a.appendVarchar(c.answer);
            a.appendDouble(c.reward);
            if (c.extra) a.appendVarchar(JSON.stringify(c.extra));
            else a.appendNull();
            a.endRow();
          }
        });
      }
      clear();
      return total;
    },
    discard: clear,
  };
}

async function withAppender(
  con: DuckDBConnection,
  table: string,
  fill: (a: DuckDBAppender) => void,
): Promise<void> {
  const a = await con.createAppender(table);
  try {
    fill(a);
    a.flushSync();
  } finally {
    a.closeSync();
  }
}

/**
 * Rows per appended chunk: at most DuckDB's vector size, and a multiple of the period of the
 * metric names (the names a job emits per step, in the same order every step) so that each slot
 * of the reused chunk keeps seeing the same name and its string is assigned only once.
 */
function chunkRows(names: string[]): number {
  let period = 0;
  for (let i = 1; i < Math.min(names.length, CHUNK_ROWS); i++) {
    if (names[i] === names[0]) {
      period = i;
      break;
    }
  }
  return period > 0 ? Math.floor(CHUNK_ROWS / period) * period : CHUNK_ROWS;
}

/**
 * Metrics go in column-wise data chunks: numbers are copied into the vectors' memory in bulk,
 * and the chunk is reused across appends (the appender copies it), so a string (job id, metric
 * name) is assigned to a slot only when that slot held a different one. Per row that leaves a
 * BigInt and two typed-array stores in the steady state, instead of five appender calls.
 */
async function appendMetrics(
  con: DuckDBConnection,
  jobId: string,
  steps: number[],
  names: string[],
  values: number[],
): Promise<void> {
  const chunk = DuckDBDataChunk.create([VARCHAR, BIGINT, VARCHAR, DOUBLE]);
  const rows = chunkRows(names);
  const idSlot: (string | undefined)[] = new Array(rows);
  const nameSlot: (string | undefined)[] = new Array(rows);
  let lastStep = -1;
  let lastBig = -1n;
  await withAppender(con, "metrics", (a) => {
    for (let base = 0; base < steps.length; base += rows) {
      const n = Math.min(rows, steps.length - base);
      chunk.rowCount = n;
      const id = chunk.getColumnVector(0);
      const st = chunk.getColumnVector(1);
      const nm = chunk.getColumnVector(2);
      const va = chunk.getColumnVector(3);
      for (let i = 0; i < n; i++) {
        if (idSlot[i] !== jobId) {
          id.setItem(i, jobId);
          idSlot[i] = jobId;
        }
        // Steps repeat for every metric of a step; convert each to BigInt once.
        if (steps[base + i] !== lastStep) {
          lastStep = steps[base + i];
          lastBig = BigInt(lastStep);
        }
        st.setItem(i, lastBig);
        const name = names[base + i];
        if (nameSlot[i] !== name) {
          nm.setItem(i, name);
          nameSlot[i] = name;
        }
        va.setItem(i, values[base + i]);
      }
      id.flush();
      st.flush();
      nm.flush();
      va.flush();
      a.appendDataChunk(chunk);
    }
  });
}
