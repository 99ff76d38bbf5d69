// Cut square RGB images into flattened patches for the vision tower's patch embedding, with each
// pixel value standardised as (v - mean) * inv_std. The renderer's images are mostly dark
// background (mean ~0.11 in [0, 1]); fed raw, that shared offset dominates every patch and the
// tiny VLM learned to ignore image content (see ModelConfig.pixel_mean).
// With C = 5 (ModelConfig.coord_channels = 1) each pixel also carries its image coordinates
// (x, y in (-1, 1), pixel centres) times its gate max(0, (max(r, g, b) - mean) * inv_std), which
// is 0 on the dark background: a linear patch embedding then carries where the bright pixels are,
// so even an attention spread evenly over the patches reads an object's position (see
// ModelConfig.coord_channels for why the tiny VLM needs that).
// Layout: images f32[B, N, N, 3] (row-major pixels, RGB last); patches f32[B, G*G, PS*PS*C] with
// G = N / PS, patches in row-major order and (y, x, channel) order inside a patch, channels
// r, g, b then (C = 5) gate * x, gate * y.
// One thread per output element (flat id < B*G*G*PS*PS*C), 256 per workgroup, 2D grid x fastest.
// Images are inputs, never trained, so there is no backward.
struct Params { B: u32, N: u32, PS: u32, C: u32, mean: f32, inv_std: f32, _p1: f32, _p2: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> images: array<f32>;
@group(0) @binding(2) var<storage, read_write> patches: array<f32>;

@compute @workgroup_size(256)
fn patchify(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * 256u;
  let G = p.N / p.PS;
  let pd = p.PS * p.PS * p.C;
  if (idx >= p.B * G * G * pd) { return; }
  let f = idx % pd;
  let pi = (idx / pd) % (G * G);
  let b = idx / (pd * G * G);
  let ch = f % p.C;
  let ix = (f / p.C) % p.PS;
  let iy = f / (p.C * p.PS);
  let y = (pi / G) * p.PS + iy;
  let x = (pi % G) * p.PS + ix;
  let px = ((b * p.N + y) * p.N + x) * 3u;
  if (ch < 3u) {
    patches[idx] = (images[px + ch] - p.mean) * p.inv_std;
    return;
  }
  let top = max(images[px], max(images[px + 1u], images[px + 2u]));
  let gate = max(0.0, (top - p.mean) * p.inv_std);
  let at = select(f32(y), f32(x), ch == 3u);
  patches[idx] = gate * ((2.0 * at + 1.0) / f32(p.N) - 1.0);
}
