/**
 * RL benchmarks: rollout throughput (KV-cached sampling, generated tokens per second) and the
 * time of one GRPO step (rollout + rewards + one update: log-prob forward, GPU loss, backward,
 * AdamW) for the `tiny` and `small` presets at the default RL shape (8 prompts x 8 completions,
 * 48-token completions, R1-Zero prompts on `sat`). Weights are a fresh init, so completions run
 * to the limit: this measures the worst-case (no early stop) rollout.
 */
import { acquireGpu, type Gpu } from "../lib/gpu/context.ts";
import { imageTokens, modelConfig } from "../lib/model/config.ts";
import { createGpuModel, freeGpuModel } from "../lib/model/gpu_model.ts";
import { initParams, paramCount } from "../lib/model/params.ts";
import { RlSchema } from "../lib/spec/schema.ts";
import { trainPool, VOCAB_SIZE } from "../lib/tasks/mod.ts";
import type { RlConfig } from "../lib/train/rl/config.ts";
import type { RlPrompt } from "../lib/train/rl/policy.ts";
import { satRlTask, type VlmPromptInput } from "../lib/train/rl/task.ts";
import { trainRl } from "../lib/train/rl/trainer.ts";
import { kvGenerate, stopTokens, vlmPolicy } from "../lib/train/rl/vlm_policy.ts";

const DATA = {
  image_size: 24,
  min_objects: 2,
  max_objects: 5,
  train_scenes: 64,
  bench_per_family: 4,
  trace_error_rate: 0.2,
};

/** lib/spec's RL defaults (the default RL shape) with R1-Zero prompts and no sampling or evals. */
function rlConfig(steps: number): RlConfig {
  return RlSchema.parse({
    steps,
    template: "r1_zero",
    reflection_words: ["wait"],
    sample_every: 1000,
    sample_count: 0,
    eval_every: 0,
  });
}

interface Row {
  preset: string;
  params: number;
  rows: number;
  promptTokens: number;
  rolloutS: number;
  rolloutTokPerS: number;
  stepS: number;
}

async function measure(gpu: Gpu, preset: string, prompts: RlPrompt[]): Promise<Row> {
  const cfg = modelConfig({ preset }, VOCAB_SIZE, DATA.image_size);
  const rl = rlConfig(3);
  const model = createGpuModel(gpu, cfg, initParams(cfg, 0));
  const policy = vlmPolicy(gpu, model, { temperature: 1, generate: kvGenerate });
  try {
    const inputs = prompts.map((p) => p.input as VlmPromptInput);
    const req = {
      prompts,
      groupSize: rl.group_size,
      maxCompletion: rl.max_completion,
      temperature: 1,
      topP: 1,
      topK: 0,
      seed: 0,
      step: 0,
    };
    await kvGenerate(model, inputs, req, stopTokens()); // warm-up: pipelines compile
    const t0 = performance.now();
    const out = await kvGenerate(model, inputs, { ...req, step: 1 }, stopTokens());
    const rolloutS = (performance.now() - t0) / 1000;
    const generated = out.reduce((s, o) => s + o.tokens.length, 0);
    // Whole trainer steps; the first compiles the update's pipelines and is dropped.
    const stamps: number[] = [performance.now()];
    await trainRl({
      gpu,
      cfg: rl,
      seed: 0,
      policy,
      task: { prompts: () => prompts },
      sink: { scalar: () => {}, evaluation: () => {}, completion: () => {} },
      checkpoint: { load: () => Promise.resolve(null), save: () => Promise.resolve() },
      checkpointEverySeconds: 1e9,
      progress: () => stamps.push(performance.now()),
    });
    const steps = stamps.slice(2).map((t, i) => (t - stamps[i + 1]) / 1000);
    return {
      preset,
      params: paramCount(cfg),
      rows: prompts.length * rl.group_size,
      promptTokens: imageTokens(cfg) + Math.max(...inputs.map((p) => p.tokens.length)),
      rolloutS,
      rolloutTokPerS: generated / rolloutS,
      stepS: steps.reduce((a, b) => a + b, 0) / steps.length,
    };
  } finally {
    freeGpuModel(policy.model());
  }
}

/** Runs the suite and prints its table. */
export async function bench(): Promise<void> {
  const gpu = await acquireGpu();
  try {
    const prompts = satRlTask(trainPool(0, DATA), "r1_zero").prompts(0, 8);
    const rows: Row[] = [];
    for (const preset of ["tiny", "small"]) rows.push(await measure(gpu, preset, prompts));
    console.log(`adapter: ${gpu.adapter}`);
    console.log(
      "| preset | params | completions x max | prefix tokens | rollout s | rollout tok/s | RL step s |",
    );
    console.log("|---|---|---|---|---|---|---|");
    for (const r of rows) {
      console.log(
        `| ${r.preset} | ${(r.params / 1e6).toFixed(2)}M | ${r.rows} x 48 | ${r.promptTokens} | ` +
          `${r.rolloutS.toFixed(2)} | ${r.rolloutTokPerS.toFixed(0)} | ${r.stepS.toFixed(2)} |`,
      );
    }
  } finally {
    gpu.device.destroy();
  }
}

if (import.meta.main) await bench();
