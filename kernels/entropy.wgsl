// Per-row entropy of softmax(scale * logits), for metrics (no backward).
// Layout: logits [N, V] f32 row-major, entropy [N] f32 = -sum_i p_i log p_i, computed as
// log(s) - sum_i e_i (z_i - m) / s with z = scale * logits, m = max z, e_i = exp(z_i - m), s = sum e.
// Two variants: entropy_fwd_rows runs one thread per row (row = flat thread id on a 2D grid of
// 64-wide workgroups, row < N; no barriers), for narrow rows (the wrapper uses it up to V = 1024);
// entropy_fwd runs one 64-thread workgroup per row (row = wg.x + wg.y * nwg.x < N).

struct Params { N: u32, V: u32, scale: f32, _pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> entropy: array<f32>;

//#include row_reduce.wgsl

var<workgroup> red2: array<f32, WG>;

// Sums two values at once; every thread gets both totals.
fn reduce_sum2(lid: u32, x: f32, y: f32) -> vec2<f32> {
  red[lid] = x;
  red2[lid] = y;
  workgroupBarrier();
  var r = vec2<f32>(0.0, 0.0);
  for (var t = 0u; t < WG; t++) { r += vec2<f32>(red[t], red2[t]); }
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(64)
fn entropy_fwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.N) { return; }
  let base = row * p.V;
  var m = -3.0e38;
  for (var i = lid; i < p.V; i += WG) { m = max(m, p.scale * logits[base + i]); }
  m = reduce_max(lid, m);
  var s = 0.0;
  var t = 0.0;
  for (var i = lid; i < p.V; i += WG) {
    let z = p.scale * logits[base + i] - m;
    let e = exp(z);
    s += e;
    t += e * z;
  }
  let st = reduce_sum2(lid, s, t);
  if (lid == 0u) { entropy[row] = log(st.x) - st.y / st.x; }
}

@compute @workgroup_size(64)
fn entropy_fwd_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.N) { return; }
  let base = row * p.V;
  var m = -3.0e38;
  for (var i = 0u; i < p.V; i++) { m = max(m, p.scale * logits[base + i]); }
  var s = 0.0;
  var t = 0.0;
  for (var i = 0u; i < p.V; i++) {
    let z = p.scale * logits[base + i] - m;
    let e = exp(z);
    s += e;
    t += e * z;
  }
  entropy[row] = log(s) - t / s;
}
