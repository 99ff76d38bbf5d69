// Shared by matmul.wgsl and matmul_direct.wgsl: their Params, bindings and the clipped store of C.
// Params.kc is the K range of one split (SPLIT); strides are per batch, in elements.
struct Params {
  M: u32, N: u32, K: u32, kc: u32,
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

// Where batch (or, with SPLIT, K split) z reads and writes: A and B offsets and the end of its K
// range in private variables, and (first K index, offset of C) returned. A split z sums K range
// [z * kc, (z + 1) * kc) of batch 0 into its own partial C.
var<private> aOff: u32;
var<private> bOff: u32;
var<private> kEnd: u32;

fn batchRange(z: u32) -> vec2<u32> {
//#if SPLIT
  kEnd = min(p.K, z * p.kc + p.kc);
  aOff = 0u;
  bOff = 0u;
  return vec2<u32>(z * p.kc, z * p.M * p.N);
//#else
  kEnd = p.K;
  aOff = z * p.strideA;
  bOff = z * p.strideB;
  return vec2<u32>(0u, z * p.strideC);
//#endif
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
