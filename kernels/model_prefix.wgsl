// Join the image prefix and the text embeddings into one sequence, and split its gradient back.
// Layout: img f32[B, P, D], txt f32[B, T, D], seq f32[B, P+T, D] (row-major).
// One thread per element of seq (flat id < B*(P+T)*D), 256 per workgroup, 2D grid x fastest.
// P may be 0 (text-only sequences); then img is a dummy binding and never touched.
struct Params { B: u32, P: u32, T: u32, D: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> img: array<f32>;
@group(0) @binding(2) var<storage, read_write> txt: array<f32>;
@group(0) @binding(3) var<storage, read_write> seq: array<f32>;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

// Forward: seq[b, s] = s < P ? img[b, s] : txt[b, s - P].
@compute @workgroup_size(256)
fn concat(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat(gid, nwg);
  let S = p.P + p.T;
  if (idx >= p.B * S * p.D) { return; }
  let e = idx % p.D;
  let s = (idx / p.D) % S;
  let b = idx / (p.D * S);
  if (s < p.P) {
    seq[idx] = img[(b * p.P + s) * p.D + e];
  } else {
    seq[idx] = txt[(b * p.T + s - p.P) * p.D + e];
  }
}

// Backward: img[b, s] = seq[b, s] for s < P and txt[b, t] = seq[b, P + t] (overwrites both).
@compute @workgroup_size(256)
fn split(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat(gid, nwg);
  let S = p.P + p.T;
  if (idx >= p.B * S * p.D) { return; }
  let e = idx % p.D;
  let s = (idx / p.D) % S;
  let b = idx / (p.D * S);
  if (s < p.P) {
    img[(b * p.P + s) * p.D + e] = seq[idx];
  } else {
    txt[(b * p.T + s - p.P) * p.D + e] = seq[idx];
  }
}
