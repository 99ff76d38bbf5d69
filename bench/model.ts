/**
 * Model benchmarks: training throughput (tokens/s) of the `tiny` and `small` presets on synthetic
 * batches, and one whole training step (forward, backward, clip, AdamW) of a d=256, 4-layer
 * transformer on 32 sequences of 256 tokens, timed against PyTorch eager fp32 (TF32 off) on the
 * same device when `python3 -c "import torch"` works.
 */
import {
  acquireGpu,
  crossEntropy,
  enableProfiling,
  type Gpu,
  profileTable,
  record,
  resetProfile,
  upload,
} from "../lib/gpu/mod.ts";
import { imageTokens, type ModelConfig, modelConfig } from "../lib/model/config.ts";
import {
  collectSteps,
  createGpuModel,
  freeGpuModel,
  type GpuModel,
  type LossBatch,
  preparePass,
  recordBackward,
  recordForward,
  recordOptimizer,
  submitTrainStep,
  trainStep,
  uploadTargets,
} from "../lib/model/gpu_model.ts";
import { initParams, paramCount, uniformStream } from "../lib/model/params.ts";
import { VOCAB_SIZE } from "../lib/tasks/mod.ts";
import { TRAINER_OPTIONS } from "../lib/train/kinds.ts";

interface Row {
  name: string;
  params: number;
  batch: string;
  /** Steps submitted back to back and read back in windows, as the trainers run them. */
  msPerStep: number;
  /** One step submitted and read back before the next is recorded. */
  syncMs: number;
  /** CPU time to record (not run) one step's command buffer. */
  hostMs: number;
  textTokPerS: number;
  seqTokPerS: number;
}

function syntheticBatch(c: ModelConfig, B: number, T: number, images: boolean): LossBatch {
  const u = uniformStream(1, 2);
  return {
    batch: B,
    seq: T,
    images: images ? new Float32Array(B * c.image_size * c.image_size * 3).map(() => u()) : null,
    tokens: new Int32Array(B * T).map(() => Math.floor(u() * c.vocab_size)),
    targets: new Int32Array(B * T).map(() => Math.floor(u() * c.vocab_size)),
    mask: new Float32Array(B * T).fill(1),
  };
}

/** CPU ms to record one whole training step (encoder built and finished, never submitted). */
function hostRecordMs(model: GpuModel, batch: LossBatch): number {
  const pass = preparePass(model, batch);
  uploadTargets(model, pass, batch.targets);
  upload(model.gpu, pass.mask, new Float32Array(batch.mask) as Float32Array<ArrayBuffer>);
  const step = model.step;
  const t0 = performance.now();
  const n = 3;
  for (let i = 0; i < n; i++) {
    const r = record(model.gpu);
    recordForward(r, model, pass);
    crossEntropy(r, pass.loss, pass.dlogits, pass.logits, pass.targets, pass.mask, {
      rows: pass.B * pass.T,
      vocab: model.config.vocab_size,
      factor: 1,
    });
    recordBackward(r, model, pass);
    recordOptimizer(r, model, { lr: 0, weightDecay: 0, gradClip: 1 });
    r.finish();
  }
  model.step = step;
  return (performance.now() - t0) / n;
}

/**
 * Mean ms per training step after warm-up, as the trainers run them (submitted back to back and
 * read back TRAINER_OPTIONS.stepsPerReadback at a time); ms per step submitted and read back alone
 * (each wait costs Deno's WebGPU a ~10 ms poll); host ms to record one step.
 */
