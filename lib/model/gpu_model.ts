/**
 * The VLM on the GPU: training forward + backward + AdamW recorded into one command encoder per
 * step, the RL variant (log-probs of given tokens, backward from per-token dL/dlogp), and logits
 * for tests and evaluation. Activations are allocated once per batch shape and reused.
 *
 * Sequence layout: [P image tokens | T text tokens]; logits exist for the T text positions only,
 * and logits[b, t] predict `targets[b, t]` (the trainer shifts tokens into targets).
 */
import {
  adamwStep,
  biasBackward,
  checkGpu,
  columnSum,
  createArena,
  crossEntropy,
  embeddingBackward,
  embeddingForward,
  entropyForward,
  fill,
  type Gpu,
  gradNorm,
  grid1d,
  kernel,
  linearBackward,
  linearForward,
  linearWeightGrad,
  logprobBackward,
  logprobForward,
  readback,
  type Recorder,
  rmsnormBackward,
  rmsnormForward,
  submit,
  type Tensor,
  uniforms,
  upload,
} from "../gpu/mod.ts";
import { allocStack, stackBackward, type StackBuffers, stackForward } from "./blocks.ts";
import { imageTokens, type ModelConfig, patchDim, pixelChannels, ropeCollapse } from "./config.ts";
import { lmLayer, NAMES, paramLayout, type ParamSet, visionLayer } from "./params.ts";
import { downloadFlat, type GpuWeights, uploadWeights } from "./weights.ts";

/** AdamW's fixed constants (PyTorch defaults; not part of the spec). */
export const ADAMW = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/** A batch of sequences: optional images [B, H, W, 3] and text tokens [B, T]. */
export interface Batch {
  batch: number;
  seq: number;
  images: Float32Array | null;
  tokens: Int32Array | Uint32Array;
}

/** A supervised batch: targets [B, T] (next tokens) and a loss mask [B, T] (0 = ignored). */
export interface LossBatch extends Batch {
  targets: Int32Array | Uint32Array;
  mask: Float32Array;
}

/** Per-step optimizer settings (the trainer applies its schedule to lr). */
export interface OptimOptions {
  lr: number;
  weightDecay: number;
  /** Max global gradient norm; <= 0 disables clipping. */
  gradClip: number;
}

/** What a training step reports once its work has been read back. */
export interface StepResult {
  /** Mask-weighted mean cross-entropy (supervised) or the caller's loss (RL: NaN here). */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Tokens that carried loss (Σ mask) — supervised; all text tokens for RL. */
  tokens: number;
}

/** Activations and I/O tensors for one batch shape. */
export interface Pass {
  key: string;
  B: number;
  T: number;
  P: number;
  images: Tensor | null;
  patches: Tensor | null;
  vstack: StackBuffers | null;
  vh: Tensor | null;
  img: Tensor;
  dimg: Tensor;
  zeros: Tensor;
  dvh: Tensor | null;
  tokens: Tensor;
  emb: Tensor;
  demb: Tensor;
  stack: StackBuffers;
  xt: Tensor;
  hn: Tensor;
  dxt: Tensor;
  dhn: Tensor;
  logits: Tensor;
  dlogits: Tensor;
  targets: Tensor;
  mask: Tensor;
  loss: Tensor;
  logp: Tensor;
  dlogp: Tensor;
  entropy: Tensor;
  free(): void;
}

/** The model resident on a GPU, with its optimizer state and step counter. */
export interface GpuModel {
  gpu: Gpu;
  config: ModelConfig;
  weights: GpuWeights;
  /** Optimizer steps taken (AdamW bias correction uses step + 1 next). */
  step: number;
  /** [sumsq, norm, clip] of the last step's gradients. */
  norm: Tensor;
  passes: Map<string, Pass>;
}

/** How many batch shapes keep their activations allocated at once. */
const MAX_PASSES = 3;

/** Put a model on the GPU (moments zero unless given). */
export function createGpuModel(
  gpu: Gpu,
  config: ModelConfig,
  params: ParamSet,
  adam: { m: Float32Array; v: Float32Array } | null = null,
  step = 0,
): GpuModel {
  const weights = uploadWeights(gpu, config, params, adam);
  const a = createArena(gpu, "model");
  return { gpu, config, weights, step, norm: a.alloc("norm", [3]), passes: new Map() };
}

/** Release every GPU buffer of the model. */
export function freeGpuModel(model: GpuModel): void {
  for (const p of model.passes.values()) p.free();
  model.passes.clear();
  model.weights.free();
  model.norm.buffer.destroy();
}

