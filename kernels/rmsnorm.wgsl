// RMSNorm (Qwen2): y[r, j] = x[r, j] * rstd[r] * w[j], rstd[r] = 1 / sqrt(mean_j x[r, j]^2 + eps).
// Layout: x, y, dy, dx row-major f32[rows, dim]; w f32[dim]; rstd f32[rows].
// One workgroup of 128 threads per row (2D grid, row = wg.x + wg.y * nwg.x); the row's sums are
// reduced in a fixed tree order, so results are deterministic.
struct Params { rows: u32, dim: u32, flag: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;

const WG = 128u;
var<workgroup> red: array<f32, 128>;
var<workgroup> red2: array<f32, 128>;

fn reduce2(lid: u32, a: f32, b: f32) -> vec2<f32> {
  red[lid] = a;
  red2[lid] = b;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      red[lid] += red[lid + s];
      red2[lid] += red2[lid + s];
    }
    workgroupBarrier();
  }
  let r = vec2<f32>(red[0], red2[0]);
  workgroupBarrier();
  return r;
}

//#if FORWARD
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>;

// Forward: writes y and (flag = 1) the row's rstd.
@compute @workgroup_size(128)
fn forward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wg.x + wg.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.dim;
  var s = 0.0;
  for (var j = lid; j < p.dim; j += WG) { let v = x[base + j]; s += v * v; }
  let r = 1.0 / sqrt(reduce2(lid, s, 0.0).x / f32(p.dim) + p.eps);
  for (var j = lid; j < p.dim; j += WG) { y[base + j] = x[base + j] * r * w[j]; }
  if (lid == 0u && p.flag == 1u) { rstd[row] = r; }
}
//#endif

//#if BACKWARD
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> rstd: array<f32>;

// Backward to the input: dx = rstd * w * dy - x * rstd^3 * sum_j(dy * w * x) / dim, added to dx
// when flag = 1 (residual streams accumulate). Recomputes rstd and stores it for the weight grad.
@compute @workgroup_size(128)
fn backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wg.x + wg.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.dim;
  var s = 0.0;
  var t = 0.0;
  for (var j = lid; j < p.dim; j += WG) {
    let v = x[base + j];
    s += v * v;
    t += dy[base + j] * w[j] * v;
  }
  let sums = reduce2(lid, s, t);
  let r = 1.0 / sqrt(sums.x / f32(p.dim) + p.eps);
  let c = r * r * r * sums.y / f32(p.dim);
  for (var j = lid; j < p.dim; j += WG) {
    var g = r * w[j] * dy[base + j] - x[base + j] * c;
    if (p.flag == 1u) { g += dx[base + j]; }
    dx[base + j] = g;
  }
  if (lid == 0u) { rstd[row] = r; }
}
//#endif

//#if ROWS
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>;

// Forward with one thread per row (64 rows per workgroup, 2D grid): no barriers, for CPU adapters
// where a workgroup barrier is a coroutine switch per SIMD group. Same results contract.
@compute @workgroup_size(64)
fn forward_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.rows) { return; }
  let base = row * p.dim;
  var s = 0.0;
  for (var j = 0u; j < p.dim; j++) { let v = x[base + j]; s += v * v; }
  let r = 1.0 / sqrt(s / f32(p.dim) + p.eps);
  for (var j = 0u; j < p.dim; j++) { y[base + j] = x[base + j] * r * w[j]; }
  if (p.flag == 1u) { rstd[row] = r; }
}
//#endif

//#if ROWS_BACKWARD
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> rstd: array<f32>;

// Backward with one thread per row (see forward_rows); same formulas as `backward`.
@compute @workgroup_size(64)
fn backward_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.rows) { return; }
  let base = row * p.dim;
  var s = 0.0;
  var t = 0.0;
  for (var j = 0u; j < p.dim; j++) {
    let v = x[base + j];
    s += v * v;
    t += dy[base + j] * w[j] * v;
  }
  let r = 1.0 / sqrt(s / f32(p.dim) + p.eps);
  let c = r * r * r * t / f32(p.dim);
  for (var j = 0u; j < p.dim; j++) {
    var g = r * w[j] * dy[base + j] - x[base + j] * c;
    if (p.flag == 1u) { g += dx[base + j]; }
    dx[base + j] = g;
  }
  rstd[row] = r;
}
//#endif
