/** Collects the per-seed samples each claim is tested on, from the report data and the store. */
import { hasTraining, matches, seedOf, seedValues } from "../report/cells.ts";
import { loadSeries, type ReportData, type ReportPoint } from "../report/load.ts";
import { parseMetricRef } from "../report/metric_ref.ts";
import type { Claim } from "../spec/types.ts";
import type { Store } from "../store/mod.ts";
import type { ClaimSamples, SeedSeries } from "./evaluate.ts";

/** Typed failure to gather a claim's data (e.g. a trend on an eval metric). */
export class ClaimDataError extends Error {
  constructor(readonly claim: string, message: string) {
    super(`claim ${claim}: ${message}`);
    this.name = "ClaimDataError";
  }
}

/** The `train:` metric names whose scalars the claims need (to load with the report). */
export function claimTrainScalars(claims: Claim[]): string[] {
  const out = new Set<string>();
  for (const c of claims) {
    const m = parseMetricRef(c.metric);
    if (c.kind === "compare" && m.source === "train") out.add(m.name);
  }
  return [...out];
}

/** The samples of one claim: per-seed arm values (compare) or per-seed curves (trend). */
export async function gatherClaimSamples(
  store: Store,
  data: ReportData,
  claim: Claim,
): Promise<ClaimSamples> {
  const m = parseMetricRef(claim.metric);
  if (claim.kind === "compare") {
    const a = seedValues(data, data.points.filter((p) => matches(p, claim.a)), m);
    const b = seedValues(data, data.points.filter((p) => matches(p, claim.b)), m);
    return { kind: "compare", a, b };
  }
  if (m.source !== "train") {
    throw new ClaimDataError(claim.name, `a trend needs a train: metric, got ${claim.metric}`);
  }
  const pts = data.points.filter((p) => matches(p, claim.arm) && hasTraining(p));
  const bySeed = new Map<number, ReportPoint[]>();
  for (const p of pts) {
    const s = seedOf(p);
    if (!bySeed.has(s)) bySeed.set(s, []);
    bySeed.get(s)!.push(p);
  }
  const ids = pts.filter((p) => p.status === "done" && p.trainJob).map((p) => p.trainJob!);
  const series = await loadSeries(store, [...new Set(ids)].sort(), m.name);
  const out: SeedSeries[] = [];
  let failed = 0;
  let missing = 0;
  for (const seed of [...bySeed.keys()].sort((x, y) => x - y)) {
    const group = bySeed.get(seed)!;
    if (group.some((p) => p.status === "failed")) {
      failed++;
      continue;
    }
    const curves = group.map((p) => (p.trainJob ? series.get(p.trainJob) : undefined));
    if (group.some((p) => p.status !== "done") || curves.some((c) => !c || !c.steps.length)) {
      missing++;
      continue;
    }
    out.push({ seed, ...averageOnCommonSteps(curves.map((c) => c!)) });
  }
  return { kind: "trend", series: out, failed, missing };
}

/** Averages curves of one seed (points differing in other axes) over the steps they share. */
function averageOnCommonSteps(curves: { steps: number[]; values: number[] }[]) {
  if (curves.length === 1) return { steps: curves[0].steps, values: curves[0].values };
  const maps = curves.map((c) => new Map(c.steps.map((s, i) => [s, c.values[i]])));
  const steps = curves[0].steps.filter((s) => maps.every((m) => m.has(s)));
  return {
    steps,
    values: steps.map((s) => maps.reduce((acc, m) => acc + m.get(s)!, 0) / maps.length),
  };
}