/** Read parameters and AdamW moments back to the host (for checkpoints and artifacts). */
export async function readModelState(model: GpuModel): Promise<{
  params: ParamSet;
  adam: { m: Float32Array; v: Float32Array };
  step: number;
}> {
  const W = model.weights, layout = paramLayout(model.config);
  const data = await downloadFlat(model.gpu, W.entries, W.w);
  const m = await downloadFlat(model.gpu, W.entries, W.m);
  const v = await downloadFlat(model.gpu, W.entries, W.v);
  return { params: { layout, data }, adam: { m, v }, step: model.step };
}

/** Read the parameters only. */
export async function readParams(model: GpuModel): Promise<ParamSet> {
  const W = model.weights;
  return { layout: paramLayout(model.config), data: await downloadFlat(model.gpu, W.entries, W.w) };
}

function allocPass(model: GpuModel, B: number, T: number, withImages: boolean): Pass {
  const c = model.config, gpu = model.gpu, d = c.d_model, V = c.vocab_size;
  const P = withImages ? imageTokens(c) : 0;
  const a = createArena(gpu, `pass ${B}x${T}${withImages ? "+img" : ""}`);
  const vstack = withImages
    ? allocStack(gpu, {
      batch: B,
      seq: P,
      d,
      heads: c.vision_heads,
      kvHeads: c.vision_heads,
      ff: c.vision_d_ff,
      prefix: P,
      ropeTheta: null,
      ropeCollapse: 0,
      eps: c.rms_eps,
      layers: Array.from({ length: c.vision_layers }, (_, l) => visionLayer(l)),
    }, "vision")
    : null;
  const stack = allocStack(gpu, {
    batch: B,
    seq: P + T,
    d,
    heads: c.n_heads,
    kvHeads: c.n_kv_heads,
    ff: c.d_ff,
    prefix: P,
    ropeTheta: c.rope_theta,
    ropeCollapse: ropeCollapse(c, P),
    eps: c.rms_eps,
    layers: Array.from({ length: c.n_layers }, (_, l) => lmLayer(l)),
  }, "lm");
  const N = B * T, nImg = Math.max(1, B * P * d);
  const pass: Pass = {
    key: passKey(B, T, withImages),
    B,
    T,
    P,
    images: withImages ? a.alloc("images", [B, c.image_size, c.image_size, 3]) : null,
    patches: withImages ? a.alloc("patches", [B * P, patchDim(c)]) : null,
    vstack,
    vh: withImages ? a.alloc("vh", [B * P, d]) : null,
    img: a.alloc("img", [nImg]),
    dimg: a.alloc("dimg", [nImg]),
    zeros: a.alloc("zeros", [nImg]),
    dvh: withImages ? a.alloc("dvh", [B * P, d]) : null,
    tokens: a.alloc("tokens", [N]),
    emb: a.alloc("emb", [N, d]),
    demb: a.alloc("demb", [N, d]),
    stack,
    xt: a.alloc("xt", [N, d]),
    hn: a.alloc("hn", [N, d]),
    dxt: a.alloc("dxt", [N, d]),
    dhn: a.alloc("dhn", [N, d]),
    logits: a.alloc("logits", [N, V]),
    dlogits: a.alloc("dlogits", [N, V]),
    targets: a.alloc("targets", [N]),
    mask: a.alloc("mask", [N]),
    loss: a.alloc("loss", [N]),
    logp: a.alloc("logp", [N]),
    dlogp: a.alloc("dlogp", [N]),
    entropy: a.alloc("entropy", [N]),
    free: () => {
      a.free();
      stack.free();
      vstack?.free();
    },
  };
  return pass;
}

function passKey(B: number, T: number, withImages: boolean): string {
  return `${B}x${T}${withImages ? "+img" : ""}`;
}

/** Validate a batch's array sizes against its declared shape; throws naming the field. */
export function checkBatch(c: ModelConfig, b: Batch): void {
  const want = (name: string, got: number, n: number) => {
    if (got !== n) throw new Error(`batch.${name} has ${got} values, expected ${n}`);
  };
  want("tokens", b.tokens.length, b.batch * b.seq);
  if (b.images) want("images", b.images.length, b.batch * c.image_size * c.image_size * 3);
  const P = b.images ? imageTokens(c) : 0;
  if (P + b.seq > c.max_seq) {
    throw new Error(`sequence of ${P} image + ${b.seq} text tokens exceeds max_seq ${c.max_seq}`);
  }
  for (let i = 0; i < b.tokens.length; i++) {
    const t = b.tokens[i];
    if (!(t >= 0 && t < c.vocab_size)) {
      throw new Error(`batch.tokens[${i}] = ${t} is outside the vocabulary [0, ${c.vocab_size})`);
    }
  }
}

