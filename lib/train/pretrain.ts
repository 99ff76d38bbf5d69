/** The `pretrain` job kind: the base model, next-token prediction on the mixed corpus. */
import type { JobContext, JobKind } from "../runner/kind.ts";
import { imageTokens, modelConfig } from "../model/config.ts";
import { initParams } from "../model/params.ts";
import { trainPool, VOCAB_SIZE } from "../tasks/mod.ts";
import { pretrainExample } from "./corpus.ts";
import { readData, readModel, readPretrain, readSeed } from "./sections.ts";
import { runSupervised, type TrainerOptions } from "./supervised.ts";

/** Pretrain a fresh model (weights from the job seed) on describe/direct/trace documents. */
export async function runPretrain(ctx: JobContext, options: TrainerOptions): Promise<void> {
  const c = ctx.job.config;
  const seed = readSeed(c), data = readData(c), hp = readPretrain(c);
  const config = modelConfig(readModel(c), VOCAB_SIZE, data.image_size);
  const pool = trainPool(seed, data);
  const maxTokens = config.max_seq - imageTokens(config) + 1;
  await runSupervised({
    ctx,
    hp,
    config,
    initial: () => Promise.resolve(initParams(config, seed)),
    example: (i) =>
      pretrainExample(pool, hp.mix, data.trace_error_rate, i, maxTokens, hp.phrasings),
    style: { template: "r1_zero", reasoning: true },
    options,
  });
}

/** The kind. */
export function pretrainKind(options: TrainerOptions): JobKind {
  return { name: "pretrain", run: (ctx) => runPretrain(ctx, options) };
}
