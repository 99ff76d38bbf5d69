/**
 * The RL prompt source on the `sat` training pool: prompt j of step s is pool question
 * `s * prompts_per_step + j` (stateless, so resumes draw the same prompts), in the R1-Zero
 * template for base models or the chat template (asking for think-then-answer) for instruct ones.
 */
import {
  buildPrompt,
  encode,
  questionText,
  satSample,
  SPECIAL,
  type TemplateName,
  type TrainPool,
} from "../../tasks/mod.ts";
import type { RlPrompt, RlTask } from "./policy.ts";

/** What a VLM prompt carries to the policy: text token ids (with BOS) and the image. */
export interface VlmPromptInput {
  tokens: number[];
  /** [image_size, image_size, 3] row-major in [0, 1]. */
  image: Float32Array;
}

/** `rl.template` resolved against the arm's init (auto: chat for instruct, R1-Zero for base). */
export function resolveTemplate(
  template: "auto" | "r1_zero" | "chat",
  init: "base" | "instruct",
): TemplateName {
  if (template !== "auto") return template;
  return init === "instruct" ? "chat" : "r1_zero";
}

/** The prompt token ids the model sees: BOS then the prompt text. */
export function promptTokens(text: string): number[] {
  return [SPECIAL.bos, ...encode(text)];
}

/** Prompts from the training pool for steps of `perStep` prompts. */
export function satRlTask(pool: TrainPool, template: TemplateName): RlTask {
  return {
    prompts(step: number, n: number): RlPrompt[] {
      return Array.from({ length: n }, (_, j) => {
        const q = satSample(pool, step * n + j);
        const text = buildPrompt(template, questionText(q), true);
        const input: VlmPromptInput = { tokens: promptTokens(text), image: q.image };
        return { text, answer: q.answer, choices: q.choices, input };
      });
    },
  };
}
