// SwiGLU: out[r, j] = silu(g[r, j]) * u[r, j], silu(g) = g * sigmoid(g).
// Layout: gate element (r, j) at r * gStride + gOffset + j, up at r * uStride + uOffset + j (one
// fused [rows, 2*dim] buffer or two [rows, dim] buffers); out/dout contiguous f32[rows, dim].
// One thread per (r, j), 256 per workgroup; 2D grid (see grid1d).
struct Params { rows: u32, dim: u32, gStride: u32, gOffset: u32, uStride: u32, uOffset: u32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<uniform> p: Params;

fn sigmoid(g: f32) -> f32 {
  // exp of a non-positive argument only, so large |g| cannot overflow to inf/inf.
  let e = exp(-abs(g));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), g >= 0.0);
}

//#if FORWARD
@group(0) @binding(1) var<storage, read> gate: array<f32>;
@group(0) @binding(2) var<storage, read> up: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.rows * p.dim) { return; }
  let r = t / p.dim;
  let j = t % p.dim;
  let g = gate[r * p.gStride + p.gOffset + j];
  out[t] = g * sigmoid(g) * up[r * p.uStride + p.uOffset + j];
}
//#endif

//#if BACKWARD
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> gate: array<f32>;
@group(0) @binding(3) var<storage, read> up: array<f32>;
//#if FUSED
@group(0) @binding(4) var<storage, read_write> dgu: array<f32>;
//#else
@group(0) @binding(4) var<storage, read_write> dgate: array<f32>;
@group(0) @binding(5) var<storage, read_write> dup: array<f32>;
//#endif

// dgate = dout * u * s * (1 + g * (1 - s)), dup = dout * g * s, s = sigmoid(g); the gradients
// use the same strides/offsets as gate/up (FUSED: one dgu buffer, as writable bindings may not alias).
@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.rows * p.dim) { return; }
  let r = t / p.dim;
  let j = t % p.dim;
  let gi = r * p.gStride + p.gOffset + j;
  let ui = r * p.uStride + p.uOffset + j;
  let g = gate[gi];
  let u = up[ui];
  let s = sigmoid(g);
  let d = dout[t];
//#if FUSED
  dgu[gi] = d * u * s * (1.0 + g * (1.0 - s));
  dgu[ui] = d * g * s;
//#else
  dgate[gi] = d * u * s * (1.0 + g * (1.0 - s));
  dup[ui] = d * g * s;
//#endif
}
//#endif
