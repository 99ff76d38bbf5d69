import assert from "node:assert/strict";
import { acquireGpu, type Gpu, tensor } from "../../../lib/gpu/context.ts";
import {
  type Checkpointer,
  type CompletionRecord,
  type MetricSink,
  NumericError,
} from "../../../lib/runner/kind.ts";
import type { RlConfig } from "../../../lib/train/rl/config.ts";
import type { RlPolicy } from "../../../lib/train/rl/policy.ts";
import { trainRl } from "../../../lib/train/rl/trainer.ts";
import { rlTestConfig } from "./fixtures.ts";
import { tabularPolicy, tabularTask } from "./tabular_policy.ts";

const config = rlTestConfig;

function memorySink() {
  const scalars: { step: number; name: string; value: number }[] = [];
  const completions: CompletionRecord[] = [];
  const sink: MetricSink = {
    scalar: (step, name, value) => scalars.push({ step, name, value }),
    evaluation: () => {},
    completion: (r) => completions.push(r),
  };
  return { sink, scalars, completions };
}

function memoryCheckpoint(): Checkpointer & { saved: Uint8Array | null; saves: number } {
  const c = {
    saved: null as Uint8Array | null,
    saves: 0,
    load: () => Promise.resolve(c.saved),
    save: (s: Uint8Array) => {
      c.saved = s.slice();
      c.saves++;
      return Promise.resolve();
    },
  };
  return c;
}

async function train(gpu: Gpu, seed: number, cfg: RlConfig, policy?: RlPolicy, everySeconds = 1e9) {
  const s = memorySink();
  const ck = memoryCheckpoint();
  const evals: number[] = [];
  const res = await trainRl({
    gpu,
    cfg,
    seed,
    policy: policy ?? tabularPolicy(gpu, cfg.max_completion),
    task: tabularTask(seed),
    sink: s.sink,
    checkpoint: ck,
    checkpointEverySeconds: everySeconds,
    evaluate: (done) => (evals.push(done), Promise.resolve()),
  });
  return { res, ...s, ck, evals };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

Deno.test("rl trainer: GRPO raises rollout accuracy over 3 seeds beyond chance", async () => {
  const gpu = await acquireGpu();
  try {
    // Statistic: per seed d = mean accuracy of the last 5 steps - first 5 steps (seeds are the
    // independent units); one-sided t-test of mean(d) > 0 with df = 2 must reach p < 0.01
    // (t > 6.965), and every seed must improve.
    const d: number[] = [];
    for (const seed of [0, 1, 2]) {
      const { res } = await train(gpu, seed, config());
      const acc = res.accuracy;
      d.push(mean(acc.slice(-5)) - mean(acc.slice(0, 5)));
    }
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean(d)) ** 2, 0) / (d.length - 1));
    const t = mean(d) / (sd / Math.sqrt(d.length));
    console.log(`accuracy gains per seed ${d.map((x) => x.toFixed(3))}, t = ${t.toFixed(2)}`);
    assert.ok(d.every((x) => x > 0), `a seed did not improve: ${d}`);
    assert.ok(t > 6.965, `t = ${t} (gains ${d}) does not beat chance at p < 0.01`);
  } finally {
    gpu.device.destroy();
  }
});

const REQUIRED = [
  "reward",
  "reward/format",
  "reward/accuracy",
  "reward/length",
  "accuracy",
  "format_rate",
  "completion_length/mean",
  "completion_length/median",
  "completion_length/max",
  "reflection_rate",
  "kl",
  "entropy",
  "clip_fraction",
  "grad_norm",
  "loss",
  "lr",
  "tokens_per_s",
  "truncated_rate",
  "max_completion",
];

