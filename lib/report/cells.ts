/**
 * Groups points into table cells (one per combination of the row and column axes) and reduces
 * each cell to one value per seed: points of a seed that differ only in other axes are averaged,
 * and a seed with any failed (or missing) point counts as failed (missing), never half-averaged.
 */
import { canonicalJson, getPath } from "../spec/config_path.ts";
import type { ConfigValue } from "../spec/types.ts";
import {
  bootstrapInterval,
  type BootstrapMethod,
  type Interval,
  mean,
  se,
  tInterval,
  tQuantile,
} from "../stats/mod.ts";
import type { ReportData, ReportPoint, Series } from "./load.ts";
import type { MetricRef } from "./metric_ref.ts";

/** How cells get their interval; fully explicit so captions can state it. */
export interface IntervalConfig {
  kind: "t" | "bootstrap";
  confidence: number;
  /** Used when kind is `bootstrap`. */
  bootstrap: { method: BootstrapMethod; resamples: number; seed: number };
}

/** The value of a metric for one point, or why there is none. */
export type PointValue = number | "failed" | "missing" | "n/a";

/** One cell: its axis values, per-seed values and the seeds that have none. */
export interface Cell {
  /** Axis path → value for the row and column axes. */
  coords: Record<string, ConfigValue>;
  /** Seeds with a value, ascending, and their values. */
  seeds: number[];
  values: number[];
  failed: number;
  missing: number;
  /** True when the metric does not apply to any point of the cell (e.g. train metrics of method none). */
  notApplicable: boolean;
  /** Points whose failure or absence the cell reports. */
  reasons: string[];
  interval: Interval | null;
}

/** The value of an axis (or any config path) at a point. */
export function axisValue(p: ReportPoint, path: string): ConfigValue | undefined {
  if (path in p.axes) return p.axes[path];
  return p.config ? (getPath(p.config, path) as ConfigValue | undefined) : undefined;
}

/** Whether a point matches a selector of axis assignments (e.g. `{ init: base, method: rl }`). */
export function matches(p: ReportPoint, selector: Record<string, ConfigValue>): boolean {
  return Object.entries(selector).every(([k, v]) => {
    const got = axisValue(p, k);
    return got !== undefined && canonicalJson(got) === canonicalJson(v);
  });
}

/** The seed of a point: its `seed` axis, else its config's seed. */
export function seedOf(p: ReportPoint): number {
  const s = axisValue(p, "seed");
  if (typeof s !== "number") throw new Error(`point ${p.key} has no numeric seed`);
  return s;
}

/** The scalar value of a metric at a point. */
export function pointValue(data: ReportData, p: ReportPoint, m: MetricRef): PointValue {
  if (m.source === "train" && !hasTraining(p)) return "n/a";
  if (p.status !== "done") return p.status;
  if (m.source === "eval") {
    const v = p.finalJob ? data.evals.get(p.finalJob)?.get(m.family) : undefined;
    return v === undefined ? "missing" : v;
  }
  if (!p.trainJob) return "n/a";
  // The point is done, so its training job committed every metric it records: an absent name is
  // one that job kind does not record (e.g. completion length of an SFT job), not lost data.
  const v = data.trainScalars.get(p.trainJob)?.get(m.name);
  return v === undefined ? "n/a" : v;
}

/** Whether a point has a training stage (method other than `none`), so `train:` metrics apply. */
export function hasTraining(p: ReportPoint): boolean {
  const method = axisValue(p, "method");
  return typeof method === "string" ? method !== "none" : p.trainJob !== null;
}

