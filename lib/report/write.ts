/**
 * Builds the whole report of one experiment: tables, figures, sampled completions, the claims'
 * verdicts and an `index.md` tying them together, under one output directory.
 */
import {
  claimTrainScalars,
  type ClaimVerdict,
  gatherClaimSamples,
  judgeClaims,
  testClaim,
  verdictLatex,
  verdictMarkdown,
} from "../claims/mod.ts";
import type { BootstrapMethod } from "../stats/mod.ts";
import type { Experiment } from "../spec/types.ts";
import type { Store } from "../store/mod.ts";
import type { IntervalConfig } from "./cells.ts";
import { aggregateTables } from "./aggregate_table.ts";
import { curveFigure, renderSvg } from "./figures.ts";
import { mdEscape } from "./format.ts";
import {
  type CompletionSample,
  type ExpectedPoint,
  loadReportData,
  type ReportData,
} from "./load.ts";
import { metricLabel, type MetricRef, parseMetricRef } from "./metric_ref.ts";
import { mainTable, pivotTable, slug, toLatex, toMarkdown } from "./tables.ts";

/** Report knobs the spec does not carry; the CLI passes them explicitly. */
export interface ReportOptions {
  /** Directory the report is written to (created; files inside are replaced). */
  outDir: string;
  /** Curves are averaged into at most this many step bins per job. */
  curveBins: number;
  /** Sampled completions with reflection words to show. */
  completionSamples: number;
  /** Used when the spec's `report.interval` is `bootstrap`. */
  bootstrap: { method: BootstrapMethod; resamples: number; seed: number };
}

/** What a report run produced. */
export interface ReportResult {
  dir: string;
  /** Files written, relative to `dir`. */
  files: string[];
  verdicts: ClaimVerdict[];
  data: ReportData;
  /** Milliseconds per phase. */
  timings: Record<string, number>;
}

/** Reads the store and writes the report of `exp` under `opts.outDir`. */
export async function buildReport(
  store: Store,
  exp: Experiment,
  expected: ExpectedPoint[] | null,
  opts: ReportOptions,
): Promise<ReportResult> {
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string) => {
    const t = performance.now();
    timings[name] = t - t0;
    t0 = t;
  };
  const metrics = exp.report.metrics.map(parseMetricRef);
  const figures = exp.report.figures.map(parseMetricRef);
  const trainNames = [
    ...new Set([
      ...metrics.flatMap((m) => (m.source === "train" ? [m.name] : [])),
      ...claimTrainScalars(exp.claims),
    ]),
  ];
  const rl = exp.base.rl as Record<string, unknown> | undefined;
  const words = Array.isArray(rl?.reflection_words) ? (rl.reflection_words as string[]) : [];
  const data = await loadReportData(store, {
    experiment: exp.name,
    expected,
    trainScalars: trainNames,
    curves: figures.flatMap((m) => (m.source === "train" ? [m.name] : [])),
    curveBins: opts.curveBins,
    completionSamples: opts.completionSamples,
    reflectionWords: words,
  });
  lap("load");

  const tests = [];
  for (const c of exp.claims) tests.push(testClaim(c, await gatherClaimSamples(store, data, c)));
  const verdicts = judgeClaims(tests);
  lap("claims");

  const interval: IntervalConfig = {
    kind: exp.report.interval,
    confidence: exp.report.confidence,
    bootstrap: opts.bootstrap,
  };
  const files = new Map<string, string>();
  const { rows, columns } = exp.report;
  const main = mainTable(data, rows, columns, metrics, interval);
  files.set("tables/main.md", toMarkdown(main));
  files.set("tables/main.tex", toLatex(main, `${exp.name}-main`));
  const pivots = columns.length
    ? metrics.map((m) => pivotTable(data, rows, columns, m, interval))
    : [];
  for (const p of pivots) {
    files.set(`tables/${p.id}.md`, toMarkdown(p));
    files.set(`tables/${p.id}.tex`, toLatex(p, `${exp.name}-${p.id}`));
  }
  const aggregate = aggregateTables(data, [...rows, ...columns], {
    confidence: exp.report.confidence,
    resamples: opts.bootstrap.resamples,
    seed: opts.bootstrap.seed,
  });
  if (aggregate) {
    for (const t of [aggregate.iqm, aggregate.poi]) {
      files.set(`tables/${t.id}.md`, toMarkdown(t));
      files.set(`tables/${t.id}.tex`, toLatex(t, `${exp.name}-${t.id}`));
    }
  }
  lap("tables");

  const figureNotes: string[] = [];
  for (const m of figures) {
    if (m.source !== "train") continue;
    const fig = curveFigure(data, [...rows, ...columns], m, interval);
    const name = `figures/${slug(m.ref)}`;
    files.set(`${name}.vl.json`, JSON.stringify(fig.spec, null, 1) + "\n");
    files.set(`${name}.svg`, await renderSvg(fig.spec));
    const left = fig.arms.filter((a) => a.failed || a.missing)
      .map((a) =>
        `${a.arm}: ${
          [a.failed ? `${a.failed} failed` : "", a.missing ? `${a.missing} missing` : ""].filter(
            Boolean,
          ).join(", ")
        }`
      );
    figureNotes.push(
      `### ${m.ref}\n\n![${m.ref}](${name}.svg)\n\n` +
        `${fig.arms.length} arms; seeds plotted per arm: ` +
        `${fig.arms.map((a) => a.seeds).join(", ") || "none"}. ` +
        (left.length
          ? `Runs left out (failed or missing): ${left.join("; ")}.`
          : "No runs left out.") +
        ` Vega-Lite spec: [${name}.vl.json](${name}.vl.json).\n`,
    );
  }
  lap("figures");

  files.set("completions.md", completionsMarkdown(data.completions, words));
  if (verdicts.length) {
    files.set("claims.md", `# Claims of ${exp.name}\n\n${verdictMarkdown(verdicts)}`);
    files.set("claims.tex", verdictLatex(verdicts, `${exp.name}-claims`));
  }
  files.set(
    "index.md",
    indexMarkdown(exp, data, verdicts, main, pivots, metrics, figureNotes, aggregate),
  );

  for (const [rel, text] of files) {
    const path = `${opts.outDir}/${rel}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  lap("write");
  return { dir: opts.outDir, files: [...files.keys()], verdicts, data, timings };
}

function completionsMarkdown(samples: CompletionSample[], words: string[]): string {
  const head = `# Sampled completions showing reflection\n\nCompletions of RL/SFT training jobs ` +
    `that contain a reflection word (${words.join(", ") || "none configured"}), latest steps ` +
    `first, spread over arms.\n`;
  if (!samples.length) return `${head}\nNo stored completion contains a reflection word.\n`;
  return [
    head,
    ...samples.map((s) =>
      `## ${s.pointKey} · step ${s.step} · reward ${s.reward}\n\n` +
      `Reflection words: ${s.words.join(", ")}. Answer: \`${s.answer}\`.\n\n` +
      "Prompt:\n\n```text\n" + s.prompt + "\n```\n\nCompletion:\n\n```text\n" + s.completion +
      "\n```\n"
    ),
  ].join("\n");
}

