/**
 * Log-probabilities of chosen tokens with their backward (kernels/logprob.wgsl), and per-row
 * entropy for metrics (kernels/entropy.wgsl). Both use softmax(scale * logits), where scale is
 * 1 / temperature when the policy was sampled with a temperature.
 */

import { GpuError, type Recorder, type Tensor } from "../context.ts";
import { dispatchRows, expectDims, expectSize, params } from "./launch.ts";

/** Dimensions and logit scale of a log-probability or entropy call. */
export interface LogprobOptions {
  rows: number;
  vocab: number;
  /** Logit multiplier before the softmax (1 / temperature; 1 for plain logits). */
  scale: number;
}

function uniforms(o: LogprobOptions): Uint8Array {
  expectDims("logprob", { rows: o.rows, vocab: o.vocab });
  if (!(o.scale > 0) || !Number.isFinite(o.scale)) {
    throw new GpuError(`logprob: scale must be positive and finite, got ${o.scale}`);
  }
  return params([{ u: o.rows }, { u: o.vocab }, { f: o.scale }, { u: 0 }]);
}

/** logp[n] = log softmax(scale * logits[n])[targets[n]]; logits [N, V], targets [N] u32 (< V). */
export function logprobForward(
  r: Recorder,
  logp: Tensor,
  logits: Tensor,
  targets: Tensor,
  o: LogprobOptions,
): void {
  const u = uniforms(o);
  expectSize("logprobForward", "logits", logits, o.rows * o.vocab);
  expectSize("logprobForward", "targets", targets, o.rows);
  expectSize("logprobForward", "logp", logp, o.rows);
  dispatchRows(
    r,
    "logprobForward",
    { file: "logprob.wgsl", entry: "logprob_fwd", rows: o.rows, cols: o.vocab },
    u,
    [logits.buffer, targets.buffer, logp.buffer],
  );
}

/** dlogits[n] = g[n] * scale * (onehot(targets[n]) - softmax(scale * logits[n])) (overwritten). */
export function logprobBackward(
  r: Recorder,
  dlogits: Tensor,
  logits: Tensor,
  targets: Tensor,
  g: Tensor,
  o: LogprobOptions,
): void {
  const u = uniforms(o);
  expectSize("logprobBackward", "logits", logits, o.rows * o.vocab);
  expectSize("logprobBackward", "dlogits", dlogits, o.rows * o.vocab);
  expectSize("logprobBackward", "targets", targets, o.rows);
  expectSize("logprobBackward", "g", g, o.rows);
  if (dlogits.buffer === logits.buffer) {
    throw new GpuError("logprobBackward: dlogits must not alias logits");
  }
  dispatchRows(
    r,
    "logprobBackward",
    { file: "logprob.wgsl", entry: "logprob_bwd", rows: o.rows, cols: o.vocab },
    u,
    [logits.buffer, targets.buffer, g.buffer, dlogits.buffer],
  );
}

/** entropy[n] = -sum_i p_i log p_i of softmax(scale * logits[n]); logits [N, V]. No backward. */
export function entropyForward(
  r: Recorder,
  entropy: Tensor,
  logits: Tensor,
  o: LogprobOptions,
): void {
  const u = uniforms(o);
  expectSize("entropyForward", "logits", logits, o.rows * o.vocab);
  expectSize("entropyForward", "entropy", entropy, o.rows);
  dispatchRows(
    r,
    "entropyForward",
    { file: "entropy.wgsl", entry: "entropy_fwd", rows: o.rows, cols: o.vocab },
    u,
    [logits.buffer, entropy.buffer],
  );
}
