/**
 * The GRPO trainer loop. Per step: the PTST stage's limits; `prompts_per_step` prompts; G
 * completions each (reproducible from (seed, step)); rewards; group advantages; old log-probs
 * (μ > 1) and reference log-probs (β > 0); then μ updates, each one recorded step of the policy:
 * log-prob forward, the GPU loss (forward + dL/dlogp), backward, clipping and AdamW. Metrics per step (CONFIG.md
 * names), sampled completions every `sample_every` steps, resumable checkpoints on a timer and on
 * abort (the final weights are the caller's to save).
 *
 * Metric steps are generation steps; with μ > 1 each holds μ optimizer updates, and `loss`,
 * `clip_fraction`, `grad_norm` are their means.
 */
import { type Gpu, readback, type Tensor, tensor } from "../../gpu/context.ts";
import { grpoLossScratch, readGrpoTotals, recordGrpoLoss } from "../../gpu/ops/grpo_loss.ts";
import { type Checkpointer, type MetricSink, NumericError } from "../../runner/kind.ts";
import { checkRewardConfig } from "../rewards.ts";
import type { RlConfig } from "./config.ts";
import { learningRate } from "../schedule.ts";
import { completionMask, groupAdvantages, sequenceWeights } from "./objective.ts";
import type { LogprobModel, RlPolicy, RlTask } from "./policy.ts";
import { schedule, stageAt } from "./ptst.ts";
import { rolloutMetrics, scoreRollouts } from "./rollout.ts";

/** Everything one RL run needs; all settings come from the resolved config. */
export interface RlRunArgs {
  gpu: Gpu;
  cfg: RlConfig;
  seed: number;
  policy: RlPolicy;
  task: RlTask;
  sink: MetricSink;
  checkpoint: Checkpointer;
  /** Save a resumable checkpoint when this many seconds passed since the last (0: every step). */
  checkpointEverySeconds: number;
  signal?: AbortSignal;
  progress?(step: number, total: number): void;
  /** Called after every `rl.eval_every`-th step (if > 0) with the number of steps done. */
  evaluate?(stepsDone: number): Promise<void>;
}

/** What a finished (or interrupted) run reports. */
export interface RlRunResult {
  /** Steps completed in total (including those done before a resume). */
  steps: number;
  completed: boolean;
  /** Rollout accuracy per step of this process (for tests and logs). */
  accuracy: number[];
}

const MAGIC = 0x52_4c_43_4b; // "RLCK"

/** Trainer checkpoint bytes: magic, completed steps, then the policy's own state. */
export function encodeCheckpoint(step: number, policy: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + policy.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint32(4, step, true);
  out.set(policy, 8);
  return out;
}

/** Inverse of `encodeCheckpoint`. */
export function decodeCheckpoint(b: Uint8Array): { step: number; policy: Uint8Array } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 8 || v.getUint32(0, true) !== MAGIC) {
    throw new Error("rl checkpoint: not an RL trainer checkpoint (bad magic)");
  }
  return { step: v.getUint32(4, true), policy: b.subarray(8) };
}

