// Per-row entropy of softmax(scale * logits), for metrics (no backward).
// Layout: logits [N, V] f32 row-major, entropy [N] f32 = -sum_i p_i log p_i, computed as
// log(s) - sum_i e_i (z_i - m) / s with z = scale * logits, m = max z, e_i = exp(z_i - m), s = sum e.
// One WG-thread workgroup per row (WG: pipeline constant, a power of two <= 256); rows on a 2D grid (row = wg.x + wg.y * nwg.x), row < N.

struct Params { N: u32, V: u32, scale: f32, _pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> entropy: array<f32>;

override WG: u32 = 256u;
var<workgroup> red: array<f32, WG>;
var<workgroup> red2: array<f32, WG>;

fn reduce_max(lid: u32, x: f32) -> f32 {
  red[lid] = x;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

// Sums two values at once; every thread gets both totals.
fn reduce_sum2(lid: u32, x: f32, y: f32) -> vec2<f32> {
  red[lid] = x;
  red2[lid] = y;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      red[lid] = red[lid] + red[lid + s];
      red2[lid] = red2[lid] + red2[lid + s];
    }
    workgroupBarrier();
  }
  let r = vec2<f32>(red[0], red2[0]);
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
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
