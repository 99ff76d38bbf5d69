// Log-probability of chosen tokens under softmax(scale * logits) (RL policy ratios; scale is
// 1 / sampling temperature), forward and backward side by side.
// Layout: logits [N, V] f32 row-major, targets [N] u32 (< V), logp [N] f32,
// g [N] f32 (upstream dL/dlogp), dlogits [N, V] f32 = g * scale * (onehot(target) - softmax).
// Two variants of each entry point: `*_rows` runs one thread per row (row = flat thread id on a 2D
// grid of 64-wide workgroups, row < N; no barriers), for narrow rows (the wrapper uses it up to
// V = 1024); the others run one 64-thread workgroup per row (row = wg.x + wg.y * nwg.x < N).

struct Params { N: u32, V: u32, scale: f32, _pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> logp: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;

// The softmax input: logits scaled by 1 / temperature.
fn z_at(i: u32) -> f32 { return p.scale * logits[i]; }

//#include row_lse.wgsl

// Bindings: 1 logits, 2 targets, 3 logp.
@compute @workgroup_size(64)
fn logprob_fwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.N) { return; }
  let base = row * p.V;
  let lse = row_lse(lid, base);
  if (lid == 0u) { logp[row] = p.scale * logits[base + targets[row]] - lse; }
}

// Bindings: 1 logits, 2 targets, 3 g, 4 dlogits (overwritten).
@compute @workgroup_size(64)
fn logprob_bwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.N) { return; }
  let base = row * p.V;
  let lse = row_lse(lid, base);
  let t = targets[row];
  let gs = g[row] * p.scale;
  for (var i = lid; i < p.V; i += WG) {
    let onehot = select(0.0, 1.0, i == t);
    dlogits[base + i] = gs * (onehot - exp(p.scale * logits[base + i] - lse));
  }
}

// ---- one thread per row -----------------------------------------------------------------------

// Bindings: 1 logits, 2 targets, 3 logp.
@compute @workgroup_size(64)
fn logprob_fwd_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.N) { return; }
  let base = row * p.V;
  logp[row] = p.scale * logits[base + targets[row]] - row_lse_serial(base);
}

// Bindings: 1 logits, 2 targets, 3 g, 4 dlogits (overwritten).
@compute @workgroup_size(64)
fn logprob_bwd_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.N) { return; }
  let base = row * p.V;
  let lse = row_lse_serial(base);
  let t = targets[row];
  let gs = g[row] * p.scale;
  for (var i = 0u; i < p.V; i++) {
    let onehot = select(0.0, 1.0, i == t);
    dlogits[base + i] = gs * (onehot - exp(p.scale * logits[base + i] - lse));
  }
}
