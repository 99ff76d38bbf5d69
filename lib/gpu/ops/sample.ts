/**
 * On-GPU token sampling (kernels/sample.wgsl): greedy, or temperature with optional top-k and
 * top-p, drawing one Philox uniform per (seed, step, sequence id, position) so a sequence's
 * tokens do not depend on which other sequences share its batch.
 */

import { GpuError, kernel, type Recorder, type Tensor } from "../context.ts";
import { seedKey } from "../philox.ts";
import { expectDims, expectSize, grid1d, gridRows, params } from "./launch.ts";
import { loopBudget } from "./util.ts";

/** Sampling settings and dimensions, all explicit. */
export interface SampleOptions {
  batch: number;
  vocab: number;
  /** Job seed (non-negative safe integer): the Philox key. */
  seed: number;
  /** Training/eval step (u32): part of the Philox counter. */
  step: number;
  /** 0 = greedy (argmax, lowest index on ties); otherwise logits are divided by it. */
  temperature: number;
  /** Keep the k most likely tokens; 0 = off. */
  topK: number;
  /** Keep the smallest most-likely set with at least this share of the mass; 1 = off. */
  topP: number;
}

/**
 * tokens[b] = a draw from softmax(logits[b] / temperature) restricted by top-k then top-p, with
 * uniform Philox(key = seed, counter = (positions[b], seqIds[b], step, 0)). logits [B, V],
 * seqIds/positions/tokens [B] u32.
 */
export function sampleTokens(
  r: Recorder,
  tokens: Tensor,
  logits: Tensor,
  seqIds: Tensor,
  positions: Tensor,
  o: SampleOptions,
): void {
  sampleTokensWith(r, tokens, logits, seqIds, positions, o, "auto");
}

/** Which sampling kernel runs: one thread per sequence, one workgroup per sequence, or by width. */
export type SampleVariant = "auto" | "thread" | "workgroup";

/**
 * Widest vocabulary for the thread-per-sequence sampler. With top-k and top-p on, one thread runs
 * about (71 + log2 V) * V loop iterations, and llvmpipe silently stops any invocation's loops
 * after 65535 iterations in total (measured: a 70000-iteration loop ran 65535 times), so the
 * thread variant must stay well below V = 800.
 */
export const SAMPLE_THREAD_MAX_VOCAB = 512;

/**
 * sampleTokens with an explicit kernel variant (both give the same tokens; `auto` picks one
 * thread per sequence up to SAMPLE_THREAD_MAX_VOCAB vocabulary entries). For tests and benches.
 */
export function sampleTokensWith(
  r: Recorder,
  tokens: Tensor,
  logits: Tensor,
  seqIds: Tensor,
  positions: Tensor,
  o: SampleOptions,
  variant: SampleVariant,
): void {
  expectDims("sampleTokens", { batch: o.batch, vocab: o.vocab });
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) {
    throw new GpuError(`sampleTokens: temperature must be finite and >= 0, got ${o.temperature}`);
  }
  if (!Number.isInteger(o.topK) || o.topK < 0) {
    throw new GpuError(`sampleTokens: topK must be a non-negative integer, got ${o.topK}`);
  }
  if (!(o.topP > 0 && o.topP <= 1)) {
    throw new GpuError(`sampleTokens: topP must be in (0, 1], got ${o.topP}`);
  }
  if (!Number.isInteger(o.step) || o.step < 0 || o.step > 0xffffffff) {
    throw new GpuError(`sampleTokens: step must be a u32, got ${o.step}`);
  }
  expectSize("sampleTokens", "logits", logits, o.batch * o.vocab);
  expectSize("sampleTokens", "seqIds", seqIds, o.batch);
  expectSize("sampleTokens", "positions", positions, o.batch);
  expectSize("sampleTokens", "tokens", tokens, o.batch);
  if (variant === "thread" && o.vocab > SAMPLE_THREAD_MAX_VOCAB) {
    throw new GpuError(
      `sampleTokens: the thread-per-sequence kernel takes at most ${SAMPLE_THREAD_MAX_VOCAB} ` +
        `vocabulary entries, got ${o.vocab}`,
    );
  }
  const thread = variant === "thread" ||
    (variant === "auto" && o.vocab <= SAMPLE_THREAD_MAX_VOCAB);
  if (!thread) {
    // The workgroup kernel: up to 64 + log2(V) bisection steps, each a pass over 1/64 of the
    // row and a 64-step reduction (the thread kernel is bounded by SAMPLE_THREAD_MAX_VOCAB).
    const steps = 2 * 32 + Math.ceil(Math.log2(o.vocab + 1)) + 4;
    loopBudget(r.gpu, "sampleTokens", steps * (Math.ceil(o.vocab / 64) + 66), `vocab ${o.vocab}`);
  }
  const entry = thread ? "sample_rows" : "sample";
  const wg = thread ? grid1d(o.batch, 64) : gridRows(o.batch);
  const [lo, hi] = seedKey(o.seed);
  r.dispatch(
    kernel(r.gpu, { file: ["philox.wgsl", "sample.wgsl"], entry }),
    params([
      { u: o.batch },
      { u: o.vocab },
      { u: lo },
      { u: hi },
      { u: o.step },
      { u: o.topK },
      { f: o.temperature },
      { f: o.topP },
    ]),
    [logits.buffer, seqIds.buffer, positions.buffer, tokens.buffer],
    wg,
    entry,
  );
}