/** Get (or allocate) the activations for a batch's shape and upload its images and tokens. */
export function preparePass(model: GpuModel, b: Batch): Pass {
  checkBatch(model.config, b);
  const key = passKey(b.batch, b.seq, b.images !== null);
  let pass = model.passes.get(key);
  if (pass) {
    model.passes.delete(key);
  } else {
    pass = allocPass(model, b.batch, b.seq, b.images !== null);
    if (model.passes.size >= MAX_PASSES) {
      const oldest = model.passes.keys().next().value!;
      model.passes.get(oldest)!.free();
      model.passes.delete(oldest);
    }
  }
  model.passes.set(key, pass); // most recently used last
  if (b.images && pass.images) {
    upload(model.gpu, pass.images, new Float32Array(b.images) as Float32Array<ArrayBuffer>);
  }
  upload(model.gpu, pass.tokens, Uint32Array.from(b.tokens));
  return pass;
}

/** Upload targets (ids outside the vocabulary become 0: they are masked or never read). */
export function uploadTargets(
  model: GpuModel,
  pass: Pass,
  targets: Int32Array | Uint32Array,
): void {
  const V = model.config.vocab_size;
  const t = Uint32Array.from(targets, (x) => (x >= 0 && x < V ? x : 0));
  if (t.length !== pass.B * pass.T) {
    throw new Error(`targets has ${t.length} values, expected ${pass.B * pass.T}`);
  }
  upload(model.gpu, pass.targets, t);
}

function prefixKernel(
  r: Recorder,
  entry: "concat" | "split",
  pass: Pass,
  d: number,
  bufs: Tensor[],
) {
  const n = pass.B * (pass.P + pass.T) * d;
  r.dispatch(
    kernel(r.gpu, { file: "model_prefix.wgsl", entry }),
    uniforms([pass.B, pass.P, pass.T, d]),
    bufs.map((t) => t.buffer),
    grid1d(n, 256),
    `model prefix ${entry}`,
  );
}

/** x[b, p, :] += table[p, :] for every image b of the batch (x is [B*P, d], table [P, d]). */
function posAdd(
  r: Recorder,
  x: Tensor,
  table: Tensor,
  B: number,
  P: number,
  d: number,
  label: string,
) {
  r.dispatch(
    kernel(r.gpu, { file: "model_pos.wgsl", entry: "pos_add" }),
    uniforms([B * P * d, P * d, 0, 0]),
    [x.buffer, table.buffer],
    grid1d(B * P * d, 256),
    label,
  );
}

/** Record the forward pass up to pass.logits [B*T, V]. */
export function recordForward(r: Recorder, model: GpuModel, pass: Pass): void {
  const c = model.config, d = c.d_model, W = model.weights;
  const w = (n: string) => W.w.get(n)!;
  const B = pass.B, P = pass.P, N = pass.B * pass.T;
  if (pass.vstack && pass.images && pass.patches && pass.vh) {
    const pd = patchDim(c);
    r.dispatch(
      kernel(r.gpu, { file: "model_patchify.wgsl", entry: "patchify" }),
      uniforms([B, c.image_size, c.patch_size, pixelChannels(c)], [
        c.pixel_mean,
        1 / c.pixel_std,
        0,
        0,
      ]),
      [pass.images.buffer, pass.patches.buffer],
      grid1d(B * P * pd, 256),
      "model patchify",
    );
    const x0 = pass.vstack.x[0];
    linearForward(
      r,
      x0,
      pass.patches,
      w(NAMES.patch),
      { rows: B * P, inDim: pd, outDim: d },
      w(NAMES.patchBias),
    );
    posAdd(r, x0, w(NAMES.pos), B, P, d, "model pos add");
    stackForward(r, W, pass.vstack);
    const top = pass.vstack.x[pass.vstack.x.length - 1];
    rmsnormForward(r, pass.vh, top, w(NAMES.vnorm), { rows: B * P, dim: d, eps: c.rms_eps });
    linearForward(
      r,
      pass.img,
      pass.vh,
      w(NAMES.proj),
      { rows: B * P, inDim: d, outDim: d },
      w(NAMES.projBias),
    );
    if (c.projector_pos === 1) {
      posAdd(r, pass.img, w(NAMES.projPos), B, P, d, "model projector pos add");
    }
  }
  embeddingForward(r, pass.emb, pass.tokens, w(NAMES.embed), { n: N, vocab: c.vocab_size, dim: d });
  prefixKernel(r, "concat", pass, d, [pass.img, pass.emb, pass.stack.x[0]]);
  stackForward(r, W, pass.stack);
  prefixKernel(r, "split", pass, d, [pass.dimg, pass.xt, pass.stack.x[pass.stack.x.length - 1]]);
  rmsnormForward(r, pass.hn, pass.xt, w(NAMES.norm), { rows: N, dim: d, eps: c.rms_eps });
  linearForward(r, pass.logits, pass.hn, w(NAMES.embed), {
    rows: N,
    inDim: d,
    outDim: c.vocab_size,
  });
}

