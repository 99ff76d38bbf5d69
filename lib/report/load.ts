/**
 * Reads what a report needs from the store in a few aggregate queries: the grid points and the
 * status of their jobs, final eval accuracies, training scalars (mean over the last 10% of
 * logged steps), binned training curves and sampled completions that show reflection.
 */
import type { DuckDBValue } from "@duckdb/node-api";
import { queryRows, type Store } from "../store/mod.ts";
import type { ConfigValue, JobConfig } from "../spec/types.ts";

/** A grid point the report knows about, whether or not it ran. */
export interface ExpectedPoint {
  key: string;
  axes: Record<string, ConfigValue>;
  config: JobConfig;
}

/** done: its final job finished; failed: one of its jobs failed or was skipped; missing: neither. */
export type PointStatus = "done" | "failed" | "missing";

/** One point with its jobs and what became of them. */
export interface ReportPoint {
  key: string;
  axes: Record<string, ConfigValue>;
  config: JobConfig | null;
  /** Job ids by role (`final`, `rl`, `sft`, `pretrain`, ...). */
  jobs: Record<string, string>;
  status: PointStatus;
  /** For failed/missing points: which job and why. */
  reason: string | null;
  /** The training job whose step metrics describe the point: role `rl`, else `sft`, else none. */
  trainJob: string | null;
  finalJob: string | null;
}

/** A training curve: steps ascending and the value at each. */
export interface Series {
  steps: number[];
  values: number[];
}

/** A sampled completion showing reflection words. */
export interface CompletionSample {
  pointKey: string;
  jobId: string;
  step: number;
  prompt: string;
  completion: string;
  answer: string;
  reward: number;
  words: string[];
}

/** Everything the tables, figures and claims read. */
export interface ReportData {
  experiment: string;
  points: ReportPoint[];
  /** Final-eval accuracy by job id then family (plus `overall` = Σcorrect / Σn). */
  evals: Map<string, Map<string, number>>;
  /** Training scalars by job id then metric name: mean over the last 10% of the step range. */
  trainScalars: Map<string, Map<string, number>>;
  /** Binned training curves by job id then metric name. */
  curves: Map<string, Map<string, Series>>;
  completions: CompletionSample[];
  /** Points in the store that the spec's grid no longer has (left out of the report). */
  ignoredPoints: string[];
}

/** What to load; every knob explicit (the CLI owns the values). */
export interface LoadOptions {
  experiment: string;
  /** The spec's grid; null to report exactly the points the store has. */
  expected: ExpectedPoint[] | null;
  /** `train:<name>` metrics wanted as scalars (names without the prefix). */
  trainScalars: string[];
  /** `train:<name>` metrics wanted as curves. */
  curves: string[];
  /** Curves are averaged into at most this many step bins per job. */
  curveBins: number;
  /** How many completions with reflection words to keep. */
  completionSamples: number;
  reflectionWords: string[];
}

/** Reads the report's data for one experiment from an open store. */
export async function loadReportData(store: Store, opts: LoadOptions): Promise<ReportData> {
  const con = store.con;
  const exp = opts.experiment;
  const pointRows = await queryRows(
    con,
    `SELECT point_key, axes::VARCHAR AS axes, config::VARCHAR AS config, role, job_id
     FROM points WHERE experiment = $1 ORDER BY point_key, role`,
    [exp],
  );
  const stored = new Map<string, { axes: string; config: string; jobs: Record<string, string> }>();
  for (const r of pointRows) {
    const key = String(r.point_key);
    let p = stored.get(key);
    if (!p) stored.set(key, p = { axes: String(r.axes), config: String(r.config), jobs: {} });
    p.jobs[String(r.role)] = String(r.job_id);
  }
  const jobRows = await queryRows(
    con,
    `SELECT job_id, kind, status, error FROM jobs
     WHERE job_id IN (SELECT job_id FROM points WHERE experiment = $1)`,
    [exp],
  );
  const jobs = new Map(jobRows.map((r) => [String(r.job_id), r]));

  const keys = opts.expected ? opts.expected.map((p) => p.key) : [...stored.keys()];
  const expectedByKey = new Map((opts.expected ?? []).map((p) => [p.key, p]));
  const points: ReportPoint[] = keys.map((key) => {
    const s = stored.get(key);
    const e = expectedByKey.get(key);
    const axes = e?.axes ?? (JSON.parse(s!.axes) as Record<string, ConfigValue>);
    const config = e?.config ?? (s ? (JSON.parse(s.config) as JobConfig) : null);
    const roleJobs = s?.jobs ?? {};
    const { status, reason } = pointStatus(roleJobs, jobs);
    return {
      key,
      axes,
      config,
      jobs: roleJobs,
      status,
      reason,
      trainJob: roleJobs.rl ?? roleJobs.sft ?? null,
      finalJob: roleJobs.final ?? null,
    };
  });
  const ignoredPoints = opts.expected
    ? [...stored.keys()].filter((k) => !expectedByKey.has(k))
    : [];

  const finalIds = unique(points.filter((p) => p.status === "done").map((p) => p.finalJob));
  const trainIds = unique(points.filter((p) => p.status === "done").map((p) => p.trainJob));
  // Sequential: one connection runs one query at a time.
  const evals = await loadEvals(store, finalIds);
  const trainScalars = await loadTrainScalars(store, trainIds, opts.trainScalars);
  const curves = await loadCurves(store, trainIds, opts.curves, opts.curveBins);
  const completions = await loadCompletions(
    store,
    points,
    opts.completionSamples,
    opts.reflectionWords,
  );
  return { experiment: exp, points, evals, trainScalars, curves, completions, ignoredPoints };
}

