/**
 * The supervised training loop shared by pretrain, instruct and sft: batches from a stateless
 * example source, the learning-rate schedule, one GPU step per update, metrics, periodic
 * checkpoints (resume is bit-exact: data depend only on the step, the optimizer state is saved),
 * and the final `model.bin` recording how the model is to be prompted.
 */
import type { Gpu } from "../gpu/context.ts";
import { type JobContext, NumericError } from "../runner/kind.ts";
import {
  collectSteps,
  createGpuModel,
  freeGpuModel,
  type GpuModel,
  type PendingStep,
  readModelState,
  submitTrainStep,
} from "../model/gpu_model.ts";
import { decodeState, encodeState, type Extra, loadModel, saveModel } from "../model/checkpoint.ts";
import { imageTokens, type ModelConfig } from "../model/config.ts";
import type { ParamSet } from "../model/params.ts";
import { type Example, packBatch, type PromptStyle } from "./corpus.ts";
import { learningRate } from "./schedule.ts";
import type { SupervisedSection } from "./sections.ts";
import { TrainConfigError } from "./sections.ts";

/** Operational settings of the trainers (not experiment config: they do not change results). */
export interface TrainerOptions {
  /** Save a resumable checkpoint when this many seconds passed since the last one. */
  checkpointEverySeconds: number;
  /**
   * Supervised steps submitted before their losses are read back, in one wait (each wait costs
   * Deno's WebGPU a ~10 ms poll, and the GPU idles during it). 1 = read every step. A non-finite
   * loss still ends the job naming its step, up to this many steps after it was computed; the
   * checkpoint written before stays the one to resume from.
   */
  stepsPerReadback: number;
}

/** Everything one supervised job needs. */
export interface SupervisedJob {
  ctx: JobContext;
  hp: SupervisedSection;
  config: ModelConfig;
  /** Starting weights when there is no checkpoint (fresh init or the input model). */
  initial: () => Promise<ParamSet>;
  /** Example number `i`; step s uses examples s·B … s·B+B-1. */
  example: (i: number) => Example;
  /** Written into `model.bin` so evaluation prompts the model the way it was trained. */
  style: PromptStyle;
  options: TrainerOptions;
}

/** The GPU a job was handed by the runner. */
export function jobGpu(ctx: JobContext): Gpu {
  const gpu = ctx.resources.gpu as Gpu | undefined;
  if (!gpu || typeof gpu !== "object" || !("device" in gpu)) {
    throw new TrainConfigError(`job ${ctx.job.id} (${ctx.job.kind}) was given no GPU resource`);
  }
  return gpu;
}

/** The prompt style stored in a model file, or null when it records none. */
export function styleOf(extra: Extra): PromptStyle | null {
  if (extra === null || typeof extra !== "object" || Array.isArray(extra)) return null;
  const p = extra.prompt;
  if (p === null || typeof p !== "object" || Array.isArray(p)) return null;
  const template = p.template, reasoning = p.reasoning;
  if ((template !== "r1_zero" && template !== "chat") || typeof reasoning !== "boolean") {
    return null;
  }
  return { template, reasoning };
}

/** The `extra` a trainer writes into `model.bin`. */
export function styleExtra(style: PromptStyle): Extra {
  return { prompt: { template: style.template, reasoning: style.reasoning } };
}

/** Load the input model's weights, checking its shape matches this job's model config. */
export async function loadInputParams(ctx: JobContext, config: ModelConfig): Promise<ParamSet> {
  const dir = ctx.inputDirs.model;
  if (!dir) throw new TrainConfigError(`job ${ctx.job.id} (${ctx.job.kind}) has no input model`);
  const state = await loadModel(dir);
  const a = JSON.stringify(state.config), b = JSON.stringify(config);
  if (a !== b) {
    throw new TrainConfigError(
      `input model ${dir}/model.bin has config ${a}, but the job's is ${b}`,
    );
  }
  return state.params;
}

/** Run (or resume) a supervised job to completion, or until the signal aborts it. */
export async function runSupervised(j: SupervisedJob): Promise<void> {
  const { ctx, hp, config } = j;
  const gpu = jobGpu(ctx);
  const P = imageTokens(config);
  const textLen = config.max_seq - P;
  const saved = await ctx.checkpoint.load();
  let model: GpuModel;
  if (saved) {
    const s = decodeState(saved);
    if (!s.adam) {
      throw new TrainConfigError(`checkpoint of job ${ctx.job.id} lacks optimizer state`);
    }
    model = createGpuModel(gpu, s.config, s.params, s.adam, s.step);
  } else {
    model = createGpuModel(gpu, config, await j.initial());
  }
  const save = async () => {
    const st = await readModelState(model);
    await ctx.checkpoint.save(encodeState({
      config,
      params: st.params,
      adam: st.adam,
      step: st.step,
      rng: [],
      extra: styleExtra(j.style),
    }));
  };
  try {
    let lastSave = performance.now();
    const window = Math.max(1, Math.floor(j.options.stepsPerReadback));
    const pending: { step: number; lr: number; tokens: number; handle: PendingStep }[] = [];
    let since = performance.now();
    // Reads back the pending steps and records their metrics, in step order.
    const flush = async () => {
      const results = await collectSteps(model, pending.map((p) => p.handle));
      const now = performance.now();
      const seconds = (now - since) / 1000 / pending.length;
      since = now;
      for (const [i, res] of results.entries()) {
        const { step, lr, tokens } = pending[i];
        if (!Number.isFinite(res.loss) || !Number.isFinite(res.gradNorm)) {
          throw new NumericError(`non-finite ${ctx.job.kind} loss at step ${step + 1}`, step + 1, {
            loss: res.loss,
            grad_norm: res.gradNorm,
            lr,
          });
        }
        const done = step + 1;
        ctx.sink.scalar(done, "loss", res.loss);
        ctx.sink.scalar(done, "lr", lr);
        ctx.sink.scalar(done, "grad_norm", res.gradNorm);
        ctx.sink.scalar(done, "tokens_per_s", tokens / seconds);
        ctx.progress(done, hp.steps);
      }
      pending.length = 0;
    };
    while (model.step < hp.steps) {
      const step = model.step;
      const examples = Array.from(
        { length: hp.batch_size },
        (_, b) => j.example(step * hp.batch_size + b),
      );
      // Pad to the longest example rounded up to 16 (few distinct shapes), not to the context.
      const longest = Math.max(...examples.map((e) => e.tokens.length - 1));
      const T = Math.min(textLen, Math.ceil(longest / 16) * 16);
      const { batch, textTokens } = packBatch(examples, T, config.image_size);
      const lr = learningRate(hp, step, hp.steps);
      const handle = submitTrainStep(model, batch, {
        lr,
        weightDecay: hp.weight_decay,
        gradClip: hp.grad_clip,
      });
      pending.push({ step, lr, tokens: textTokens + P * hp.batch_size, handle });
      const done = model.step;
      const due = (performance.now() - lastSave) / 1000 >= j.options.checkpointEverySeconds;
      if (pending.length >= window || done >= hp.steps || due || ctx.signal.aborted) await flush();
      // Only with nothing pending (an abort can arrive during the flush, through progress).
      if (!pending.length && (ctx.signal.aborted || (due && done < hp.steps))) {
        await save();
        lastSave = performance.now();
        if (ctx.signal.aborted) return;
      }
    }
    const st = await readModelState(model);
    await saveModel(ctx.artifactDir, {
      config,
      params: st.params,
      adam: null,
      step: st.step,
      rng: [],
      extra: styleExtra(j.style),
    });
  } finally {
    freeGpuModel(model);
  }
}
