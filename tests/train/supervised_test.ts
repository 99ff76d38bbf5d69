import assert from "node:assert/strict";
import { acquireGpu } from "../../lib/gpu/mod.ts";
import { decodeState, loadModel } from "../../lib/model/checkpoint.ts";
import { runPretrain } from "../../lib/train/pretrain.ts";
import { runSft } from "../../lib/train/sft.ts";
import { runInstruct } from "../../lib/train/instruct.ts";
import { runSupervised, styleOf } from "../../lib/train/supervised.ts";
import { jobKinds } from "../../lib/train/kinds.ts";
import type { JobConfig } from "../../lib/spec/types.ts";
import { fakeContext, recorded } from "./helpers.ts";
import { NumericError } from "../../lib/runner/kind.ts";
import { readPretrain } from "../../lib/train/sections.ts";
import { pretrainExample } from "../../lib/train/corpus.ts";
import { imageTokens, modelConfig } from "../../lib/model/config.ts";
import { initParams } from "../../lib/model/params.ts";
import { trainPool, VOCAB_SIZE } from "../../lib/tasks/mod.ts";

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
const OPTS = { checkpointEverySeconds: 1e9, stepsPerReadback: 1 };
// Losses read back every 3 steps (a window that does not divide the 4 steps): the results must
// not depend on it.
const WINDOWED = { checkpointEverySeconds: 1e9, stepsPerReadback: 3 };

Deno.test("supervised: checkpoint at step 2, resume → same parameters as an uninterrupted run", async () => {
  const gpu = await acquireGpu();
  try {
    const straight = await Deno.makeTempDir();
    const a = recorded();
    await runPretrain(fakeContext(gpu, "pretrain", CONFIG, straight, {}, a), WINDOWED);
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
    // An abort that arrives while 4 steps are pending (read back 8 at a time) is seen at that
    // readback: a checkpoint of step 4, no artifact; the resumed job then only writes the model.
    const late = await Deno.makeTempDir();
    const c = recorded();
    const BIG = { checkpointEverySeconds: 1e9, stepsPerReadback: 8 };
    await runPretrain(fakeContext(gpu, "pretrain", CONFIG, late, {}, c, 2), BIG);
    assert.equal(c.saves, 1);
    assert.equal(decodeState(c.checkpoint!).step, 4);
    await assert.rejects(() => Deno.stat(`${late}/model.bin`), "no artifact after an abort");
    await runPretrain(fakeContext(gpu, "pretrain", CONFIG, late, {}, c), BIG);
    assert.deepEqual((await loadModel(late)).params.data, x.params.data);
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

Deno.test("supervised: a non-finite loss ends the job naming its step, whether read back every step or every 3", async () => {
  const gpu = await acquireGpu();
  try {
    const data = CONFIG.data as unknown as Parameters<typeof trainPool>[1];
    const hp = readPretrain(CONFIG);
    const config = modelConfig({ preset: "tiny", overrides: {} }, VOCAB_SIZE, data.image_size);
    const pool = trainPool(0, data);
    const maxTokens = config.max_seq - imageTokens(config) + 1;
    const steps: number[] = [];
    for (const options of [OPTS, WINDOWED]) {
      const dir = await Deno.makeTempDir();
      const rec = recorded();
      let caught: unknown;
      try {
        await runSupervised({
          ctx: fakeContext(gpu, "pretrain", CONFIG, dir, {}, rec),
          hp,
          config,
          initial: () => Promise.resolve(initParams(config, 0)),
          // Step 3's first example has a NaN pixel: steps 1 and 2 are finite, step 3 is not.
          example: (i) => {
            const ex = pretrainExample(pool, hp.mix, 0, i, maxTokens, "all");
            if (i === 2 * hp.batch_size) ex.image = ex.image.map((x, k) => (k === 5 ? NaN : x));
            return ex;
          },
          style: { template: "r1_zero", reasoning: true },
          options,
        });
      } catch (e) {
        caught = e;
      }
      assert.ok(caught instanceof NumericError, `expected a NumericError, got ${caught}`);
      steps.push(caught.step);
      const losses = rec.scalars.filter((s) => s.name === "loss");
      assert.deepEqual(losses.map((s) => s.step), [1, 2], "the finite steps' losses are recorded");
      assert.equal(rec.saves, 0, "no checkpoint of a diverged model");
      await assert.rejects(() => Deno.stat(`${dir}/model.bin`), "no artifact");
    }
    assert.deepEqual(steps, [3, 3]);
  } finally {
    gpu.device.destroy();
  }
});
