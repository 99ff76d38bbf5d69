import assert from "node:assert/strict";
import { binomialUpperTail } from "./binomial.ts";

Deno.test("binomialUpperTail matches hand values", () => {
  assert.ok(Math.abs(binomialUpperTail(0, 10) - 1) < 1e-12);
  assert.ok(Math.abs(binomialUpperTail(10, 10) - 1 / 1024) < 1e-12);
  assert.ok(Math.abs(binomialUpperTail(9, 10) - 11 / 1024) < 1e-12);
  assert.ok(Math.abs(binomialUpperTail(6, 10) - 386 / 1024) < 1e-12);
  assert.ok(Math.abs(binomialUpperTail(2, 2, 0.3) - 0.09) < 1e-12);
  assert.ok(Math.abs(binomialUpperTail(1, 2, 0.3) - 0.51) < 1e-12);
  assert.ok(Math.abs(binomialUpperTail(5, 5, 0.2) - 0.00032) < 1e-12);
  assert.ok(Math.abs(binomialUpperTail(4, 5, 0.2) - (0.00032 + 5 * 0.0016 * 0.8)) < 1e-12);
});
