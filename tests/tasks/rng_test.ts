import assert from "node:assert/strict";
import { contentHash, rng, rngFromState } from "../../lib/tasks/rng.ts";

Deno.test("rng: same (seed, stream) gives the same sequence; other seeds/streams differ", () => {
  const draw = (seed: number, stream: string) => {
    const r = rng(seed, stream);
    return Array.from({ length: 64 }, () => r.u32());
  };
  assert.deepEqual(draw(7, "a"), draw(7, "a"));
  assert.notDeepEqual(draw(7, "a"), draw(8, "a"));
  assert.notDeepEqual(draw(7, "a"), draw(7, "b"));
  assert.notDeepEqual(draw(0, "x"), draw(2 ** 32, "x"));
});

Deno.test("rng: resuming from state continues the same sequence", () => {
  const r = rng(3, "resume");
  for (let i = 0; i < 10; i++) r.u32();
  const s = r.state();
  const tail = Array.from({ length: 20 }, () => r.float());
  const r2 = rngFromState(s);
  assert.deepEqual(Array.from({ length: 20 }, () => r2.float()), tail);
});

Deno.test("rng: int is in range and roughly uniform; float in [0,1)", () => {
  const r = rng(1, "uniform");
  const counts = new Array(6).fill(0);
  const n = 60000;
  for (let i = 0; i < n; i++) counts[r.int(6)]++;
  // Chi-square with 5 dof: the 0.999 quantile is 20.5.
  const chi2 = counts.reduce((s, c) => s + (c - n / 6) ** 2 / (n / 6), 0);
  assert.ok(chi2 < 20.5, `chi2=${chi2} counts=${counts}`);
  for (let i = 0; i < 1000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
  }
  assert.throws(() => r.int(0), RangeError);
});

Deno.test("contentHash: deterministic and sensitive to every byte", () => {
  const a = new Uint8Array(100).map((_, i) => i);
  const h = contentHash(a);
  assert.equal(h, contentHash(a.slice()));
  assert.match(h, /^[0-9a-f]{16}$/);
  for (let i = 0; i < a.length; i += 7) {
    const b = a.slice();
    b[i] ^= 1;
    assert.notEqual(contentHash(b), h, `flip at byte ${i}`);
  }
});
