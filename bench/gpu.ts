/**
 * `deno task bench gpu`: per-kernel time, GFLOP/s and GB/s of the WebGPU engine at the shapes of
 * the `small` model preset (d 256, 8 heads of 32, 4 KV heads, d_ff 704, 32 × 256 tokens; 8 × 256
 * on a CPU adapter) and for 1024³ / 4096³ matmuls (4096³ skipped on a CPU adapter, where 1024³
 * is also timed with the tiled kernel, the reference for the CPU's direct kernel). Where
 * `python3 -c "import torch"` works with CUDA, the same shapes are timed in PyTorch fp32 (TF32
 * off) in the same run and the ratio is printed. Writes `results/bench/gpu.json`.
 */
import {
  acquireGpu,
  enableProfiling,
  type Gpu,
  type Recorder,
  resetProfile,
  run,
  type Tensor,
  tensor,
} from "../lib/gpu/context.ts";
import { isCpuAdapter, matmul, MATMUL_TILES, type MatmulTile } from "../lib/gpu/ops/matmul.ts";
import { rmsnormBackward, rmsnormForward } from "../lib/gpu/ops/rmsnorm.ts";
import { ropeForward } from "../lib/gpu/ops/rope.ts";
import { swigluBackwardFused, swigluForwardFused } from "../lib/gpu/ops/swiglu.ts";
import { embeddingBackward, embeddingForward } from "../lib/gpu/ops/embedding.ts";
import { add } from "../lib/gpu/ops/elementwise.ts";
import { biasBackward } from "../lib/gpu/ops/reduce.ts";
import { adamwStep, gradNorm } from "../lib/gpu/ops/optim.ts";

/** One benchmark row. */
interface Row {
  name: string;
  shape: string;
  ms: number;
  gflops: number | null;
  gbps: number;
  torchMs?: number;
}

/** A PyTorch-timed twin of a row (see TORCH_SCRIPT). */
interface TorchOp {
  name: string;
  kind: "mm" | "rmsnorm" | "swiglu" | "add" | "adamw" | "embedding";
  dims: Record<string, number | boolean>;
}

const TORCH_SCRIPT = String.raw`
import json, sys, torch
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
ops = json.loads(sys.argv[1]); reps = int(sys.argv[2])
dev = "cuda"
out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "ms": {}}
def timeit(fn):
    for _ in range(3): fn()
    torch.cuda.synchronize()
    s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(reps): fn()
    e.record(); torch.cuda.synchronize()
    return s.elapsed_time(e) / reps
for op in ops:
    d = op["dims"]; k = op["kind"]
    if k == "mm":
        a = torch.randn(d["k"], d["m"], device=dev) if d["ta"] else torch.randn(d["m"], d["k"], device=dev)
        b = torch.randn(d["n"], d["k"], device=dev) if d["tb"] else torch.randn(d["k"], d["n"], device=dev)
        A = a.t() if d["ta"] else a; B = b.t() if d["tb"] else b
        c = torch.empty(d["m"], d["n"], device=dev)
        fn = lambda: torch.mm(A, B, out=c)
    elif k == "rmsnorm":
        x = torch.randn(d["rows"], d["dim"], device=dev); w = torch.randn(d["dim"], device=dev)
        fn = lambda: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w
    elif k == "swiglu":
        gu = torch.randn(d["rows"], 2 * d["dim"], device=dev)
        fn = lambda: torch.nn.functional.silu(gu[:, :d["dim"]]) * gu[:, d["dim"]:]
    elif k == "add":
        x = torch.randn(d["n"], device=dev); y = torch.randn(d["n"], device=dev)
        fn = lambda: x + y
    elif k == "embedding":
        t = torch.randint(0, d["vocab"], (d["n"],), device=dev); E = torch.randn(d["vocab"], d["dim"], device=dev)
        fn = lambda: torch.nn.functional.embedding(t, E)
    elif k == "adamw":
        p = torch.nn.Parameter(torch.randn(d["n"], device=dev)); p.grad = torch.randn(d["n"], device=dev)
        opt = torch.optim.AdamW([p], lr=1e-3, weight_decay=0.01, fused=True)
        fn = lambda: opt.step()
    out["ms"][op["name"]] = timeit(fn)
print(json.dumps(out))
`;

