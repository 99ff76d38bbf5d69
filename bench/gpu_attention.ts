/**
 * Benchmarks of the attention, loss, decoding and sampling kernels (H4's ops) at the shapes the
 * tiny and small presets use: milliseconds per call, GFLOP/s for attention (FlashAttention's
 * convention: backward = 2.5 x forward FLOPs) and GB/s for the row-wise loss kernels. Where
 * python3 with torch exists, attention forward+backward is also timed in PyTorch eager fp32
 * (TF32 off, explicit masked softmax) on the same shapes and device kind.
 */
import {
  acquireGpu,
  attentionBackward,
  attentionForward,
  attentionKeySplits,
  type AttentionOptions,
  attentionQuerySplits,
  attentionSavedSize,
  crossEntropy,
  decodeAttention,
  entropyForward,
  type Gpu,
  isCpuAdapter,
  kvCacheWrite,
  logprobBackward,
  logprobForward,
  record,
  type Recorder,
  sampleTokens,
  type Tensor,
  tensor,
} from "../lib/gpu/mod.ts";

interface Row {
  op: string;
  shape: string;
  ms: number;
  gflops?: number;
  gbps?: number;
  torchMs?: number;
}

/** Seeded-enough filler (benchmarks only need finite values of a sensible scale). */
function fill(n: number, scale = 1): Float32Array<ArrayBuffer> {
  const a = new Float32Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    a[i] = ((x >>> 8) / 16777216 - 0.5) * 2 * scale;
  }
  return a;
}

/** Milliseconds per call: `reps` calls recorded into one step, best of a few submissions. */
async function time(
  gpu: Gpu,
  build: (r: Recorder) => void,
  reps: number,
  tries: number,
): Promise<number> {
  let best = Infinity;
  for (let t = 0; t <= tries; t++) {
    const r = record(gpu);
    for (let i = 0; i < reps; i++) build(r);
    const t0 = performance.now();
    gpu.device.queue.submit([r.finish()]);
    await gpu.device.queue.onSubmittedWorkDone();
    if (t > 0) best = Math.min(best, (performance.now() - t0) / reps); // t = 0 warms up
  }
  return best;
}

function attentionFlops(o: AttentionOptions): number {
  let pairs = 0;
  for (let i = 0; i < o.seqLen; i++) pairs += Math.min(o.seqLen, Math.max(i + 1, o.prefix));
  return 4 * o.headDim * pairs * o.batch * o.qHeads;
}

const TORCH_ATTN = `
import json, sys, time, torch
cfg = json.loads(sys.argv[1])
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = "cuda" if torch.cuda.is_available() else "cpu"
B, T, H, KV, D, P = cfg["B"], cfg["T"], cfg["H"], cfg["KV"], cfg["D"], cfg["prefix"]
g = torch.Generator(device="cpu").manual_seed(0)
q = torch.randn(B, T, H, D, generator=g).to(dev).requires_grad_()
k = torch.randn(B, T, KV, D, generator=g).to(dev).requires_grad_()
v = torch.randn(B, T, KV, D, generator=g).to(dev).requires_grad_()
do = torch.randn(B, T, H, D, generator=g).to(dev)
i = torch.arange(T, device=dev)
mask = (i[None, :] <= i[:, None]) | (i[None, :] < P)
def fwd():
    qh = q.transpose(1, 2)
    kh = k.transpose(1, 2).repeat_interleave(H // KV, dim=1)
    vh = v.transpose(1, 2).repeat_interleave(H // KV, dim=1)
    s = (qh @ kh.transpose(-1, -2)) * (D ** -0.5)
    s = s.masked_fill(~mask, float("-inf"))
    return (torch.softmax(s, -1) @ vh).transpose(1, 2)
def step():
    out = fwd()
    out.backward(do)
def sync():
    if dev == "cuda": torch.cuda.synchronize()
for _ in range(3): step()
sync()
n = cfg["reps"]
t0 = time.perf_counter()
for _ in range(n): step()
sync()
print(json.dumps({"ms": (time.perf_counter() - t0) / n * 1000, "device": dev}))
`;

async function torchAttention(cfg: Record<string, number | string>): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("python3", {
      args: ["-c", TORCH_ATTN, JSON.stringify(cfg)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) return undefined;
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    return JSON.parse(lines[lines.length - 1]).ms;
  } catch {
    return undefined;
  }
}

