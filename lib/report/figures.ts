/**
 * Training-curve figures: for one `train:` metric, the mean across seeds per arm (one line per
 * combination of the row and column axes) with a band for the interval across seeds, compiled
 * with Vega-Lite and rendered headless to SVG by Vega.
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { ConfigValue } from "../spec/types.ts";
import { aggregateCurves, combinations, type IntervalConfig, matches } from "./cells.ts";
import { showValue } from "./format.ts";
import type { ReportData, Series } from "./load.ts";
import { isRate, type MetricRef } from "./metric_ref.ts";

/** One arm's curve in a figure, with how many of its seeds are plotted and left out. */
export interface FigureArm {
  arm: string;
  seeds: number;
  failed: number;
  missing: number;
}

/** A built figure: its Vega-Lite spec, and what went into it. */
export interface Figure {
  metric: MetricRef;
  spec: Record<string, unknown>;
  arms: FigureArm[];
  /** Rows of the plotted data (for tests and for the caption). */
  points: number;
}

function armLabel(coords: Record<string, ConfigValue>): string {
  return Object.entries(coords).map(([k, v]) => `${k}=${showValue(v)}`).join(", ");
}

/** Builds the Vega-Lite spec of a training-curve figure. */
export function curveFigure(
  data: ReportData,
  axes: string[],
  m: MetricRef & { source: "train" },
  cfg: IntervalConfig,
): Figure {
  const scale = isRate(m) ? 100 : 1;
  const values: Record<string, number | string>[] = [];
  const arms: FigureArm[] = [];
  for (const coords of combinations(data.points, axes)) {
    const pts = data.points.filter((p) => matches(p, coords));
    const label = armLabel(coords);
    const curves: Series[] = [];
    let failed = 0;
    let missing = 0;
    for (const p of pts) {
      if (p.status === "failed") failed++;
      else if (p.status === "missing") missing++;
      else if (p.trainJob) {
        const c = data.curves.get(p.trainJob)?.get(m.name);
        if (c && c.steps.length) curves.push(c);
        else missing++;
      }
    }
    if (!curves.length && !failed && !missing) continue; // no training stage (method none)
    arms.push({ arm: label, seeds: curves.length, failed, missing });
    if (!curves.length) continue;
    const agg = aggregateCurves(curves, cfg);
    for (let i = 0; i < agg.steps.length; i++) {
      values.push({
        arm: label,
        step: agg.steps[i],
        mean: agg.mean[i] * scale,
        lo: agg.lo[i] * scale,
        hi: agg.hi[i] * scale,
        n: agg.n[i],
      });
    }
  }
  const pct = `${Math.round(cfg.confidence * 1000) / 10}%`;
  const band = cfg.kind === "t" ? `${pct} t interval` : `${pct} bootstrap interval`;
  const yTitle = `${m.name}${scale === 100 ? " (%)" : ""}`;
  const x = { field: "step", type: "quantitative", title: "step" };
  const color = { field: "arm", type: "nominal", title: "arm" };
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: `${m.ref}`, subtitle: `mean across seeds; band: ${band}` },
    width: 480,
    height: 280,
    data: { values },
    layer: [
      {
        mark: { type: "area", opacity: 0.18 },
        encoding: {
          x,
          y: { field: "lo", type: "quantitative", title: yTitle },
          y2: { field: "hi" },
          color,
        },
      },
      {
        mark: { type: "line", strokeWidth: 1.8 },
        encoding: { x, y: { field: "mean", type: "quantitative", title: yTitle }, color },
      },
    ],
    config: { font: "sans-serif", legend: { labelLimit: 360 } },
  };
  return { metric: m, spec, arms, points: values.length };
}

/** Compiles a Vega-Lite spec and renders it to an SVG string without a browser. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const compiled = vl.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
