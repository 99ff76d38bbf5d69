/** Shared RL test fixtures: one fully spelled-out RlConfig that each test overrides. */
import type { RlConfig } from "../../../lib/train/rl/config.ts";

/**
 * A complete RL config for tests, every field explicit (so a test does not move when lib/spec's
 * defaults are tuned); `over` replaces whole top-level fields.
 */
export function rlTestConfig(over: Partial<RlConfig> = {}): RlConfig {
  return {
    steps: 30,
    prompts_per_step: 4,
    group_size: 8,
    temperature: 1,
    top_p: 1,
    top_k: 0,
    max_completion: 8,
    template: "auto",
    lr: 0.1,
    min_lr_ratio: 1,
    warmup_steps: 0,
    schedule: "constant",
    weight_decay: 0,
    grad_clip: 1,
    beta: 0,
    epsilon: 0.2,
    epsilon_high: null,
    loss: "grpo",
    scale_rewards: true,
    num_iterations: 1,
    mask_truncated: false,
    rewards: { format: 1, accuracy: 1 },
    length_reward: { enabled: false, weight: 0.5, cap: 8 },
    reflection_words: ["wait", "re-check", "however", "recheck", "verify"],
    ptst: { enabled: false, stages: [] },
    sample_every: 10,
    sample_count: 4,
    eval_every: 0,
    ...over,
  };
}
