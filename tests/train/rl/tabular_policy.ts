/**
 * A tiny tabular softmax policy for testing the GRPO trainer without the VLM: logits
 * W[class][position][token] in float64 on the host, AdamW on the host. Its initial table plays a
 * "pretrained base" that mostly follows `<think> w </think> <answer> a </answer>` and picks the
 * answer word uniformly, so format is often right and accuracy starts near chance (1/4).
 */
import { type Gpu, readback, run, tensor } from "../../../lib/gpu/context.ts";
import { leftAlignedPositions } from "../../../lib/train/rl/objective.ts";
import type {
  GenerateRequest,
  LogprobModel,
  PolicyBatch,
  RecordLoss,
  RlPolicy,
  RlPrompt,
  RlSample,
  RlTask,
  StepOptions,
} from "../../../lib/train/rl/policy.ts";
import { rng } from "../../../lib/tasks/rng.ts";

export const VOCAB = [
  "<eos>",
  "<think>",
  "</think>",
  "<answer>",
  "</answer>",
  "the",
  "wait",
  "left",
  "right",
  "above",
  "below",
];
const EOS = 0, CLOSE = 4;
export const ANSWERS = ["left", "right", "above", "below"];
const TEMPLATE = [1, -1, 2, 3, -2, 4]; // -1: a thinking word, -2: an answer word

/** Prompts of 4 classes; the class decides the correct answer word. */
export function tabularTask(seed: number): RlTask {
  return {
    prompts(step: number, n: number): RlPrompt[] {
      const r = rng(seed, `tabular-task/${step}`);
      return Array.from({ length: n }, () => {
        const c = r.int(ANSWERS.length);
        return {
          text: `question of class ${c}`,
          answer: "ABCD"[c],
          choices: ANSWERS,
          input: c,
        };
      });
    },
  };
}

/** Create the policy for `positions` completion positions. */
export function tabularPolicy(gpu: Gpu, positions: number): RlPolicy {
  const C = ANSWERS.length, V = VOCAB.length;
  const size = C * positions * V;
  const w = new Float64Array(size);
  for (let c = 0; c < C; c++) {
    for (let t = 0; t < positions; t++) {
      const o = (c * positions + t) * V;
      const want = TEMPLATE[t] ?? EOS;
      if (want === -1) [5, 6].forEach((v) => w[o + v] = 4);
      else if (want === -2) [7, 8, 9, 10].forEach((v) => w[o + v] = 4);
      else w[o + want] = 4;
    }
  }
  return makePolicy(gpu, positions, w);
}

