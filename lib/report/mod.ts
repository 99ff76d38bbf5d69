/** Reports of an experiment: tables, figures, completions and claims from the store. */
export { buildReport, type ReportOptions, type ReportResult } from "./write.ts";
export {
  type CompletionSample,
  type ExpectedPoint,
  type LoadOptions,
  loadReportData,
  loadSeries,
  type PointStatus,
  type ReportData,
  type ReportPoint,
  type Series,
} from "./load.ts";
export {
  aggregateCurves,
  axisValue,
  buildCell,
  type Cell,
  type IntervalConfig,
  matches,
  pointValue,
  seedValues,
} from "./cells.ts";
export { mainTable, pivotTable, type TableModel, toLatex, toMarkdown } from "./tables.ts";
export { curveFigure, type Figure, renderSvg } from "./figures.ts";
export { type MetricRef, MetricRefError, parseMetricRef } from "./metric_ref.ts";
