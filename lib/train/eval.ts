/**
 * The `eval` job kind: greedy decoding on the `cvbench` benchmark, the answer extracted by
 * `extractAnswer` (the last `<answer>` tag's option, else the stated fallback), accuracy per
 * family with counts to `sink.evaluation`. The prompt style is the one recorded in the input
 * model's `model.bin` by the job that trained it.
 */
import type { JobContext, JobKind } from "../runner/kind.ts";
import { createGpuModel, freeGpuModel, type GpuModel } from "../model/gpu_model.ts";
import { generate } from "../model/generate.ts";
import { loadModel } from "../model/checkpoint.ts";
import { modelConfig } from "../model/config.ts";
import {
  cvbench,
  decode,
  encode,
  extractAnswer,
  FAMILIES,
  type Family,
  type Sample,
  SPECIAL,
  VOCAB_SIZE,
} from "../tasks/mod.ts";
import { type PromptStyle, promptText, stopIds } from "./corpus.ts";
import { readData, readEval, readModel, TrainConfigError } from "./sections.ts";
import { jobGpu, styleOf } from "./supervised.ts";

/** One scored benchmark item. */
export interface Scored {
  sample: Sample;
  prompt: string;
  completion: string;
  extracted: string | null;
  correct: boolean;
  truncated: boolean;
}

/** Per-family counts. */
export type FamilyCounts = Record<Family, { n: number; correct: number }>;

/** Greedy answers to `samples` in `style`, scored, in batches of `batchSize`. */
export async function evaluateSamples(
  model: GpuModel,
  samples: Sample[],
  style: PromptStyle,
  maxNew: number,
  batchSize: number,
  onBatch?: (done: number, total: number) => void,
): Promise<Scored[]> {
  const stop = stopIds();
  const out: Scored[] = [];
  for (let i = 0; i < samples.length; i += batchSize) {
    const chunk = samples.slice(i, i + batchSize);
    const prompts = chunk.map((s) => promptText(s, style));
    const hw = model.config.image_size * model.config.image_size * 3;
    const images = new Float32Array(chunk.length * hw);
    chunk.forEach((s, k) => images.set(s.image, k * hw));
    // Greedy (temperature 0): seed, step and sequence ids do not influence the result.
    const gen = await generate(model, {
      prompts: prompts.map((p) => [SPECIAL.bos, ...encode(p)]),
      images,
      seqIds: chunk.map((_, k) => i + k),
      maxNewTokens: maxNew,
      stopTokens: [...stop],
      temperature: 0,
      topK: 0,
      topP: 1,
      seed: 0,
      step: 0,
    });
    chunk.forEach((s, k) => {
      const completion = decode(gen.tokens[k]);
      const { answer } = extractAnswer(completion, s.choices);
      out.push({
        sample: s,
        prompt: prompts[k],
        completion,
        extracted: answer,
        correct: answer === s.answer,
        truncated: !gen.stopped[k],
      });
    });
    onBatch?.(Math.min(i + batchSize, samples.length), samples.length);
  }
  return out;
}

/** Counts per cvbench family. */
export function familyCounts(scored: Scored[]): FamilyCounts {
  const c = Object.fromEntries(FAMILIES.map((f) => [f, { n: 0, correct: 0 }])) as FamilyCounts;
  for (const s of scored) {
    c[s.sample.family].n++;
    if (s.correct) c[s.sample.family].correct++;
  }
  return c;
}

/** Evaluate the input model on cvbench; emits one evaluation row per family at step 0. */
export async function runEval(ctx: JobContext): Promise<void> {
  const c = ctx.job.config;
  const data = readData(c), ev = readEval(c);
  const config = modelConfig(readModel(c), VOCAB_SIZE, data.image_size);
  const dir = ctx.inputDirs.model;
  if (!dir) throw new TrainConfigError(`eval job ${ctx.job.id} has no input model`);
  const state = await loadModel(dir);
  if (JSON.stringify(state.config) !== JSON.stringify(config)) {
    throw new TrainConfigError(
      `input model ${dir}/model.bin does not match the eval's model config`,
    );
  }
  const style = styleOf(state.extra);
  if (!style) {
    throw new TrainConfigError(
      `${dir}/model.bin records no prompt style (extra.prompt = { template, reasoning }); ` +
        "the job that trained it must write one",
    );
  }
  const bench = cvbench(data);
  const model = createGpuModel(jobGpu(ctx), config, state.params);
  try {
    const scored = await evaluateSamples(
      model,
      bench,
      style,
      ev.max_new_tokens,
      ev.batch_size,
      (done, total) => ctx.progress(done, total),
    );
    const counts = familyCounts(scored);
    for (const f of FAMILIES) {
      ctx.sink.evaluation(0, ev.benchmark, f, counts[f].n, counts[f].correct);
    }
    // Two completions per family, for reading what the model does.
    for (const f of FAMILIES) {
      for (const s of scored.filter((x) => x.sample.family === f).slice(0, 2)) {
        ctx.sink.completion({
          step: 0,
          prompt: s.prompt,
          completion: s.completion,
          answer: s.sample.answer,
          reward: s.correct ? 1 : 0,
          extra: { truncated: s.truncated ? 1 : 0 },
        });
      }
    }
  } finally {
    freeGpuModel(model);
  }
}

/** The kind. */
export function evalKind(): JobKind {
  return { name: "eval", run: runEval };
}
