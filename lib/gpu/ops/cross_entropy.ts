/**
 * Softmax cross-entropy with a loss mask (kernels/cross_entropy.wgsl), forward and backward fused,
 * plus a forward-only variant for evaluation.
 */

import { GpuError, type Recorder, type Tensor } from "../context.ts";
import { dispatchRows, expectDims, expectSize, params } from "./launch.ts";

/** Dimensions and gradient scale of a cross-entropy call. */
export interface CrossEntropyOptions {
  rows: number;
  vocab: number;
  /** dlogits multiplier, e.g. 1 / sum(mask) for a mean over unmasked tokens. */
  factor: number;
}

function check(op: string, logits: Tensor, targets: Tensor, mask: Tensor, loss: Tensor, o: {
  rows: number;
  vocab: number;
}): void {
  expectDims(op, { rows: o.rows, vocab: o.vocab });
  expectSize(op, "logits", logits, o.rows * o.vocab);
  expectSize(op, "targets", targets, o.rows);
  expectSize(op, "mask", mask, o.rows);
  expectSize(op, "loss", loss, o.rows);
}

/**
 * loss[n] = mask[n] (logsumexp(logits[n]) - logits[n, targets[n]]) and
 * dlogits = factor * mask[n] (softmax(logits[n]) - onehot(targets[n])). logits/dlogits [N, V],
 * targets [N] u32, mask/loss [N] f32. Targets of rows with mask 0 are never read.
 */
export function crossEntropy(
  r: Recorder,
  loss: Tensor,
  dlogits: Tensor,
  logits: Tensor,
  targets: Tensor,
  mask: Tensor,
  o: CrossEntropyOptions,
): void {
  check("crossEntropy", logits, targets, mask, loss, o);
  expectSize("crossEntropy", "dlogits", dlogits, o.rows * o.vocab);
  if (dlogits.buffer === logits.buffer) {
    throw new GpuError("crossEntropy: dlogits must not alias logits");
  }
  dispatchRows(
    r,
    "crossEntropy",
    { file: "cross_entropy.wgsl", entry: "cross_entropy_fwd_bwd", rows: o.rows, cols: o.vocab },
    params([{ u: o.rows }, { u: o.vocab }, { f: o.factor }, { u: 0 }]),
    [logits.buffer, targets.buffer, mask.buffer, loss.buffer, dlogits.buffer],
  );
}

/** Loss only: loss[n] = mask[n] (logsumexp(logits[n]) - logits[n, targets[n]]). */
export function crossEntropyLoss(
  r: Recorder,
  loss: Tensor,
  logits: Tensor,
  targets: Tensor,
  mask: Tensor,
  o: { rows: number; vocab: number },
): void {
  check("crossEntropyLoss", logits, targets, mask, loss, o);
  dispatchRows(
    r,
    "crossEntropyLoss",
    { file: "cross_entropy.wgsl", entry: "cross_entropy_fwd", rows: o.rows, cols: o.vocab },
    params([{ u: o.rows }, { u: o.vocab }, { f: 0 }, { u: 0 }]),
    [logits.buffer, targets.buffer, mask.buffer, loss.buffer],
  );
}
