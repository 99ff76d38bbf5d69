// Batched matmul for CPU SIMD adapters (llvmpipe): C[z] = alpha * op(A[z]) · op(B[z]) (+ bias)
// (+ C[z] when ACC), f32, row-major; the same layouts, Params, bindings, vec4 flags (VA/VB/VC) and
// split-K contract as matmul.wgsl (see there and matmul_io.wgsl).
// Why a second kernel: on llvmpipe every per-invocation load, from storage or workgroup memory
// alike, is a scalar loop over the SIMD lanes (a vec4 costs about as much as 27 FMAs, measured),
// and a barrier switches coroutines. So this kernel has no workgroup memory and no barrier: each
// invocation reads its operands straight from storage, 4 of K at a time, and spends each vec4 on
// TM or TN FMAs (1024³: 27 GFLOP/s vs 13 for the tiled kernel on the 2-core CI machine).
// Workgroup (x, y, z) owns rows [y·TM, y·TM + TM) and columns [x·WG·TN, (x + 1)·WG·TN);
// invocation t owns the vec4 column groups j·WG + t (j < TN/4), rows r = 4i + c (i < TM/4).
// Rows and columns past the matrix are clamped on load and skipped on store; K past its end
// reads as zero. Grid: (ceil(N / (WG·TN)), ceil(M / TM), batch or splits).
//#include matmul_io.wgsl

// op(A)[m, k..k+3] with A stored [M, K] (!TA); zero past kEnd. With VA, K % 4 == 0.
fn aRow(m: u32, k: u32) -> vec4<f32> {
//#if VA
  if (k >= kEnd) { return vec4<f32>(0.0); }
  return A[(aOff + m * p.K + k) / 4u];
//#else
  var v = vec4<f32>(0.0);
//#for c 4
  if (k + ${c}u < kEnd) { v[${c}] = A[aOff + m * p.K + k + ${c}u]; }
//#endfor
  return v;
//#endif
}

// op(A)[m..m+3, k] with A stored [K, M] (TA); zero past kEnd, rows clamped. With VA, M % 4 == 0.
fn aCol(m: u32, k: u32) -> vec4<f32> {
  if (k >= kEnd) { return vec4<f32>(0.0); }
//#if VA
  return A[(aOff + k * p.M + min(m, p.M - 4u)) / 4u];
//#else
  var v = vec4<f32>(0.0);
//#for c 4
  v[${c}] = A[aOff + k * p.M + min(m + ${c}u, p.M - 1u)];
//#endfor
  return v;
//#endif
}

// op(B)[k, n..n+3] with B stored [K, N] (!TB); zero past kEnd, columns clamped. VB: N % 4 == 0.
fn bRow(k: u32, n: u32) -> vec4<f32> {
  if (k >= kEnd) { return vec4<f32>(0.0); }
//#if VB
  return B[(bOff + k * p.N + min(n, p.N - 4u)) / 4u];
//#else
  var v = vec4<f32>(0.0);
//#for c 4
  v[${c}] = B[bOff + k * p.N + min(n + ${c}u, p.N - 1u)];
//#endfor
  return v;
//#endif
}

// op(B)[k..k+3, n] with B stored [N, K] (TB); zero past kEnd. With VB, K % 4 == 0.
fn bCol(n: u32, k: u32) -> vec4<f32> {
//#if VB
  if (k >= kEnd) { return vec4<f32>(0.0); }
  return B[(bOff + n * p.K + k) / 4u];
//#else
  var v = vec4<f32>(0.0);
//#for c 4
  if (k + ${c}u < kEnd) { v[${c}] = B[bOff + n * p.K + k + ${c}u]; }
//#endfor
  return v;
//#endif
}

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let row0 = wg.y * ${TM}u;
  let range = batchRange(wg.z);
  let kBeg = range.x;
  let cOff = range.y;
//#for j TN4
  let n${j} = wg.x * ${WGTN}u + (${j}u * ${WG}u + lid) * 4u;
//#endfor
//#if !TA
//#for i TM4
//#for c 4
  let m${i}_${c} = min(row0 + ${i*4}u + ${c}u, p.M - 1u);
//#endfor
//#endfor
//#endif
  // Accumulators acc{i}_{c}_{j}: row 4i + c, the 4 columns of group j, as named registers.
//#for i TM4
//#for c 4
//#for j TN4
  var acc${i}_${c}_${j} = vec4<f32>(0.0);
//#endfor
//#endfor
//#endfor
  for (var k = kBeg; k < kEnd; k += 4u) {
    // a{i}_{x}: with TA, rows 4i..4i+3 at K index k + x; else row 4i + x at k..k+3.
//#for i TM4
//#for x 4
//#if TA
    let a${i}_${x} = aCol(row0 + ${i*4}u, k + ${x}u);
//#else
    let a${i}_${x} = aRow(m${i}_${x}, k);
//#endif
//#endfor
//#endfor
    // b{q}_{j}: K index k + q, the 4 columns of group j.
//#for j TN4
//#if TB
//#for c 4
    let t${j}_${c} = bCol(min(n${j} + ${c}u, p.N - 1u), k);
//#endfor
//#for q 4
    let b${q}_${j} = vec4<f32>(t${j}_0[${q}], t${j}_1[${q}], t${j}_2[${q}], t${j}_3[${q}]);
//#endfor
//#else
//#for q 4
    let b${q}_${j} = bRow(k + ${q}u, n${j});
//#endfor
//#endif
//#endfor
//#for q 4
//#for i TM4
//#for c 4
//#for j TN4
//#if TA
    acc${i}_${c}_${j} = fma(vec4<f32>(a${i}_${q}[${c}]), b${q}_${j}, acc${i}_${c}_${j});
//#else
    acc${i}_${c}_${j} = fma(vec4<f32>(a${i}_${c}[${q}]), b${q}_${j}, acc${i}_${c}_${j});
//#endif
//#endfor
//#endfor
//#endfor
//#endfor
  }
//#for i TM4
//#for c 4
//#for j TN4
  store(row0 + ${i*4}u + ${c}u, n${j}, cOff, acc${i}_${c}_${j});
//#endfor
//#endfor
//#endfor
}
