// AdamW (PyTorch semantics, decoupled weight decay, bias correction) on one parameter tensor,
// with the global-norm clip factor read from the GPU (gn[2], written by grad_norm.wgsl `finish`)
// so no readback happens inside a step:
//   g = grad * gn[2];  w *= 1 - lr * wd;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//   w -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps),  bc1 = 1 - b1^t, bc2 = 1 - b2^t (host-made).
// The values that change every step (lr, bc1, bc2) come from a small storage buffer written once
// per step by the SET entry, so each tensor's uniform stays the same from step to step and its
// bind group can be reused (recording a bind group costs more host time than the update itself).
//#if SET
// hyper = [lr, bc1, bc2, 0]. One thread.
struct Params { lr: f32, bc1: f32, bc2: f32, _pad: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> hyper: array<f32>;

@compute @workgroup_size(1)
fn main() {
  hyper[0] = p.lr;
  hyper[1] = p.bc1;
  hyper[2] = p.bc2;
  hyper[3] = 0.0;
}
//#else
// Layout: w, grad, m, v contiguous f32[n]; hyper f32[4] from SET. One thread per element, 256 per
// workgroup; 2D grid.
struct Params { n: u32, beta1: f32, beta2: f32, eps: f32, wd: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> gn: array<f32>;
@group(0) @binding(6) var<storage, read> hyper: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let lr = hyper[0];
  let bc1 = hyper[1];
  let bc2 = hyper[2];
  let g = grad[i] * gn[2];
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let denom = sqrt(vi) / sqrt(bc2) + p.eps;
  w[i] = w[i] * (1.0 - lr * p.wd) - (lr / bc1) * mi / denom;
}
//#endif
