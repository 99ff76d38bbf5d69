// Global gradient norm over a list of tensors, deterministically (no float atomics):
// level 1 (`sumsq`, one dispatch per tensor) writes one partial sum of squares per workgroup of
// CHUNK consecutive elements into part[slot0 + workgroup]; level 2 (`finish`, one workgroup) sums
// all partials in a fixed order and writes out = [sumsq, norm, clip], with
// clip = min(1, maxNorm / (norm + 1e-6)) (PyTorch's clip_grad_norm_) or 1 when maxNorm <= 0.
// A non-finite norm gives clip = 1 so the NaN/Inf surfaces in the norm metric, not silently.
struct Params { n: u32, slot0: u32, total: u32, maxNorm: f32 }
@group(0) @binding(0) var<uniform> p: Params;

const WG = 256u;
const PER = 16u;
const CHUNK = 4096u;  // WG * PER
var<workgroup> red: array<f32, 256>;

fn reduce(lid: u32, s: f32) -> f32 {
  red[lid] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k >> 1u) {
    if (lid < k) { red[lid] += red[lid + k]; }
    workgroupBarrier();
  }
  return red[0];
}

//#if SUMSQ
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;

// Workgroup w covers g[w * CHUNK, (w + 1) * CHUNK); 2D grid (see grid1d).
@compute @workgroup_size(256)
fn sumsq(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
         @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = wg.x + wg.y * nwg.x;
  let base = w * CHUNK;
  if (base >= p.n) { return; }
  var s = 0.0;
  for (var k = 0u; k < PER; k++) {
    let i = base + k * WG + lid;
    if (i < p.n) { let v = g[i]; s += v * v; }
  }
  let t = reduce(lid, s);
  if (lid == 0u) { part[p.slot0 + w] = t; }
}
//#endif

//#if FINISH
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// One workgroup; thread t sums part[t], part[t + 256], ... then a fixed tree.
@compute @workgroup_size(256)
fn finish(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < p.total; i += WG) { s += part[i]; }
  let t = reduce(lid, s);
  if (lid == 0u) {
    let norm = sqrt(t);
    var clip = 1.0;
    if (p.maxNorm > 0.0 && norm + 1e-6 > p.maxNorm && norm - norm == 0.0) {
      clip = p.maxNorm / (norm + 1e-6);
    }
    out[0] = t;
    out[1] = norm;
    out[2] = clip;
  }
}
//#endif
