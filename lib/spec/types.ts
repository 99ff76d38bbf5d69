/**
 * The typed shape of a validated, fully resolved experiment spec.
 * `lib/spec/schema.ts` (zod) produces these; nothing downstream fills defaults.
 */

/** A JSON-like value as it may appear in a resolved config. */
export type ConfigValue =
  | null
  | boolean
  | number
  | string
  | ConfigValue[]
  | { [key: string]: ConfigValue };

/** A resolved job config: nested sections (`model`, `pretrain`, `rl`, ...) plus arm keys. */
export type JobConfig = { [key: string]: ConfigValue };

/** One axis of the grid: a config path (dotted) and the values it takes. */
export interface Axis {
  /** Dotted config path, e.g. `rl.length_reward.enabled`; `seed`, `init`, `method` are top-level. */
  path: string;
  values: ConfigValue[];
}

/** Comparison between arms on a metric, or a trend over training. */
export type Claim =
  | {
    kind: "compare";
    name: string;
    metric: string;
    /** Axis assignments selecting arm A and arm B, e.g. `{ init: "base", method: "rl" }`. */
    a: Record<string, ConfigValue>;
    b: Record<string, ConfigValue>;
    relation: "greater" | "less" | "equivalent";
    /** Minimum effect (for greater/less) or equivalence margin, in the metric's units. */
    margin: number;
    alpha: number;
  }
  | {
    kind: "trend";
    name: string;
    metric: string;
    arm: Record<string, ConfigValue>;
    direction: "increasing" | "decreasing";
    alpha: number;
  };

/** Which axes make the rows and columns of the report tables, and which metrics to show. */
export interface ReportSpec {
  rows: string[];
  columns: string[];
  metrics: string[];
  figures: string[];
  interval: "t" | "bootstrap";
  confidence: number;
}

/** A validated experiment: everything a run needs, nothing left implicit. */
export interface Experiment {
  name: string;
  description: string;
  /** Absolute or cwd-relative path of the spec file, for messages. */
  file: string;
  /** Exact spec text and its sha256, stored with every run. */
  text: string;
  hash: string;
  /** The base config every grid point starts from (all defaults filled). */
  base: JobConfig;
  axes: Axis[];
  /** Groups of axis paths that vary together (zipped), each group's axes of equal length. */
  linked: string[][];
  include: Record<string, ConfigValue>[];
  exclude: Record<string, ConfigValue>[];
  report: ReportSpec;
  claims: Claim[];
  /**
   * Source positions of spec parts that later stages may report on (`axes.<path>`, `include[i]`,
   * `claims[i].compare.a`, ...), so grid errors can name a line too. Optional: hand-built
   * experiments (tests) may leave it out.
   */
  locations?: Record<string, { line: number; column: number }>;
}
