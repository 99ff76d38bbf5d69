/**
 * `RlPolicy` over the GPU VLM (lib/model/gpu_model.ts).
 *
 * Row layout: [BOS, prompt..., completion...] right-padded with <pad>; the model sees tokens
 * 0..T-1 and position t predicts token t+1, so completion token k of row i (prompt length p_i
 * including BOS) is scored at column p_i - 1 + k. Causal attention keeps the padding out of every
 * scored position. Log-probs use logits / temperature, the distribution the tokens were drawn from.
 *
 * Generation: `kvGenerate` (lib/model's KV-cached sampler) or `recomputeGenerate` below, which
 * re-runs the full forward per new token (quadratic, simple, and the reference the KV path is
 * tested against). Both draw with lib/gpu's Philox sampler keyed by (seed, step, row, absolute
 * position), so completions are a pure function of (weights, prompts, seed, step), whatever else
 * shares the batch, and the two samplers produce the same tokens.
 */
import { type Gpu, readbackU32, run, tensor, upload } from "../../gpu/context.ts";
import { sampleTokens } from "../../gpu/ops/sample.ts";
import { decodeState, encodeState } from "../../model/checkpoint.ts";
import { generate } from "../../model/generate.ts";
import { imageTokens, type ModelConfig } from "../../model/config.ts";
import {
  computeLogprobs,
  createGpuModel,
  freeGpuModel,
  type GpuModel,
  preparePass,
  readModelState,
  readParams,
  recordForward,
  rlStep,
} from "../../model/gpu_model.ts";
import { decode, SPECIAL } from "../../tasks/mod.ts";
import { stopIds } from "../corpus.ts";
import type {
  GenerateRequest,
  LogprobModel,
  PolicyBatch,
  RecordLoss,
  RlPolicy,
  RlPrompt,
  RlSample,
  StepOptions,
} from "./policy.ts";
import type { VlmPromptInput } from "./task.ts";

/** Rows ready for the model. */
interface VlmRows {
  tokens: Int32Array;
  targets: Int32Array;
  images: Float32Array;
}

/** Token ids that end a completion: `</answer>`, EOS and the chat turn end (as in evaluation). */
export function stopTokens(): Set<number> {
  return stopIds();
}

/** A sampler with the same contract as `recomputeGenerate` (e.g. lib/model's KV-cached one). */
export type VlmGenerate = (
  model: GpuModel,
  prompts: VlmPromptInput[],
  req: GenerateRequest,
  stop: Set<number>,
) => Promise<{ tokens: number[]; truncated: boolean }[]>;

function inputOf(p: RlPrompt): VlmPromptInput {
  const x = p.input as VlmPromptInput;
  if (!x || !Array.isArray(x.tokens) || !(x.image instanceof Float32Array)) {
    throw new Error(
      "vlm policy: prompt input must be { tokens, image } (see lib/train/rl/task.ts)",
    );
  }
  return x;
}

function checkLength(c: ModelConfig, textLen: number, what: string): void {
  const total = imageTokens(c) + textLen;
  if (total > c.max_seq) {
    throw new Error(
      `${what}: ${imageTokens(c)} image + ${textLen} text tokens exceed the model's max_seq ` +
        `${c.max_seq}; lower rl.max_completion or raise model.overrides.max_seq`,
    );
  }
}

/**
 * Sample `groupSize` completions per prompt by recomputing the forward for every new token.
 * Rows are prompt-major (row r = prompt floor(r / G)); row r's token k is drawn with Philox
 * counter (absolute position P + prompt_len + k, r, step), as lib/model's `generate` does.
 */
export async function recomputeGenerate(
  model: GpuModel,
  prompts: VlmPromptInput[],
  req: GenerateRequest,
  stop: Set<number>,
): Promise<{ tokens: number[]; truncated: boolean }[]> {
  const gpu = model.gpu, c = model.config, V = c.vocab_size;
  const G = req.groupSize, B = prompts.length * G;
  const px = Array.from({ length: B }, (_, r) => prompts[Math.floor(r / G)]);
  const T = Math.max(...px.map((p) => p.tokens.length)) + req.maxCompletion - 1;
  checkLength(c, T, "rl generate");
  const hw = c.image_size * c.image_size * 3;
  const images = new Float32Array(B * hw);
  px.forEach((p, r) => images.set(p.image, r * hw));
  const out = px.map(() => [] as number[]);
  const done = new Array(B).fill(false);
  const picked = tensor(gpu, [B, V], undefined, "rl.gen.logits");
  const seqIds = tensor(gpu, [B], Uint32Array.from({ length: B }, (_, r) => r), "rl.gen.seq");
  const pos = tensor(gpu, [B], undefined, "rl.gen.pos");
  const next = tensor(gpu, [B], undefined, "rl.gen.next");
  try {
    for (let k = 0; k < req.maxCompletion && done.includes(false); k++) {
      const tokens = new Int32Array(B * T);
      px.forEach((p, r) => {
        tokens.set(p.tokens, r * T);
        tokens.set(out[r], r * T + p.tokens.length);
      });
      const pass = preparePass(model, { batch: B, seq: T, images, tokens });
      const P = imageTokens(c);
      upload(gpu, pos, Uint32Array.from(px, (p) => P + p.tokens.length + k));
      await run(gpu, (rec) => {
        recordForward(rec, model, pass);
        for (let r = 0; r < B; r++) {
          // The last filled column predicts the next token (done rows are sampled and ignored).
          const last = px[r].tokens.length + out[r].length - 1;
          rec.copy(pass.logits.buffer, picked.buffer, V * 4, (r * T + last) * V * 4, r * V * 4);
        }
        sampleTokens(rec, next, picked, seqIds, pos, {
          batch: B,
          vocab: V,
          seed: req.seed,
          step: req.step,
          temperature: req.temperature,
          topK: req.topK,
          topP: req.topP,
        });
      });
      const ids = await readbackU32(gpu, next);
      for (let r = 0; r < B; r++) {
        if (done[r]) continue;
        out[r].push(ids[r]);
        if (stop.has(ids[r])) done[r] = true;
      }
    }
  } finally {
    for (const t of [picked, seqIds, pos, next]) t.buffer.destroy();
  }
  return out.map((tokens, r) => ({ tokens, truncated: !done[r] }));
}

