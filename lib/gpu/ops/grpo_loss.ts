/**
 * GRPO loss on the GPU: forward (per-token terms and their sums) and backward (dL/dlogp) in one
 * elementwise pass plus a one-workgroup reduction. Formulas: lib/train/rl/objective.ts.
 */
import {
  type Gpu,
  GpuError,
  kernelSource,
  pipeline,
  readback,
  type Recorder,
  type Tensor,
  tensor,
} from "../context.ts";

/** Scalars of the objective. `epsHigh` = `epsilon_high ?? epsilon`. */
export interface GrpoLossParams {
  epsLow: number;
  epsHigh: number;
  /** KL coefficient; 0 means `refLogp` is never read. */
  beta: number;
}

/** Buffers of one loss evaluation over B completions padded to T tokens. */
export interface GrpoLossBuffers {
  /** Current policy log-prob of each chosen token, f32[B*T]. */
  logp: Tensor;
  /** Log-probs at sampling time (μ = 1: pass `logp` itself), f32[B*T]. */
  oldLogp: Tensor;
  /** Frozen reference log-probs, f32[B*T]; any f32[B*T] tensor (e.g. `logp`) when beta = 0. */
  refLogp: Tensor;
  /** Completion mask, f32[B*T] of 0/1. */
  mask: Tensor;
  /** Advantages, f32[B]. */
  advantages: Tensor;
  /** Per-sequence aggregation weights w_i from `sequenceWeights`, f32[B]. */
  weights: Tensor;
  /** Output: dL/dlogp, f32[B*T]. */
  dlogp: Tensor;
  /** Scratch: per-token (w·m·l, m·k3, m·clipped, m·non-finite), f32[B*T*4]. */
  terms: Tensor;
  /** Output: Σ of terms, f32[4] = (loss, Σ m·k3, clipped count, non-finite input count). */
  totals: Tensor;
}

/** Allocate the op's outputs and scratch for B×T. */
export function grpoLossScratch(
  gpu: Gpu,
  nSeq: number,
  maxLen: number,
): Pick<GrpoLossBuffers, "dlogp" | "terms" | "totals"> {
  return {
    dlogp: tensor(gpu, [nSeq, maxLen], undefined, "grpo.dlogp"),
    terms: tensor(gpu, [nSeq, maxLen, 4], undefined, "grpo.terms"),
    totals: tensor(gpu, [4], undefined, "grpo.totals"),
  };
}

/** Record the loss forward + backward into a step. */
export function recordGrpoLoss(r: Recorder, b: GrpoLossBuffers, prm: GrpoLossParams): void {
  const [nSeq, maxLen] = [b.advantages.size, b.logp.size / Math.max(1, b.advantages.size)];
  const n = b.logp.size;
  for (const [name, t] of [["oldLogp", b.oldLogp], ["refLogp", b.refLogp], ["mask", b.mask]]) {
    if ((t as Tensor).size !== n) {
      throw new GpuError(`grpo_loss: ${name} has ${(t as Tensor).size} values, logp has ${n}`);
    }
  }
  if (!Number.isInteger(maxLen) || b.weights.size !== nSeq || b.dlogp.size !== n) {
    throw new GpuError(
      `grpo_loss: logp ${n} values is not B×T for B=${nSeq}; weights ${b.weights.size}, ` +
        `dlogp ${b.dlogp.size}`,
    );
  }
  if (b.terms.size < 4 * n || b.totals.size < 4) {
    throw new GpuError(`grpo_loss: terms needs ${4 * n} values and totals 4`);
  }
  const code = kernelSource("grpo_loss.wgsl");
  const params = new ArrayBuffer(32);
  new Uint32Array(params, 0, 2).set([n, maxLen]);
  new Float32Array(params, 8, 3).set([prm.epsLow, prm.epsHigh, prm.beta]);
  const u = new Uint8Array(params);
  const groups = Math.ceil(n / 256);
  const maxWg = r.gpu.device.limits.maxComputeWorkgroupsPerDimension;
  const gx = Math.min(groups, maxWg);
  const gy = Math.ceil(groups / gx);
  r.dispatch(
    pipeline(r.gpu, code, "token_terms"),
    u,
    [
      b.logp.buffer,
      b.oldLogp.buffer,
      b.refLogp.buffer,
      b.mask.buffer,
      b.advantages.buffer,
      b.weights.buffer,
      b.dlogp.buffer,
      b.terms.buffer,
    ],
    [gx, gy],
    "grpo_loss.token_terms",
  );
  r.dispatch(
    pipeline(r.gpu, code, "reduce_terms"),
    u,
    [b.terms.buffer, b.totals.buffer],
    [1],
    "grpo_loss.reduce_terms",
  );
}

/** The loss's scalars after a step, read back from `totals`. */
export interface GrpoLossTotals {
  loss: number;
  /** Σ over active tokens of the k3 estimate (divide by active tokens for the mean KL). */
  klSum: number;
  /** Active tokens whose clip branch is active (zero gradient). */
  clipped: number;
  /** Active tokens with a NaN/Inf input (log-probs, advantage or weight); must be 0. */
  nonFinite: number;
}

/** Read the reduced totals back to the host. */
export async function readGrpoTotals(gpu: Gpu, totals: Tensor): Promise<GrpoLossTotals> {
  const t = await readback(gpu, totals);
  return { loss: t[0], klSum: t[1], clipped: t[2], nonFinite: t[3] };
}
