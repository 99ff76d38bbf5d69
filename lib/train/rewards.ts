/**
 * Rule-based rewards for GRPO, as plain functions in a table chosen and weighted by config.
 *
 * Text conventions: completions are the decoded text of generated tokens (the closed-vocabulary
 * tokenizer joins tokens with single spaces). Before matching, the four tags are split off any
 * neighbouring word, so `<answer>left</answer>` and `<answer> left </answer>` are the same words.
 *
 * Format (exact definition): the completion's words, after tag splitting, are
 *   `<think>` W* `</think>` `<answer>` W+ `</answer>`
 * where W is any word that is not one of the four tags. Nothing may precede `<think>` or follow
 * `</answer>` (end-of-sequence is not part of the text). Empty thinking is allowed (the R1-Zero
 * template does not demand it); an empty answer is not.
 *
 * Accuracy: the words strictly inside the FIRST `<answer>` ... `</answer>` pair with no tag in
 * between, lower-cased and joined by single spaces, equal the ground truth normalised the same
 * way. Accuracy does not require the format (as in VisualThinker-R1-Zero, the two are separate).
 *
 * Length (the naive reward VisualThinker-R1-Zero tried): r_len = weight * min(len, cap) / cap,
 * with len the number of generated tokens; it is added only when `length_reward.enabled`.
 *
 * Adding a reward = adding a function to `REWARDS` and naming it with a weight in `rl.rewards`.
 */

/** Everything a reward function may look at for one completion. */
export interface RewardInput {
  /** Decoded completion text (what the model generated, without the prompt or EOS). */
  completion: string;
  /** Ground-truth answer text. */
  answer: string;
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

const TAGS = ["<think>", "</think>", "<answer>", "</answer>"] as const;
const TAG_RE = /(<\/?(?:think|answer)>)/g;

/** Split text into words, with the four tags always standing as words of their own. */
export function words(text: string): string[] {
  return text.replace(TAG_RE, " $1 ").split(/\s+/).filter((w) => w.length > 0);
}

function isTag(w: string): boolean {
  return (TAGS as readonly string[]).includes(w);
}

/** True when the whole completion is `<think> W* </think> <answer> W+ </answer>` (see module doc). */
export function isWellFormed(completion: string): boolean {
  const w = words(completion);
  if (w.length < 4 || w[0] !== "<think>" || w[w.length - 1] !== "</answer>") return false;
  const close = w.indexOf("</think>");
  if (close < 0) return false;
  for (let i = 1; i < close; i++) if (isTag(w[i])) return false;
  if (w[close + 1] !== "<answer>") return false;
  const body = w.slice(close + 2, w.length - 1);
  return body.length > 0 && !body.some(isTag);
}

/** The text inside the first `<answer> ... </answer>` pair with no tag inside, or null. */
export function extractAnswer(completion: string): string | null {
  const w = words(completion);
  for (let i = 0; i < w.length; i++) {
    if (w[i] !== "<answer>") continue;
    const body: string[] = [];
    for (let j = i + 1; j < w.length; j++) {
      if (w[j] === "</answer>") return body.length > 0 ? body.join(" ").toLowerCase() : null;
      if (isTag(w[j])) break;
      body.push(w[j]);
    }
  }
  return null;
}

/** Lower-case and collapse whitespace, so answers compare as word sequences. */
export function normalizeAnswer(text: string): string {
  return words(text).join(" ").toLowerCase();
}

/** The reward table: name → function. Weights come from `rl.rewards`. */
export const REWARDS: Readonly<Record<string, RewardFn>> = {
  format: (x) => isWellFormed(x.completion) ? 1 : 0,
  accuracy: (x) => {
    const got = extractAnswer(x.completion);
    return got !== null && got === normalizeAnswer(x.answer) ? 1 : 0;
  },
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