/** Per-seed values of a metric over the points matching a selector (the claims' arm pooling). */
export function seedValues(
  data: ReportData,
  points: ReportPoint[],
  m: MetricRef,
): {
  seeds: number[];
  values: number[];
  failed: number;
  missing: number;
  notApplicable: boolean;
  reasons: string[];
} {
  const bySeed = new Map<number, PointValue[]>();
  const reasons: string[] = [];
  for (const p of points) {
    const s = seedOf(p);
    if (!bySeed.has(s)) bySeed.set(s, []);
    const v = pointValue(data, p, m);
    bySeed.get(s)!.push(v);
    if ((v === "failed" || v === "missing") && p.reason) reasons.push(`${p.key}: ${p.reason}`);
    else if (v === "missing") reasons.push(`${p.key}: no ${m.ref} recorded`);
  }
  const seeds: number[] = [];
  const values: number[] = [];
  let failed = 0;
  let missing = 0;
  let applicable = 0;
  for (const s of [...bySeed.keys()].sort((a, b) => a - b)) {
    const vs = bySeed.get(s)!.filter((v) => v !== "n/a");
    if (!vs.length) continue;
    applicable++;
    if (vs.includes("failed")) failed++;
    else if (vs.includes("missing")) missing++;
    else {
      seeds.push(s);
      values.push(mean(vs as number[]));
    }
  }
  return { seeds, values, failed, missing, notApplicable: applicable === 0, reasons };
}

/** The interval of a cell's per-seed values, or null below two seeds. */
export function cellInterval(values: number[], cfg: IntervalConfig): Interval | null {
  if (values.length < 2) return null;
  if (cfg.kind === "t") return tInterval(values, cfg.confidence);
  return bootstrapInterval(values, { ...cfg.bootstrap, confidence: cfg.confidence });
}

/** Distinct combinations of the given axes in the order the points first show them. */
export function combinations(
  points: ReportPoint[],
  paths: string[],
): Record<string, ConfigValue>[] {
  const seen = new Map<string, Record<string, ConfigValue>>();
  for (const p of points) {
    const c: Record<string, ConfigValue> = {};
    for (const path of paths) c[path] = axisValue(p, path) ?? null;
    const k = canonicalJson(c);
    if (!seen.has(k)) seen.set(k, c);
  }
  return [...seen.values()];
}

/** Builds the cell of a metric at the given row/column coordinates. */
export function buildCell(
  data: ReportData,
  coords: Record<string, ConfigValue>,
  m: MetricRef,
  cfg: IntervalConfig,
): Cell {
  const pts = data.points.filter((p) => matches(p, coords));
  const sv = seedValues(data, pts, m);
  return {
    coords,
    seeds: sv.seeds,
    values: sv.values,
    failed: sv.failed,
    missing: sv.missing,
    notApplicable: sv.notApplicable && pts.length > 0,
    reasons: sv.reasons,
    interval: cellInterval(sv.values, cfg),
  };
}

/** A curve aggregated across seeds: mean and interval per step bin. */
export interface CurveAggregate {
  steps: number[];
  mean: number[];
  lo: number[];
  hi: number[];
  /** Seeds contributing at each bin. */
  n: number[];
}

/** Aggregates per-seed binned curves bin by bin (bins align by index; x is the mean step). */
export function aggregateCurves(curves: Series[], cfg: IntervalConfig): CurveAggregate {
  const out: CurveAggregate = { steps: [], mean: [], lo: [], hi: [], n: [] };
  const len = Math.max(0, ...curves.map((c) => c.steps.length));
  // Bins share few distinct seed counts: one t quantile per count (it costs a root search).
  const tq = new Map<number, number>();
  for (let i = 0; i < len; i++) {
    const at = curves.filter((c) => i < c.steps.length);
    const vs = at.map((c) => c.values[i]);
    const m = mean(vs);
    let lo = m;
    let hi = m;
    if (vs.length >= 2 && cfg.kind === "t") {
      if (!tq.has(vs.length)) tq.set(vs.length, tQuantile((1 + cfg.confidence) / 2, vs.length - 1));
      const half = tq.get(vs.length)! * se(vs);
      lo = m - half;
      hi = m + half;
    } else if (vs.length >= 2) {
      const iv = cellInterval(vs, cfg)!;
      lo = iv.lo;
      hi = iv.hi;
    }
    out.steps.push(mean(at.map((c) => c.steps[i])));
    out.mean.push(m);
    out.lo.push(lo);
    out.hi.push(hi);
    out.n.push(vs.length);
  }
  return out;
}
