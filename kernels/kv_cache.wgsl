// KV-cache write for decoding: copies Tn new positions of keys and values per sequence into the
// caches at that sequence's own offset (prefill: Tn = prompt length, pos = 0; decode: Tn = 1,
// pos = current length).
// Layout: k_new, v_new [B, Tn, Hkv, D] f32; k_cache, v_cache [B, Tmax, Hkv, D] f32;
// pos [B] u32. Element (b, t, e) (e < Hkv*D) goes to cache row pos[b] + t; rows at or beyond
// Tmax are dropped (the generator stops sequences before that).
// One thread per element of k_new (and the same element of v_new); flat id < B*Tn*Hkv*D on a
// 2D grid of 64-wide workgroups.

struct Params { B: u32, Tn: u32, Tmax: u32, row: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> k_new: array<f32>;
@group(0) @binding(2) var<storage, read> v_new: array<f32>;
@group(0) @binding(3) var<storage, read> pos: array<u32>;
@group(0) @binding(4) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(5) var<storage, read_write> v_cache: array<f32>;

@compute @workgroup_size(64)
fn kv_cache_write(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * 64u;
  if (idx >= p.B * p.Tn * p.row) { return; }
  let e = idx % p.row;
  let t = (idx / p.row) % p.Tn;
  let b = idx / (p.row * p.Tn);
  let dst_t = pos[b] + t;
  if (dst_t >= p.Tmax) { return; }
  let dst = (b * p.Tmax + dst_t) * p.row + e;
  k_cache[dst] = k_new[idx];
  v_cache[dst] = v_new[idx];
}
