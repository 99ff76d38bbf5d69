// Softmax cross-entropy with a per-row loss weight (the loss mask), forward and backward fused.
// Layout: logits [N, V] f32 row-major, targets [N] u32, mask [N] f32 (0 = row ignored; its
// target is never read), loss [N] f32 = mask * (logsumexp(logits) - logits[target]),
// dlogits [N, V] f32 = factor * mask * (softmax(logits) - onehot(target)).
// Two variants of each entry point: `*_rows` runs one thread per row (row = flat thread id on a 2D
// grid of 64-wide workgroups, row < N; no barriers), for narrow rows (the wrapper uses it up to
// V = 1024); the others run one 64-thread workgroup per row (row = wg.x + wg.y * nwg.x < N).

struct Params { N: u32, V: u32, factor: f32, _pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;

// The softmax input: the logits themselves.
fn z_at(i: u32) -> f32 { return logits[i]; }

//#include row_lse.wgsl

// Bindings 1..5 as declared above.
@compute @workgroup_size(64)
fn cross_entropy_fwd_bwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.N) { return; }
  let base = row * p.V;
  let lse = row_lse(lid, base);
  let w = mask[row];
  if (w == 0.0) {
    for (var i = lid; i < p.V; i += WG) { dlogits[base + i] = 0.0; }
    if (lid == 0u) { loss[row] = 0.0; }
    return;
  }
  let t = targets[row];
  if (lid == 0u) { loss[row] = w * (lse - logits[base + t]); }
  let g = p.factor * w;
  for (var i = lid; i < p.V; i += WG) {
    let onehot = select(0.0, 1.0, i == t);
    dlogits[base + i] = g * (exp(logits[base + i] - lse) - onehot);
  }
}

// Loss only (evaluation). Bindings 1..4 as declared above.
@compute @workgroup_size(64)
fn cross_entropy_fwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.N) { return; }
  let base = row * p.V;
  let lse = row_lse(lid, base);
  let w = mask[row];
  if (lid == 0u) {
    loss[row] = select(w * (lse - logits[base + targets[row]]), 0.0, w == 0.0);
  }
}

// ---- one thread per row -----------------------------------------------------------------------

// Bindings 1..5 as declared above.
@compute @workgroup_size(64)
fn cross_entropy_fwd_bwd_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.N) { return; }
  let base = row * p.V;
  let w = mask[row];
  if (w == 0.0) {
    for (var i = 0u; i < p.V; i++) { dlogits[base + i] = 0.0; }
    loss[row] = 0.0;
    return;
  }
  let lse = row_lse_serial(base);
  let t = targets[row];
  loss[row] = w * (lse - logits[base + t]);
  let g = p.factor * w;
  for (var i = 0u; i < p.V; i++) {
    let onehot = select(0.0, 1.0, i == t);
    dlogits[base + i] = g * (exp(logits[base + i] - lse) - onehot);
  }
}

// Bindings 1..4 as declared above.
@compute @workgroup_size(64)
fn cross_entropy_fwd_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.N) { return; }
  let w = mask[row];
  if (w == 0.0) {
    loss[row] = 0.0;
    return;
  }
  let base = row * p.V;
  loss[row] = w * (row_lse_serial(base) - logits[base + targets[row]]);
}
