import assert from "node:assert/strict";
import { decode, hasThinkAnswerFormat, SPECIAL, trainPool, VOCAB } from "../../lib/tasks/mod.ts";
import { instructExample, packBatch, pretrainExample, sftExample } from "../../lib/train/corpus.ts";
import { DATA } from "../tasks/fixtures.ts";

const pool = trainPool(0, DATA);
const MIX = { describe: 0.3, direct: 0.4, trace: 0.3 };
const trained = (ex: { tokens: number[]; loss: number[] }) =>
  decode(ex.tokens.filter((_, i) => ex.loss[i] === 1));

Deno.test("corpus: pretraining mix follows the configured shares and is deterministic", () => {
  const n = 2000;
  const kinds = { describe: 0, direct: 0, trace: 0 } as Record<string, number>;
  for (let i = 0; i < n; i++) kinds[pretrainExample(pool, MIX, 0.2, i, 145, "all").kind]++;
  // Binomial sd at n=2000 is about 0.011; allow 4 sd.
  for (const k of ["describe", "direct", "trace"] as const) {
    assert.ok(Math.abs(kinds[k] / n - MIX[k]) < 0.045, `${k}: ${kinds[k]}/${n}`);
  }
  assert.deepEqual(
    pretrainExample(pool, MIX, 0.2, 7, 145, "all"),
    pretrainExample(pool, MIX, 0.2, 7, 145, "all"),
  );
  const only = { describe: 0, direct: 0, trace: 1 };
  assert.ok(
    Array.from({ length: 50 }, (_, i) => pretrainExample(pool, only, 0.2, i, 145, "all"))
      .every((e) => e.kind === "trace"),
  );
});

Deno.test("corpus: benchmark phrasings reach pretraining under 'all' and never under 'own'", () => {
  const only = { describe: 0, direct: 1, trace: 0 };
  const cv = /considering the relative positions of the|are in the image \?/;
  const texts = (p: "own" | "all") =>
    Array.from({ length: 400 }, (_, i) => decode(pretrainExample(pool, only, 0, i, 145, p).tokens));
  const all = texts("all").filter((t) => cv.test(t)).length;
  assert.ok(all >= 10, `only ${all}/400 documents ask in cvbench's phrasing`);
  assert.equal(texts("own").filter((t) => cv.test(t)).length, 0);
});

Deno.test("corpus: document formats and loss masks", () => {
  for (let i = 0; i < 300; i++) {
    const ex = pretrainExample(pool, MIX, 0.2, i, 145, "all");
    assert.equal(ex.tokens[0], SPECIAL.bos);
    assert.equal(ex.loss[0], 0);
    assert.ok(ex.loss.slice(1).every((x) => x === 1), "pretraining predicts every token");
    assert.equal(ex.tokens[ex.tokens.length - 1], SPECIAL.eos);
    const text = decode(ex.tokens.slice(1, -1));
    if (ex.kind === "describe") {
      assert.match(
        text,
        /^((there are|the image shows) \d objects|the \w+ \w+ is (left|right|above|below))/,
      );
    }
    if (ex.kind === "direct") assert.match(text, /assistant : <answer> [A-D] <\/answer>$/);
    if (ex.kind === "trace") {
      const completion = text.slice(text.indexOf("assistant : ") + 12);
      assert.ok(hasThinkAnswerFormat(completion), completion);
    }
    if (ex.kind !== "describe") assert.ok(ex.tokens.length <= 145 || !text.startsWith("a conv"));
  }
  for (let i = 0; i < 100; i++) {
    const ex = instructExample(pool, i);
    assert.ok(decode(ex.tokens).startsWith("<bos> <|im_start|> system"));
    assert.equal(ex.tokens[ex.tokens.length - 1], SPECIAL.im_end);
    const t = trained(ex);
    if (ex.kind === "chat_answer") assert.match(t, /^<answer> [A-D] <\/answer> <\|im_end\|>$/);
    else assert.match(t, /(objects : .*|the \w+ \w+ is .*) <\|im_end\|>$/);
  }
  const r1 = { template: "r1_zero" as const, reasoning: true };
  const chat = { template: "chat" as const, reasoning: true };
  for (let i = 0; i < 100; i++) {
    assert.match(trained(sftExample(pool, r1, false, 0.2, i)), /^<answer> [A-D] <\/answer> <eos>$/);
    const t = trained(sftExample(pool, r1, true, 0.2, i));
    assert.ok(hasThinkAnswerFormat(t), t);
    const c = sftExample(pool, chat, true, 0.2, i);
    assert.ok(decode(c.tokens).includes("then give the answer inside <answer> </answer> ."));
    assert.ok(trained(c).endsWith("</answer> <|im_end|>"));
  }
});

Deno.test("corpus: packBatch shifts targets, masks padding and truncates", () => {
  const exs = [0, 1, 2].map((i) => pretrainExample(pool, MIX, 0.2, i, 145, "all"));
  const T = 40;
  const { batch, textTokens, truncated } = packBatch(exs, T, DATA.image_size);
  assert.equal(batch.tokens.length, 3 * T);
  exs.forEach((ex, b) => {
    const n = Math.min(ex.tokens.length - 1, T);
    for (let t = 0; t < T; t++) {
      if (t < n) {
        assert.equal(batch.tokens[b * T + t], ex.tokens[t]);
        assert.equal(batch.targets[b * T + t], ex.tokens[t + 1]);
        assert.equal(batch.mask[b * T + t], ex.loss[t + 1]);
      } else {
        assert.equal(batch.mask[b * T + t], 0);
        assert.equal(VOCAB[batch.tokens[b * T + t]], "<pad>");
      }
    }
  });
  assert.equal(textTokens, exs.reduce((s, e) => s + Math.min(e.tokens.length - 1, T), 0));
  assert.equal(truncated, exs.filter((e) => e.tokens.length - 1 > T).length);
});