/** Time `build` (recorded `reps` times into one step) in ms per repetition. */
async function timeOp(
  gpu: Gpu,
  build: (r: Recorder) => void,
  reps: number,
  useTs: boolean,
): Promise<number> {
  await run(gpu, build); // warm-up: pipelines compiled, buffers touched
  if (useTs) {
    resetProfile(gpu);
    await run(gpu, (r) => {
      for (let i = 0; i < reps; i++) build(r);
    });
    let ns = 0;
    for (const [, [, t]] of gpu.profiler!.totals) ns += t;
    return ns / 1e6 / reps;
  }
  const t0 = performance.now();
  await run(gpu, (r) => {
    for (let i = 0; i < reps; i++) build(r);
  });
  return (performance.now() - t0) / reps;
}

function rand(gpu: Gpu, n: number, seed: number, lo = -1, hi = 1): Tensor {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return tensor(gpu, [n], a);
}

/** Does python3 with CUDA torch exist here? */
async function torchAvailable(): Promise<boolean> {
  try {
    const p = await new Deno.Command("python3", {
      args: ["-c", "import torch; assert torch.cuda.is_available()"],
      stdout: "null",
      stderr: "null",
    }).output();
    return p.success;
  } catch {
    return false;
  }
}

async function runTorch(
  ops: TorchOp[],
  reps: number,
): Promise<{ device: string; torch: string; ms: Record<string, number> } | null> {
  const p = await new Deno.Command("python3", {
    args: ["-c", TORCH_SCRIPT, JSON.stringify(ops), String(reps)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!p.success) {
    console.error(
      `bench gpu: PyTorch run failed: ${new TextDecoder().decode(p.stderr).slice(-2000)}`,
    );
    return null;
  }
  const lines = new TextDecoder().decode(p.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

/** Run the GPU benchmark suite, print its table and write results/bench/gpu.json. */
export async function bench(): Promise<void> {
  const gpu = await acquireGpu();
  const cpu = isCpuAdapter(gpu);
  const useTs = !cpu && enableProfiling(gpu);
  const reps = cpu ? 2 : 20;
  const rows: Row[] = [];
  const torchOps: TorchOp[] = [];
  const sweep: { tile: MatmulTile; gflops: number }[] = [];

  const mm = async (
    m: number,
    n: number,
    k: number,
    ta: boolean,
    tb: boolean,
    tile?: MatmulTile,
  ) => {
    const a = rand(gpu, m * k, 1), b = rand(gpu, k * n, 2), c = tensor(gpu, [m * n]);
    const ms = await timeOp(
      gpu,
      (r) => matmul(r, c, a, b, { m, n, k, transA: ta, transB: tb, tile }),
      reps,
      useTs,
    );
    for (const t of [a, b, c]) t.buffer.destroy();
    return {
      ms,
      gflops: (2 * m * n * k) / ms / 1e6,
      gbps: (4 * (m * k + k * n + m * n)) / ms / 1e6,
    };
  };
  const addMm = async (name: string, m: number, n: number, k: number, ta = false, tb = false) => {
    const r = await mm(m, n, k, ta, tb);
    rows.push({ name, shape: `${m}x${n}x${k} ${ta ? "T" : "N"}${tb ? "T" : "N"}`, ...r });
    torchOps.push({ name, kind: "mm", dims: { m, n, k, ta, tb } });
    return r;
  };

  const mm1024 = await addMm("matmul 1024^3", 1024, 1024, 1024);
  // A CPU adapter's default is the direct kernel; the tiled kernel on the same product is the
  // in-run reference for it (there is no PyTorch to compare with there).
  let directVsTiled: number | null = null;
  if (cpu) {
    const r = await mm(1024, 1024, 1024, false, false, MATMUL_TILES.cpu);
    directVsTiled = r.ms / mm1024.ms;
    rows.push({ name: "matmul 1024^3 (tiled)", shape: "1024x1024x1024 NN", ...r });
  }
  if (!cpu) {
    await addMm("matmul 4096^3", 4096, 4096, 4096);
    const candidates: MatmulTile[] = [
      { bm: 256, bn: 128, bk: 16, tm: 16, tn: 8 },
      { bm: 256, bn: 128, bk: 8, tm: 16, tn: 8 },
      { bm: 128, bn: 256, bk: 16, tm: 8, tn: 16 },
      { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 },
      { bm: 128, bn: 128, bk: 16, tm: 8, tn: 8 },
      { bm: 128, bn: 64, bk: 16, tm: 8, tn: 4 },
      { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 },
    ];
    for (const tile of candidates) {
      try {
        sweep.push({
          tile,
          gflops: (await mm(4096, 4096, 4096, false, false, tile)).gflops,
        });
      } catch (e) {
        console.error(`bench gpu: tile ${JSON.stringify(tile)} failed: ${(e as Error).message}`);
      }
    }
  }

  // Model shapes (`small` preset): T tokens, d 256, q 8x32 + kv 2 x 4x32, d_ff 704, vocab 512.
  const T = cpu ? 8 * 256 : 32 * 256, d = 256, qkv = 512, ff = 704, V = 512;
  await addMm("qkv proj (fwd)", T, qkv, d, false, true);
  await addMm("attn out proj (fwd)", T, d, d, false, true);
  await addMm("gate|up proj (fwd)", T, 2 * ff, d, false, true);
  await addMm("down proj (fwd)", T, d, ff, false, true);
  await addMm("lm head (fwd)", T, V, d, false, true);
  await addMm("down proj dx (bwd)", T, ff, d);
  await addMm("gate|up proj dW (bwd)", 2 * ff, d, T, true, false);

  const x = rand(gpu, T * d, 3),
    w = rand(gpu, d, 4),
    y = tensor(gpu, [T * d]),
    dx = tensor(gpu, [T * d]);
  const dw = tensor(gpu, [d]);
  const el = async (
    name: string,
    shape: string,
    bytes: number,
    build: (r: Recorder) => void,
    torch?: TorchOp,
  ) => {
    const ms = await timeOp(gpu, build, reps, useTs);
    rows.push({ name, shape, ms, gflops: null, gbps: bytes / ms / 1e6 });
    if (torch) torchOps.push(torch);
  };
  const o = { rows: T, dim: d, eps: 1e-6 };
  await el("rmsnorm fwd", `${T}x${d}`, 8 * T * d, (r) => rmsnormForward(r, y, x, w, o), {
    name: "rmsnorm fwd",
    kind: "rmsnorm",
    dims: { rows: T, dim: d },
  });
  await el(
    "rmsnorm bwd (dx, dw)",
    `${T}x${d}`,
    20 * T * d,
    (r) => rmsnormBackward(r, dx, dw, y, x, w, { ...o, accumulateDx: false, accumulate: false }),
  );
  await el(
    "rope fwd (q)",
    `${T}x8x32`,
    8 * T * d,
    (r) =>
      ropeForward(r, y, x, {
        rows: T,
        seq: 256,
        heads: 8,
        headDim: 32,
        theta: 10000,
        posOffset: 0,
      }),
  );
  await el("residual add", `${T * d}`, 12 * T * d, (r) => add(r, y, x, dx, { n: T * d }), {
    name: "residual add",
    kind: "add",
    dims: { n: T * d },
  });
  const gu = rand(gpu, T * 2 * ff, 5), h = tensor(gpu, [T * ff]), dgu = tensor(gpu, [T * 2 * ff]);
  await el(
    "swiglu fwd (fused)",
    `${T}x${ff}`,
    12 * T * ff,
    (r) => swigluForwardFused(r, h, gu, { rows: T, dim: ff }),
    {
      name: "swiglu fwd (fused)",
      kind: "swiglu",
      dims: { rows: T, dim: ff },
    },
  );
  await el(
    "swiglu bwd (fused)",
    `${T}x${ff}`,
    20 * T * ff,
    (r) => swigluBackwardFused(r, dgu, h, gu, { rows: T, dim: ff }),
  );
  const tokens = tensor(gpu, [T], Uint32Array.from({ length: T }, (_, i) => (i * 7919) % V));
  const E = rand(gpu, V * d, 6), dE = tensor(gpu, [V * d]);
  await el(
    "embedding fwd",
    `${T} of ${V}x${d}`,
    8 * T * d,
    (r) => embeddingForward(r, y, tokens, E, { n: T, vocab: V, dim: d }),
    {
      name: "embedding fwd",
      kind: "embedding",
      dims: { n: T, vocab: V, dim: d },
    },
  );
  await el(
    "embedding bwd",
    `${T} of ${V}x${d}`,
    4 * (T * d + V * d + V * T),
    (r) => embeddingBackward(r, dE, x, tokens, { n: T, vocab: V, dim: d, accumulate: false }),
  );
  const db = tensor(gpu, [qkv]), dyq = rand(gpu, T * qkv, 7);
  await el(
    "bias bwd (qkv)",
    `${T}x${qkv}`,
    4 * T * qkv,
    (r) => biasBackward(r, db, dyq, { rows: T, cols: qkv, accumulate: false }),
  );
  const P = 4 * (qkv * d + d * d + 2 * ff * d + ff * d) + V * d;
  const pw = rand(gpu, P, 8),
    pg = rand(gpu, P, 9),
    pm = tensor(gpu, [P]),
    pv = tensor(gpu, [P]),
    nrm = tensor(gpu, [3]);
  await el("grad norm", `${P}`, 4 * P, (r) => gradNorm(r, nrm, [pg], { maxNorm: 1 }));
  await el(
    "adamw (clipped)",
    `${P}`,
    28 * P,
    (r) =>
      adamwStep(r, pw, pm, pv, pg, nrm, {
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.01,
        step: 1,
      }),
    {
      name: "adamw (clipped)",
      kind: "adamw",
      dims: { n: P },
    },
  );

  let torchInfo: { device: string; torch: string } | null = null;
  if (await torchAvailable()) {
    const t = await runTorch(torchOps, reps);
    if (t) {
      torchInfo = { device: t.device, torch: t.torch };
      for (const row of rows) if (row.name in t.ms) row.torchMs = t.ms[row.name];
    }
  }

  const f = (v: number | null | undefined, digits = 1) => (v == null ? "" : v.toFixed(digits));
  console.log(
    `adapter: ${gpu.adapter}${cpu ? " (CPU)" : ""}; timing: ${
      useTs ? "timestamp-query" : "wall clock"
    }, ${reps} reps`,
  );
  if (torchInfo) console.log(`PyTorch ${torchInfo.torch} on ${torchInfo.device}, fp32, TF32 off`);
  const header = ["kernel", "shape", "ms", "GFLOP/s", "GB/s", "torch ms", "ours/torch speed"];
  const table = rows.map((r) => [
    r.name,
    r.shape,
    f(r.ms, 3),
    f(r.gflops),
    f(r.gbps),
    f(r.torchMs, 3),
    r.torchMs ? `${(100 * r.torchMs / r.ms).toFixed(0)}%` : "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  for (const r of table) console.log(line(r));
  if (directVsTiled !== null) {
    console.log(`matmul 1024^3: direct kernel ${directVsTiled.toFixed(2)}x the tiled one`);
  }
  if (sweep.length) {
    console.log("matmul 4096^3 NN tile sweep (GFLOP/s):");
    for (const s of sweep) console.log(`  ${JSON.stringify(s.tile)}  ${s.gflops.toFixed(0)}`);
  }
  await Deno.mkdir("results/bench", { recursive: true });
  await Deno.writeTextFile(
    "results/bench/gpu.json",
    JSON.stringify(
      {
        adapter: gpu.adapter,
        cpu,
        timing: useTs ? "timestamp-query" : "wall",
        reps,
        torch: torchInfo,
        rows,
        sweep,
        when: new Date().toISOString(),
      },
      null,
      2,
    ),
  );
  gpu.device.destroy();
}

if (import.meta.main) await bench();
