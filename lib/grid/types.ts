/** Jobs and the DAG that the grid expands a spec into. */
import type { ConfigValue, JobConfig } from "../spec/types.ts";

/** One node of the DAG: a stage that produces an artifact and/or metrics. */
export interface Job {
  /** Hex hash of (kind, config slice, dependency ids, code version). */
  id: string;
  /** Job kind, looked up in the runner's registry (`pretrain`, `instruct`, `sft`, `rl`, `eval`, ...). */
  kind: string;
  /** The resolved config this job sees: exactly the sections its kind reads. */
  config: JobConfig;
  /** Ids of jobs whose artifacts this job consumes, by role (e.g. `{ model: "ab12..." }`). */
  inputs: Record<string, string>;
  /** Human label, e.g. `rl init=base seed=0 length_reward=on`. */
  label: string;
}

/** A grid point ("arm × seed"): its axis values and the jobs that realise it. */
export interface Point {
  /** Stable key built from the axis assignment, e.g. `init=base,method=rl,seed=0`. */
  key: string;
  axes: Record<string, ConfigValue>;
  /** Full resolved config of the point (base + axis overrides). */
  config: JobConfig;
  /** Ids of the point's jobs, by role: `final` (the job whose metrics/evals describe it), and stages. */
  jobs: Record<string, string>;
}

/** The expanded experiment: deduplicated jobs in topological order, and the points. */
export interface JobGraph {
  jobs: Job[];
  points: Point[];
  codeVersion: string;
}
