/**
 * Closed-vocabulary word-level tokenizer. Texts are words separated by single spaces; every word
 * must be in the vocabulary, except integers, which are spelt digit by digit ("12" → `1`, `##2`),
 * so any number round-trips with 20 digit tokens. `decode(encode(t)) === t` for every canonical
 * text (single spaces, no leading/trailing space), which is all the generators produce.
 */
import { COLOURS, SHAPES } from "./world.ts";
import { countNoun, LETTERS, RELATION_WORDS, TEMPLATES } from "./questions.ts";
import { CORRECTIONS } from "./traces.ts";
import {
  CHAT_REASONING_INSTRUCTION,
  CHAT_SYSTEM,
  DESCRIBE_REQUEST,
  R1_ZERO_PREAMBLE,
} from "./prompts.ts";

/** Special tokens, in id order. */
export const SPECIAL_TOKENS = [
  "<pad>",
  "<bos>",
  "<eos>",
  "<image>",
  "<|im_start|>",
  "<|im_end|>",
  "<think>",
  "</think>",
  "<answer>",
  "</answer>",
] as const;

/** Ids of the special tokens. */
export const SPECIAL = {
  pad: 0,
  bos: 1,
  eos: 2,
  image: 3,
  im_start: 4,
  im_end: 5,
  think_start: 6,
  think_end: 7,
  answer_start: 8,
  answer_end: 9,
} as const;

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const PUNCTUATION = [".", ",", "?", ":", ";", "(", ")", "+", "=", "<", ">"];

/** Words that appear only inside trace and description code (not in exported templates). */
const CODE_WORDS = [
  // traces
  "x y depth not so is closer farther at count none i missed the",
  // descriptions
  "there are objects image shows from left to right a size",
].join(" ");

function wordsOf(...texts: readonly string[]): string[] {
  return texts.flatMap((t) =>
    t.replace(/\{\w\}/g, " ").split(" ").filter((w) => w.length > 0 && !/^\d+$/.test(w))
  );
}

function buildVocab(): readonly string[] {
  const templateTexts = Object.values(TEMPLATES).flatMap((byKind) =>
    Object.values(byKind).flatMap((ts) => ts as readonly string[])
  );
  const nouns = [
    ...SHAPES.map((s) => countNoun("shape", s)),
    ...COLOURS.map((c) => countNoun("colour", c)),
  ];
  const words = new Set(
    wordsOf(
      ...templateTexts,
      ...nouns,
      ...CORRECTIONS,
      R1_ZERO_PREAMBLE,
      CHAT_REASONING_INSTRUCTION,
      CHAT_SYSTEM,
      DESCRIBE_REQUEST,
      CODE_WORDS,
      ...SHAPES,
      ...COLOURS,
      ...RELATION_WORDS,
      "system user assistant",
    ),
  );
  for (const s of [...SPECIAL_TOKENS, ...DIGITS, ...PUNCTUATION, ...LETTERS]) words.delete(s);
  return [
    ...SPECIAL_TOKENS,
    ...DIGITS,
    ...DIGITS.map((d) => `##${d}`),
    ...LETTERS,
    ...PUNCTUATION,
    ...[...words].sort(),
  ];
}

/** The vocabulary, id → token. */
export const VOCAB: readonly string[] = buildVocab();
export const VOCAB_SIZE = VOCAB.length;
const ID = new Map(VOCAB.map((w, i) => [w, i]));

/** Raised on text outside the closed vocabulary; names the word and its position. */
export class TokenizerError extends Error {
  constructor(message: string, readonly word: string, readonly index: number) {
    super(message);
    this.name = "TokenizerError";
  }
}

/** Token ids for a canonical text (no bos/eos added). */
export function encode(text: string): number[] {
  if (text.length === 0) return [];
  const out: number[] = [];
  const words = text.split(" ");
  words.forEach((w, i) => {
    const id = ID.get(w);
    if (id !== undefined) {
      out.push(id);
    } else if (/^\d+$/.test(w)) {
      out.push(ID.get(w[0])!);
      for (let k = 1; k < w.length; k++) out.push(ID.get(`##${w[k]}`)!);
    } else if (w === "") {
      throw new TokenizerError(
        `non-canonical spacing at word ${i} (texts are words joined by single spaces)`,
        w,
        i,
      );
    } else {
      throw new TokenizerError(`out-of-vocabulary word "${w}" at word ${i}`, w, i);
    }
  });
  return out;
}

/** Text of token ids; exact inverse of `encode` on canonical texts. */
export function decode(ids: readonly number[]): string {
  let s = "";
  ids.forEach((id, i) => {
    const w = VOCAB[id];
    if (w === undefined) throw new TokenizerError(`token id ${id} out of range`, String(id), i);
    if (w.startsWith("##")) s += w.slice(2);
    else s += (s.length > 0 ? " " : "") + w;
  });
  return s;
}

/** The id of a vocabulary word; throws `TokenizerError` for unknown words. */
export function tokenId(word: string): number {
  const id = ID.get(word);
  if (id === undefined) throw new TokenizerError(`out-of-vocabulary word "${word}"`, word, 0);
  return id;
}
