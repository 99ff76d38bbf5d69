import assert from "node:assert/strict";
import {
  answerCompletion,
  chatPrompt,
  extractAnswer,
  hasThinkAnswerFormat,
  r1ZeroPrompt,
  thinkCompletion,
} from "../../lib/tasks/mod.ts";

const two = ["left", "right"];
const objs = ["red circle", "blue square"];
const nums = ["3", "0", "5", "1"];

Deno.test("extractAnswer: tags first, then the stated fallback", () => {
  const cases: [string, readonly string[], string | null, string][] = [
    ["<think> x 2 < 7 , so left . </think> <answer> A </answer>", two, "A", "tag"],
    ["<think> so left </think> <answer> right </answer>", two, "B", "tag"],
    ["<answer> B </answer> <answer> A </answer>", two, "A", "tag"],
    // Letters beyond the number of options are not options.
    ["<answer> C </answer> so right", two, "B", "fallback"],
    ["<think> red circle is closer </think> <answer> blue square </answer>", objs, "B", "tag"],
    // Unclosed answer tag: fallback after </think>, ignoring the reasoning.
    ["<think> so red circle is closer </think> <answer> B", objs, "B", "fallback"],
    ["<think> so left </think> the answer is", two, null, "none"],
    ["the answer is A", two, "A", "fallback"],
    ["count 5 . <answer> 1 </answer>", nums, "D", "tag"],
    ["<answer> 5 </answer>", nums, "C", "tag"],
    ["", two, null, "none"],
    // "circle" alone is not an option; "red circle" is.
    ["<answer> circle </answer>", objs, null, "none"],
  ];
  for (const [text, choices, answer, source] of cases) {
    assert.deepEqual(extractAnswer(text, choices), { answer, source }, text);
  }
});

Deno.test("hasThinkAnswerFormat accepts only <think> … </think> <answer> … </answer>", () => {
  assert.ok(hasThinkAnswerFormat(thinkCompletion("x 2 < 7 , so left .", "A")));
  assert.ok(hasThinkAnswerFormat("<think> </think> <answer> A </answer> <eos>"));
  assert.ok(!hasThinkAnswerFormat(answerCompletion("A")));
  assert.ok(!hasThinkAnswerFormat("<think> a </think> <answer> </answer>"));
  assert.ok(!hasThinkAnswerFormat("so <think> a </think> <answer> A </answer>"));
  assert.ok(!hasThinkAnswerFormat("<think> a </think> <answer> A </answer> more"));
  assert.ok(!hasThinkAnswerFormat("<think> <think> a </think> <answer> A </answer>"));
  assert.ok(!hasThinkAnswerFormat("<think> a </think> b <answer> A </answer>"));
});

Deno.test("prompts: R1-Zero ends with 'assistant :', chat ends with the assistant header", () => {
  const q = "where is the red circle relative to the blue square ? ( A ) left ( B ) right";
  assert.ok(r1ZeroPrompt(q).endsWith(`user : ${q} assistant :`));
  assert.ok(r1ZeroPrompt(q).includes("<think> </think>"));
  const c = chatPrompt(q, false);
  assert.ok(c.startsWith("<|im_start|> system"));
  assert.ok(c.endsWith("<|im_end|> <|im_start|> assistant"));
  assert.ok(!c.includes("<think>"));
  assert.ok(chatPrompt(q, true).includes("<think> </think>"));
});
