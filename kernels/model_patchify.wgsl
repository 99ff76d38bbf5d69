// Cut square RGB images into flattened patches for the vision tower's patch embedding, with each
// pixel value standardised as (v - mean) * inv_std. The renderer's images are mostly dark
// background (mean ~0.11 in [0, 1]); fed raw, that shared offset dominates every patch and the
// tiny VLM learned to ignore image content (see ModelConfig.pixel_mean).
// Layout: images f32[B, N, N, 3] (row-major pixels, RGB last); patches f32[B, G*G, PS*PS*3] with
// G = N / PS, patches in row-major order and (y, x, rgb) order inside a patch.
// One thread per output element (flat id < B*G*G*PS*PS*3), 256 per workgroup, 2D grid x fastest.
// Images are inputs, never trained, so there is no backward.
struct Params { B: u32, N: u32, PS: u32, _pad: u32, mean: f32, inv_std: f32, _p1: f32, _p2: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> images: array<f32>;
@group(0) @binding(2) var<storage, read_write> patches: array<f32>;

@compute @workgroup_size(256)
fn patchify(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * 256u;
  let G = p.N / p.PS;
  let pd = p.PS * p.PS * 3u;
  if (idx >= p.B * G * G * pd) { return; }
  let f = idx % pd;
  let pi = (idx / pd) % (G * G);
  let b = idx / (pd * G * G);
  let ch = f % 3u;
  let ix = (f / 3u) % p.PS;
  let iy = f / (3u * p.PS);
  let y = (pi / G) * p.PS + iy;
  let x = (pi % G) * p.PS + ix;
  patches[idx] = (images[((b * p.N + y) * p.N + x) * 3u + ch] - p.mean) * p.inv_std;
}
