/** Public face of the spec language: parse, validate and resolve experiment specs. */
export { loadSpec, metricProblem, parseSpec } from "./parse.ts";
export { formatIssues, SpecError, type SpecIssue } from "./errors.ts";
export {
  type Config,
  ConfigSchema,
  EVAL_FAMILIES,
  NAME_PATTERN,
  SpecFileSchema,
  TRAIN_METRICS,
} from "./schema.ts";
export { canonicalJson, deepMerge, getPath, withOverrides } from "./config_path.ts";
export type { Axis, Claim, ConfigValue, Experiment, JobConfig, ReportSpec } from "./types.ts";
