import assert from "node:assert/strict";
import { splitmix32, xoshiro128ss } from "../../lib/util/xoshiro.ts";

Deno.test("xoshiro128**: the reference algorithm's first outputs from state (1, 2, 3, 4)", () => {
  // Worked by hand from Blackman & Vigna's reference C: rotl(s1 * 5, 7) * 9, then the xor-shift
  // update (s1 = 2 -> 11520; s1 = 0 -> 0; s1 = 1029 -> 5927040).
  const s = new Uint32Array([1, 2, 3, 4]);
  assert.deepEqual([xoshiro128ss(s), xoshiro128ss(s)], [11520, 0]);
  assert.deepEqual([...s], [12295, 1029, 1029, 25165824]);
  assert.equal(xoshiro128ss(s), 5927040);
});

Deno.test("splitmix32: deterministic, 32-bit, and nearby starts diverge in about half the bits", () => {
  const a = splitmix32(41), b = splitmix32(41), c = splitmix32(42);
  let flipped = 0;
  for (let i = 0; i < 64; i++) {
    const x = a(), y = c();
    assert.equal(x, b());
    assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 32);
    for (let v = (x ^ y) >>> 0; v; v >>>= 1) flipped += v & 1;
  }
  assert.ok(Math.abs(flipped / (64 * 32) - 0.5) < 0.05, `${flipped} of ${64 * 32} bits differ`);
});
