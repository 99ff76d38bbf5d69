// Learned position embedding of the vision tower, broadcast over the batch:
// x[b, p, e] += pos[p, e]. Layout: x f32[B, P, D], pos f32[P, D] (row-major).
// One thread per element of x (flat id < B*P*D), 256 per workgroup, 2D grid x fastest.
// Backward: dpos[p, e] = sum_b dx[b, p, e], a column sum over B rows of P*D columns, which the
// model records with the deterministic `columnSum` op rather than a kernel here.
struct Params { n: u32, pd: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> pos: array<f32>;

@compute @workgroup_size(256)
fn pos_add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * 256u;
  if (idx >= p.n) { return; }
  x[idx] = x[idx] + pos[idx % p.pd];
}
