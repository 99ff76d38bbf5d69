/** Metric references of a spec's `report:` and `claims:` (`eval:<family>`, `train:<name>`). */

/** A parsed metric reference. */
export type MetricRef =
  | { ref: string; source: "eval"; family: string }
  | { ref: string; source: "train"; name: string };

/** Typed failure to understand a metric reference (lib/spec validates them first). */
export class MetricRefError extends Error {
  constructor(readonly ref: string, message: string) {
    super(`metric "${ref}": ${message}`);
    this.name = "MetricRefError";
  }
}

/** Parses `eval:<family>` / `eval:overall` / `train:<name>`. */
export function parseMetricRef(ref: string): MetricRef {
  const m = /^(eval|train):(.+)$/.exec(ref);
  if (!m) throw new MetricRefError(ref, "expected eval:<family>, eval:overall or train:<name>");
  return m[1] === "eval"
    ? { ref, source: "eval", family: m[2] }
    : { ref, source: "train", name: m[2] };
}

const RATE_TRAIN = new Set([
  "accuracy",
  "format_rate",
  "reflection_rate",
  "truncated_rate",
  "clip_fraction",
]);
const HIGHER_TRAIN = new Set([
  "accuracy",
  "format_rate",
  "reward",
  "reward/accuracy",
  "reward/format",
]);
const LOWER_TRAIN = new Set(["loss"]);

/** Whether values are shares in [0, 1] that tables show as percentages. */
export function isRate(m: MetricRef): boolean {
  return m.source === "eval" || RATE_TRAIN.has(m.name);
}

/** Which direction is "best" for bolding a column; null when the metric has no better side. */
export function betterDirection(m: MetricRef): "higher" | "lower" | null {
  if (m.source === "eval") return "higher";
  if (HIGHER_TRAIN.has(m.name)) return "higher";
  if (LOWER_TRAIN.has(m.name)) return "lower";
  return null;
}

/** A short human label, e.g. `overall acc. (%)` or `completion_length/mean`. */
export function metricLabel(m: MetricRef): string {
  if (m.source === "eval") return `${m.family} acc.${isRate(m) ? " (%)" : ""}`;
  return `${m.name}${isRate(m) ? " (%)" : ""}`;
}
