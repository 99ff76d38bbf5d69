/**
 * What the GRPO trainer needs from a model and a task, as two narrow interfaces. The VLM adapter
 * (lib/train/rl/vlm_policy.ts) implements `RlPolicy` over lib/model; tests use a tabular policy.
 */
import type { Tensor } from "../../gpu/context.ts";

/** One training prompt with its ground truth. */
export interface RlPrompt {
  /** Human-readable prompt text (stored with sampled completions). */
  text: string;
  /** Ground-truth option letter, compared by the accuracy reward. */
  answer: string;
  /** Option texts in letter order. */
  choices: readonly string[];
  /** Whatever the policy needs to condition on (token ids, image, ...); opaque to the trainer. */
  input: unknown;
}

/** The source of prompts: the same (step, n) always returns the same prompts. */
export interface RlTask {
  prompts(step: number, n: number): RlPrompt[];
}

/** One sampled completion. */
export interface RlSample {
  /** Generated token ids, including the stop token (`</answer>` or EOS) when one was produced. */
  tokens: number[];
  /** Decoded text of the generated tokens, without EOS. */
  text: string;
  /** True when generation reached the completion limit without a stop token. */
  truncated: boolean;
}

/** Sampling request for one step: `groupSize` completions of each prompt, prompt-major. */
export interface GenerateRequest {
  prompts: RlPrompt[];
  groupSize: number;
  maxCompletion: number;
  temperature: number;
  topP: number;
  /** 0 = off. */
  topK: number;
  /** Job seed and step: sampling is a pure function of (weights, prompts, seed, step). */
  seed: number;
  step: number;
}

/** Completions to score: `prompts[i]` is the prompt of `completions[i]` (B rows, padded to T). */
export interface PolicyBatch {
  prompts: RlPrompt[];
  completions: number[][];
  /** Padded completion length T of the [B, T] tensors. */
  maxLen: number;
}

/** Optimizer settings for one update. */
export interface StepOptions {
  lr: number;
  weightDecay: number;
  /** Clip the global gradient norm to this (<= 0: no clipping). */
  gradClip: number;
}

/** A policy that can score its completions' tokens: log-probs only (the frozen reference). */
export interface LogprobModel {
  /**
   * Per-token log-prob of each completion token given prompt and prefix, written to `out`
   * [B, T] (padding positions: any finite value). With `entropy`, also the per-token entropy of
   * the next-token distribution. Keeps what `backward` needs for this batch.
   */
  logprobs(batch: PolicyBatch, out: Tensor, entropy: Tensor | null): Promise<void>;
}

/** The trainable policy. */
export interface RlPolicy extends LogprobModel {
  generate(req: GenerateRequest): Promise<RlSample[]>;
  /** Accumulate parameter gradients from dL/dlogp [B, T] of the last `logprobs` call. */
  backward(batch: PolicyBatch, dlogp: Tensor): Promise<void>;
  /** Clip, apply AdamW, zero the gradients; returns the global grad norm before clipping. */
  step(opt: StepOptions): Promise<number>;
  /** A frozen copy of the current weights, for the KL reference (β > 0). */
  freeze(): Promise<LogprobModel>;
  /** Weights and optimizer state, for checkpoints. */
  saveState(): Promise<Uint8Array>;
  loadState(state: Uint8Array): Promise<void>;
}
