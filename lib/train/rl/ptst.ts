/**
 * Progressive Thinking Suppression Training (Vision-R1): RL in stages, each with its own maximum
 * completion length, group size and step count (the paper grows the length limit 4K → 8K → 16K
 * while shrinking the group 16 → 8 → 4, so early stages reward short, correct reasoning).
 * Plain GRPO is the one-stage schedule { rl.max_completion, rl.group_size, rl.steps }.
 * With `rl.ptst.enabled`, the stages ARE the schedule and `rl.steps`, `rl.max_completion` and
 * `rl.group_size` are not used.
 */
import type { PtstStage, RlConfig } from "./config.ts";
import { RlConfigError } from "./config.ts";

/** A resolved schedule: stages in order, with their first step. */
export interface Schedule {
  stages: (PtstStage & { start: number })[];
  totalSteps: number;
  /** Largest completion limit over all stages (buffer sizing). */
  maxCompletion: number;
  /** Largest group size over all stages. */
  maxGroupSize: number;
}

/** Build and validate the schedule for an `rl` config. */
export function schedule(
  cfg: Pick<RlConfig, "steps" | "max_completion" | "group_size" | "ptst">,
): Schedule {
  const raw: PtstStage[] = cfg.ptst.enabled
    ? cfg.ptst.stages
    : [{ max_completion: cfg.max_completion, group_size: cfg.group_size, steps: cfg.steps }];
  if (raw.length === 0) throw new RlConfigError("rl.ptst.stages", "enabled but empty");
  let start = 0;
  const stages = raw.map((s, i) => {
    for (const k of ["max_completion", "group_size", "steps"] as const) {
      const v = s[k];
      const min = k === "group_size" ? 2 : 1;
      if (!Number.isInteger(v) || v < min) {
        const path = cfg.ptst.enabled
          ? `rl.ptst.stages[${i}].${k}`
          : `rl.${k === "steps" ? "steps" : k}`;
        throw new RlConfigError(path, `must be an integer >= ${min}, got ${v}`);
      }
    }
    const out = { ...s, start };
    start += s.steps;
    return out;
  });
  return {
    stages,
    totalSteps: start,
    maxCompletion: Math.max(...stages.map((s) => s.max_completion)),
    maxGroupSize: Math.max(...stages.map((s) => s.group_size)),
  };
}

/** The stage in force at a 0-based optimizer step, and its index. */
export function stageAt(s: Schedule, step: number): PtstStage & { index: number; start: number } {
  if (!Number.isInteger(step) || step < 0 || step >= s.totalSteps) {
    throw new RangeError(`step ${step} outside the schedule's [0, ${s.totalSteps})`);
  }
  for (let i = s.stages.length - 1; i >= 0; i--) {
    if (step >= s.stages[i].start) return { ...s.stages[i], index: i };
  }
  throw new RangeError(`step ${step} before the first stage`);
}
