/** Scoring a step's rollouts: rewards per completion and the per-step rollout metrics. */
import { type RewardConfig, REWARDS, scoreCompletion } from "../rewards.ts";
import type { RlPrompt, RlSample } from "./policy.ts";

/** Scores of one completion. */
export interface Scored {
  reward: number;
  components: Record<string, number>;
  /** Accuracy and format are measured for every completion, whatever the reward weights. */
  correct: boolean;
  wellFormed: boolean;
  reflections: number;
  length: number;
  truncated: boolean;
}

/** Score every completion; `prompts[i]` is the prompt of `samples[i]`. */
export function scoreRollouts(
  prompts: RlPrompt[],
  samples: RlSample[],
  cfg: RewardConfig,
): Scored[] {
  return samples.map((s, i) => {
    const x = {
      completion: s.text,
      answer: prompts[i].answer,
      choices: prompts[i].choices,
      length: s.tokens.length,
      truncated: s.truncated,
    };
    const r = scoreCompletion(x, cfg);
    return {
      reward: r.total,
      components: r.components,
      correct: REWARDS.accuracy(x) === 1,
      wellFormed: REWARDS.format(x) === 1,
      reflections: r.reflections,
      length: s.tokens.length,
      truncated: s.truncated,
    };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The rollout half of the per-step metrics (names as in CONFIG.md). */
export function rolloutMetrics(scored: Scored[], rewardNames: string[]): Record<string, number> {
  const n = Math.max(1, scored.length);
  const mean = (f: (s: Scored) => number) => scored.reduce((a, s) => a + f(s), 0) / n;
  const out: Record<string, number> = {
    reward: mean((s) => s.reward),
    accuracy: mean((s) => s.correct ? 1 : 0),
    format_rate: mean((s) => s.wellFormed ? 1 : 0),
    "completion_length/mean": mean((s) => s.length),
    "completion_length/median": scored.length ? median(scored.map((s) => s.length)) : 0,
    "completion_length/max": scored.reduce((a, s) => Math.max(a, s.length), 0),
    reflection_rate: mean((s) => s.reflections > 0 ? 1 : 0),
    truncated_rate: mean((s) => s.truncated ? 1 : 0),
    "reward/length": mean((s) => s.components.length ?? 0),
  };
  for (const name of rewardNames) out[`reward/${name}`] = mean((s) => s.components[name] ?? 0);
  return out;
}