function pointStatus(
  roleJobs: Record<string, string>,
  jobs: Map<string, Record<string, unknown>>,
): { status: PointStatus; reason: string | null } {
  if (!roleJobs.final) return { status: "missing", reason: "not in the store yet" };
  // A failed job explains the point better than the skipped jobs downstream of it.
  for (const wanted of ["failed", "skipped"]) {
    for (const [role, id] of Object.entries(roleJobs)) {
      const j = jobs.get(id);
      if (!j || String(j.status) !== wanted) continue;
      const err = j.error == null ? "" : `: ${String(j.error).split("\n")[0]}`;
      return { status: "failed", reason: `${role} job ${id} ${wanted}${err}` };
    }
  }
  const fin = jobs.get(roleJobs.final);
  if (fin && String(fin.status) === "done") return { status: "done", reason: null };
  return {
    status: "missing",
    reason: `final job ${roleJobs.final} ${fin ? String(fin.status) : "absent"}`,
  };
}

function unique(ids: (string | null)[]): string[] {
  return [...new Set(ids.filter((x): x is string => x !== null))].sort();
}

/** A `IN (...)` list of bind placeholders starting at `$start`. */
function placeholders(n: number, start = 1): string {
  return Array.from({ length: n }, (_, i) => `$${start + i}`).join(", ");
}

async function loadEvals(store: Store, ids: string[]): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  if (!ids.length) return out;
  // The last evaluation step of each final job is its result.
  const rows = await queryRows(
    store.con,
    `WITH e AS (SELECT * FROM evaluations WHERE job_id IN (${placeholders(ids.length)})),
          last AS (SELECT job_id, max(step) AS step FROM e GROUP BY job_id)
     SELECT e.job_id, e.family, sum(e.n)::DOUBLE AS n, sum(e.correct)::DOUBLE AS correct
     FROM e JOIN last USING (job_id, step) GROUP BY e.job_id, e.family`,
    ids,
  );
  for (const r of rows) {
    const id = String(r.job_id);
    let m = out.get(id);
    if (!m) out.set(id, m = new Map());
    m.set(String(r.family), Number(r.correct) / Number(r.n));
    m.set("\0n", (m.get("\0n") ?? 0) + Number(r.n));
    m.set("\0correct", (m.get("\0correct") ?? 0) + Number(r.correct));
  }
  for (const m of out.values()) {
    m.set("overall", m.get("\0correct")! / m.get("\0n")!);
    m.delete("\0n");
    m.delete("\0correct");
  }
  return out;
}

async function loadTrainScalars(
  store: Store,
  ids: string[],
  names: string[],
): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  if (!ids.length || !names.length) return out;
  // "The last 10% of steps": rows whose step lies in the last tenth of the metric's step range,
  // step >= lo + 0.9 (hi - lo); for steps 0..S-1 logged every step that is the last ceil(S/10).
  // (A range test instead of a per-row rank: no sort over the metric rows.)
  const rows = await queryRows(
    store.con,
    `WITH m AS (SELECT job_id, name, step, value FROM metrics
                WHERE job_id IN (${placeholders(ids.length)})
                  AND name IN (${placeholders(names.length, ids.length + 1)})),
          r AS (SELECT job_id, name, min(step) AS lo, max(step) AS hi FROM m GROUP BY job_id, name)
     SELECT job_id, name, avg(value) AS v FROM m JOIN r USING (job_id, name)
     WHERE step >= lo + 0.9 * (hi - lo) GROUP BY job_id, name`,
    [...ids, ...names],
  );
  for (const r of rows) {
    const id = String(r.job_id);
    if (!out.has(id)) out.set(id, new Map());
    out.get(id)!.set(String(r.name), Number(r.v));
  }
  return out;
}

