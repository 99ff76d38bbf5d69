// GRPO loss: per-token terms with the backward fused in (the loss is elementwise in logp), then a
// single-workgroup reduction of the terms. Formulas: lib/train/rl/objective.ts.
struct Params {
  n: u32,          // B * T tokens
  t: u32,          // T, padded completion length (row stride)
  eps_low: f32,
  eps_high: f32,
  beta: f32,       // KL coefficient; 0 => ref is ignored (may alias logp)
  _p0: u32,
  _p1: u32,
  _p2: u32,
}
@group(0) @binding(0) var<uniform> p: Params;

// Entry `token_terms`. Layout: logp, old_logp, ref_logp, mask: f32[B*T] row-major (row = one
// completion); adv, weight: f32[B]; dlogp: f32[B*T] (written); terms: vec4<f32>[B*T] (written):
//   (w·m·l, m·k3, m·[clipped], m·[non-finite input]).
// One thread per token, 256 per workgroup, 2D grid (x fastest); threads with index >= n return.
// Clipped means the clip branch is active and its gradient is 0 (TRL's region metric):
// r < 1-ε_low with A < 0, or r > 1+ε_high with A > 0. Non-finite inputs are detected from the
// bits, because WGSL lets min/max/select silently drop NaNs; the host turns a count > 0 into a
// NumericError instead of training on garbage.
@group(0) @binding(1) var<storage, read> logp: array<f32>;
@group(0) @binding(2) var<storage, read> old_logp: array<f32>;
@group(0) @binding(3) var<storage, read> ref_logp: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read> adv: array<f32>;
@group(0) @binding(6) var<storage, read> weight: array<f32>;
@group(0) @binding(7) var<storage, read_write> dlogp: array<f32>;
@group(0) @binding(8) var<storage, read_write> terms: array<vec4<f32>>;

fn finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(256)
fn token_terms(@builtin(global_invocation_id) gid: vec3<u32>,
               @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let row = i / p.t;
  let m = mask[i];
  let a = adv[row];
  let w = weight[row];
  let lp = logp[i];
  let r = exp(lp - old_logp[i]);
  let rc = clamp(r, 1.0 - p.eps_low, 1.0 + p.eps_high);
  let unclipped = r * a;
  let clipped = rc * a;
  // -min(rA, clip(r)A); the gradient flows only through the unclipped branch when it is the min.
  var l = -min(unclipped, clipped);
  var g = select(0.0, -unclipped, unclipped <= clipped);
  var k3 = 0.0;
  if (p.beta != 0.0) {
    let d = ref_logp[i] - lp;
    let e = exp(d);
    k3 = e - d - 1.0;
    l = l + p.beta * k3;
    g = g + p.beta * (1.0 - e);
  }
  let clip = (r < 1.0 - p.eps_low && a < 0.0) || (r > 1.0 + p.eps_high && a > 0.0);
  var bad = !finite(lp) || !finite(old_logp[i]) || !finite(a) || !finite(w);
  if (p.beta != 0.0) { bad = bad || !finite(ref_logp[i]); }
  dlogp[i] = w * m * g;
  terms[i] = vec4<f32>(w * m * l, m * k3, m * select(0.0, 1.0, clip), m * select(0.0, 1.0, bad));
}

// Entry `reduce_terms`. Layout: binding 1 = terms_in: vec4<f32>[n] (the terms written above),
// binding 2 = totals: vec4<f32>[1] (written) = Σ terms. Exactly one workgroup of 256 threads;
// each strides over the n tokens, then a shared-memory tree sum. (Bindings are per entry point,
// so reusing numbers 1 and 2 does not collide with token_terms.)
@group(0) @binding(1) var<storage, read> terms_in: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> totals: array<vec4<f32>>;
var<workgroup> part: array<vec4<f32>, 256>;

@compute @workgroup_size(256)
fn reduce_terms(@builtin(local_invocation_id) lid: vec3<u32>) {
  var s = vec4<f32>(0.0);
  // Kahan-compensated so that large batches still match a float64 sum closely.
  var c = vec4<f32>(0.0);
  for (var i = lid.x; i < p.n; i = i + 256u) {
    let y = terms_in[i] - c;
    let t = s + y;
    c = (t - s) - y;
    s = t;
  }
  part[lid.x] = s;
  workgroupBarrier();
  for (var k = 128u; k > 0u; k = k >> 1u) {
    if (lid.x < k) { part[lid.x] = part[lid.x] + part[lid.x + k]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { totals[0] = part[0]; }
}