function makePolicy(gpu: Gpu, positions: number, w: Float64Array): RlPolicy {
  const V = VOCAB.length;
  const grad = new Float64Array(w.length);
  const m1 = new Float64Array(w.length), m2 = new Float64Array(w.length);
  let t = 0;
  const probs = (c: number, pos: number, temperature = 1): Float64Array => {
    const o = (c * positions + pos) * V;
    const p = new Float64Array(V);
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, w[o + v] / temperature);
    let s = 0;
    for (let v = 0; v < V; v++) s += p[v] = Math.exp(w[o + v] / temperature - mx);
    for (let v = 0; v < V; v++) p[v] /= s;
    return p;
  };
  // Rows are completions from column 0; data holds (class, tokens) per row.
  type Rows = { cls: number[]; tokens: number[][] };
  const score = (b: PolicyBatch) => {
    const d = b.data as Rows;
    const lp = new Float32Array(b.rows * b.cols);
    const en = new Float32Array(lp.length);
    d.tokens.forEach((toks, i) => {
      toks.forEach((v, pos) => {
        const p = probs(d.cls[i], pos);
        lp[i * b.cols + pos] = Math.log(p[v]);
        en[i * b.cols + pos] = -p.reduce((s, q) => s + (q > 0 ? q * Math.log(q) : 0), 0);
      });
    });
    return { lp, en };
  };
  const logprobs = async (b: PolicyBatch) => await Promise.resolve(score(b).lp);
  const step = async (opt: StepOptions): Promise<number> => {
    let n2 = 0;
    for (const g of grad) n2 += g * g;
    const norm = Math.sqrt(n2);
    const scale = opt.gradClip > 0 && norm > opt.gradClip ? opt.gradClip / norm : 1;
    t++;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    for (let i = 0; i < w.length; i++) {
      const g = grad[i] * scale;
      m1[i] = b1 * m1[i] + (1 - b1) * g;
      m2[i] = b2 * m2[i] + (1 - b2) * g * g;
      const mh = m1[i] / (1 - b1 ** t), vh = m2[i] / (1 - b2 ** t);
      w[i] -= opt.lr * (mh / (Math.sqrt(vh) + eps) + opt.weightDecay * w[i]);
      grad[i] = 0;
    }
    return await Promise.resolve(norm);
  };
  const policy: RlPolicy = {
    logprobs,
    async generate(req: GenerateRequest): Promise<RlSample[]> {
      const r = rng(req.seed, `tabular-sample/${req.step}`);
      const out: RlSample[] = [];
      for (const pr of req.prompts) {
        for (let k = 0; k < req.groupSize; k++) {
          const tokens: number[] = [];
          let stopped = false;
          for (let pos = 0; pos < Math.min(req.maxCompletion, positions); pos++) {
            const p = probs(pr.input as number, pos, req.temperature);
            let u = r.float(), v = 0;
            while (v < V - 1 && (u -= p[v]) > 0) v++;
            tokens.push(v);
            if (v === EOS || v === CLOSE) {
              stopped = true;
              break;
            }
          }
          const text = tokens.filter((v) => v !== EOS).map((v) => VOCAB[v]).join(" ");
          out.push({ tokens, text, truncated: !stopped });
        }
      }
      return await Promise.resolve(out);
    },
    prepare(prompts: RlPrompt[], samples: RlSample[]): PolicyBatch {
      const lengths = samples.map((x) => x.tokens.length);
      return {
        rows: samples.length,
        cols: positions,
        positions: leftAlignedPositions(lengths, positions),
        data: { cls: prompts.map((p) => p.input as number), tokens: samples.map((x) => x.tokens) },
      };
    },
    async update(b: PolicyBatch, loss: RecordLoss, opt: StepOptions): Promise<number> {
      const { lp, en } = score(b);
      const lpT = tensor(gpu, [lp.length], lp), enT = tensor(gpu, [en.length], en);
      let dT = lpT;
      await run(gpu, (r) => {
        dT = loss(r, lpT, enT);
      });
      const d = await readback(gpu, dT);
      lpT.buffer.destroy();
      enT.buffer.destroy();
      const rows = b.data as Rows;
      rows.tokens.forEach((toks, i) => {
        const c = rows.cls[i];
        toks.forEach((v, pos) => {
          const g = d[i * b.cols + pos];
          if (g === 0) return;
          const p = probs(c, pos);
          const o = (c * positions + pos) * V;
          for (let u = 0; u < V; u++) grad[o + u] += g * ((u === v ? 1 : 0) - p[u]);
        });
      });
      return await step(opt);
    },
    async freeze(): Promise<LogprobModel> {
      const frozen = makePolicy(gpu, positions, w.slice());
      return await Promise.resolve({ logprobs: frozen.logprobs });
    },
    async saveState() {
      const all = new Float64Array(3 * w.length + 1);
      all.set(w, 0);
      all.set(m1, w.length);
      all.set(m2, 2 * w.length);
      all[3 * w.length] = t;
      return await Promise.resolve(new Uint8Array(all.buffer));
    },
    async loadState(s: Uint8Array) {
      const all = new Float64Array(s.slice().buffer);
      w.set(all.subarray(0, w.length));
      m1.set(all.subarray(w.length, 2 * w.length));
      m2.set(all.subarray(2 * w.length, 3 * w.length));
      t = all[3 * w.length];
      await Promise.resolve();
    },
  };
  return policy;
}
