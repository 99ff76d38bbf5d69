// Batched matmul C[z] = alpha * op(A[z]) · op(B[z]) (+ bias) (+ C[z] when ACC), f32, row-major.
// op(A) is M×K: A stored [M, K], or with TA stored [K, M] (Aᵀ·B, weight gradients).
// op(B) is K×N: B stored [K, N], or with TB stored [N, K] (A·Bᵀ, linear layers with [out, in]
// weights). Batch z = workgroup_id.z starts at z * stride{A,B,C} elements (stride 0 broadcasts).
// bias is f32[N], added per column. Any M, N, K >= 1: tiles are zero-padded at the edges.
// Specialised in text by lib/gpu/ops/matmul.ts: tile BM×BN×BK, per-thread TM×TN outputs (register
// blocking, TM and TN multiples of 4), and VA/VB/VC = vec4 access to A/B/C, which the wrapper only
// sets when the contiguous dimension, and the batch stride, are multiples of 4 (so a vec4 is
// wholly in or out of bounds). Grid: (ceil(N / BN), ceil(M / BM), batch).
// A thread owns rows (i * WY + ty) * 4 + q and columns (j * WX + tx) * 4 + c of the tile, so
// neighbouring threads read neighbouring vec4s of shared memory and write neighbouring vec4s of C.
struct Params {
  M: u32, N: u32, K: u32, _p0: u32,
  strideA: u32, strideB: u32, strideC: u32, _p1: u32,
  alpha: f32, _f0: f32, _f1: f32, _f2: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
//#if VA
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
//#else
@group(0) @binding(1) var<storage, read> A: array<f32>;
//#endif
//#if VB
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
//#else
@group(0) @binding(2) var<storage, read> B: array<f32>;
//#endif
//#if VC
@group(0) @binding(3) var<storage, read_write> C: array<vec4<f32>>;
//#else
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
//#endif
//#if BIAS
@group(0) @binding(4) var<storage, read> bias: array<f32>;
//#endif

const BM = ${BM}u;
const BN = ${BN}u;
const BK = ${BK}u;
const TM = ${TM}u;
const TN = ${TN}u;
const WX = BN / TN;
const WY = BM / TM;
const NT = WX * WY;
const CM = TM / 4u;
const CN = TN / 4u;
const BM4 = BM / 4u;
const BN4 = BN / 4u;
const BK4 = BK / 4u;

// As[k][m] and Bs[k][n] as vec4 rows: the inner product reads one vec4 of each per chunk.
var<workgroup> As: array<vec4<f32>, ${AS_LEN}>;
var<workgroup> Bs: array<vec4<f32>, ${BS_LEN}>;

@compute @workgroup_size(${NT})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let tx = lid % WX;
  let ty = lid / WX;
  let row0 = wg.y * BM;
  let col0 = wg.x * BN;
  let aOff = wg.z * p.strideA;
  let bOff = wg.z * p.strideB;
  let cOff = wg.z * p.strideC;
  let M = p.M;
  let N = p.N;
  let K = p.K;
  // Accumulators as named registers (loops over CM, 4, CN unrolled in text by //#for).
//#for i CM
//#for q 4
//#for j CN
  var acc${i}_${q}_${j} = vec4<f32>(0.0);
//#endfor
//#endfor
//#endfor
  for (var k0 = 0u; k0 < K; k0 += BK) {
    // A tile -> As[k][m].
//#if TA
//#if VA
    for (var l = lid; l < BK * BM4; l += NT) {
      let k = l / BM4;
      let m4 = l % BM4;
      let gk = k0 + k;
      let gm = row0 + m4 * 4u;
      var v = vec4<f32>(0.0);
      if (gk < K && gm < M) { v = A[(aOff + gk * M + gm) / 4u]; }
      As[k * BM4 + m4] = v;
    }
//#else
    for (var l = lid; l < BK * BM; l += NT) {
      let k = l / BM;
      let m = l % BM;
      let gk = k0 + k;
      let gm = row0 + m;
      var v = 0.0;
      if (gk < K && gm < M) { v = A[aOff + gk * M + gm]; }
      As[k * BM4 + m / 4u][m % 4u] = v;
    }
//#endif
//#else
//#if VA
    for (var l = lid; l < BM * BK4; l += NT) {
      let m = l / BK4;
      let k4 = l % BK4;
      let gm = row0 + m;
      let gk = k0 + k4 * 4u;
      var v = vec4<f32>(0.0);
      if (gm < M && gk < K) { v = A[(aOff + gm * K + gk) / 4u]; }
      let base = k4 * 4u * BM4 + m / 4u;
      let q = m % 4u;
      As[base][q] = v.x;
      As[base + BM4][q] = v.y;
      As[base + 2u * BM4][q] = v.z;
      As[base + 3u * BM4][q] = v.w;
    }
//#else
    for (var l = lid; l < BM * BK; l += NT) {
      let m = l / BK;
      let k = l % BK;
      let gm = row0 + m;
      let gk = k0 + k;
      var v = 0.0;
      if (gm < M && gk < K) { v = A[aOff + gm * K + gk]; }
      As[k * BM4 + m / 4u][m % 4u] = v;
    }
//#endif
//#endif
    // B tile -> Bs[k][n].
//#if TB
//#if VB
    for (var l = lid; l < BN * BK4; l += NT) {
      let n = l / BK4;
      let k4 = l % BK4;
      let gn = col0 + n;
      let gk = k0 + k4 * 4u;
      var v = vec4<f32>(0.0);
      if (gn < N && gk < K) { v = B[(bOff + gn * K + gk) / 4u]; }
      let base = k4 * 4u * BN4 + n / 4u;
      let q = n % 4u;
      Bs[base][q] = v.x;
      Bs[base + BN4][q] = v.y;
      Bs[base + 2u * BN4][q] = v.z;
      Bs[base + 3u * BN4][q] = v.w;
    }
//#else
    for (var l = lid; l < BN * BK; l += NT) {
      let n = l / BK;
      let k = l % BK;
      let gn = col0 + n;
      let gk = k0 + k;
      var v = 0.0;
      if (gn < N && gk < K) { v = B[bOff + gn * K + gk]; }
      Bs[k * BN4 + n / 4u][n % 4u] = v;
    }
//#endif
//#else
//#if VB
    for (var l = lid; l < BK * BN4; l += NT) {
      let k = l / BN4;
      let n4 = l % BN4;
      let gk = k0 + k;
      let gn = col0 + n4 * 4u;
      var v = vec4<f32>(0.0);
      if (gk < K && gn < N) { v = B[(bOff + gk * N + gn) / 4u]; }
      Bs[k * BN4 + n4] = v;
    }
//#else
    for (var l = lid; l < BK * BN; l += NT) {
      let k = l / BN;
      let n = l % BN;
      let gk = k0 + k;
      let gn = col0 + n;
      var v = 0.0;
      if (gk < K && gn < N) { v = B[bOff + gk * N + gn]; }
      Bs[k * BN4 + n / 4u][n % 4u] = v;
    }
//#endif
//#endif
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
//#for i CM
      let a${i} = As[kk * BM4 + ${i}u * WY + ty];
//#endfor
//#for j CN
      let b${j} = Bs[kk * BN4 + ${j}u * WX + tx];
//#endfor
//#for i CM
//#for q 4
//#for j CN
      acc${i}_${q}_${j} = fma(vec4<f32>(a${i}[${q}]), b${j}, acc${i}_${q}_${j});
//#endfor
//#endfor
//#endfor
    }
    workgroupBarrier();
  }
//#for i CM
//#for q 4
//#for j CN
  store(row0 + (${i}u * WY + ty) * 4u + ${q}u, col0 + (${j}u * WX + tx) * 4u, cOff, acc${i}_${q}_${j});
//#endfor
//#endfor
//#endfor
}

// Writes the vec4 of C at (gm, gn..gn+3), clipped to the matrix, with alpha, bias and ACC.
fn store(gm: u32, gn: u32, cOff: u32, acc: vec4<f32>) {
  let N = p.N;
  if (gm >= p.M || gn >= N) { return; }
  var v = acc * p.alpha;
//#if VC
//#if BIAS
  v += vec4<f32>(bias[gn], bias[gn + 1u], bias[gn + 2u], bias[gn + 3u]);
//#endif
  let ci = (cOff + gm * N + gn) / 4u;
//#if ACC
  v += C[ci];
//#endif
  C[ci] = v;
//#else
  for (var c = 0u; c < 4u; c++) {
    if (gn + c < N) {
      var s = v[c];
//#if BIAS
      s += bias[gn + c];
//#endif
      let ci = cOff + gm * N + gn + c;
//#if ACC
      s += C[ci];
//#endif
      C[ci] = s;
    }
  }
//#endif
}
