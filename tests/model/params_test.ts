import assert from "node:assert/strict";
import { modelConfig } from "../../lib/model/config.ts";
import { grid2dCode, initParams, NAMES, POS_INIT_SCALE } from "../../lib/model/params.ts";

Deno.test("grid2dCode: column code in the first half, row code in the second, sin/cos pairs", () => {
  const g = 3, d = 8, s = 0.5, code = grid2dCode(g, d, s);
  assert.equal(code.length, g * g * d);
  for (let p = 0; p < g * g; p++) {
    const col = p % g, row = Math.floor(p / g);
    const want = [
      Math.sin(col),
      Math.sin(col / 100),
      Math.cos(col),
      Math.cos(col / 100),
      Math.sin(row),
      Math.sin(row / 100),
      Math.cos(row),
      Math.cos(row / 100),
    ].map((v) => s * v);
    want.forEach((v, i) => assert.ok(Math.abs(code[p * d + i] - v) < 1e-6, `p${p}[${i}]`));
  }
});

Deno.test("initParams: the patch-position table starts as the 2D code, and every patch differs", () => {
  const c = modelConfig({ preset: "tiny" }, 100, 24);
  const p = initParams(c, 3);
  const e = p.layout.byName.get(NAMES.pos)!;
  const g = Math.round(Math.sqrt(e.shape[0]));
  assert.equal(g * g, e.shape[0]);
  const table = p.data.subarray(e.offset, e.offset + e.size);
  assert.deepEqual(table, grid2dCode(g, e.shape[1], POS_INIT_SCALE));
  assert.deepEqual(initParams(c, 4).data.subarray(e.offset, e.offset + e.size), table);
  const d = e.shape[1];
  for (let a = 0; a < e.shape[0]; a++) {
    for (let b = a + 1; b < e.shape[0]; b++) {
      let dist = 0;
      for (let i = 0; i < d; i++) dist += (table[a * d + i] - table[b * d + i]) ** 2;
      assert.ok(dist > 1e-3, `patches ${a} and ${b} share a position code`);
    }
  }
});

Deno.test("initParams: weight matrices are N(0, init_std²), and init_std is the config's", () => {
  for (const std of [0.02, 0.072]) {
    const c = modelConfig({ preset: "tiny", overrides: { init_std: std } }, 100, 24);
    const p = initParams(c, 5);
    const e = p.layout.byName.get(NAMES.embed)!;
    const w = p.data.subarray(e.offset, e.offset + e.size);
    let sum = 0, sq = 0;
    for (const v of w) (sum += v, sq += v * v);
    const mean = sum / w.length, sd = Math.sqrt(sq / w.length - mean * mean);
    // n = 100 × 64 draws: the sample sd is within 3% of σ with overwhelming probability.
    assert.ok(Math.abs(sd / std - 1) < 0.03, `sd ${sd} for init_std ${std}`);
    assert.ok(Math.abs(mean) < 4 * std / Math.sqrt(w.length), `mean ${mean}`);
  }
  assert.equal(modelConfig({ preset: "tiny" }, 100, 24).init_std, 0.02);
  assert.throws(
    () => modelConfig({ preset: "tiny", overrides: { init_std: 0 } }, 100, 24),
    /init_std must be a positive number/,
  );
});