async function timeSteps(
  gpu: Gpu,
  c: ModelConfig,
  batch: LossBatch,
  minMs: number,
  maxSteps: number,
): Promise<[number, number, number]> {
  const model = createGpuModel(gpu, c, initParams(c, 0));
  const opt = { lr: 1e-3, weightDecay: 0.01, gradClip: 1.0 };
  const window = Math.min(TRAINER_OPTIONS.stepsPerReadback, maxSteps);
  await trainStep(model, batch, opt);
  await trainStep(model, batch, opt);
  let t0 = performance.now();
  let n = 0;
  while (n < maxSteps && (n < window || performance.now() - t0 < minMs)) {
    const pending = Array.from({ length: window }, () => submitTrainStep(model, batch, opt));
    await collectSteps(model, pending);
    n += window;
  }
  const ms = (performance.now() - t0) / n;
  t0 = performance.now();
  const single = Math.max(2, Math.min(n, 10));
  for (let i = 0; i < single; i++) await trainStep(model, batch, opt);
  const syncMs = (performance.now() - t0) / single;
  const host = hostRecordMs(model, batch);
  if (Deno.env.get("ZG_PROFILE") && enableProfiling(gpu)) {
    resetProfile(gpu);
    await trainStep(model, batch, opt);
    console.log(`profile of one step (${batch.batch}x${batch.seq}):\n${await profileTable(gpu)}`);
    gpu.profiler = undefined;
  }
  freeGpuModel(model);
  return [ms, syncMs, host];
}

async function measure(
  gpu: Gpu,
  name: string,
  c: ModelConfig,
  B: number,
  T: number,
  images: boolean,
  minMs: number,
  maxSteps: number,
): Promise<Row> {
  const [ms, syncMs, hostMs] = await timeSteps(
    gpu,
    c,
    syntheticBatch(c, B, T, images),
    minMs,
    maxSteps,
  );
  const P = images ? imageTokens(c) : 0;
  return {
    name,
    params: paramCount(c),
    batch: `${B}x(${P}+${T})`,
    msPerStep: ms,
    syncMs,
    hostMs,
    textTokPerS: (B * T) / (ms / 1000),
    seqTokPerS: (B * (P + T)) / (ms / 1000),
  };
}

const TORCH_STEP = `
import json, math, sys, time
import torch
import torch.nn.functional as F
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
cfg = json.loads(sys.argv[1])
dev = "cuda" if torch.cuda.is_available() else "cpu"
V, d, L, H, KV, ff, T, B = (cfg[k] for k in ["V", "d", "L", "H", "KV", "ff", "T", "B"])
hd = d // H
g = torch.Generator().manual_seed(0)
def P(*shape, init="normal"):
    if init == "ones": t = torch.ones(*shape)
    elif init == "zeros": t = torch.zeros(*shape)
    else: t = torch.randn(*shape, generator=g) * 0.02
    return torch.nn.Parameter(t.to(dev))
emb = P(V, d)
layers = [dict(ln1=P(d, init="ones"), q=P(H * hd, d), qb=P(H * hd, init="zeros"), k=P(KV * hd, d),
               kb=P(KV * hd, init="zeros"), v=P(KV * hd, d), vb=P(KV * hd, init="zeros"), o=P(d, H * hd),
               ln2=P(d, init="ones"), gate=P(ff, d), up=P(ff, d), down=P(d, ff)) for _ in range(L)]
norm = P(d, init="ones")
params = [emb, norm] + [p for l in layers for p in l.values()]
inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2, dtype=torch.int64).float().to(dev) / hd))
ang = torch.outer(torch.arange(T, device=dev).float(), inv)
cos = torch.cat([ang.cos(), ang.cos()], -1)[None, None]
sin = torch.cat([ang.sin(), ang.sin()], -1)[None, None]
def rms(x, w): return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w
def rot(x): return torch.cat([-x[..., hd // 2:], x[..., :hd // 2]], -1)
def forward(tok):
    x = emb[tok]
    for l in layers:
        h = rms(x, l["ln1"])
        q = F.linear(h, l["q"], l["qb"]).view(B, T, H, hd).transpose(1, 2)
        k = F.linear(h, l["k"], l["kb"]).view(B, T, KV, hd).transpose(1, 2)
        v = F.linear(h, l["v"], l["vb"]).view(B, T, KV, hd).transpose(1, 2)
        q = q * cos + rot(q) * sin
        k = k * cos + rot(k) * sin
        k = k.repeat_interleave(H // KV, 1)
        v = v.repeat_interleave(H // KV, 1)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + F.linear(a.transpose(1, 2).reshape(B, T, H * hd), l["o"])
        h = rms(x, l["ln2"])
        x = x + F.linear(F.silu(F.linear(h, l["gate"])) * F.linear(h, l["up"]), l["down"])
    return F.linear(rms(x, norm), emb)
opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
tok = torch.randint(0, V, (B, T), generator=g).to(dev)
tgt = torch.randint(0, V, (B, T), generator=g).to(dev)
def step():
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(forward(tok).view(-1, V), tgt.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return loss
def sync():
    if dev == "cuda": torch.cuda.synchronize()
for _ in range(3): step()
sync()
n = cfg["steps"]
t0 = time.perf_counter()
for _ in range(n): step()
sync()
ms = (time.perf_counter() - t0) / n * 1000
print(json.dumps({"ms": ms, "device": torch.cuda.get_device_name() if dev == "cuda" else "cpu"}))
`;

