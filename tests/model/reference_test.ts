import assert from "node:assert/strict";
import { initParams } from "../../lib/model/params.ts";
import { referenceLogits, referenceLoss } from "../../lib/model/reference.ts";
import { microConfig, randomBatch } from "./fixtures.ts";

Deno.test("reference: text is causal, the image prefix is visible to every text position", () => {
  const c = microConfig();
  const p = initParams(c, 1);
  // Larger weights than the init so that changes propagate visibly.
  for (let i = 0; i < p.data.length; i++) p.data[i] *= 10;
  const T = 6;
  const b = randomBatch(c, 1, T, 3);
  const base = referenceLogits(p, c, { batch: 1, seq: T, images: b.images, tokens: b.tokens });
  const tok2 = b.tokens.slice();
  tok2[4] = (tok2[4] + 1) % c.vocab_size;
  const changed = referenceLogits(p, c, { batch: 1, seq: T, images: b.images, tokens: tok2 });
  const V = c.vocab_size;
  for (let i = 0; i < 4 * V; i++) assert.equal(changed[i], base[i], `position ${i / V | 0}`);
  assert.ok(Math.abs(changed[4 * V] - base[4 * V]) > 1e-9, "the changed token moves its logits");
  const img2 = b.images.slice();
  img2[img2.length - 1] += 1;
  const imgChanged = referenceLogits(p, c, { batch: 1, seq: T, images: img2, tokens: b.tokens });
  assert.ok(
    Math.abs(imgChanged[0] - base[0]) > 1e-9,
    "the first text position sees the last patch",
  );
});

Deno.test("reference: the initial loss is close to log(vocab)", () => {
  const c = microConfig();
  const p = initParams(c, 2);
  const b = randomBatch(c, 2, 5, 4);
  const loss = referenceLoss(
    p,
    c,
    { batch: 2, seq: 5, images: b.images, tokens: b.tokens },
    b.targets,
    b.mask,
  );
  assert.ok(Math.abs(loss - Math.log(c.vocab_size)) < 0.1, `loss ${loss}`);
});
