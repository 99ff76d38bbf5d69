/**
 * Training examples for the supervised trainers, and their packing into model batches.
 * Every example is a pure function of (pool, seed, index), so a resumed job sees the same data.
 *
 * Formats (texts in the closed vocabulary; `<bos>` first; loss marks which tokens are predicted):
 * - pretrain `describe`: `<bos> {scene description} <eos>`, loss on every token;
 * - pretrain `direct`:   `<bos> {R1-Zero prompt} <answer> X </answer> <eos>`, loss on every token;
 * - pretrain `trace`:    `<bos> {R1-Zero prompt} <think> … </think> <answer> X </answer> <eos>`;
 *   a question document too long for the context uses the prompt without its preamble
 *   (`user : … assistant :`), and is truncated only if even that does not fit;
 * - instruct: chat turns answering directly (`<answer> X </answer> <|im_end|>`) or describing the
 *   image on request, loss on the assistant's tokens only;
 * - sft: the arm's template (R1-Zero for base, chat for instruct) with `<answer> X </answer>` or,
 *   with traces, `<think> trace </think> <answer> X </answer>`; loss on the completion only.
 */
import {
  answerCompletion,
  buildPrompt,
  chatPrompt,
  DESCRIBE_REQUEST,
  describeScene,
  encode,
  type Phrasings,
  poolScene,
  questionText,
  rng,
  type Sample,
  sampleTrace,
  satSample,
  SPECIAL,
  type TemplateName,
  thinkCompletion,
  tokenId,
  type TrainPool,
} from "../tasks/mod.ts";
import type { LossBatch } from "../model/gpu_model.ts";

/** One training sequence: `tokens` with `loss[i] = 1` where token i is a prediction target. */
export interface Example {
  image: Float32Array;
  tokens: number[];
  loss: number[];
  /** The document kind, for diagnostics. */
  kind: "describe" | "direct" | "trace" | "chat_answer" | "chat_describe" | "sft";
}

/** How a fine-tuned model is prompted; recorded in its `model.bin` so eval prompts it the same. */
export interface PromptStyle {
  template: TemplateName;
  /** Chat prompts only: whether the user turn asks for think-then-answer. */
  reasoning: boolean;
}

const END: Record<TemplateName, number> = { r1_zero: SPECIAL.eos, chat: SPECIAL.im_end };

/** `<bos> prompt completion <end>`, loss on completion and end (and on the prompt if `all`). */
function sequence(
  image: Float32Array,
  prompt: string,
  completion: string,
  end: number,
  all: boolean,
  kind: Example["kind"],
): Example {
  const p = [SPECIAL.bos, ...encode(prompt)];
  const c = [...encode(completion), end];
  return {
    image,
    tokens: [...p, ...c],
    loss: [...p.map((_, i) => (all && i > 0 ? 1 : 0)), ...c.map(() => 1)],
    kind,
  };
}

/** Shares of the pretraining mix. */
export interface Mix {
  describe: number;
  direct: number;
  trace: number;
}

/** Pretraining document `index` (of at most `maxTokens` tokens before truncation). */
export function pretrainExample(
  pool: TrainPool,
  mix: Mix,
  errorRate: number,
  index: number,
  maxTokens: number,
  phrasings: Phrasings,
): Example {
  const r = rng(pool.seed, `pretrain/doc/${index}`);
  const total = mix.describe + mix.direct + mix.trace;
  const u = r.float() * total;
  if (u < mix.describe) {
    const { scene, image } = poolScene(pool, r.int(pool.scenes.length));
    return sequence(image, "", describeScene(scene, r), SPECIAL.eos, true, "describe");
  }
  const kind = u < mix.describe + mix.direct ? "direct" : "trace";
  const s = satSample(pool, index, "pretrain", phrasings);
  const completion = kind === "direct"
    ? answerCompletion(s.answer)
    : thinkCompletion(sampleTrace(s, pool.seed, errorRate).text, s.answer);
  const q = questionText(s);
  const full = sequence(
    s.image,
    buildPrompt("r1_zero", q, false),
    completion,
    SPECIAL.eos,
    true,
    kind,
  );
  if (full.tokens.length <= maxTokens) return full;
  return sequence(s.image, `user : ${q} assistant :`, completion, SPECIAL.eos, true, kind);
}

/** Instruction-tuning example `index`: 30% describe requests, else direct answers to questions. */
export function instructExample(pool: TrainPool, index: number): Example {
  const r = rng(pool.seed, `instruct/doc/${index}`);
  if (r.float() < 0.3) {
    const { scene, image } = poolScene(pool, r.int(pool.scenes.length));
    const prompt = chatPrompt(DESCRIBE_REQUEST, false);
    return sequence(image, prompt, describeScene(scene, r), SPECIAL.im_end, false, "chat_describe");
  }
  const s = satSample(pool, index, "instruct");
  const prompt = chatPrompt(questionText(s), false);
  return sequence(
    s.image,
    prompt,
    answerCompletion(s.answer),
    SPECIAL.im_end,
    false,
    "chat_answer",
  );
}

/** The prompt text of a sample in a style (what eval and SFT show the model). */
export function promptText(s: Sample, style: PromptStyle): string {
  return buildPrompt(style.template, questionText(s), style.reasoning);
}

/** SFT example `index` on the sat answers, in `style`, with or without reasoning traces. */
export function sftExample(
  pool: TrainPool,
  style: PromptStyle,
  traces: boolean,
  errorRate: number,
  index: number,
): Example {
  const s = satSample(pool, index, "sft");
  const completion = traces
    ? thinkCompletion(sampleTrace(s, pool.seed, errorRate).text, s.answer)
    : answerCompletion(s.answer);
  return sequence(s.image, promptText(s, style), completion, END[style.template], false, "sft");
}

/** Token ids that end a generated completion. */
export function stopIds(): Set<number> {
  return new Set([tokenId("</answer>"), SPECIAL.eos, SPECIAL.im_end]);
}

/**
 * Pack examples into a batch of `textLen` text positions: inputs are tokens[0..L-2], targets
 * tokens[1..L-1] (shifted), mask the target's loss flag; longer examples are truncated, shorter
 * ones padded (pad targets carry no loss). Returns the batch and the count of real text tokens.
 */
export function packBatch(
  examples: Example[],
  textLen: number,
  imageSize: number,
): { batch: LossBatch; textTokens: number; truncated: number } {
  const B = examples.length, T = textLen, hw = imageSize * imageSize * 3;
  const tokens = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  const mask = new Float32Array(B * T);
  const images = new Float32Array(B * hw);
  let textTokens = 0, truncated = 0;
  examples.forEach((ex, b) => {
    if (ex.image.length !== hw) {
      throw new RangeError(`example image has ${ex.image.length} values, expected ${hw}`);
    }
    images.set(ex.image, b * hw);
    const n = Math.min(ex.tokens.length - 1, T);
    if (ex.tokens.length - 1 > T) truncated++;
    for (let t = 0; t < n; t++) {
      tokens[b * T + t] = ex.tokens[t];
      targets[b * T + t] = ex.tokens[t + 1];
      mask[b * T + t] = ex.loss[t + 1];
    }
    textTokens += n;
  });
  return { batch: { batch: B, seq: T, images, tokens, targets, mask }, textTokens, truncated };
}
