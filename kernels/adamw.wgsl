// AdamW (PyTorch semantics, decoupled weight decay, bias correction) on one parameter tensor,
// with the global-norm clip factor read from the GPU (gn[2], written by grad_norm.wgsl `finish`)
// so no readback happens inside a step:
//   g = grad * gn[2];  w *= 1 - lr * wd;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//   w -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps),  bc1 = 1 - b1^t, bc2 = 1 - b2^t (host-made).
// Layout: w, grad, m, v contiguous f32[n]. One thread per element, 256 per workgroup; 2D grid.
struct Params { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> gn: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let g = grad[i] * gn[2];
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let denom = sqrt(vi) / sqrt(p.bc2) + p.eps;
  w[i] = w[i] * (1.0 - p.lr * p.wd) - (p.lr / p.bc1) * mi / denom;
}
