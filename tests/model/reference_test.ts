import assert from "node:assert/strict";
import { initParams } from "../../lib/model/params.ts";
import { patchify, referenceLogits, referenceLoss } from "../../lib/model/reference.ts";
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

Deno.test("patchify: RGB standardised in (y, x, channel) order; coordinate channels gated by brightness", () => {
  // 8x8 image, 4-pixel patches: a dark background (below pixel_mean) and one bright pixel at
  // x = 5, y = 2, which is patch 1 (top right), inside it at (iy 2, ix 1).
  const c = microConfig({ pixel_mean: 0.4, pixel_std: 0.3 });
  const n = c.image_size, img = new Float32Array(n * n * 3).fill(0.1);
  const at = (2 * n + 5) * 3;
  img.set([0.2, 0.9, 0.7], at);
  const rgb = patchify({ ...c, coord_channels: 0 }, img, 1);
  const full = patchify(c, img, 1);
  assert.equal(rgb.length, 4 * 16 * 3);
  assert.equal(full.length, 4 * 16 * 5);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
  const pixel = 16 * 1 + 2 * 4 + 1;
  [0.2, 0.9, 0.7].forEach((v, ch) => {
    close(rgb[pixel * 3 + ch], (v - 0.4) / 0.3);
    close(full[pixel * 5 + ch], (v - 0.4) / 0.3);
  });
  // Gate (0.9 - 0.4) / 0.3; pixel centres: x = (2*5 + 1)/8 - 1, y = (2*2 + 1)/8 - 1.
  const gate = 0.5 / 0.3;
  close(full[pixel * 5 + 3], gate * (11 / 8 - 1));
  close(full[pixel * 5 + 4], gate * (5 / 8 - 1));
  // Every other pixel is below pixel_mean, so its coordinate channels are exactly 0.
  for (let i = 0; i < 4 * 16; i++) {
    if (i === pixel) continue;
    assert.ok(full[i * 5 + 3] === 0, `pixel ${i} x`);
    assert.ok(full[i * 5 + 4] === 0, `pixel ${i} y`);
    close(full[i * 5], (0.1 - 0.4) / 0.3);
  }
});
