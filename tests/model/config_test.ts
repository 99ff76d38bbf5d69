import assert from "node:assert/strict";
import { modelConfig, ModelConfigError, PRESETS } from "../../lib/model/config.ts";
import { ModelSchema } from "../../lib/spec/schema.ts";

Deno.test("model config: presets standardise pixels; overrides replace pixel_mean/pixel_std", () => {
  for (const p of Object.values(PRESETS)) {
    assert.ok(p.pixel_mean > 0 && p.pixel_std > 0 && p.pixel_std < 1);
  }
  const c = modelConfig({ preset: "tiny", overrides: { pixel_mean: 0, pixel_std: 1 } }, 100, 24);
  assert.equal(c.pixel_mean, 0);
  assert.equal(c.pixel_std, 1);
  assert.throws(
    () => modelConfig({ preset: "tiny", overrides: { pixel_std: 0 } }, 100, 24),
    ModelConfigError,
  );
});

Deno.test("model schema: pixel_mean and pixel_std are overridable, pixel_std must be positive", () => {
  const ok = ModelSchema.parse({ overrides: { pixel_mean: 0.2, pixel_std: 0.5 } });
  assert.deepEqual(ok.overrides, { pixel_mean: 0.2, pixel_std: 0.5 });
  assert.equal(ModelSchema.safeParse({ overrides: { pixel_std: -1 } }).success, false);
  assert.deepEqual(ModelSchema.parse({}).overrides, {});
});
