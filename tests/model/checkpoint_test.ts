import assert from "node:assert/strict";
import {
  CheckpointError,
  decodeState,
  encodeState,
  loadModel,
  saveModel,
} from "../../lib/model/checkpoint.ts";
import { initParams } from "../../lib/model/params.ts";
import { microConfig } from "./fixtures.ts";

Deno.test("checkpoint: encode/decode round-trips weights, moments, step, rng and extra exactly", async () => {
  const c = microConfig();
  const params = initParams(c, 5);
  const m = params.data.map((x) => x * 0.5), v = params.data.map((x) => x * x);
  const state = {
    config: c,
    params,
    adam: { m, v },
    step: 17,
    rng: [1, 0xffffffff, 3, 4],
    extra: { epoch: 2 },
  };
  const back = decodeState(encodeState(state));
  assert.deepEqual(back.config, c);
  assert.deepEqual(back.params.data, params.data);
  assert.deepEqual(back.adam?.m, m);
  assert.deepEqual(back.adam?.v, v);
  assert.equal(back.step, 17);
  assert.deepEqual(back.rng, [1, 0xffffffff, 3, 4]);
  assert.deepEqual(back.extra, { epoch: 2 });
  const dir = await Deno.makeTempDir();
  await saveModel(dir, { ...state, adam: null });
  const loaded = await loadModel(dir);
  assert.equal(loaded.adam, null);
  assert.deepEqual(loaded.params.data, params.data);
  const bytes = encodeState(state);
  assert.throws(() => decodeState(bytes.subarray(0, bytes.length - 4)), CheckpointError);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoint: a file from before shared_image_position reads as sequential image positions", () => {
  const c = microConfig({ shared_image_position: 1 });
  const old: Partial<typeof c> = { ...c };
  delete old.shared_image_position;
  const state = {
    config: old as typeof c,
    params: initParams(c, 5),
    adam: null,
    step: 3,
    rng: [1, 2, 3, 4],
    extra: null,
  };
  const back = decodeState(encodeState(state));
  assert.equal(back.config.shared_image_position, 0);
  const bad = { ...state, config: { ...c, shared_image_position: 2 } };
  assert.throws(() => decodeState(encodeState(bad)), /shared_image_position must be 0 or 1, got 2/);
});
