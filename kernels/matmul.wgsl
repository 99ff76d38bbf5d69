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
// The next K tile is fetched into registers while the current one is multiplied (prefetch).
// SPLIT (batch 1 only): workgroup z sums the K range [z * kc, (z + 1) * kc) into partial
// C_z = P[z * M * N ..] with alpha 1, no bias, no ACC; matmul_reduce.wgsl then sums the partials
// in z order (deterministic) and applies alpha, bias and ACC.
//#include matmul_io.wgsl

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
const AS_LEN = ${AS_LEN}u;
const BS_LEN = ${BS_LEN}u;
// Staging elements (scalars, or vec4s with VA/VB) per tile of A and of B.
const A_TOTAL = ${A_TOTAL}u;
const B_TOTAL = ${B_TOTAL}u;

// As[k][m] and Bs[k][n] as vec4 rows: the inner product reads one vec4 of each per chunk.
// With DB the arrays hold two tiles each (double buffering: one barrier per K tile).
var<workgroup> As: array<vec4<f32>, ${AS_ALLOC}>;
var<workgroup> Bs: array<vec4<f32>, ${BS_ALLOC}>;

// Per-invocation tile origin and K range, set once at the top of main.
var<private> row0: u32;
var<private> col0: u32;

// Staging: element l (< A_TOTAL) of the A tile starting at k0, fetched from global memory as
// ${AV} (zero outside the matrix), then written into As. Split in two so the next tile's loads
// can be issued before the current tile's inner products (register prefetch).
fn loadA(l: u32, k0: u32) -> ${AV} {
  var v = ${AV}(0.0);
  if (l >= A_TOTAL) { return v; }
//#if TA
//#if VA
  let gk = k0 + l / BM4;
  let gm = row0 + (l % BM4) * 4u;
  if (gk < kEnd && gm < p.M) { v = A[(aOff + gk * p.M + gm) / 4u]; }
//#else
  let gk = k0 + l / BM;
  let gm = row0 + l % BM;
  if (gk < kEnd && gm < p.M) { v = A[aOff + gk * p.M + gm]; }
//#endif
//#else
//#if VA
  let gm = row0 + l / BK4;
  let gk = k0 + (l % BK4) * 4u;
  if (gm < p.M && gk < kEnd) { v = A[(aOff + gm * p.K + gk) / 4u]; }
//#else
  let gm = row0 + l / BK;
  let gk = k0 + l % BK;
  if (gm < p.M && gk < kEnd) { v = A[aOff + gm * p.K + gk]; }
//#endif
//#endif
  return v;
}

fn storeA(l: u32, v: ${AV}, o: u32) {
  if (l >= A_TOTAL) { return; }
//#if TA
//#if VA
  As[o + (l / BM4) * BM4 + l % BM4] = v;
//#else
  let m = l % BM;
  As[o + (l / BM) * BM4 + m / 4u][m % 4u] = v;
//#endif
//#else
//#if VA
  let m = l / BK4;
  let base = (l % BK4) * 4u * BM4 + m / 4u;
  let q = m % 4u;
  As[o + base][q] = v.x;
  As[o + base + BM4][q] = v.y;
  As[o + base + 2u * BM4][q] = v.z;
  As[o + base + 3u * BM4][q] = v.w;
//#else
  let m = l / BK;
  As[o + (l % BK) * BM4 + m / 4u][m % 4u] = v;
//#endif
//#endif
}

fn loadB(l: u32, k0: u32) -> ${BV} {
  var v = ${BV}(0.0);
  if (l >= B_TOTAL) { return v; }
//#if TB
//#if VB
  let gn = col0 + l / BK4;
  let gk = k0 + (l % BK4) * 4u;
  if (gn < p.N && gk < kEnd) { v = B[(bOff + gn * p.K + gk) / 4u]; }
//#else
  let gn = col0 + l / BK;
  let gk = k0 + l % BK;
  if (gn < p.N && gk < kEnd) { v = B[bOff + gn * p.K + gk]; }
//#endif
//#else
//#if VB
  let gk = k0 + l / BN4;
  let gn = col0 + (l % BN4) * 4u;
  if (gk < kEnd && gn < p.N) { v = B[(bOff + gk * p.N + gn) / 4u]; }
//#else
  let gk = k0 + l / BN;
  let gn = col0 + l % BN;
  if (gk < kEnd && gn < p.N) { v = B[bOff + gk * p.N + gn]; }
//#endif
//#endif
  return v;
}

fn storeB(l: u32, v: ${BV}, o: u32) {
  if (l >= B_TOTAL) { return; }
//#if TB
//#if VB
  let n = l / BK4;
  let base = (l % BK4) * 4u * BN4 + n / 4u;
  let q = n % 4u;
  Bs[o + base][q] = v.x;
  Bs[o + base + BN4][q] = v.y;
  Bs[o + base + 2u * BN4][q] = v.z;
  Bs[o + base + 3u * BN4][q] = v.w;
//#else
  let n = l / BK;
  Bs[o + (l % BK) * BN4 + n / 4u][n % 4u] = v;
//#endif
//#else
//#if VB
  Bs[o + (l / BN4) * BN4 + l % BN4] = v;
//#else
  let n = l % BN;
  Bs[o + (l / BN) * BN4 + n / 4u][n % 4u] = v;
//#endif
//#endif
}

@compute @workgroup_size(${NT})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let tx = lid % WX;
  let ty = lid / WX;
  row0 = wg.y * BM;
  col0 = wg.x * BN;
  let range = batchRange(wg.z);
  let kBeg = range.x;
  let cOff = range.y;
  // Accumulators as named registers (loops over CM, 4, CN unrolled in text by //#for).
//#for i CM
//#for q 4
//#for j CN
  var acc${i}_${q}_${j} = vec4<f32>(0.0);
//#endfor
//#endfor
//#endfor
//#for i LA
  var ra${i} = loadA(lid + ${i}u * NT, kBeg);
//#endfor
//#for i LB
  var rb${i} = loadB(lid + ${i}u * NT, kBeg);
//#endfor
//#for i LA
  storeA(lid + ${i}u * NT, ra${i}, 0u);
//#endfor
//#for i LB
  storeB(lid + ${i}u * NT, rb${i}, 0u);
//#endfor
  workgroupBarrier();
  var oa = 0u;
  var ob = 0u;
  for (var k0 = kBeg; k0 < kEnd; k0 += BK) {
    let more = k0 + BK < kEnd;
    if (more) {
//#for i LA
      ra${i} = loadA(lid + ${i}u * NT, k0 + BK);
//#endfor
//#for i LB
      rb${i} = loadB(lid + ${i}u * NT, k0 + BK);
//#endfor
    }
    for (var kk = 0u; kk < BK; kk++) {
//#for i CM
      let a${i} = As[oa + kk * BM4 + ${i}u * WY + ty];
//#endfor
//#for j CN
      let b${j} = Bs[ob + kk * BN4 + ${j}u * WX + tx];
//#endfor
//#for i CM
//#for q 4
//#for j CN
      acc${i}_${q}_${j} = fma(vec4<f32>(a${i}[${q}]), b${j}, acc${i}_${q}_${j});
//#endfor
//#endfor
//#endfor
    }
//#if DB
    // The other buffer was last read before the previous barrier, so it can be filled now.
    oa = AS_LEN - oa;
    ob = BS_LEN - ob;
//#else
    workgroupBarrier();
//#endif
    if (more) {
//#for i LA
      storeA(lid + ${i}u * NT, ra${i}, oa);
//#endfor
//#for i LB
      storeB(lid + ${i}u * NT, rb${i}, ob);
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
