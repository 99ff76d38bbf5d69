/**
 * The rliable view of the final evals (Agarwal et al., 2021): per arm, the interquartile mean of
 * accuracy over every (seed, family) run with a stratified-bootstrap interval (families are the
 * tasks, seeds the runs), and the matrix of probabilities of improvement between arms.
 */
import { iqmInterval, probabilityOfImprovement } from "../stats/mod.ts";
import { combinations, matches, seedValues } from "./cells.ts";
import { fixed, showValue } from "./format.ts";
import type { ReportData } from "./load.ts";
import { parseMetricRef } from "./metric_ref.ts";
import type { CellText, TableModel } from "./tables.ts";

/** Settings of the stratified bootstrap (stated in the caption). */
export interface AggregateConfig {
  confidence: number;
  resamples: number;
  seed: number;
}

/** The eval families present in the store (every family any final job reported). */
export function evalFamilies(data: ReportData): string[] {
  const fams = new Set<string>();
  for (const m of data.evals.values()) for (const k of m.keys()) if (k !== "overall") fams.add(k);
  return [...fams].sort();
}

const text = (main: string, note: string | null = null): CellText => ({
  main,
  spread: null,
  note,
  bold: false,
});

/** IQM table and probability-of-improvement matrix over the arms (rows × columns axes). */
export function aggregateTables(
  data: ReportData,
  axes: string[],
  cfg: AggregateConfig,
): { iqm: TableModel; poi: TableModel } | null {
  const families = evalFamilies(data);
  if (!families.length) return null;
  const arms = combinations(data.points, axes);
  // Per arm: one run list per family, over the seeds that have every family.
  const scores = arms.map((coords) => {
    const pts = data.points.filter((p) => matches(p, coords));
    const perFamily = families.map((f) => seedValues(data, pts, parseMetricRef(`eval:${f}`)));
    return perFamily.map((s) => s.values);
  });
  const label = (i: number) => axes.map((a) => `${a}=${showValue(arms[i][a])}`).join(", ");
  const pct = `${fixed(cfg.confidence * 100, 0)}%`;
  const iqmRows = arms.map((_, i) => {
    const runs = scores[i];
    const n = runs[0]?.length ?? 0;
    if (!n || runs.some((r) => r.length === 0)) {
      return { labels: [label(i)], cells: [text("—", "no runs")] };
    }
    const iv = iqmInterval(runs, cfg);
    return {
      labels: [label(i)],
      cells: [{
        main: fixed(iv.estimate * 100, 1),
        spread: { kind: "range" as const, lo: fixed(iv.lo * 100, 1), hi: fixed(iv.hi * 100, 1) },
        note: `${n} seeds × ${families.length} families`,
        bold: false,
      }],
    };
  });
  const iqm: TableModel = {
    id: "aggregate_iqm",
    caption:
      `${data.experiment}: interquartile mean of eval accuracy (%) over all (seed, family) ` +
      `runs of each arm, with a ${pct} stratified-bootstrap percentile interval (runs resampled ` +
      `within each family; ${cfg.resamples} resamples, seed ${cfg.seed}). Families: ` +
      `${families.join(", ")}.`,
    header: ["arm", "IQM acc. (%)"],
    labelColumns: 1,
    rows: iqmRows,
  };
  const poi: TableModel = {
    id: "aggregate_poi",
    caption: `${data.experiment}: probability of improvement P(X > Y): the chance that a run of ` +
      `arm X (row) beats a run of arm Y (column) on the same family, ties counted half, averaged ` +
      `over families. Columns A1… are the arms in row order.`,
    header: ["X \\ Y", ...arms.map((_, j) => `A${j + 1}`)],
    labelColumns: 1,
    rows: arms.map((_, i) => ({
      labels: [`A${i + 1}: ${label(i)}`],
      cells: arms.map((_, j) => {
        const ok = (k: number) => scores[k].every((r) => r.length > 0);
        if (i === j || !ok(i) || !ok(j)) return text(i === j ? "" : "—");
        return text(fixed(probabilityOfImprovement(scores[i], scores[j]), 2));
      }),
    })),
  };
  return { iqm, poi };
}
