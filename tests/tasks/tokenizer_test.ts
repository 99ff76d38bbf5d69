import assert from "node:assert/strict";
import {
  chatPrompt,
  cvbench,
  decode,
  describeScene,
  encode,
  questionText,
  r1ZeroPrompt,
  rng,
  sampleTrace,
  satSample,
  SPECIAL,
  SPECIAL_TOKENS,
  thinkCompletion,
  tokenId,
  TokenizerError,
  trainPool,
  VOCAB,
  VOCAB_SIZE,
} from "../../lib/tasks/mod.ts";
import { DATA } from "./fixtures.ts";

Deno.test("tokenizer: every generated text round-trips exactly (thousands of samples)", () => {
  const bench = cvbench(DATA);
  const pool = trainPool(0, { ...DATA, max_objects: 8 }, bench);
  const texts: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const s = satSample(pool, i);
    const q = questionText(s);
    texts.push(r1ZeroPrompt(q), chatPrompt(q, true), chatPrompt(q, false));
    texts.push(thinkCompletion(sampleTrace(s, 0, 0.5).text, s.answer) + " <|im_end|> <eos>");
    if (i < 1000) texts.push(describeScene(pool.scenes[i % pool.scenes.length], rng(0, `d/${i}`)));
  }
  for (const s of bench) texts.push(r1ZeroPrompt(questionText(s)));
  for (const t of texts) {
    const ids = encode(t);
    assert.ok(ids.every((id) => id >= 0 && id < VOCAB_SIZE));
    assert.equal(decode(ids), t);
  }
  assert.ok(texts.length > 12000);
});

Deno.test("tokenizer: vocabulary is small, unique, with fixed special ids", () => {
  assert.ok(VOCAB_SIZE < 400, `VOCAB_SIZE=${VOCAB_SIZE}`);
  assert.equal(new Set(VOCAB).size, VOCAB_SIZE);
  SPECIAL_TOKENS.forEach((t, i) => assert.equal(VOCAB[i], t));
  assert.equal(tokenId("<think>"), SPECIAL.think_start);
  assert.equal(tokenId("</answer>"), SPECIAL.answer_end);
  assert.equal(tokenId("<|im_end|>"), SPECIAL.im_end);
  assert.equal(tokenId("<pad>"), SPECIAL.pad);
});

Deno.test("tokenizer: numbers are spelt digit by digit", () => {
  const ids = encode("count 120 , 7");
  assert.deepEqual(ids.map((i) => VOCAB[i]), ["count", "1", "##2", "##0", ",", "7"]);
  assert.equal(decode(ids), "count 120 , 7");
});

Deno.test("tokenizer: out-of-vocabulary words and bad spacing raise TokenizerError", () => {
  assert.throws(
    () => encode("the red banana"),
    (e: Error) =>
      e instanceof TokenizerError && e.word === "banana" && e.index === 2 &&
      e.message.includes("banana"),
  );
  assert.throws(() => encode("the  red"), TokenizerError);
  assert.throws(() => decode([VOCAB_SIZE]), TokenizerError);
});