/** Print the table (and a JSON line) for this machine's adapter. */
export async function bench(): Promise<void> {
  const gpu = await acquireGpu();
  const soft = gpu.isFallback || /llvmpipe|swiftshader|lavapipe/i.test(gpu.adapter);
  console.log(`adapter: ${gpu.adapter}${soft ? " (software)" : ""}`);
  const reps = soft ? 2 : 20, tries = soft ? 1 : 3;
  const rows: Row[] = [];
  const defaultSplits = attentionQuerySplits(isCpuAdapter(gpu));
  const defaultKeySplits = attentionKeySplits(isCpuAdapter(gpu));
  const V = 152;
  const presets = [
    { name: "tiny", B: 16, T: 160, H: 4, KV: 2, D: 16, prefix: 16 },
    { name: "small", B: 32, T: 256, H: 8, KV: 4, D: 32, prefix: 16 },
  ];
  for (const p of presets) {
    const o: AttentionOptions = {
      batch: p.B,
      seqLen: p.T,
      qHeads: p.H,
      kvHeads: p.KV,
      headDim: p.D,
      prefix: p.prefix,
      scale: 1 / Math.sqrt(p.D),
    };
    const nq = p.B * p.T * p.H * p.D, nk = p.B * p.T * p.KV * p.D;
    const t = (n: number, s = 1): Tensor => tensor(gpu, [n], fill(n, s));
    const q = t(nq), k = t(nk), v = t(nk), dout = t(nq), out = t(nq);
    const saved = tensor(gpu, [attentionSavedSize(o)]);
    const dq = t(nq), dk = t(nk), dv = t(nk);
    const shape = `${p.name}: B${p.B} T${p.T} Hq${p.H} Hkv${p.KV} D${p.D} prefix${p.prefix}`;
    const flops = attentionFlops(o);
    const fwdMs = await time(gpu, (r) => attentionForward(r, out, saved, q, k, v, o), reps, tries);
    rows.push({ op: "attention fwd", shape, ms: fwdMs, gflops: flops / fwdMs / 1e6 });
    const bwdMs = await time(
      gpu,
      (r) => attentionBackward(r, dq, dk, dv, dout, q, k, v, out, saved, o),
      reps,
      tries,
    );
    rows.push({ op: "attention bwd", shape, ms: bwdMs, gflops: 2.5 * flops / bwdMs / 1e6 });
    // The dk/dv pass's other query splits (the row above is the adapter's default,
    // attentionQuerySplits), so one run shows whether that default is still the best.
    for (const querySplits of [1, 4, 8, 16].filter((s) => s !== defaultSplits)) {
      const os = { ...o, querySplits };
      const ms = await time(
        gpu,
        (r) => attentionBackward(r, dq, dk, dv, dout, q, k, v, out, saved, os),
        reps,
        tries,
      );
      rows.push({
        op: `attention bwd, dk/dv S${querySplits}`,
        shape,
        ms,
        gflops: 2.5 * flops / ms / 1e6,
      });
    }
    // The forward and dq passes' other key splits (default: attentionKeySplits).
    for (const keySplits of [1, 4, 8, 16].filter((s) => s !== defaultKeySplits)) {
      const os = { ...o, keySplits };
      const f = await time(gpu, (r) => attentionForward(r, out, saved, q, k, v, os), reps, tries);
      rows.push({ op: `attention fwd SK${keySplits}`, shape, ms: f, gflops: flops / f / 1e6 });
      const b = await time(
        gpu,
        (r) => attentionBackward(r, dq, dk, dv, dout, q, k, v, out, saved, os),
        reps,
        tries,
      );
      rows.push({
        op: `attention bwd, dq SK${keySplits}`,
        shape,
        ms: b,
        gflops: 2.5 * flops / b / 1e6,
      });
    }
    const torchMs = await torchAttention({ ...p, reps: soft ? 2 : 20 });
    if (torchMs !== undefined) rows.push({ op: "torch attention fwd+bwd", shape, ms: torchMs });
    rows.push({ op: "zerogrid attention fwd+bwd", shape, ms: fwdMs + bwdMs, torchMs });

    // Row-wise losses over every token of the batch.
    const N = p.B * p.T;
    const logits = t(N * V, 4), dl = t(N * V);
    const targets = tensor(gpu, [N], Uint32Array.from({ length: N }, (_, i) => (i * 7) % V));
    const mask = tensor(gpu, [N], new Float32Array(N).fill(1)), loss = t(N), g = t(N);
    const lshape = `${p.name}: N${N} V${V}`;
    const bytes = N * V * 4;
    const ceMs = await time(
      gpu,
      (r) => crossEntropy(r, loss, dl, logits, targets, mask, { rows: N, vocab: V, factor: 1 / N }),
      reps,
      tries,
    );
    rows.push({
      op: "cross-entropy fwd+bwd",
      shape: lshape,
      ms: ceMs,
      gbps: 2 * bytes / ceMs / 1e6,
    });
    const lo = { rows: N, vocab: V, scale: 1 };
    const lpMs = await time(gpu, (r) => logprobForward(r, loss, logits, targets, lo), reps, tries);
    rows.push({ op: "logprob fwd", shape: lshape, ms: lpMs, gbps: bytes / lpMs / 1e6 });
    const lbMs = await time(
      gpu,
      (r) => logprobBackward(r, dl, logits, targets, g, lo),
      reps,
      tries,
    );
    rows.push({ op: "logprob bwd", shape: lshape, ms: lbMs, gbps: 2 * bytes / lbMs / 1e6 });
    const enMs = await time(gpu, (r) => entropyForward(r, loss, logits, lo), reps, tries);
    rows.push({ op: "entropy", shape: lshape, ms: enMs, gbps: bytes / enMs / 1e6 });

    // Decoding: 64 sequences (8 prompts x group 8), caches of max_seq, half full.
    const Bd = 64, Tmax = p.T;
    const kc = t(Bd * Tmax * p.KV * p.D), vc = t(Bd * Tmax * p.KV * p.D);
    const qd = t(Bd * p.H * p.D), od = t(Bd * p.H * p.D);
    const kn = t(Bd * p.KV * p.D), vn = t(Bd * p.KV * p.D);
    const pos = tensor(gpu, [Bd], new Uint32Array(Bd).fill(Tmax / 2));
    const lens = tensor(gpu, [Bd], new Uint32Array(Bd).fill(Tmax / 2 + 1));
    const dshape = `${p.name}: B${Bd} len${Tmax / 2 + 1} Hq${p.H} Hkv${p.KV} D${p.D}`;
    const kvMs = await time(
      gpu,
      (r) =>
        kvCacheWrite(r, kc, vc, kn, vn, pos, {
          batch: Bd,
          newTokens: 1,
          maxSeq: Tmax,
          kvHeads: p.KV,
          headDim: p.D,
        }),
      reps,
      tries,
    );
    rows.push({ op: "kv-cache append", shape: dshape, ms: kvMs });
    const decMs = await time(
      gpu,
      (r) =>
        decodeAttention(r, od, qd, kc, vc, lens, {
          batch: Bd,
          qHeads: p.H,
          kvHeads: p.KV,
          headDim: p.D,
          maxSeq: Tmax,
          scale: 1 / Math.sqrt(p.D),
        }),
      reps,
      tries,
    );
    const decBytes = 2 * Bd * (Tmax / 2 + 1) * p.KV * p.D * 4;
    rows.push({ op: "decode attention", shape: dshape, ms: decMs, gbps: decBytes / decMs / 1e6 });
  }
  const Bs = 64;
  const sl = tensor(gpu, [Bs * V], fill(Bs * V, 4));
  const ids = tensor(gpu, [Bs], Uint32Array.from({ length: Bs }, (_, i) => i));
  const tok = tensor(gpu, [Bs]);
  for (
    const s of [{ temperature: 0, topK: 0, topP: 1 }, { temperature: 1, topK: 0, topP: 1 }, {
      temperature: 1,
      topK: 20,
      topP: 0.9,
    }]
  ) {
    const ms = await time(
      gpu,
      (r) =>
        sampleTokens(r, tok, sl, ids, ids, {
          batch: Bs,
          vocab: V,
          seed: 1,
          step: 0,
          ...s,
        }),
      reps,
      tries,
    );
    rows.push({
      op: `sample T=${s.temperature} k=${s.topK} p=${s.topP}`,
      shape: `B${Bs} V${V}`,
      ms,
    });
  }
  const f = (x: number | undefined, d = 1) => x === undefined ? "" : x.toFixed(d);
  console.log(
    "| op | shape | ms | GFLOP/s | GB/s | PyTorch ms | zerogrid / PyTorch speed |\n" +
      "|---|---|---:|---:|---:|---:|---:|\n" +
      rows.map((r) =>
        `| ${r.op} | ${r.shape} | ${f(r.ms, 3)} | ${f(r.gflops)} | ${f(r.gbps)} | ${
          f(r.torchMs, 3)
        } | ${r.torchMs ? (r.torchMs / r.ms).toFixed(2) : ""} |`
      ).join("\n"),
  );
  console.log(JSON.stringify({ suite: "gpu_attention", adapter: gpu.adapter, rows }));
  gpu.device.destroy();
}

if (import.meta.main) await bench();