/** Run GRPO (with PTST stages when enabled) from the checkpoint if any, else from scratch. */
export async function trainRl(a: RlRunArgs): Promise<RlRunResult> {
  const { gpu, cfg, policy } = a;
  checkRewardConfig(cfg);
  const sched = schedule(cfg);
  const total = sched.totalSteps;
  const rewardNames = Object.keys(cfg.rewards);
  const epsHigh = cfg.epsilon_high ?? cfg.epsilon;
  // The KL reference is the model the job started from: freeze it before loading a checkpoint.
  const reference: LogprobModel | null = cfg.beta !== 0 ? await policy.freeze() : null;
  let start = 0;
  const saved = await a.checkpoint.load();
  if (saved) {
    const c = decodeCheckpoint(saved);
    await policy.loadState(c.policy);
    start = c.step;
  }
  const accuracy: number[] = [];
  let lastSave = performance.now();
  for (let step = start; step < total; step++) {
    if (a.signal?.aborted) {
      await a.checkpoint.save(encodeCheckpoint(step, await policy.saveState()));
      return { steps: step, completed: false, accuracy };
    }
    const t0 = performance.now();
    const stage = stageAt(sched, step);
    const g = stage.group_size;
    const prompts = a.task.prompts(step, cfg.prompts_per_step);
    const samples = await policy.generate({
      prompts,
      groupSize: g,
      maxCompletion: stage.max_completion,
      temperature: cfg.temperature,
      topP: cfg.top_p,
      topK: cfg.top_k,
      seed: a.seed,
      step,
    });
    const b = prompts.length * g;
    if (samples.length !== b) {
      throw new Error(`rl: policy returned ${samples.length} completions, expected ${b}`);
    }
    const rowPrompts = samples.map((_, i) => prompts[Math.floor(i / g)]);
    const scored = scoreRollouts(rowPrompts, samples, cfg);
    const adv = groupAdvantages(scored.map((s) => s.reward), g, cfg.scale_rewards);
    const batch = policy.prepare(rowPrompts, samples);
    const { rows, cols } = batch;
    for (let i = 0; i < b; i++) {
      if (batch.positions[i].length !== samples[i].tokens.length) {
        throw new Error(
          `rl: policy laid out ${batch.positions[i].length} positions for completion ${i} of ` +
            `${samples[i].tokens.length} tokens`,
        );
      }
    }
    const mask = completionMask(
      batch.positions,
      samples.map((s) => s.truncated),
      rows,
      cols,
      cfg.mask_truncated,
    );
    let active = 0;
    for (const v of mask) active += v;
    const weights = sequenceWeights(cfg.loss, mask, rows, cols, stage.max_completion, active);

    const n = rows * cols;
    const maskT = tensor(gpu, [n], mask, "rl.mask");
    const advT = tensor(gpu, [rows], new Float32Array(adv), "rl.adv");
    const wT = tensor(gpu, [rows], weights, "rl.weights");
    const entropy = tensor(gpu, [n], undefined, "rl.entropy");
    const scratch = grpoLossScratch(gpu, rows, cols);
    // μ > 1: the ratio's denominator is the policy at sampling time, scored once before updating.
    const oldLogp = cfg.num_iterations > 1
      ? tensor(gpu, [n], await policy.logprobs(batch), "rl.old_logp")
      : null;
    const refLogp = reference
      ? tensor(gpu, [n], await reference.logprobs(batch), "rl.ref_logp")
      : null;
    const lr = learningRate(cfg, step, total);
    let lossSum = 0, clipSum = 0, gradSum = 0, klSum = 0, entropyMean = 0;
    for (let it = 0; it < cfg.num_iterations; it++) {
      const gn = await policy.update(batch, (r, logp, ent) => {
        recordGrpoLoss(r, {
          logp,
          oldLogp: oldLogp ?? logp,
          refLogp: refLogp ?? logp,
          mask: maskT,
          advantages: advT,
          weights: wT,
          ...scratch,
        }, { epsLow: cfg.epsilon, epsHigh, beta: cfg.beta });
        if (it === 0) r.copy(ent.buffer, entropy.buffer, n * 4);
        return scratch.dlogp;
      }, { lr, weightDecay: cfg.weight_decay, gradClip: cfg.grad_clip });
      const tot = await readGrpoTotals(gpu, scratch.totals);
      if (it === 0) entropyMean = (await maskedSum(gpu, entropy, mask)) / Math.max(1, active);
      if (tot.nonFinite > 0 || !Number.isFinite(tot.loss) || !Number.isFinite(gn)) {
        const what = tot.nonFinite > 0
          ? `log-probs (${tot.nonFinite} active tokens NaN/Inf)`
          : !Number.isFinite(tot.loss)
          ? "loss"
          : "gradient norm";
        throw new NumericError(`rl step ${step}: non-finite ${what}`, step, {
          iteration: it,
          loss: tot.loss,
          grad_norm: gn,
          lr,
          stage: stage.index,
          max_abs_advantage: adv.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
          reward_mean: scored.reduce((m, s) => m + s.reward, 0) / b,
          active_tokens: active,
          entropy: entropyMean,
          non_finite_tokens: tot.nonFinite,
        });
      }
      lossSum += tot.loss;
      clipSum += tot.clipped / Math.max(1, active);
      gradSum += gn;
      klSum += tot.klSum / Math.max(1, active);
    }
    for (const t of [entropy, maskT, advT, wT, scratch.dlogp, scratch.terms, scratch.totals]) {
      t.buffer.destroy();
    }
    oldLogp?.buffer.destroy();
    refLogp?.buffer.destroy();

    const mu = cfg.num_iterations;
    const seconds = (performance.now() - t0) / 1000;
    const generated = samples.reduce((x, s) => x + s.tokens.length, 0);
    const m: Record<string, number> = {
      ...rolloutMetrics(scored, rewardNames),
      entropy: entropyMean,
      clip_fraction: clipSum / mu,
      grad_norm: gradSum / mu,
      loss: lossSum / mu,
      lr,
      tokens_per_s: generated / Math.max(1e-9, seconds),
      max_completion: stage.max_completion,
    };
    if (cfg.beta !== 0) m.kl = klSum / mu;
    for (const [name, v] of Object.entries(m)) a.sink.scalar(step, name, v);
    accuracy.push(m.accuracy);
    if (cfg.sample_every > 0 && step % cfg.sample_every === 0) {
      // One completion from each of the first prompts, so samples show different questions.
      for (let k = 0; k < Math.min(cfg.sample_count, b); k++) {
        const i = (k * g + Math.floor(k / prompts.length)) % b;
        const s = scored[i];
        a.sink.completion({
          step,
          prompt: rowPrompts[i].text,
          completion: samples[i].text,
          answer: rowPrompts[i].answer,
          reward: s.reward,
          extra: {
            ...Object.fromEntries(
              Object.entries(s.components).map(([k2, v]) => [`reward/${k2}`, v]),
            ),
            length: s.length,
            reflections: s.reflections,
            truncated: s.truncated ? 1 : 0,
            advantage: adv[i],
          },
        });
      }
    }
    const done = step + 1;
    if (a.evaluate && cfg.eval_every > 0 && done % cfg.eval_every === 0) await a.evaluate(done);
    a.progress?.(done, total);
    if (done < total && (performance.now() - lastSave) / 1000 >= a.checkpointEverySeconds) {
      await a.checkpoint.save(encodeCheckpoint(done, await policy.saveState()));
      lastSave = performance.now();
    }
  }
  return { steps: total, completed: true, accuracy };
}

async function maskedSum(gpu: Gpu, t: Tensor, mask: Float32Array): Promise<number> {
  const v = await readback(gpu, t);
  let s = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) s += v[i];
  return s;
}