/** `VlmGenerate` over lib/model's KV-cached `generate` (rows prompt-major, seq id = row). */
export const kvGenerate: VlmGenerate = async (model, prompts, req, stop) => {
  const c = model.config, G = req.groupSize, B = prompts.length * G;
  const px = Array.from({ length: B }, (_, r) => prompts[Math.floor(r / G)]);
  const hw = c.image_size * c.image_size * 3;
  const images = new Float32Array(B * hw);
  px.forEach((p, r) => images.set(p.image, r * hw));
  const res = await generate(model, {
    prompts: px.map((p) => p.tokens),
    images,
    seqIds: px.map((_, r) => r),
    maxNewTokens: req.maxCompletion,
    stopTokens: [...stop],
    temperature: req.temperature,
    topK: req.topK,
    topP: req.topP,
    seed: req.seed,
    step: req.step,
  });
  return res.tokens.map((tokens, r) => ({ tokens, truncated: !res.stopped[r] }));
};

function logprobModel(getModel: () => GpuModel, temperature: number): LogprobModel {
  return {
    async logprobs(batch: PolicyBatch) {
      const rows = batch.data as VlmRows;
      const { logp } = await computeLogprobs(getModel(), {
        batch: batch.rows,
        seq: batch.cols,
        images: rows.images,
        tokens: rows.tokens,
        targets: rows.targets,
      }, { temperature });
      return logp as Float32Array<ArrayBuffer>;
    },
  };
}

/** Options of the VLM policy. */
export interface VlmPolicyOptions {
  /** Sampling temperature (also divides the logits of every log-prob, as sampling did). */
  temperature: number;
  /** The sampler: `kvGenerate` (fast) or `recomputeGenerate` (reference). */
  generate: VlmGenerate;
}

/** Wrap a GPU model as the GRPO trainer's policy; the policy owns (and may replace) the model. */
export function vlmPolicy(gpu: Gpu, initial: GpuModel, o: VlmPolicyOptions): RlPolicy & {
  model(): GpuModel;
} {
  let model = initial;
  const stop = stopTokens();
  const gen = o.generate;
  const scorer = logprobModel(() => model, o.temperature);
  return {
    model: () => model,
    logprobs: scorer.logprobs,
    async generate(req: GenerateRequest): Promise<RlSample[]> {
      const inputs = req.prompts.map(inputOf);
      const raw = await gen(model, inputs, req, stop);
      return raw.map((s) => ({
        tokens: s.tokens,
        text: decode(s.tokens.filter((t) => t !== SPECIAL.eos && t !== SPECIAL.pad)),
        truncated: s.truncated,
      }));
    },
    prepare(prompts: RlPrompt[], samples: RlSample[]): PolicyBatch {
      const c = model.config;
      const inputs = prompts.map(inputOf);
      const lens = inputs.map((p, i) => p.tokens.length + samples[i].tokens.length);
      const T = Math.max(1, ...lens.map((l) => l - 1));
      checkLength(c, T, "rl update");
      const B = prompts.length, hw = c.image_size * c.image_size * 3;
      const tokens = new Int32Array(B * T).fill(SPECIAL.pad);
      const targets = new Int32Array(B * T).fill(SPECIAL.pad);
      const images = new Float32Array(B * hw);
      const positions: number[][] = [];
      inputs.forEach((p, i) => {
        const seq = [...p.tokens, ...samples[i].tokens];
        for (let t = 0; t < seq.length - 1; t++) {
          tokens[i * T + t] = seq[t];
          targets[i * T + t] = seq[t + 1];
        }
        images.set(p.image, i * hw);
        positions.push(samples[i].tokens.map((_, k) => i * T + p.tokens.length - 1 + k));
      });
      const data: VlmRows = { tokens, targets, images };
      return { rows: B, cols: T, positions, data };
    },
    async update(batch: PolicyBatch, loss: RecordLoss, opt: StepOptions): Promise<number> {
      const rows = batch.data as VlmRows;
      const res = await rlStep(
        model,
        {
          batch: batch.rows,
          seq: batch.cols,
          images: rows.images,
          tokens: rows.tokens,
          targets: rows.targets,
        },
        { temperature: o.temperature },
        opt,
        loss,
      );
      return res.gradNorm;
    },
    async freeze(): Promise<LogprobModel> {
      const frozen = createGpuModel(gpu, model.config, await readParams(model));
      return logprobModel(() => frozen, o.temperature);
    },
    async saveState(): Promise<Uint8Array> {
      const s = await readModelState(model);
      return encodeState({ config: model.config, ...s, rng: [], extra: null });
    },
    async loadState(state: Uint8Array): Promise<void> {
      const s = decodeState(state);
      const next = createGpuModel(gpu, s.config, s.params, s.adam, s.step);
      freeGpuModel(model);
      model = next;
      await Promise.resolve();
    },
  };
}
