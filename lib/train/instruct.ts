/** The `instruct` job kind: chat-formatted SFT of the base model to answer directly. */
import type { JobContext, JobKind } from "../runner/kind.ts";
import { modelConfig } from "../model/config.ts";
import { trainPool, VOCAB_SIZE } from "../tasks/mod.ts";
import { instructExample } from "./corpus.ts";
import { readData, readInstruct, readModel, readSeed } from "./sections.ts";
import { loadInputParams, runSupervised, type TrainerOptions } from "./supervised.ts";

/** Instruction-tune the input (base) model on chat turns. */
export async function runInstruct(ctx: JobContext, options: TrainerOptions): Promise<void> {
  const c = ctx.job.config;
  const seed = readSeed(c), data = readData(c), hp = readInstruct(c);
  const config = modelConfig(readModel(c), VOCAB_SIZE, data.image_size);
  const pool = trainPool(seed, data);
  await runSupervised({
    ctx,
    hp,
    config,
    initial: () => loadInputParams(ctx, config),
    example: (i) => instructExample(pool, i),
    style: { template: "chat", reasoning: false },
    options,
  });
}

/** The kind. */
export function instructKind(options: TrainerOptions): JobKind {
  return { name: "instruct", run: (ctx) => runInstruct(ctx, options) };
}