async function loadCurves(
  store: Store,
  ids: string[],
  names: string[],
  bins: number,
): Promise<Map<string, Map<string, Series>>> {
  const out = new Map<string, Map<string, Series>>();
  if (!ids.length || !names.length) return out;
  if (!(Number.isInteger(bins) && bins > 0)) {
    throw new RangeError(`curveBins must be > 0, got ${bins}`);
  }
  const params: DuckDBValue[] = [...ids, ...names, bins];
  // Bin width w = ceil(span / bins) steps, so a job has at most `bins` points per curve.
  const reader = await store.con.runAndReadAll(
    `WITH m AS (SELECT job_id, name, step, value FROM metrics
                WHERE job_id IN (${placeholders(ids.length)})
                  AND name IN (${placeholders(names.length, ids.length + 1)})),
          r AS (SELECT job_id, name, min(step) AS lo,
                  greatest(1, ceil((max(step) - min(step) + 1) / $${params.length}))::BIGINT AS w
                FROM m GROUP BY job_id, name)
     SELECT m.job_id, m.name, (m.step - r.lo) // r.w AS bin, avg(m.step) AS step,
       avg(m.value) AS value
     FROM m JOIN r USING (job_id, name)
     GROUP BY m.job_id, m.name, bin ORDER BY m.job_id, m.name, bin`,
    params,
  );
  // Column-wise reading: converting tens of thousands of rows to objects costs more than the query.
  const [jobCol, nameCol, , stepCol, valueCol] = reader.getColumnsJS();
  for (let i = 0; i < jobCol.length; i++) {
    const id = String(jobCol[i]);
    if (!out.has(id)) out.set(id, new Map());
    const byName = out.get(id)!;
    const name = String(nameCol[i]);
    if (!byName.has(name)) byName.set(name, { steps: [], values: [] });
    const s = byName.get(name)!;
    s.steps.push(Number(stepCol[i]));
    s.values.push(Number(valueCol[i]));
  }
  return out;
}

/** The full step series of one metric for the given jobs (trend claims fit on every step). */
export async function loadSeries(
  store: Store,
  ids: string[],
  name: string,
): Promise<Map<string, Series>> {
  const out = new Map<string, Series>();
  if (!ids.length) return out;
  const rows = await queryRows(
    store.con,
    `SELECT job_id, step, avg(value) AS value FROM metrics
     WHERE job_id IN (${placeholders(ids.length)}) AND name = $${ids.length + 1}
     GROUP BY job_id, step ORDER BY job_id, step`,
    [...ids, name],
  );
  for (const r of rows) {
    const id = String(r.job_id);
    if (!out.has(id)) out.set(id, { steps: [], values: [] });
    out.get(id)!.steps.push(Number(r.step));
    out.get(id)!.values.push(Number(r.value));
  }
  return out;
}

/** A regular expression (RE2 and JS alike) matching any of the words as whole words. */
export function reflectionPattern(words: string[]): string {
  const alt = words.map((w) => w.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  return `\\b(${alt})\\b`;
}

async function loadCompletions(
  store: Store,
  points: ReportPoint[],
  count: number,
  words: string[],
): Promise<CompletionSample[]> {
  const jobToPoint = new Map<string, string>();
  for (const p of points) if (p.status === "done" && p.trainJob) jobToPoint.set(p.trainJob, p.key);
  const ids = [...jobToPoint.keys()].sort();
  if (!ids.length || count <= 0 || !words.length) return [];
  const pattern = reflectionPattern(words);
  const rows = await queryRows(
    store.con,
    `SELECT job_id, step, prompt, completion, answer, reward FROM completions
     WHERE job_id IN (${placeholders(ids.length)})
       AND regexp_matches(lower(completion), $${ids.length + 1})
     ORDER BY step DESC, job_id, prompt, completion LIMIT ${Math.max(1, count) * 50}`,
    [...ids, pattern],
  );
  // Round-robin over jobs so that the few samples cover several arms, latest steps first.
  const byJob = new Map<string, Record<string, unknown>[]>();
  for (const r of rows) {
    const id = String(r.job_id);
    if (!byJob.has(id)) byJob.set(id, []);
    byJob.get(id)!.push(r);
  }
  const out: CompletionSample[] = [];
  const re = new RegExp(pattern, "gi");
  for (let round = 0; out.length < count; round++) {
    let any = false;
    for (const [id, list] of byJob) {
      if (round >= list.length || out.length >= count) continue;
      any = true;
      const r = list[round];
      const completion = String(r.completion);
      out.push({
        pointKey: jobToPoint.get(id)!,
        jobId: id,
        step: Number(r.step),
        prompt: String(r.prompt),
        completion,
        answer: String(r.answer),
        reward: Number(r.reward),
        words: [...new Set([...completion.toLowerCase().matchAll(re)].map((m) => m[1]))],
      });
    }
    if (!any) break;
  }
  return out;
}
