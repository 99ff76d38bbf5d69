import assert from "node:assert/strict";
import { acquireGpu } from "../../../lib/gpu/context.ts";
import { loadModel, saveModel } from "../../../lib/model/checkpoint.ts";
import { modelConfig } from "../../../lib/model/config.ts";
import { initParams } from "../../../lib/model/params.ts";
import type { JobContext } from "../../../lib/runner/kind.ts";
import type { JobConfig } from "../../../lib/spec/types.ts";
import { VOCAB_SIZE } from "../../../lib/tasks/mod.ts";
import { rlKind } from "../../../lib/train/rl/kind.ts";
import { rlTestConfig } from "./fixtures.ts";

const DATA = {
  image_size: 24,
  min_objects: 2,
  max_objects: 3,
  train_scenes: 8,
  bench_per_family: 1,
  trace_error_rate: 0.2,
};

Deno.test("rl kind: trains from the input model, evaluates every eval_every steps, writes model.bin", async () => {
  const gpu = await acquireGpu();
  const inDir = await Deno.makeTempDir({ prefix: "zg_rl_in_" });
  const outDir = await Deno.makeTempDir({ prefix: "zg_rl_out_" });
  try {
    const model = { preset: "tiny", overrides: {} };
    const cfg = modelConfig(model, VOCAB_SIZE, DATA.image_size);
    await saveModel(inDir, {
      config: cfg,
      params: initParams(cfg, 0),
      adam: null,
      step: 7,
      rng: [],
      extra: null,
    });
    const config = {
      seed: 0,
      init: "instruct",
      model,
      data: DATA,
      rl: rlTestConfig({
        steps: 2,
        prompts_per_step: 2,
        group_size: 2,
        max_completion: 4,
        lr: 1e-3,
        length_reward: { enabled: false, weight: 0.5, cap: 4 },
        reflection_words: ["wait"],
        sample_every: 1,
        sample_count: 1,
        eval_every: 2,
      }),
    } as unknown as JobConfig;
    const scalars: string[] = [];
    const evals: [number, string, number][] = [];
    const ctx: JobContext = {
      job: { id: "rltest", kind: "rl", config, inputs: { model: "x" }, label: "rl test" },
      artifactDir: outDir,
      inputDirs: { model: inDir },
      sink: {
        scalar: (s, n) => scalars.push(`${s}:${n}`),
        evaluation: (s, _b, fam, n) => evals.push([s, fam, n]),
        completion: () => {},
      },
      checkpoint: { load: () => Promise.resolve(null), save: () => Promise.resolve() },
      signal: new AbortController().signal,
      progress: () => {},
      resources: { gpu },
    };
    await rlKind({ checkpointEverySeconds: 1e9, stepsPerReadback: 8 }).run(ctx);
    assert.ok(scalars.includes("1:accuracy") && scalars.includes("0:reward"));
    assert.deepEqual(evals.map((e) => e[0]), [2, 2, 2, 2]);
    assert.deepEqual(evals.map((e) => e[2]), [1, 1, 1, 1]);
    const out = await loadModel(outDir);
    // Instruct init with template auto: the chat template, asking for reasoning.
    assert.deepEqual(out.extra, { prompt: { template: "chat", reasoning: true } });
    assert.equal(out.step, 2); // RL's own optimizer: two updates from a fresh AdamW
    assert.equal(out.adam, null);
  } finally {
    gpu.device.destroy();
    await Deno.remove(inDir, { recursive: true });
    await Deno.remove(outDir, { recursive: true });
  }
});