/** Record the backward pass from pass.dlogits into every parameter gradient. */
export function recordBackward(r: Recorder, model: GpuModel, pass: Pass): void {
  const c = model.config, d = c.d_model, W = model.weights;
  const w = (n: string) => W.w.get(n)!;
  const g = (n: string) => W.g.get(n)!;
  const B = pass.B, P = pass.P, N = pass.B * pass.T;
  const once = { accumulateDx: false, accumulate: false };
  const head = { rows: N, inDim: d, outDim: c.vocab_size };
  linearBackward(r, pass.dhn, null, pass.dlogits, pass.hn, w(NAMES.embed), { ...head, ...once });
  linearWeightGrad(r, g(NAMES.embed), pass.dlogits, pass.hn, head);
  rmsnormBackward(r, pass.dxt, g(NAMES.norm), pass.dhn, pass.xt, w(NAMES.norm), {
    rows: N,
    dim: d,
    eps: c.rms_eps,
    ...once,
  });
  prefixKernel(r, "concat", pass, d, [pass.zeros, pass.dxt, pass.stack.dx]);
  stackBackward(r, W, pass.stack);
  prefixKernel(r, "split", pass, d, [pass.dimg, pass.demb, pass.stack.dx]);
  // The embedding is tied to the LM head: its lookup gradient adds onto the head's.
  embeddingBackward(r, g(NAMES.embed), pass.demb, pass.tokens, {
    n: N,
    vocab: c.vocab_size,
    dim: d,
    accumulate: true,
  });
  const vision = W.entries.filter((e) => e.name.startsWith("vision."));
  if (!(pass.vstack && pass.patches && pass.vh && pass.dvh)) {
    // Text-only batch: the vision tower took no part, so its gradient is exactly zero.
    for (const e of vision) fill(r, g(e.name), { n: e.size, value: 0 });
    return;
  }
  const vs = pass.vstack, rows = B * P, pd = patchDim(c);
  if (c.projector_pos === 1) {
    columnSum(r, g(NAMES.projPos), pass.dimg, {
      rows: B,
      cols: P * d,
      accumulate: false,
      label: "projector pos bwd",
    });
  }
  linearBackward(r, pass.dvh, null, pass.dimg, pass.vh, w(NAMES.proj), {
    rows,
    inDim: d,
    outDim: d,
    ...once,
  });
  linearWeightGrad(r, g(NAMES.proj), pass.dimg, pass.vh, { rows, inDim: d, outDim: d });
  biasBackward(r, g(NAMES.projBias), pass.dimg, { rows, cols: d, accumulate: false });
  rmsnormBackward(r, vs.dx, g(NAMES.vnorm), pass.dvh, vs.x[vs.x.length - 1], w(NAMES.vnorm), {
    rows,
    dim: d,
    eps: c.rms_eps,
    ...once,
  });
  stackBackward(r, W, vs);
  columnSum(r, g(NAMES.pos), vs.dx, { rows: B, cols: P * d, accumulate: false, label: "pos bwd" });
  linearWeightGrad(r, g(NAMES.patch), vs.dx, pass.patches, { rows, inDim: pd, outDim: d });
  biasBackward(r, g(NAMES.patchBias), vs.dx, { rows, cols: d, accumulate: false });
}

