// Split-K finish for matmul.wgsl: C[i] = alpha * sum_{s < S} P[s * MN + i] (+ bias[i % N])
// (+ C[i] when ACC), the partials summed in s order so the result is deterministic.
// Layout: P f32[S, M, N], C f32[M, N], bias f32[N]. One thread per element, 256 per workgroup,
// 2D grid (see grid1d).
struct Params { MN: u32, N: u32, S: u32, _p0: u32, alpha: f32, _f0: f32, _f1: f32, _f2: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
//#if BIAS
@group(0) @binding(3) var<storage, read> bias: array<f32>;
//#endif

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.MN) { return; }
  var s = 0.0;
  for (var z = 0u; z < p.S; z++) { s += P[z * p.MN + i]; }
  s *= p.alpha;
//#if BIAS
  s += bias[i % p.N];
//#endif
//#if ACC
  s += C[i];
//#endif
  C[i] = s;
}
