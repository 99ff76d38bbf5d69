/**
 * What the GRPO trainer needs from a model and a task, as two narrow interfaces. The VLM adapter
 * (lib/train/rl/vlm_policy.ts) implements `RlPolicy` over lib/model; tests use a tabular policy.
 *
 * Layout: a policy lays a batch out as `rows × cols` per-position log-probs in its own way (the
 * VLM: prompt and completion in one right-padded row, so completions start at different
 * columns). `positions[i][k]` says where completion i's token k sits (a flat index), which is all
 * the trainer needs to build the completion mask for the loss.
 */
import type { Recorder, Tensor } from "../../gpu/context.ts";

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

/** A batch of (prompt, completion) rows prepared by a policy for scoring and updates. */
export interface PolicyBatch {
  rows: number;
  cols: number;
  /** positions[i][k] = flat index (row-major, < rows*cols) of completion i's token k. */
  positions: number[][];
  /** The policy's own prepared data. */
  data: unknown;
}

/** Optimizer settings for one update. */
export interface StepOptions {
  lr: number;
  weightDecay: number;
  /** Clip the global gradient norm to this (<= 0: no clipping). */
  gradClip: number;
}

/**
 * The objective, recorded inside the policy's update step: given the per-position log-probs and
 * entropies [rows*cols] it records its work and returns the tensor holding dL/dlogp [rows*cols].
 */
export type RecordLoss = (r: Recorder, logp: Tensor, entropy: Tensor) => Tensor;

/** Anything that can score tokens: the frozen reference is one. */
export interface LogprobModel {
  /** Per-position log-probs [rows*cols] of the batch's tokens (forward only). */
  logprobs(batch: PolicyBatch): Promise<Float32Array<ArrayBuffer>>;
}

/** The trainable policy. */
export interface RlPolicy extends LogprobModel {
  generate(req: GenerateRequest): Promise<RlSample[]>;
  /** Lay out rows (prompt i with completion i) for scoring and updates. */
  prepare(prompts: RlPrompt[], samples: RlSample[]): PolicyBatch;
  /**
   * One update: forward to log-probs, `loss` (recorded in the same step), backward from its
   * dL/dlogp, clip and AdamW. Returns the global gradient norm before clipping.
   */
  update(batch: PolicyBatch, loss: RecordLoss, opt: StepOptions): Promise<number>;
  /** A frozen copy of the current weights, for the KL reference (β > 0). */
  freeze(): Promise<LogprobModel>;
  /** Weights and optimizer state, for checkpoints. */
  saveState(): Promise<Uint8Array>;
  loadState(state: Uint8Array): Promise<void>;
}
