/**
 * Paper-shaped tables: a main table (one line per row×column combination, one column per
 * metric) and one pivot per metric (rows × columns), in Markdown and LaTeX (booktabs).
 */
import type { ConfigValue } from "../spec/types.ts";
import { buildCell, type Cell, combinations, type IntervalConfig } from "./cells.ts";
import { decimalsFor, fixed, mdEscape, showValue, texEscape } from "./format.ts";
import type { ReportData } from "./load.ts";
import { betterDirection, isRate, metricLabel, type MetricRef } from "./metric_ref.ts";

/** A rendered cell: the number, its spread, a note on seeds, and whether it is best. */
export interface CellText {
  main: string;
  spread: { kind: "pm"; half: string } | { kind: "range"; lo: string; hi: string } | null;
  note: string | null;
  bold: boolean;
}

/** A table independent of its output format. */
export interface TableModel {
  id: string;
  caption: string;
  /** Header cells; the first `labelColumns` are axis labels (left-aligned). */
  header: string[];
  labelColumns: number;
  rows: { labels: string[]; cells: CellText[] }[];
}

/** The caption sentence stating the interval kind, confidence and seed count. */
export function intervalSentence(cfg: IntervalConfig, modalN: number): string {
  const pct = `${fixed(cfg.confidence * 100, cfg.confidence * 100 % 1 === 0 ? 0 : 1)}%`;
  const what = cfg.kind === "t"
    ? `mean ± half-width of the ${pct} Student-t confidence interval`
    : `mean [${pct} ${cfg.bootstrap.method === "bca" ? "BCa" : "percentile"} bootstrap interval, ` +
      `${cfg.bootstrap.resamples} resamples, seed ${cfg.bootstrap.seed}]`;
  return `Cells: ${what} across seeds (n = ${modalN} seeds per cell unless marked).`;
}

/**
 * Formats a cell; `modalN` is the usual seed count (cells with another n say so). t intervals
 * show as `mean ± half`, bootstrap intervals (not symmetric in general) as `mean [lo, hi]`.
 */
export function cellText(
  cell: Cell,
  m: MetricRef,
  modalN: number,
  kind: IntervalConfig["kind"],
): CellText {
  if (cell.notApplicable) return { main: "n/a", spread: null, note: null, bold: false };
  const problems: string[] = [];
  if (cell.failed) problems.push(`${cell.failed} failed`);
  if (cell.missing) problems.push(`${cell.missing} missing`);
  const n = cell.values.length;
  if (n === 0) {
    return { main: "—", spread: null, note: problems.join(", ") || "no runs", bold: false };
  }
  const scale = isRate(m) ? 100 : 1;
  const est = cell.interval ? cell.interval.estimate : cell.values.reduce((a, b) => a + b, 0) / n;
  const d = isRate(m) ? 1 : decimalsFor(est);
  let spread: CellText["spread"] = null;
  if (cell.interval) {
    const { lo, hi } = cell.interval;
    spread = kind === "t"
      ? { kind: "pm", half: fixed(((hi - lo) / 2) * scale, d) }
      : { kind: "range", lo: fixed(lo * scale, d), hi: fixed(hi * scale, d) };
  }
  const noteParts = n !== modalN || problems.length ? [`n=${n}`, ...problems] : [];
  return {
    main: fixed(est * scale, d),
    spread,
    note: noteParts.length ? noteParts.join("; ") : null,
    bold: false,
  };
}

/** Marks the best cell(s) of a column (by the displayed mean) when the metric has a direction. */
function boldBest(cells: { cell: Cell; text: CellText }[], m: MetricRef): void {
  const dir = betterDirection(m);
  const scored = cells.filter((c) => c.cell.values.length > 0 && !c.cell.notApplicable);
  if (!dir || scored.length < 2) return;
  const vals = scored.map((c) => Number(c.text.main));
  const best = dir === "higher" ? Math.max(...vals) : Math.min(...vals);
  scored.forEach((c, i) => (c.text.bold = vals[i] === best));
}

