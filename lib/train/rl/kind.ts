/**
 * The `rl` job kind: GRPO (PTST when enabled) from the input model (base, instruct or SFT) on
 * `sat` prompts. Reads `seed, model, data, init, rl`; writes `model.bin` with the prompt style
 * it trained in, so evaluation prompts the model the same way. With `rl.eval_every` > 0 it also
 * scores cvbench per family every that many steps (greedy, up to the RL completion limit).
 */
import type { JobContext, JobKind } from "../../runner/kind.ts";
import { loadModel, saveModel } from "../../model/checkpoint.ts";
import { modelConfig } from "../../model/config.ts";
import { createGpuModel, freeGpuModel, readModelState } from "../../model/gpu_model.ts";
import { cvbench, trainPool, VOCAB_SIZE } from "../../tasks/mod.ts";
import { evaluateSamples, familyCounts } from "../eval.ts";
import { readData, readInit, readModel, readSeed, TrainConfigError } from "../sections.ts";
import { jobGpu, styleExtra, type TrainerOptions } from "../supervised.ts";
import { asRlConfig } from "./config.ts";
import { schedule } from "./ptst.ts";
import { resolveTemplate, satRlTask } from "./task.ts";
import { trainRl } from "./trainer.ts";
import { kvGenerate, vlmPolicy } from "./vlm_policy.ts";

/** Run (or resume) one RL job. */
export async function runRl(ctx: JobContext, options: TrainerOptions): Promise<void> {
  const c = ctx.job.config;
  const seed = readSeed(c), data = readData(c), init = readInit(c), rl = asRlConfig(c.rl);
  const gpu = jobGpu(ctx);
  const config = modelConfig(readModel(c), VOCAB_SIZE, data.image_size);
  const dir = ctx.inputDirs.model;
  if (!dir) throw new TrainConfigError(`job ${ctx.job.id} (rl) has no input model`);
  const input = await loadModel(dir);
  if (JSON.stringify(input.config) !== JSON.stringify(config)) {
    throw new TrainConfigError(
      `input model ${dir}/model.bin has config ${JSON.stringify(input.config)}, but the job's is ` +
        JSON.stringify(config),
    );
  }
  const template = resolveTemplate(rl.template, init);
  // RL starts its own optimizer: fresh AdamW moments and step count.
  const policy = vlmPolicy(gpu, createGpuModel(gpu, config, input.params), {
    temperature: rl.temperature,
    generate: kvGenerate,
  });
  const bench = rl.eval_every > 0 ? cvbench(data) : [];
  const style = { template, reasoning: true };
  // Periodic cvbench (greedy, as the eval job): batches of one RL step's rollouts, the RL
  // completion limit (the largest PTST stage's; the eval section is not in this job's config).
  const evaluate = async (done: number) => {
    const scored = await evaluateSamples(
      policy.model(),
      bench,
      style,
      schedule(rl).maxCompletion,
      rl.prompts_per_step * rl.group_size,
    );
    for (const [family, c] of Object.entries(familyCounts(scored))) {
      ctx.sink.evaluation(done, "cvbench", family, c.n, c.correct);
    }
  };
  try {
    const res = await trainRl({
      gpu,
      cfg: rl,
      seed,
      policy,
      task: satRlTask(trainPool(seed, data), template),
      sink: ctx.sink,
      checkpoint: ctx.checkpoint,
      checkpointEverySeconds: options.checkpointEverySeconds,
      signal: ctx.signal,
      progress: (s, t) => ctx.progress(s, t),
      evaluate,
    });
    if (!res.completed) return;
    const st = await readModelState(policy.model());
    await saveModel(ctx.artifactDir, {
      config,
      params: st.params,
      adam: null,
      step: st.step,
      rng: [],
      extra: styleExtra(style),
    });
  } finally {
    freeGpuModel(policy.model());
  }
}

/** The kind (register it in lib/train/kinds.ts's `jobKinds`). */
export function rlKind(options: TrainerOptions): JobKind {
  return { name: "rl", run: (ctx) => runRl(ctx, options) };
}