function indexMarkdown(
  exp: Experiment,
  data: ReportData,
  verdicts: ClaimVerdict[],
  main: ReturnType<typeof mainTable>,
  pivots: ReturnType<typeof pivotTable>[],
  metrics: MetricRef[],
  figureNotes: string[],
  aggregate: ReturnType<typeof aggregateTables>,
): string {
  const count = (s: string) => data.points.filter((p) => p.status === s).length;
  const notDone = data.points.filter((p) => p.status !== "done");
  const out: string[] = [
    `# Report: ${exp.name}`,
    "",
    exp.description ? `${exp.description}\n` : "",
    `Spec \`${exp.file}\` (sha256 \`${exp.hash.slice(0, 12)}\`).`,
    "",
    "## Runs",
    "",
    `${data.points.length} grid points: ${count("done")} done, ${count("failed")} failed, ` +
    `${count("missing")} missing (not run yet or still running).`,
  ];
  if (notDone.length) {
    out.push("", "| point | status | reason |", "|:--|:--|:--|");
    for (const p of notDone.slice(0, 100)) {
      out.push(`| ${mdEscape(p.key)} | ${p.status} | ${mdEscape(p.reason ?? "")} |`);
    }
    if (notDone.length > 100) out.push("", `…and ${notDone.length - 100} more.`);
  }
  if (data.ignoredPoints.length) {
    out.push(
      "",
      `${data.ignoredPoints.length} stored points are not in the spec's grid and are not reported.`,
    );
  }
  if (verdicts.length) {
    const held = verdicts.filter((v) => v.verdict === "holds").length;
    out.push(
      "",
      "## Claims",
      "",
      `${held} of ${verdicts.length} claims hold.`,
      "",
      verdictMarkdown(verdicts),
    );
    out.push("LaTeX: [claims.tex](claims.tex).");
  }
  out.push("", "## Tables", "", toMarkdown(main), "LaTeX: [tables/main.tex](tables/main.tex).");
  pivots.forEach((p, i) => {
    out.push(
      "",
      `### ${metricLabel(metrics[i])}`,
      "",
      toMarkdown(p),
      `LaTeX: [tables/${p.id}.tex](tables/${p.id}.tex).`,
    );
  });
  if (aggregate) {
    out.push("", "## Aggregate eval metrics (rliable)", "", toMarkdown(aggregate.iqm));
    out.push("", toMarkdown(aggregate.poi));
  }
  if (figureNotes.length) out.push("", "## Training curves", "", ...figureNotes);
  out.push(
    "",
    "## Sampled completions",
    "",
    `${data.completions.length} completions with reflection words: [completions.md](completions.md).`,
    "",
  );
  return out.join("\n");
}
