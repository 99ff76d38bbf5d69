// y[i] = x[i] * p.alpha + p.beta for i < p.n. Layout: x, y contiguous f32[n].
// One thread per element; 256 threads per workgroup, 2D grid (x fastest) so n may exceed 65535*256.
struct Params { n: u32, alpha: f32, beta: f32, _pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  y[i] = x[i] * p.alpha + p.beta;
}
