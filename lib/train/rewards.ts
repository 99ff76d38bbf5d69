/**
 * Rule-based rewards for GRPO, as plain functions in a table chosen and weighted by config.
 *
 * Texts are canonical decodes of the closed-vocabulary tokenizer (lib/tasks/tokenizer.ts): words
 * joined by single spaces, tags as words of their own. Answers are option letters ("A", "B", ...).
 *
 * format: 1 when the WHOLE completion is `<think> W* </think> <answer> W+ </answer>`, with W any
 * word that is not one of the four tags: exactly four tags, `<think>` first, `<answer>` right
 * after `</think>`, `</answer>` last (a trailing `<eos>` / `<|im_end|>` is ignored), and at least
 * one answer word. This is lib/tasks' `hasThinkAnswerFormat`, so there is one definition.
 *
 * accuracy: 1 when lib/tasks' `extractAnswer` (the same extraction the cvbench evaluation uses)
 * finds the correct option letter: the last complete `<answer> ... </answer>` naming an option
 * (a letter, else the option text that ends last), else a fallback search of the text after the
 * last `</think>` (the whole text when there is none). Accuracy does not require the format, as
 * in VisualThinker-R1-Zero, where the two rewards are separate.
 *
 * length (the naive reward VisualThinker-R1-Zero tried): r_len = weight * min(len, cap) / cap,
 * with len the number of generated tokens; it is added only when `length_reward.enabled`.
 *
 * Adding a reward = adding a function to `REWARDS` and naming it with a weight in `rl.rewards`.
 */
import { extractAnswer, hasThinkAnswerFormat } from "../tasks/prompts.ts";

/** Everything a reward function may look at for one completion. */
export interface RewardInput {
  /** Decoded completion text (what the model generated, without the prompt or EOS). */
  completion: string;
  /** Ground-truth option letter ("A", "B", ...). */
  answer: string;
  /** Option texts in letter order (the extraction also accepts an option's text). */
  choices: readonly string[];
  /** Number of generated tokens. */
  length: number;
  /** True when generation hit the maximum completion length without stopping. */
  truncated: boolean;
}

/** A reward: a pure function of one completion, usually in [0, 1]. */
export type RewardFn = (x: RewardInput) => number;

/** An unknown reward name in config. */
export class RewardConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RewardConfigError";
  }
}

const TAG_RE = /(<\/?(?:think|answer)>)/g;

/** Split text into words, with the four tags always standing as words of their own. */
export function words(text: string): string[] {
  return text.replace(TAG_RE, " $1 ").split(/\s+/).filter((w) => w.length > 0);
}

/** The reward table: name → function. Weights come from `rl.rewards`. */
export const REWARDS: Readonly<Record<string, RewardFn>> = {
  format: (x) => hasThinkAnswerFormat(x.completion) ? 1 : 0,
  accuracy: (x) => extractAnswer(x.completion, x.choices).answer === x.answer ? 1 : 0,
};

/** The naive length reward: weight * min(len, cap) / cap. */
export function lengthReward(length: number, weight: number, cap: number): number {
  if (!(cap > 0)) throw new RewardConfigError(`length_reward.cap must be > 0, got ${cap}`);
  return weight * Math.min(Math.max(length, 0), cap) / cap;
}

/** Config slice the rewards read (`rl.rewards`, `rl.length_reward`, `rl.reflection_words`). */
export interface RewardConfig {
  rewards: Record<string, number>;
  length_reward: { enabled: boolean; weight: number; cap: number };
  reflection_words: string[];
}

/** Per-completion result: total reward, each component (unweighted) and reflection words. */
export interface RewardResult {
  total: number;
  /** Unweighted component values by name; `length` is the weighted length reward, or 0 if off. */
  components: Record<string, number>;
  /** Number of reflection-word occurrences in the completion. */
  reflections: number;
}

/** Check every configured reward exists; call once per job so typos fail before training. */
export function checkRewardConfig(cfg: RewardConfig): void {
  for (const name of Object.keys(cfg.rewards)) {
    if (!(name in REWARDS)) {
      throw new RewardConfigError(
        `rl.rewards.${name}: unknown reward (known: ${Object.keys(REWARDS).join(", ")})`,
      );
    }
  }
  if (cfg.length_reward.enabled) lengthReward(0, cfg.length_reward.weight, cfg.length_reward.cap);
}

/** Count reflection words (case-insensitive, whole words, punctuation-stripped) in a text. */
export function countReflections(text: string, reflectionWords: string[]): number {
  const set = new Set(reflectionWords.map((w) => w.toLowerCase()));
  let n = 0;
  for (const w of words(text)) {
    const bare = w.toLowerCase().replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
    if (set.has(bare)) n++;
  }
  return n;
}

/** Score one completion: sum of weighted table rewards plus the length reward when enabled. */
export function scoreCompletion(x: RewardInput, cfg: RewardConfig): RewardResult {
  const components: Record<string, number> = {};
  let total = 0;
  for (const [name, weight] of Object.entries(cfg.rewards)) {
    const fn = REWARDS[name];
    if (!fn) throw new RewardConfigError(`rl.rewards.${name}: unknown reward`);
    const v = fn(x);
    components[name] = v;
    total += weight * v;
  }
  const lr = cfg.length_reward;
  components.length = lr.enabled ? lengthReward(x.length, lr.weight, lr.cap) : 0;
  total += components.length;
  return { total, components, reflections: countReflections(x.completion, cfg.reflection_words) };
}
