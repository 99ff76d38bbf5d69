/**
 * The `sft` job kind: the SFT arm, fine-tuning on the `sat` training answers (with reasoning
 * traces when `sft.traces`), in the template of the arm's init (R1-Zero for base, chat for
 * instruct; chat prompts ask for reasoning exactly when the targets contain it).
 */
import type { JobContext, JobKind } from "../runner/kind.ts";
import { modelConfig } from "../model/config.ts";
import { trainPool, VOCAB_SIZE } from "../tasks/mod.ts";
import { type PromptStyle, sftExample } from "./corpus.ts";
import { readData, readInit, readModel, readSeed, readSft } from "./sections.ts";
import { loadInputParams, runSupervised, type TrainerOptions } from "./supervised.ts";

/** The prompt style of an SFT arm. */
export function sftStyle(init: "base" | "instruct", traces: boolean): PromptStyle {
  return init === "base"
    ? { template: "r1_zero", reasoning: true }
    : { template: "chat", reasoning: traces };
}

/** Fine-tune the input model on sat answers. */
export async function runSft(ctx: JobContext, options: TrainerOptions): Promise<void> {
  const c = ctx.job.config;
  const seed = readSeed(c), data = readData(c), hp = readSft(c);
  const config = modelConfig(readModel(c), VOCAB_SIZE, data.image_size);
  const pool = trainPool(seed, data);
  const style = sftStyle(readInit(c), hp.traces);
  await runSupervised({
    ctx,
    hp,
    config,
    initial: () => loadInputParams(ctx, config),
    example: (i) => sftExample(pool, style, hp.traces, data.trace_error_rate, i),
    style,
    options,
  });
}

/** The kind. */
export function sftKind(options: TrainerOptions): JobKind {
  return { name: "sft", run: (ctx) => runSft(ctx, options) };
}
