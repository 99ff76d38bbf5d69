/** Matmul in every layout the model needs (A·B, A·Bᵀ, Aᵀ·B; batched; bias; accumulate). */
import {
  type Gpu,
  GpuError,
  grid1d,
  kernel,
  type Recorder,
  scratchBuffer,
  type Tensor,
  uniforms,
} from "../context.ts";
import { dims, distinct, isCpuAdapter, loopBudget, need, SOFTWARE_LOOP_BUDGET } from "./util.ts";

/**
 * A matmul tiling (matmul.wgsl): workgroup tile BM×BN×BK staged through workgroup memory, each
 * thread TM×TN outputs (multiples of 4) held in registers.
 */
export interface MatmulTile {
  bm: number;
  bn: number;
  bk: number;
  tm: number;
  tn: number;
}

/**
 * Tilings by adapter kind and problem size. GPUs (from a sweep on an H100, tiles double-buffered
 * when two fit in workgroup memory): 256×128×16 tiles with 16×8 outputs per thread for large
 * products, 128×128×8 with 8×8 below that (more workgroups), 64×64 for small ones. CPU SIMD
 * (llvmpipe): every per-invocation storage load is a scalar loop over the SIMD lanes there, so
 * FMAs per load rule: 16×16 outputs per thread. 256×128 tiles there ran ~20% faster but took
 * ~77 s of CPU to compile (64×64: ~8 s), which every cold test run and training job would pay
 * per matmul variant. Small products use small tiles: less padding, more workgroups, and (on
 * CPU) far cheaper shader compiles.
 */
export const MATMUL_TILES: Record<
  "gpuLarge" | "gpu" | "gpuSmall" | "cpu" | "cpuSmall",
  MatmulTile
> = {
  gpuLarge: { bm: 256, bn: 128, bk: 16, tm: 16, tn: 8 },
  gpu: { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 },
  gpuSmall: { bm: 64, bn: 64, bk: 8, tm: 4, tn: 4 },
  cpu: { bm: 64, bn: 64, bk: 8, tm: 16, tn: 16 },
  cpuSmall: { bm: 32, bn: 32, bk: 8, tm: 8, tn: 8 },
};

/** Products with fewer outputs than this use the small tilings. */
const SMALL_OUTPUTS = 256 * 256;
/** Products with at least this many outputs use the large GPU tiling. */
const LARGE_OUTPUTS = 2048 * 4096;

export { isCpuAdapter } from "./util.ts";

/** The default tiling for an m×n output (per batch) on this device. */
export function defaultTile(gpu: Gpu, m: number, n: number): MatmulTile {
  const small = m * n < SMALL_OUTPUTS;
  if (isCpuAdapter(gpu)) return small ? MATMUL_TILES.cpuSmall : MATMUL_TILES.cpu;
  if (small) return MATMUL_TILES.gpuSmall;
  return m * n >= LARGE_OUTPUTS ? MATMUL_TILES.gpuLarge : MATMUL_TILES.gpu;
}

/**
 * A tiling of matmul_direct.wgsl, the kernel for CPU SIMD adapters: each invocation computes
 * tm×tn outputs (multiples of 4) straight from storage, wg invocations side by side along N.
 */
export interface DirectTile {
  tm: number;
  tn: number;
  wg: number;
}

/**
 * The direct kernel's tiling for an m×n output. On llvmpipe (2-core CI machine, 1024³ in a scratch
 * harness): 8×8 outputs per invocation ran 15 GFLOP/s, 16×16 27 (0.6 s to compile), 24×16 32
 * (1.1 s), 32×32 32 (5 s to compile, which every cold test run would pay). wg = 8 is one SIMD
 * vector of llvmpipe's 256-bit lanes (8 and 16 ran alike); small outputs take smaller blocks so
 * that fewer lanes compute clamped rows and columns.
 */
export function directTile(m: number, n: number): DirectTile {
  return { tm: m >= 512 ? 24 : 16, tn: n >= 128 ? 16 : n > 32 ? 8 : 4, wg: 8 };
}

/** Options of `matmul`: C[z] = alpha · op(A[z]) · op(B[z]) (+ bias) (+ C[z]). */
export interface MatmulOptions {
  /** Rows of op(A) and C. */
  m: number;
  /** Columns of op(B) and C. */
  n: number;
  /** Inner dimension. */
  k: number;
  /** Batch count (default 1); matrices of batch z start at z * stride. */
  batch?: number;
  /** A stored [k, m] (compute Aᵀ·B). */
  transA?: boolean;
  /** B stored [n, k] (compute A·Bᵀ). */
  transB?: boolean;
  /** Batch strides in elements (defaults m*k, k*n, m*n; 0 broadcasts one matrix to all batches). */
  strideA?: number;
  strideB?: number;
  strideC?: number;
  /** Scale of the product (default 1); bias and accumulated C are not scaled. */
  alpha?: number;
  /** C += result instead of C = result. */
  accumulate?: boolean;
  /** Override the tiling (benchmarks and tests). */
  tile?: MatmulTile;
  /** Use matmul_direct.wgsl with this tiling (tests; the default on CPU adapters). */
  direct?: DirectTile;
  /** Override the number of K splits (batch 1 only; default: enough workgroups for the device). */
  splitK?: number;
  /** Profiler label (default "matmul <layout>"). */
  label?: string;
}