/** Record global-norm clipping and one AdamW update of every parameter; advances model.step. */
export function recordOptimizer(r: Recorder, model: GpuModel, opt: OptimOptions): void {
  const W = model.weights;
  gradNorm(r, model.norm, W.entries.map((e) => W.g.get(e.name)!), { maxNorm: opt.gradClip });
  model.step += 1;
  for (const e of W.entries) {
    adamwStep(
      r,
      W.w.get(e.name)!,
      W.m.get(e.name)!,
      W.v.get(e.name)!,
      W.g.get(e.name)!,
      model.norm,
      {
        lr: opt.lr,
        beta1: ADAMW.beta1,
        beta2: ADAMW.beta2,
        eps: ADAMW.eps,
        weightDecay: e.decay ? opt.weightDecay : 0,
        step: model.step,
      },
    );
  }
}

/** Sum of mask; the cross-entropy gradient is scaled by its inverse (a mean over loss tokens). */
function maskTotal(mask: Float32Array): number {
  let s = 0;
  for (const m of mask) s += m;
  return s;
}

/** Upload a loss batch's targets and mask; the pass and the mask's total weight. */
function prepareLoss(model: GpuModel, batch: LossBatch): { pass: Pass; total: number } {
  const pass = preparePass(model, batch);
  uploadTargets(model, pass, batch.targets);
  upload(model.gpu, pass.mask, new Float32Array(batch.mask) as Float32Array<ArrayBuffer>);
  return { pass, total: maskTotal(batch.mask) };
}

/** Record forward, the mask-weighted mean cross-entropy and backward of a prepared pass. */
function recordLossGrads(r: Recorder, model: GpuModel, pass: Pass, total: number): void {
  recordForward(r, model, pass);
  crossEntropy(r, pass.loss, pass.dlogits, pass.logits, pass.targets, pass.mask, {
    rows: pass.B * pass.T,
    vocab: model.config.vocab_size,
    factor: total > 0 ? 1 / total : 0,
  });
  recordBackward(r, model, pass);
}

/** Σ of the first `rows` per-row losses over Σ mask (0 for an all-masked batch). */
function lossMean(losses: Float32Array, rows: number, total: number): number {
  let s = 0;
  for (let i = 0; i < rows; i++) s += losses[i];
  return total > 0 ? s / total : 0;
}

/** The mask-weighted mean loss of a submitted pass. */
async function meanLoss(model: GpuModel, pass: Pass, total: number): Promise<number> {
  return lossMean(await readback(model.gpu, pass.loss), pass.B * pass.T, total);
}

/**
 * A training step submitted to the GPU whose per-row losses and gradient norm were copied, inside
 * the step, to a host-mappable buffer of its own (so later steps may overwrite the pass).
 */
export interface PendingStep {
  staging: GPUBuffer;
  rows: number;
  /** Σ mask of the batch (the loss's denominator and the step's token count). */
  total: number;
}

/**
 * Record and submit one supervised step (forward, loss, backward, clip, AdamW) in one command
 * encoder, without waiting for it. Steps submitted back to back run in order; `collectSteps`
 * reads any number of them back in one wait, so the GPU runs a step while the host records the
 * next.
 */
export function submitTrainStep(model: GpuModel, batch: LossBatch, opt: OptimOptions): PendingStep {
  const { pass, total } = prepareLoss(model, batch);
  const rows = pass.B * pass.T;
  const staging = model.gpu.device.createBuffer({
    size: (rows + 4) * 4,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    label: "step results",
  });
  submit(model.gpu, (r) => {
    recordLossGrads(r, model, pass, total);
    recordOptimizer(r, model, opt);
    r.copy(pass.loss.buffer, staging, rows * 4);
    r.copy(model.norm.buffer, staging, model.norm.size * 4, 0, rows * 4);
  });
  return { staging, rows, total };
}

/** Wait for submitted steps and read their results, in submission order: one wait for all. */
export async function collectSteps(model: GpuModel, steps: PendingStep[]): Promise<StepResult[]> {
  try {
    await Promise.all(steps.map((s) => s.staging.mapAsync(GPUMapMode.READ)));
    await checkGpu(model.gpu);
    return steps.map((s) => {
      const f = new Float32Array(s.staging.getMappedRange());
      // model.norm holds [sumsq, norm, clip].
      return { loss: lossMean(f, s.rows, s.total), gradNorm: f[s.rows + 1], tokens: s.total };
    });
  } finally {
    for (const s of steps) s.staging.destroy();
  }
}

/** One supervised step (forward, loss, backward, clip, AdamW), submitted and read back. */
export async function trainStep(
  model: GpuModel,
  batch: LossBatch,
  opt: OptimOptions,
): Promise<StepResult> {
  return (await collectSteps(model, [submitTrainStep(model, batch, opt)]))[0];
}