/** The usual number of seeds per cell (the most common n among cells with data). */
export function modalSeeds(cells: Cell[]): number {
  const counts = new Map<number, number>();
  for (const c of cells) {
    if (c.notApplicable) continue;
    const n = c.values.length + c.failed + c.missing;
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = -1;
  for (const [n, k] of counts) {
    if (k > bestCount || (k === bestCount && n > best)) [best, bestCount] = [n, k];
  }
  return best;
}

function directionNote(metrics: MetricRef[]): string {
  const dirs = metrics.map((m) => `${m.ref}: ${betterDirection(m) ?? "none"}`);
  const some = metrics.some((m) => betterDirection(m));
  return some
    ? `Bold: best mean per column where the metric has a better direction (${dirs.join(", ")}).`
    : "No column has a better direction, so nothing is bold.";
}

function coordLabels(coords: Record<string, ConfigValue>, paths: string[]): string[] {
  return paths.map((p) => showValue(coords[p]));
}

/** The main table: one line per combination of row and column axes, one column per metric. */
export function mainTable(
  data: ReportData,
  rows: string[],
  columns: string[],
  metrics: MetricRef[],
  cfg: IntervalConfig,
): TableModel {
  const axes = [...rows, ...columns];
  const combos = combinations(data.points, axes);
  const grid = combos.map((coords) => metrics.map((m) => buildCell(data, coords, m, cfg)));
  const modalN = modalSeeds(grid.flat());
  const texts = grid.map((line) =>
    line.map((cell, j) => cellText(cell, metrics[j], modalN, cfg.kind))
  );
  metrics.forEach((m, j) =>
    boldBest(grid.map((line, i) => ({ cell: line[j], text: texts[i][j] })), m)
  );
  return {
    id: "main",
    caption: `${data.experiment}: ${metrics.map((m) => metricLabel(m)).join(", ")}. ` +
      `${intervalSentence(cfg, modalN)} ${directionNote(metrics)} ` +
      `Failed or missing runs are counted in the cell, never dropped silently.`,
    header: [...axes, ...metrics.map((m) => metricLabel(m))],
    labelColumns: axes.length,
    rows: combos.map((coords, i) => ({ labels: coordLabels(coords, axes), cells: texts[i] })),
  };
}

/** A pivot of one metric: row combinations down, column combinations across. */
export function pivotTable(
  data: ReportData,
  rows: string[],
  columns: string[],
  m: MetricRef,
  cfg: IntervalConfig,
): TableModel {
  const rowCombos = combinations(data.points, rows);
  const colCombos = combinations(data.points, columns);
  const grid = rowCombos.map((rc) =>
    colCombos.map((cc) => buildCell(data, { ...rc, ...cc }, m, cfg))
  );
  const modalN = modalSeeds(grid.flat());
  const texts = grid.map((line) => line.map((cell) => cellText(cell, m, modalN, cfg.kind)));
  colCombos.forEach((_, j) =>
    boldBest(grid.map((line, i) => ({ cell: line[j], text: texts[i][j] })), m)
  );
  return {
    id: slug(m.ref),
    caption: `${data.experiment}: ${metricLabel(m)} by ${rows.join(" × ")} (rows) and ` +
      `${columns.join(" × ")} (columns). ${intervalSentence(cfg, modalN)} ${directionNote([m])}`,
    header: [
      ...rows,
      ...colCombos.map((cc) => columns.map((c) => `${c}=${showValue(cc[c])}`).join(", ")),
    ],
    labelColumns: rows.length,
    rows: rowCombos.map((rc, i) => ({ labels: coordLabels(rc, rows), cells: texts[i] })),
  };
}

/** A file-name-safe slug of a metric reference, e.g. `train_completion_length_mean`. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "");
}

function mdCell(c: CellText): string {
  let body = c.main;
  if (c.spread?.kind === "pm") body += ` ± ${c.spread.half}`;
  if (c.spread?.kind === "range") body += ` [${c.spread.lo}, ${c.spread.hi}]`;
  if (c.bold) body = `**${body}**`;
  return c.note ? `${body} (${c.note})` : body;
}

/** Renders a table as GitHub Markdown with its caption above. */
export function toMarkdown(t: TableModel): string {
  const align = t.header.map((_, i) => (i < t.labelColumns ? ":--" : "--:"));
  const line = (cells: string[]) => `| ${cells.map(mdEscape).join(" | ")} |`;
  return [
    `*${t.caption}*`,
    "",
    line(t.header),
    `|${align.join("|")}|`,
    ...t.rows.map((r) => line([...r.labels, ...r.cells.map(mdCell)])),
    "",
  ].join("\n");
}

function texCell(c: CellText): string {
  if (c.main === "—") return `---${c.note ? ` {\\scriptsize(${texEscape(c.note)})}` : ""}`;
  if (c.main === "n/a") return "n/a";
  let math = c.main;
  if (c.spread?.kind === "pm") math += ` \\pm ${c.spread.half}`;
  if (c.spread?.kind === "range") math += `\\ [${c.spread.lo}, ${c.spread.hi}]`;
  const body = c.bold ? `$\\mathbf{${math}}$` : `$${math}$`;
  return c.note ? `${body} {\\scriptsize(${texEscape(c.note)})}` : body;
}

/** Renders a table as a LaTeX booktabs `table` environment. */
export function toLatex(t: TableModel, label: string): string {
  const spec = t.header.map((_, i) => (i < t.labelColumns ? "l" : "r")).join("");
  return [
    "% Requires \\usepackage{booktabs}.",
    "\\begin{table}[t]",
    "\\centering",
    `\\caption{${texEscape(t.caption)}}`,
    `\\label{tab:${label}}`,
    `\\begin{tabular}{${spec}}`,
    "\\toprule",
    `${t.header.map(texEscape).join(" & ")} \\\\`,
    "\\midrule",
    ...t.rows.map((r) =>
      `${[...r.labels.map(texEscape), ...r.cells.map(texCell)].join(" & ")} \\\\`
    ),
    "\\bottomrule",
    "\\end{tabular}",
    "\\end{table}",
    "",
  ].join("\n");
}
