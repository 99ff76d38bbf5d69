import assert from "node:assert/strict";
import {
  checkRewardConfig,
  countReflections,
  extractAnswer,
  isWellFormed,
  lengthReward,
  type RewardConfig,
  RewardConfigError,
  scoreCompletion,
} from "../../lib/train/rewards.ts";

const cfg: RewardConfig = {
  rewards: { format: 1, accuracy: 1 },
  length_reward: { enabled: false, weight: 0.5, cap: 48 },
  reflection_words: ["wait", "re-check", "however", "recheck", "verify"],
};
const x = (completion: string, answer = "left", length = 10, truncated = false) => ({
  completion,
  answer,
  length,
  truncated,
});

Deno.test("rewards: well-formed completion gets format and accuracy", () => {
  const c = "<think> the red cube is left of the ball </think> <answer> left </answer>";
  assert.equal(isWellFormed(c), true);
  assert.equal(extractAnswer(c), "left");
  const r = scoreCompletion(x(c), cfg);
  assert.deepEqual(r.components, { format: 1, accuracy: 1, length: 0 });
  assert.equal(r.total, 2);
  // Tags glued to words and extra whitespace are the same words.
  assert.equal(isWellFormed("  <think>a b</think><answer>Left</answer> "), true);
  assert.equal(scoreCompletion(x("<think></think><answer>LEFT</answer>"), cfg).total, 2);
});

Deno.test("rewards: wrong answer keeps format but loses accuracy", () => {
  const r = scoreCompletion(x("<think> hmm </think> <answer> right </answer>"), cfg);
  assert.deepEqual(r.components, { format: 1, accuracy: 0, length: 0 });
});

Deno.test("rewards: malformed completions", () => {
  const bad = [
    "<answer> left </answer>", // no think
    "<think> a </think> left", // no answer tags
    "<think> a </think> <answer> left </answer> more words", // trailing text
    "so <think> a </think> <answer> left </answer>", // leading text
    "<think> a </think> <answer> </answer>", // empty answer
    "<think> a <think> b </think> </think> <answer> left </answer>", // nested think
    "<think> a </think> <answer> <answer> left </answer> </answer>", // nested answer
    "<think> a </think> words <answer> left </answer>", // text between blocks
    "<answer> left </answer> <think> a </think>", // wrong order
  ];
  for (const c of bad) assert.equal(isWellFormed(c), false, c);
});

Deno.test("rewards: truncated and empty completions", () => {
  const trunc = "<think> the cube is left of the ball wait , the ball";
  assert.deepEqual(scoreCompletion(x(trunc, "left", 48, true), cfg).components, {
    format: 0,
    accuracy: 0,
    length: 0,
  });
  assert.equal(scoreCompletion(x("", "left", 0), cfg).total, 0);
  assert.equal(extractAnswer(""), null);
  // An unclosed answer is not an answer.
  assert.equal(extractAnswer("<think> x </think> <answer> left"), null);
});

Deno.test("rewards: answer outside tags or in a broken pair does not count", () => {
  assert.equal(scoreCompletion(x("<think> left </think> left"), cfg).components.accuracy, 0);
  // Accuracy does not need the format: a correct answer pair after stray text still scores.
  const r = scoreCompletion(x("blah <answer> left </answer> blah"), cfg);
  assert.deepEqual([r.components.format, r.components.accuracy], [0, 1]);
  // The first complete pair decides; a tag inside a pair breaks it.
  assert.equal(extractAnswer("<answer> a <think> </answer> <answer> right </answer>"), "right");
  assert.equal(extractAnswer("<answer> two words </answer> <answer> x </answer>"), "two words");
  assert.equal(
    scoreCompletion(x("<think> </think> <answer> 2 </answer>", " 2 "), cfg).components.accuracy,
    1,
  );
});

Deno.test("rewards: length reward is weight * min(len, cap) / cap, only when enabled", () => {
  assert.equal(lengthReward(12, 0.5, 48), 0.125);
  assert.equal(lengthReward(100, 0.5, 48), 0.5);
  assert.equal(lengthReward(0, 0.5, 48), 0);
  const on = { ...cfg, length_reward: { enabled: true, weight: 0.5, cap: 40 } };
  const r = scoreCompletion(x("<think> a </think> <answer> left </answer>", "left", 20), on);
  assert.equal(r.components.length, 0.25);
  assert.equal(r.total, 2.25);
  assert.throws(() => lengthReward(1, 1, 0), RewardConfigError);
});

Deno.test("rewards: weights scale components and unknown names are rejected", () => {
  const w = { ...cfg, rewards: { format: 0.5, accuracy: 2 } };
  assert.equal(scoreCompletion(x("<think> </think> <answer> left </answer>"), w).total, 2.5);
  assert.throws(
    () => checkRewardConfig({ ...cfg, rewards: { formt: 1 } }),
    /unknown reward.*format, accuracy/,
  );
  checkRewardConfig(cfg);
});

Deno.test("rewards: reflection words are counted as whole words, case-insensitively", () => {
  const words = cfg.reflection_words;
  assert.equal(countReflections("<think> a wait , b . Wait , re-check c </think>", words), 3);
  assert.equal(countReflections("waiting rechecked awaited", words), 0);
  assert.equal(scoreCompletion(x("<think> however </think>"), cfg).reflections, 1);
});
