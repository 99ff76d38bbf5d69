import assert from "node:assert/strict";
import { acquireGpu } from "../../lib/gpu/mod.ts";
import { decodeState, loadModel } from "../../lib/model/checkpoint.ts";
import { runPretrain } from "../../lib/train/pretrain.ts";
import { runSft } from "../../lib/train/sft.ts";
import { runInstruct } from "../../lib/train/instruct.ts";
import { styleOf } from "../../lib/train/supervised.ts";
import { jobKinds } from "../../lib/train/kinds.ts";
import type { JobConfig } from "../../lib/spec/types.ts";
import { fakeContext, recorded } from "./helpers.ts";

const HP = {
  steps: 4,
  batch_size: 2,
  lr: 3e-3,
  min_lr_ratio: 0.1,
  warmup_steps: 1,
  schedule: "cosine",
  weight_decay: 0.01,
  grad_clip: 1.0,
};
const CONFIG: JobConfig = {
  seed: 3,
  init: "base",
  model: { preset: "tiny", overrides: {} },
  data: {
    image_size: 24,
    min_objects: 2,
    max_objects: 5,
    train_scenes: 50,
    bench_per_family: 5,
    trace_error_rate: 0.2,
  },
  pretrain: { ...HP, mix: { describe: 0.3, direct: 0.4, trace: 0.3 }, phrasings: "all" },
  instruct: HP,
  sft: { ...HP, traces: true },
};
const OPTS = { checkpointEverySeconds: 1e9 };

Deno.test("supervised: checkpoint at step 2, resume → same parameters as an uninterrupted run", async () => {
  const gpu = await acquireGpu();
  try {
    const straight = await Deno.makeTempDir();
    const a = recorded();
    await runPretrain(fakeContext(gpu, "pretrain", CONFIG, straight, {}, a), OPTS);
    assert.deepEqual(a.scalars.filter((s) => s.name === "loss").map((s) => s.step), [1, 2, 3, 4]);
    assert.equal(a.saves, 0);

    const resumed = await Deno.makeTempDir();
    const b = recorded();
    await runPretrain(fakeContext(gpu, "pretrain", CONFIG, resumed, {}, b, 2), OPTS);
    assert.equal(b.saves, 1, "the abort saves a checkpoint");
    assert.equal(decodeState(b.checkpoint!).step, 2);
    await assert.rejects(() => Deno.stat(`${resumed}/model.bin`), "no artifact after an abort");
    await runPretrain(fakeContext(gpu, "pretrain", CONFIG, resumed, {}, b), OPTS);

    const [x, y] = [await loadModel(straight), await loadModel(resumed)];
    assert.equal(x.step, 4);
    assert.equal(y.step, 4);
    assert.deepEqual(y.params.data, x.params.data);
    assert.deepEqual(styleOf(x.extra), { template: "r1_zero", reasoning: true });
    // The resumed run re-emits steps 3..4 with the same losses.
    const loss = (r: typeof a, step: number) =>
      r.scalars.find((s) => s.name === "loss" && s.step === step)!.value;
    for (const step of [3, 4]) assert.equal(loss(b, step), loss(a, step));
    for (const name of ["loss", "lr", "grad_norm", "tokens_per_s"]) {
      assert.ok(a.scalars.some((s) => s.name === name && Number.isFinite(s.value)), name);
    }

    // instruct and sft start from the input model and record their prompt style.
    const ins = await Deno.makeTempDir();
    await runInstruct(
      fakeContext(gpu, "instruct", CONFIG, ins, { model: straight }, recorded()),
      OPTS,
    );
    assert.deepEqual(styleOf((await loadModel(ins)).extra), { template: "chat", reasoning: false });
    const sft = await Deno.makeTempDir();
    const cfg = { ...CONFIG, init: "instruct" };
    await runSft(fakeContext(gpu, "sft", cfg, sft, { model: ins }, recorded()), OPTS);
    const s = await loadModel(sft);
    assert.deepEqual(styleOf(s.extra), { template: "chat", reasoning: true });
    assert.notDeepEqual(s.params.data, (await loadModel(ins)).params.data);
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("kinds: pretrain, instruct, sft and eval are registered by name", () => {
  const k = jobKinds();
  for (const name of ["pretrain", "instruct", "sft", "eval"]) assert.equal(k.get(name)?.name, name);
});