async function torchAvailable(): Promise<boolean> {
  try {
    const out = await new Deno.Command("python3", {
      args: ["-c", "import torch"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

async function torchStep(cfg: Record<string, number>): Promise<{ ms: number; device: string }> {
  const out = await new Deno.Command("python3", {
    args: ["-c", TORCH_STEP, JSON.stringify(cfg)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`torch bench failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

/** Print training throughput for both presets and the PyTorch comparison step. */
export async function bench(): Promise<void> {
  const gpu = await acquireGpu();
  const soft = gpu.isFallback || /llvmpipe|swiftshader|lavapipe/i.test(gpu.adapter);
  const torch = await torchAvailable();
  console.log(`adapter: ${gpu.adapter}${soft ? " (software)" : ""}`);
  const minMs = soft ? 3000 : 2000, maxSteps = soft ? 5 : 50;
  const rows: Row[] = [];
  console.log(
    "| model | params | batch B×(img+text) | ms/step | ms/step, read back each | host ms to record " +
      "| text tok/s | seq tok/s |\n|---|---:|---|---:|---:|---:|---:|---:|",
  );
  const show = (r: Row) => {
    rows.push(r);
    const cells = [
      r.name,
      `${(r.params / 1e6).toFixed(2)}M`,
      r.batch,
      r.msPerStep.toFixed(1),
      r.syncMs.toFixed(1),
      r.hostMs.toFixed(1),
      r.textTokPerS.toFixed(0),
      r.seqTokPerS.toFixed(0),
    ];
    console.log(`| ${cells.join(" | ")} |`);
    return r;
  };
  const tiny = modelConfig({ preset: "tiny" }, VOCAB_SIZE, 24);
  show(await measure(gpu, "tiny", tiny, 16, 64, true, minMs, maxSteps));
  const small = modelConfig({ preset: "small" }, VOCAB_SIZE, 24);
  show(await measure(gpu, "small", small, 16, 128, true, minMs, maxSteps));
  const result: Record<string, unknown> = { adapter: gpu.adapter, rows };
  // The PyTorch-shaped step is 8192 tokens: minutes on a software adapter, so only where there
  // is a GPU or a PyTorch to compare with.
  if (!soft || torch) {
    const T = 256, B = 32;
    const cmp = modelConfig(
      {
        preset: "small",
        overrides: { d_model: 256, n_layers: 4, n_heads: 8, n_kv_heads: 4, d_ff: 704, max_seq: T },
      },
      VOCAB_SIZE,
      24,
    );
    const cmpRow = show(
      await measure(gpu, "d256 L4 (text)", cmp, B, T, false, minMs, soft ? 2 : 30),
    );
    if (torch) {
      const t = await torchStep({
        V: VOCAB_SIZE,
        d: 256,
        L: 4,
        H: 8,
        KV: 4,
        ff: 704,
        T,
        B,
        steps: soft ? 2 : 30,
      });
      const ratio = t.ms / cmpRow.msPerStep;
      console.log(
        `whole training step d=256 L=4 ${B}x${T}: zerogrid ${cmpRow.msPerStep.toFixed(2)} ms, ` +
          `PyTorch eager fp32 (${t.device}) ${t.ms.toFixed(2)} ms; zerogrid runs at ` +
          `${ratio.toFixed(2)}x PyTorch's speed`,
      );
      result.torch = { ...t, ratio };
    } else {
      console.log("PyTorch comparison skipped: python3 with torch is not available here");
    }
  } else {
    console.log("d=256 comparison step skipped: software adapter and no PyTorch to compare with");
  }
  console.log(JSON.stringify(result));
  gpu.device.destroy();
}

if (import.meta.main) await bench();