/** Gradients only (no update): the mean loss, with every parameter's gradient left in weights.g. */
export async function lossAndGrads(model: GpuModel, batch: LossBatch): Promise<number> {
  const { pass, total } = prepareLoss(model, batch);
  submit(model.gpu, (r) => recordLossGrads(r, model, pass, total));
  return await meanLoss(model, pass, total);
}

/** Logits [B*T, V] of a batch (forward only). */
export async function forwardLogits(model: GpuModel, batch: Batch): Promise<Float32Array> {
  const pass = preparePass(model, batch);
  submit(model.gpu, (r) => recordForward(r, model, pass));
  return await readback(model.gpu, pass.logits);
}

/** Options of the RL views: the sampling temperature divides the logits (1 = plain). */
export interface LogprobViewOptions {
  temperature: number;
}

/** Per-token log-probs (and entropies) [B*T] of `targets` under the model (forward only). */
export async function computeLogprobs(
  model: GpuModel,
  batch: Batch & { targets: Int32Array | Uint32Array },
  o: LogprobViewOptions,
): Promise<{ logp: Float32Array; entropy: Float32Array }> {
  const pass = preparePass(model, batch);
  uploadTargets(model, pass, batch.targets);
  const lo = { rows: pass.B * pass.T, vocab: model.config.vocab_size, scale: 1 / o.temperature };
  submit(model.gpu, (r) => {
    recordForward(r, model, pass);
    logprobForward(r, pass.logp, pass.logits, pass.targets, lo);
    entropyForward(r, pass.entropy, pass.logits, lo);
  });
  const [logp, entropy] = await Promise.all([
    readback(model.gpu, pass.logp),
    readback(model.gpu, pass.entropy),
  ]);
  return { logp, entropy };
}

/**
 * One RL step in one command encoder: forward to per-token log-probs (pass.logp, [B*T]), then
 * `loss(r, logp)` records the caller's objective (e.g. the GRPO loss) and returns dL/dlogp [B*T],
 * then backward, clipping and AdamW. Returns the gradient norm; the caller reads its own outputs.
 */
export async function rlStep(
  model: GpuModel,
  batch: Batch & { targets: Int32Array | Uint32Array },
  o: LogprobViewOptions,
  opt: OptimOptions,
  loss: (r: Recorder, logp: Tensor, entropy: Tensor) => Tensor,
): Promise<StepResult> {
  const pass = preparePass(model, batch);
  uploadTargets(model, pass, batch.targets);
  const lo = { rows: pass.B * pass.T, vocab: model.config.vocab_size, scale: 1 / o.temperature };
  submit(model.gpu, (r) => {
    recordForward(r, model, pass);
    logprobForward(r, pass.logp, pass.logits, pass.targets, lo);
    entropyForward(r, pass.entropy, pass.logits, lo);
    const dlogp = loss(r, pass.logp, pass.entropy);
    logprobBackward(r, pass.dlogits, pass.logits, pass.targets, dlogp, lo);
    recordBackward(r, model, pass);
    recordOptimizer(r, model, opt);
  });
  const norm = await readback(model.gpu, model.norm);
  return { loss: NaN, gradNorm: norm[1], tokens: pass.B * pass.T };
}

/** Backward from a host dL/dlogp [B*T] into weights.g (no update); for tests and custom loops. */
export async function logprobGrads(
  model: GpuModel,
  batch: Batch & { targets: Int32Array | Uint32Array },
  o: LogprobViewOptions,
  dlogp: Float32Array,
): Promise<void> {
  const pass = preparePass(model, batch);
  uploadTargets(model, pass, batch.targets);
  upload(model.gpu, pass.dlogp, new Float32Array(dlogp) as Float32Array<ArrayBuffer>);
  const lo = { rows: pass.B * pass.T, vocab: model.config.vocab_size, scale: 1 / o.temperature };
  submit(model.gpu, (r) => {
    recordForward(r, model, pass);
    logprobBackward(r, pass.dlogits, pass.logits, pass.targets, pass.dlogp, lo);
    recordBackward(r, model, pass);
  });
  // Surfaces kernel compile errors now; the gradients are there for whatever reads them next.
  await checkGpu(model.gpu);
}

/** Read all gradients back as one flat array in layout order. */
export async function readGrads(model: GpuModel): Promise<Float32Array> {
  return await downloadFlat(model.gpu, model.weights.entries, model.weights.g);
}