/** Record C = alpha · op(A) · op(B) (+ bias[n] per column) (+ C), batched. */
export function matmul(
  r: Recorder,
  c: Tensor,
  a: Tensor,
  b: Tensor,
  opts: MatmulOptions,
  bias?: Tensor,
): void {
  const { m, n, k } = opts;
  const batch = opts.batch ?? 1;
  dims("matmul", { m, n, k, batch });
  const sA = opts.strideA ?? m * k, sB = opts.strideB ?? k * n, sC = opts.strideC ?? m * n;
  need("matmul", "A", a, (batch - 1) * sA + m * k);
  need("matmul", "B", b, (batch - 1) * sB + k * n);
  need("matmul", "C", c, (batch - 1) * sC + m * n);
  if (bias) need("matmul", "bias", bias, n);
  distinct("matmul", { C: c, A: a });
  distinct("matmul", { C: c, B: b });
  if (bias) distinct("matmul", { C: c, bias });
  if (batch > 65535) throw new GpuError(`matmul: batch ${batch} exceeds 65535`);
  const cpu = isCpuAdapter(r.gpu);
  const direct = opts.direct ?? (!opts.tile && cpu ? directTile(m, n) : null);
  const t = opts.tile ?? defaultTile(r.gpu, m, n);
  // Rows, columns and K per workgroup step of the kernel in use (the direct kernel walks K by 4).
  const bm = direct ? direct.tm : t.bm, bn = direct ? direct.wg * direct.tn : t.bn;
  const bk = direct ? 4 : t.bk;
  const ta = !!opts.transA, tb = !!opts.transB;
  // vec4 access needs the contiguous extent and every batch start aligned to 4 elements.
  const va = (ta ? m : k) % 4 === 0 && sA % 4 === 0 && bk % 4 === 0;
  const vb = (tb ? k : n) % 4 === 0 && sB % 4 === 0 && bk % 4 === 0;
  const vc = n % 4 === 0 && sC % 4 === 0;
  const tiles = Math.ceil(n / bn) * Math.ceil(m / bm) * batch;
  // A thread loops over its K range one BK step at a time (the tiled kernel: an outer pass plus
  // BK inner ones, too large to unroll): on a software adapter that caps loop passes, split K so
  // that every range fits (batch 1), or refuse the shape (batched).
  const passes = direct ? 1 : bk + 2;
  const maxKc = cpu ? Math.floor((SOFTWARE_LOOP_BUDGET - 512) / passes) * bk : Infinity;
  const capSplit = Math.ceil(k / maxKc);
  if (capSplit > 1 && batch > 1) {
    loopBudget(r.gpu, "matmul", (k / bk) * passes, `batched K ${k}`);
  }
  const split = Math.max(opts.splitK ?? splitFactor(r.gpu, tiles, k, batch, bk), capSplit);
  if (split > 1 && batch > 1) throw new GpuError(`matmul: splitK needs batch 1, got ${batch}`);
  if (Math.ceil(m / bm) > 65535 || Math.ceil(n / bn) > 65535) {
    throw new GpuError(`matmul: ${m}x${n} needs more than 65535 tiles along one dimension`);
  }
  const kc = Math.ceil(Math.ceil(k / split) / bk) * bk;
  const splits = Math.ceil(k / kc);
  const io = {
    TA: ta,
    TB: tb,
    VA: va,
    VB: vb,
    VC: splits > 1 ? n % 4 === 0 : vc,
    SPLIT: splits > 1,
    BIAS: splits === 1 && !!bias,
    ACC: splits === 1 && !!opts.accumulate,
  };
  const p = direct
    ? kernel(r.gpu, {
      file: "matmul_direct.wgsl",
      defines: {
        ...io,
        TM: direct.tm,
        TM4: direct.tm / 4,
        TN4: direct.tn / 4,
        WG: direct.wg,
        WGTN: direct.wg * direct.tn,
      },
    })
    : tiledKernel(r.gpu, t, va, vb, io);
  const label = opts.label ?? `matmul ${ta ? "T" : "N"}${tb ? "T" : "N"}`;
  if (splits === 1) {
    const buffers = [a.buffer, b.buffer, c.buffer];
    if (bias) buffers.push(bias.buffer);
    r.dispatch(
      p,
      uniforms([m, n, k, 0, sA, sB, sC, 0], [opts.alpha ?? 1]),
      buffers,
      [Math.ceil(n / bn), Math.ceil(m / bm), batch],
      label,
    );
    return;
  }
  // Split K: partial products into scratch, then a fixed-order sum into C.
  const part = scratchBuffer(r.gpu, "matmul.splitk", splits * m * n * 4);
  r.dispatch(
    p,
    uniforms([m, n, k, kc, 0, 0, m * n, 0], [1]),
    [a.buffer, b.buffer, part],
    [Math.ceil(n / bn), Math.ceil(m / bm), splits],
    `${label} split-k`,
  );
  const red = kernel(r.gpu, {
    file: "matmul_reduce.wgsl",
    defines: { BIAS: !!bias, ACC: !!opts.accumulate },
  });
  const buffers = [part, c.buffer];
  if (bias) buffers.push(bias.buffer);
  r.dispatch(
    red,
    uniforms([m * n, n, splits, 0], [opts.alpha ?? 1]),
    buffers,
    grid1d(m * n, 256),
    `${label} split-k reduce`,
  );
}

