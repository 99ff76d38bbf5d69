import assert from "node:assert/strict";
import { acquireGpu } from "../../lib/gpu/mod.ts";
import {
  computeLogprobs,
  createGpuModel,
  freeGpuModel,
  logprobGrads,
  lossAndGrads,
  readGrads,
} from "../../lib/model/gpu_model.ts";
import { initParams, type ParamSet } from "../../lib/model/params.ts";
import { referenceLogprobs, referenceLoss } from "../../lib/model/reference.ts";
import { microConfig, randomBatch } from "./fixtures.ts";

/** Init scaled up (and non-trivial norms/biases) so every gradient is far from zero. */
function liveParams(c: ReturnType<typeof microConfig>, seed: number): ParamSet {
  const p = initParams(c, seed);
  for (const e of p.layout.entries) {
    for (let i = e.offset; i < e.offset + e.size; i++) {
      if (e.init === "ones") p.data[i] = 1 + 0.2 * Math.sin(i);
      else if (e.init === "zeros") p.data[i] = 0.1 * Math.cos(i);
      else p.data[i] *= 6;
    }
  }
  return p;
}

/** Central finite difference of f at flat index i (float64 f, float32 storage). */
function fd(p: ParamSet, i: number, f: () => number, h = 1e-3): number {
  const x = p.data[i];
  p.data[i] = x + h;
  const hi = p.data[i];
  const a = f();
  p.data[i] = x - h;
  const lo = p.data[i];
  const b = f();
  p.data[i] = x;
  return (a - b) / (hi - lo);
}

/** Two probe indices per tensor: for the embedding, rows of tokens that occur. */
function probes(p: ParamSet, tokens: Int32Array): { name: string; idx: number }[] {
  const out: { name: string; idx: number }[] = [];
  for (const e of p.layout.entries) {
    const d = e.shape[e.shape.length - 1];
    for (const k of [0, 1]) {
      const j = (k * 7919 + 13) % e.size;
      const idx = e.name === "model.embed_tokens.weight" ? tokens[k] * d + (j % d) : j;
      out.push({ name: e.name, idx: e.offset + idx });
    }
  }
  return out;
}

function compare(
  label: string,
  got: Float32Array,
  p: ParamSet,
  ps: { name: string; idx: number }[],
  f: () => number,
) {
  let worst = 0;
  for (const { name, idx } of ps) {
    const want = fd(p, idx, f);
    const err = Math.abs(got[idx] - want);
    const tol = 2e-3 * Math.max(Math.abs(want), 0.05);
    worst = Math.max(worst, err / Math.max(Math.abs(want), 0.05));
    assert.ok(
      err <= tol,
      `${label} ${name}[${idx - p.layout.byName.get(name)!.offset}]: gpu ${got[idx]} vs fd ${want}`,
    );
  }
  return worst;
}

Deno.test("gpu model: backward matches finite differences of the reference for every parameter tensor", async () => {
  const gpu = await acquireGpu();
  const c = microConfig();
  const params = liveParams(c, 4);
  const model = createGpuModel(gpu, c, params);
  const B = 2, T = 6;
  const b = randomBatch(c, B, T, 21);
  const batch = {
    batch: B,
    seq: T,
    images: b.images,
    tokens: b.tokens,
    targets: b.targets,
    mask: b.mask,
  };
  const loss = await lossAndGrads(model, batch);
  const want = referenceLoss(params, c, batch, b.targets, b.mask);
  assert.ok(Math.abs(loss - want) < 1e-4, `loss ${loss} vs reference ${want}`);
  const grads = await readGrads(model);
  const ps = probes(params, b.tokens);
  const worstCe = compare(
    "ce",
    grads,
    params,
    ps,
    () => referenceLoss(params, c, batch, b.targets, b.mask),
  );

  // RL view: backward from a given dL/dlogp equals d/dθ Σ dlogp · logp.
  const dlogp = new Float32Array(B * T).map((_, i) => Math.sin(i + 1));
  const temperature = 0.7;
  const lp = await computeLogprobs(model, batch, { temperature });
  const lpRef = referenceLogprobsAt(params, c, batch, temperature);
  for (let i = 0; i < lpRef.length; i++) {
    assert.ok(Math.abs(lp.logp[i] - lpRef[i]) < 1e-4, `logp[${i}] ${lp.logp[i]} vs ${lpRef[i]}`);
    assert.ok(lp.entropy[i] > 0 && lp.entropy[i] <= Math.log(c.vocab_size) + 1e-4);
  }
  await logprobGrads(model, batch, { temperature }, dlogp);
  const g2 = await readGrads(model);
  const scaled = () => {
    // logp at temperature τ: log-softmax of logits / τ, computed by scaling the tied head.
    const lp = referenceLogprobsAt(params, c, batch, temperature);
    let s = 0;
    for (let i = 0; i < lp.length; i++) s += dlogp[i] * lp[i];
    return s;
  };
  const worstRl = compare("rl", g2, params, ps.filter((_, i) => i % 3 === 0), scaled);
  console.log(
    `worst relative gradient error: ce ${worstCe.toExponential(2)}, rl ${worstRl.toExponential(2)}`,
  );
  freeGpuModel(model);
  gpu.device.destroy();
});

/** Reference log-probs with logits divided by τ (final norm weight scaled by 1/τ: same logits). */
function referenceLogprobsAt(
  p: ParamSet,
  c: ReturnType<typeof microConfig>,
  batch: {
    batch: number;
    seq: number;
    images: Float32Array;
    tokens: Int32Array;
    targets: Int32Array;
  },
  tau: number,
): Float64Array {
  const e = p.layout.byName.get("model.norm.weight")!;
  const saved = p.data.slice(e.offset, e.offset + e.size);
  const scaled = { layout: p.layout, data: p.data.slice() };
  for (let i = 0; i < e.size; i++) scaled.data[e.offset + i] = saved[i] / tau;
  return referenceLogprobs(scaled, c, batch, batch.targets);
}
