/**
 * Prompt templates and answer extraction. Two templates, as in the papers: the R1-Zero template
 * for base models (the assistant thinks inside `<think> </think>` then answers inside
 * `<answer> </answer>`) and a chat-formatted one for instruct models. Texts are in the closed
 * vocabulary of `tokenizer.ts`; prompts carry no image token (the model prepends the image prefix).
 */
import { LETTERS } from "./questions.ts";

export type TemplateName = "r1_zero" | "chat";

/** The R1-Zero instruction, shortened to fit this world's vocabulary and small context. */
export const R1_ZERO_PREAMBLE = "a conversation between user and assistant . " +
  "the assistant first thinks about the reasoning process and then gives the answer , " +
  "enclosed in <think> </think> and <answer> </answer> tags .";

/** The instruction a chat prompt adds when it asks for reasoning (RL on instruct models). */
export const CHAT_REASONING_INSTRUCTION =
  "first think about the reasoning process inside <think> </think> , " +
  "then give the answer inside <answer> </answer> .";

export const CHAT_SYSTEM = "you are a helpful assistant .";
/** The user request of a description turn (instruct data). */
export const DESCRIBE_REQUEST = "describe the image .";
export const IM_START = "<|im_start|>";
export const IM_END = "<|im_end|>";

/** R1-Zero prompt for a question (with its options); the completion follows "assistant :". */
export function r1ZeroPrompt(question: string): string {
  return `${R1_ZERO_PREAMBLE} user : ${question} assistant :`;
}

/** Chat prompt ending with the assistant header; `reasoning` adds the think-then-answer request. */
export function chatPrompt(question: string, reasoning: boolean): string {
  const user = reasoning ? `${question} ${CHAT_REASONING_INSTRUCTION}` : question;
  return `${IM_START} system ${CHAT_SYSTEM} ${IM_END} ${IM_START} user ${user} ${IM_END} ` +
    `${IM_START} assistant`;
}

/** The prompt of `template` for a question; chat prompts ask for reasoning when `reasoning`. */
export function buildPrompt(template: TemplateName, question: string, reasoning: boolean): string {
  return template === "r1_zero" ? r1ZeroPrompt(question) : chatPrompt(question, reasoning);
}

/** A reasoned completion: `<think> trace </think> <answer> X </answer>`. */
export function thinkCompletion(trace: string, letter: string): string {
  return `<think> ${trace} </think> <answer> ${letter} </answer>`;
}

/** A direct completion: `<answer> X </answer>`. */
export function answerCompletion(letter: string): string {
  return `<answer> ${letter} </answer>`;
}

/** Where an extracted answer came from. */
export type AnswerSource = "tag" | "fallback" | "none";

/** The option letter a completion gives, and how it was found. */
export interface ExtractedAnswer {
  answer: string | null;
  source: AnswerSource;
}

/** The letter of the last option named in `words` (a letter token, else an option text). */
function lastOption(words: string[], choices: readonly string[]): string | null {
  const letters = LETTERS.slice(0, choices.length) as readonly string[];
  for (let i = words.length - 1; i >= 0; i--) {
    if (letters.includes(words[i])) return words[i];
  }
  let best: { end: number; len: number; letter: string } | null = null;
  choices.forEach((c, k) => {
    const cw = c.split(" ");
    for (let i = words.length - cw.length; i >= 0; i--) {
      if (cw.every((w, j) => words[i + j] === w)) {
        const end = i + cw.length;
        // The option ending last wins; on a tie the longer one ("red circle" over "circle").
        if (!best || end > best.end || (end === best.end && cw.length > best.len)) {
          best = { end, len: cw.length, letter: letters[k] };
        }
        break;
      }
    }
  });
  return best === null ? null : (best as { letter: string }).letter;
}

/**
 * Extract the chosen option letter from a completion.
 * 1. Tag: the content of the last complete `<answer> … </answer>`; within it the last option
 *    letter, else the option text that ends last.
 * 2. Fallback (no complete tag, or a tag naming no option): the same search over the text after
 *    the last `</think>` (the whole text if there is none).
 * Returns `{ answer: null, source: "none" }` when neither names an option.
 */
export function extractAnswer(text: string, choices: readonly string[]): ExtractedAnswer {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  const close = words.lastIndexOf("</answer>");
  if (close >= 0) {
    const open = words.lastIndexOf("<answer>", close);
    if (open >= 0) {
      const hit = lastOption(words.slice(open + 1, close), choices);
      if (hit) return { answer: hit, source: "tag" };
    }
  }
  const think = words.lastIndexOf("</think>");
  const hit = lastOption(words.slice(think + 1), choices);
  return hit ? { answer: hit, source: "fallback" } : { answer: null, source: "none" };
}

/**
 * True when a completion has exactly the R1-Zero shape `<think> … </think> <answer> … </answer>`
 * (non-empty answer; trailing `<eos>` / `<|im_end|>` / `<pad>` ignored).
 */
export function hasThinkAnswerFormat(text: string): boolean {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  while (words.length && ["<eos>", IM_END, "<pad>"].includes(words[words.length - 1])) words.pop();
  const tags = ["<think>", "</think>", "<answer>", "</answer>"];
  const at = words.map((w, i) => tags.includes(w) ? i : -1).filter((i) => i >= 0);
  if (at.length !== 4) return false;
  const [t0, t1, a0, a1] = at;
  return words[t0] === "<think>" && t0 === 0 && words[t1] === "</think>" &&
    words[a0] === "<answer>" && a0 === t1 + 1 && words[a1] === "</answer>" &&
    a1 === words.length - 1 && a1 - a0 >= 2;
}