/** The pipeline of matmul.wgsl for tiling `t`, given the layout flags shared with the direct kernel. */
function tiledKernel(
  gpu: Gpu,
  t: MatmulTile,
  va: boolean,
  vb: boolean,
  io: Record<string, boolean>,
): GPUComputePipeline {
  const nt = (t.bm / t.tm) * (t.bn / t.tn);
  const aTotal = (t.bm * t.bk) / (va ? 4 : 1), bTotal = (t.bn * t.bk) / (vb ? 4 : 1);
  const asLen = (t.bk * t.bm) / 4, bsLen = (t.bk * t.bn) / 4;
  // Double-buffer the tiles (one barrier per K tile) when two copies fit in workgroup memory.
  const db = 2 * 16 * (asLen + bsLen) <= gpu.device.limits.maxComputeWorkgroupStorageSize;
  const defines = {
    ...io,
    BM: t.bm,
    BN: t.bn,
    BK: t.bk,
    TM: t.tm,
    TN: t.tn,
    NT: nt,
    AS_LEN: asLen,
    BS_LEN: bsLen,
    AS_ALLOC: db ? 2 * asLen : asLen,
    BS_ALLOC: db ? 2 * bsLen : bsLen,
    DB: db,
    CM: t.tm / 4,
    CN: t.tn / 4,
    A_TOTAL: aTotal,
    B_TOTAL: bTotal,
    LA: Math.ceil(aTotal / nt),
    LB: Math.ceil(bTotal / nt),
    AV: va ? "vec4<f32>" : "f32",
    BV: vb ? "vec4<f32>" : "f32",
  };
  return kernel(gpu, { file: "matmul.wgsl", defines });
}

/**
 * How many K splits keep the device busy: GPUs want a few hundred workgroups, a CPU adapter
 * only a handful; each split keeps at least 256 of K (a partial write costs m*n per split).
 */
function splitFactor(gpu: Gpu, tiles: number, k: number, batch: number, bk: number): number {
  if (batch > 1) return 1;
  const want = isCpuAdapter(gpu) ? 8 : 264;
  if (tiles >= want) return 1;
  return Math.max(1, Math.min(Math.ceil(want / tiles), Math.floor(k / Math.max(256, bk)), 64));
}

/** Shapes of a linear layer y[rows, out] = x[rows, in] · W[out, in]ᵀ (+ b[out]). */
export interface LinearOptions {
  rows: number;
  inDim: number;
  outDim: number;
}

/** y = x · Wᵀ (+ bias), W stored [outDim, inDim] as in PyTorch/HF checkpoints. */
export function linearForward(
  r: Recorder,
  y: Tensor,
  x: Tensor,
  w: Tensor,
  opts: LinearOptions,
  bias?: Tensor,
): void {
  matmul(r, y, x, w, {
    m: opts.rows,
    n: opts.outDim,
    k: opts.inDim,
    transB: true,
    label: "linear fwd",
  }, bias);
}

/**
 * Backward of `linearForward`: dx (=|+=) dy · W, dW (=|+=) dyᵀ · x. Pass null for gradients not
 * wanted (e.g. dx of the first layer). Bias gradients are `biasBackward` (ops/reduce.ts).
 */
export function linearBackward(
  r: Recorder,
  dx: Tensor | null,
  dw: Tensor | null,
  dy: Tensor,
  x: Tensor,
  w: Tensor,
  opts: LinearOptions & { accumulateDx: boolean; accumulate: boolean },
): void {
  if (dx) {
    matmul(r, dx, dy, w, {
      m: opts.rows,
      n: opts.inDim,
      k: opts.outDim,
      accumulate: opts.accumulateDx,
      label: "linear bwd dx",
    });
  }
  if (dw) linearWeightGrad(r, dw, dy, x, opts);
}

/**
 * The weight gradient of `linearForward`: dW (=|+= when accumulate) dyᵀ · x, dy [rows, outDim],
 * x [rows, inDim], dW [outDim, inDim]. When the weight has too few output tiles to fill the
 * device, `matmul` splits the rows (its K) itself and sums the partials in a fixed order, so the
 * result is the same bits for the same shape on the same adapter.
 */
export function linearWeightGrad(
  r: Recorder,
  dw: Tensor,
  dy: Tensor,
  x: Tensor,
  opts: LinearOptions & { accumulate?: boolean },
): void {
  matmul(r, dw, dy, x, {
    m: opts.outDim,
    n: opts.inDim,
    k: opts.rows,
    transA: true,
    accumulate: !!opts.accumulate,
    label: "linear bwd dw",
  });
}
