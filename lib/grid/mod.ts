/** Public face of the grid: experiment → points → deduplicated job DAG. */
export { assignments, expandPoints, formatValue, pointKey, type ResolvedPoint } from "./expand.ts";
export {
  configSlice,
  expandGraph,
  jobId,
  STAGE_KINDS,
  STAGE_READS,
  STAGE_ROLE,
  type StageKind,
  stagesFor,
} from "./pipeline.ts";
export { CODE_DIRS, codeVersion, computeCodeVersion } from "./code_version.ts";
export { formatPlan } from "./plan.ts";
export type { Job, JobGraph, Point } from "./types.ts";
