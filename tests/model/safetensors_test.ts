import assert from "node:assert/strict";
import { initParams, paramLayout } from "../../lib/model/params.ts";
import {
  configFromHf,
  decodeSafetensors,
  exportHf,
  hfConfig,
  importHf,
  isLmParam,
} from "../../lib/model/safetensors.ts";
import { microConfig } from "./fixtures.ts";

Deno.test("safetensors: export → import restores every LM tensor and keeps the vision tower", async () => {
  const c = microConfig();
  const trained = initParams(c, 11);
  const fresh = initParams(c, 12);
  const dir = await Deno.makeTempDir();
  await exportHf(dir, c, trained);
  const bytes = await Deno.readFile(`${dir}/model.safetensors`);
  const hlen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + hlen) % 8, 0, "tensor data is 8-byte aligned");
  const tensors = decodeSafetensors(bytes);
  assert.ok(tensors.has("model.layers.1.self_attn.q_proj.bias"));
  assert.ok(!tensors.has("lm_head.weight"), "tied head is not duplicated");
  assert.ok(![...tensors.keys()].some((k) => k.startsWith("vision.")));
  const back = await importHf(dir, fresh);
  for (const e of paramLayout(c).entries) {
    const got = back.data.subarray(e.offset, e.offset + e.size);
    const want = (isLmParam(e.name) ? trained : fresh).data.subarray(e.offset, e.offset + e.size);
    assert.deepEqual(got, want, e.name);
  }
  const hf = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  assert.equal(hf.architectures[0], "Qwen2ForCausalLM");
  assert.equal(hf.tie_word_embeddings, true);
  assert.equal(hf.num_key_value_heads, c.n_kv_heads);
  assert.deepEqual(configFromHf(hfConfig(c), c), c);
  // initializer_range carries init_std both ways (a config without it keeps the base's).
  const wide = { ...c, init_std: 0.072 };
  assert.equal(hfConfig(wide).initializer_range, 0.072);
  assert.equal(configFromHf(hfConfig(wide), c).init_std, 0.072);
  const { initializer_range: _, ...bare } = hfConfig(wide);
  assert.equal(configFromHf(bare, c).init_std, c.init_std);
  await Deno.remove(dir, { recursive: true });
});