Deno.test("rl trainer: every metric each step, KL and clipping with β > 0 and μ = 2, PTST limits", async () => {
  const gpu = await acquireGpu();
  try {
    const cfg = config({
      beta: 0.04,
      num_iterations: 2,
      loss: "dapo",
      epsilon_high: 0.28,
      mask_truncated: true,
      length_reward: { enabled: true, weight: 0.5, cap: 8 },
      sample_every: 2,
      sample_count: 3,
      eval_every: 2,
      ptst: {
        enabled: true,
        stages: [{ max_completion: 4, group_size: 4, steps: 3 }, {
          max_completion: 8,
          group_size: 2,
          steps: 2,
        }],
      },
    });
    const { scalars, completions, ck, res, evals } = await train(gpu, 7, cfg, undefined, 0);
    assert.equal(res.steps, 5);
    for (let step = 0; step < 5; step++) {
      const at = new Map(scalars.filter((s) => s.step === step).map((s) => [s.name, s.value]));
      for (const name of REQUIRED) {
        assert.ok(Number.isFinite(at.get(name)), `step ${step} lacks a finite ${name}`);
      }
      assert.equal(at.get("max_completion"), step < 3 ? 4 : 8);
      assert.ok(at.get("completion_length/max")! <= (step < 3 ? 4 : 8));
    }
    // The first stage's 4-token limit truncates the 6-token template: masked and counted.
    assert.ok(scalars.some((s) => s.name === "truncated_rate" && s.value > 0));
    // μ = 2: the second update sees a moved policy, so some ratios leave the clip range or KL > 0.
    assert.ok(scalars.some((s) => s.name === "kl" && s.value > 0), "KL never positive");
    assert.deepEqual([...new Set(completions.map((c) => c.step))], [0, 2, 4]);
    assert.deepEqual(evals, [2, 4]);
    assert.equal(completions.length, 9);
    // Every step but the last (whose weights the kind writes as the artifact).
    assert.equal(ck.saves, 4);
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("rl trainer: same seed gives the same run, and a resumed run matches an unbroken one", async () => {
  const gpu = await acquireGpu();
  try {
    const cfg = config({ steps: 6 });
    const a = await train(gpu, 3, cfg);
    const b = await train(gpu, 3, cfg);
    const key = (xs: typeof a.scalars) =>
      xs.filter((s) => s.name !== "tokens_per_s").map((s) => `${s.step}:${s.name}:${s.value}`);
    assert.deepEqual(key(a.scalars), key(b.scalars));
    const c = await train(gpu, 4, cfg);
    assert.notDeepEqual(key(a.scalars), key(c.scalars));

    // Interrupt after 3 steps, resume in a fresh policy, compare the remaining steps.
    const ck = memoryCheckpoint();
    const ctl = new AbortController();
    const s1 = memorySink();
    await trainRl({
      gpu,
      cfg,
      seed: 3,
      policy: tabularPolicy(gpu, 8),
      task: tabularTask(3),
      sink: s1.sink,
      checkpoint: ck,
      checkpointEverySeconds: 1e9,
      signal: ctl.signal,
      progress: (step) => step === 3 && ctl.abort(),
    });
    const s2 = memorySink();
    const res = await trainRl({
      gpu,
      cfg,
      seed: 3,
      policy: tabularPolicy(gpu, 8),
      task: tabularTask(3),
      sink: s2.sink,
      checkpoint: ck,
      checkpointEverySeconds: 1e9,
    });
    assert.equal(res.steps, 6);
    assert.deepEqual(key([...s1.scalars, ...s2.scalars]), key(a.scalars));
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("rl trainer: a NaN log-prob ends the job with a NumericError and its diagnosis", async () => {
  const gpu = await acquireGpu();
  try {
    const base = tabularPolicy(gpu, 8);
    let calls = 0;
    const broken: RlPolicy = {
      ...base,
      update(batch, loss, opt) {
        if (++calls !== 2) return base.update(batch, loss, opt);
        return base.update(batch, (r, logp, entropy) => {
          const nan = tensor(gpu, [logp.size], new Float32Array(logp.size).fill(NaN));
          r.copy(nan.buffer, logp.buffer, logp.size * 4);
          return loss(r, logp, entropy);
        }, opt);
      },
    };
    await assert.rejects(
      train(gpu, 0, config({ steps: 4 }), broken),
      (e: unknown) =>
        e instanceof NumericError && e.step === 1 && "max_abs_advantage" in e.detail &&
        /non-finite log-probs/.test(e.message),
    );
  } finally {
    gpu.device.destroy();
  }
});
