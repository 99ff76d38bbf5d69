import assert from "node:assert/strict";
import {
  checkRewardConfig,
  countReflections,
  lengthReward,
  type RewardConfig,
  RewardConfigError,
  REWARDS,
  scoreCompletion,
} from "../../lib/train/rewards.ts";

const cfg: RewardConfig = {
  rewards: { format: 1, accuracy: 1 },
  length_reward: { enabled: false, weight: 0.5, cap: 48 },
  reflection_words: ["wait", "re-check", "however", "recheck", "verify"],
};
const CHOICES = ["left", "right"];
const x = (completion: string, answer = "A", length = 10, truncated = false) => ({
  completion,
  answer,
  choices: CHOICES,
  length,
  truncated,
});
const parts = (c: string, answer = "A") => scoreCompletion(x(c, answer), cfg).components;

Deno.test("rewards: well-formed completion gets format and accuracy", () => {
  const c = "<think> the red cube is left of the ball </think> <answer> A </answer>";
  const r = scoreCompletion(x(c), cfg);
  assert.deepEqual(r.components, { format: 1, accuracy: 1, length: 0 });
  assert.equal(r.total, 2);
  // Empty thinking is allowed; the option text counts like its letter; a trailing <eos> is ignored.
  assert.deepEqual(parts("<think> </think> <answer> left </answer> <eos>"), {
    format: 1,
    accuracy: 1,
    length: 0,
  });
});

Deno.test("rewards: wrong answer keeps format but loses accuracy", () => {
  assert.deepEqual(parts("<think> hmm </think> <answer> B </answer>"), {
    format: 1,
    accuracy: 0,
    length: 0,
  });
});

Deno.test("rewards: malformed completions get no format reward", () => {
  const bad = [
    "<answer> A </answer>", // no think
    "<think> a </think> A", // no answer tags
    "<think> a </think> <answer> A </answer> more words", // trailing text
    "so <think> a </think> <answer> A </answer>", // leading text
    "<think> a </think> <answer> </answer>", // empty answer
    "<think> a <think> b </think> </think> <answer> A </answer>", // nested think
    "<think> a </think> <answer> <answer> A </answer> </answer>", // nested answer
    "<think> a </think> words <answer> A </answer>", // text between blocks
    "<answer> A </answer> <think> a </think>", // wrong order
  ];
  for (const c of bad) assert.equal(REWARDS.format(x(c)), 0, c);
});

Deno.test("rewards: truncated and empty completions", () => {
  const trunc = "<think> the cube is to the left of the ball wait , the ball";
  assert.deepEqual(scoreCompletion(x(trunc, "B", 48, true), cfg).components, {
    format: 0,
    accuracy: 0,
    length: 0,
  });
  assert.equal(scoreCompletion(x("", "A", 0), cfg).total, 0);
});

Deno.test("rewards: answers outside the tags follow the benchmark's extraction", () => {
  // No answer tags: the text after </think> is searched (as the cvbench evaluation does).
  assert.deepEqual(parts("<think> A </think> B", "B"), { format: 0, accuracy: 1, length: 0 });
  // ... and an answer only inside the thinking does not count when a later part names another.
  assert.equal(parts("<think> A </think> B", "A").accuracy, 0);
  // The last complete answer pair decides.
  assert.equal(parts("<answer> A </answer> <answer> B </answer>", "B").accuracy, 1);
  assert.equal(parts("<answer> A </answer> <answer> B </answer>", "A").accuracy, 0);
  // A completion naming no option scores 0.
  assert.equal(parts("<think> </think> <answer> ball </answer>").accuracy, 0);
});

Deno.test("rewards: length reward is weight * min(len, cap) / cap, only when enabled", () => {
  assert.equal(lengthReward(12, 0.5, 48), 0.125);
  assert.equal(lengthReward(100, 0.5, 48), 0.5);
  assert.equal(lengthReward(0, 0.5, 48), 0);
  const on = { ...cfg, length_reward: { enabled: true, weight: 0.5, cap: 40 } };
  const r = scoreCompletion(x("<think> a </think> <answer> A </answer>", "A", 20), on);
  assert.equal(r.components.length, 0.25);
  assert.equal(r.total, 2.25);
  assert.throws(() => lengthReward(1, 1, 0), RewardConfigError);
});

Deno.test("rewards: weights scale components and unknown names are rejected", () => {
  const w = { ...cfg, rewards: { format: 0.5, accuracy: 2 } };
  assert.equal(scoreCompletion(x("<think> </think> <answer> A </answer>"), w).total, 2.5);
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
