/**
 * The `rl` section of a resolved job config (CONFIG.md), as the RL code reads it.
 * Values arrive fully filled from lib/spec; this module only names their types and checks shape.
 */
import type { ConfigValue } from "../../spec/types.ts";

/** Loss aggregation variants (see `lib/train/rl/objective.ts` for the formulas). */
export type LossType = "grpo" | "bnpo" | "dr_grpo" | "dapo";

/** One Progressive Thinking Suppression stage. */
export interface PtstStage {
  max_completion: number;
  group_size: number;
  steps: number;
}

/** The resolved `rl` section. */
export interface RlConfig {
  steps: number;
  prompts_per_step: number;
  group_size: number;
  temperature: number;
  top_p: number;
  top_k: number;
  max_completion: number;
  template: "auto" | "r1_zero" | "chat";
  lr: number;
  min_lr_ratio: number;
  warmup_steps: number;
  schedule: "cosine" | "linear" | "constant";
  weight_decay: number;
  grad_clip: number;
  beta: number;
  epsilon: number;
  epsilon_high: number | null;
  loss: LossType;
  scale_rewards: boolean;
  num_iterations: number;
  mask_truncated: boolean;
  rewards: Record<string, number>;
  length_reward: { enabled: boolean; weight: number; cap: number };
  reflection_words: string[];
  ptst: { enabled: boolean; stages: PtstStage[] };
  sample_every: number;
  sample_count: number;
  eval_every: number;
}

/** A config value that is not what the RL code needs, with the path that is wrong. */
export class RlConfigError extends Error {
  constructor(readonly path: string, message: string) {
    super(`rl config ${path}: ${message}`);
    this.name = "RlConfigError";
  }
}

function num(v: ConfigValue | undefined, path: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new RlConfigError(path, `expected a number, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Check the shape of a resolved `rl` section and return it typed (no defaults are filled). */
export function asRlConfig(v: ConfigValue | undefined): RlConfig {
  if (!v || typeof v !== "object" || Array.isArray(v)) {
    throw new RlConfigError("rl", "missing or not a mapping");
  }
  const o = v as Record<string, ConfigValue>;
  for (
    const k of [
      "steps",
      "prompts_per_step",
      "group_size",
      "temperature",
      "top_p",
      "top_k",
      "max_completion",
      "lr",
      "beta",
      "epsilon",
      "num_iterations",
    ]
  ) num(o[k], `rl.${k}`);
  if (!["grpo", "bnpo", "dr_grpo", "dapo"].includes(o.loss as string)) {
    throw new RlConfigError("rl.loss", `expected grpo | bnpo | dr_grpo | dapo, got ${o.loss}`);
  }
  if (o.epsilon_high !== null) num(o.epsilon_high, "rl.epsilon_high");
  if (!o.rewards || typeof o.rewards !== "object") {
    throw new RlConfigError("rl.rewards", "expected a mapping of reward name to weight");
  }
  return o as unknown as RlConfig;
}
