// Single-token attention for decoding: one new query per sequence over that sequence's KV cache.
// The new token is the last of its sequence, so it sees every cached position (image prefix
// included): keys j < lens[b], where lens[b] counts the cache rows including the new token.
// The wrapper prepends `const HD: u32 = <head dim>u;` (a multiple of 4: rows are read as vec4).
// Layout: q, out [B, Hq, HD] f32; k_cache, v_cache [B, Tmax, Hkv, HD] f32; lens [B] u32
// (1 <= lens[b] <= Tmax; 0 gives out = 0). Query head h reads key/value head h / (Hq / Hkv).
// One thread per (b, h) (flat id = b * Hq + h < B * Hq on a 2D grid of 64-wide workgroups), an
// online softmax over the sequence's keys in order. No workgroup barriers: with per-thread
// HD-wide accumulators live across barriers, llvmpipe's compiler took ~25 s for HD = 32.

struct Params { B: u32, Hq: u32, Hkv: u32, Tmax: u32, scale: f32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v_cache: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> lens: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>;

const HD4: u32 = HD / 4u;

@compute @workgroup_size(64)
fn decode_attention(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.B * p.Hq) { return; }
  let h = row % p.Hq;
  let b = row / p.Hq;
  let hk = h / (p.Hq / p.Hkv);
  let len = min(lens[b], p.Tmax);
  let qo = row * HD4;
  var qv: array<vec4<f32>, HD4>;
  var acc: array<vec4<f32>, HD4>;
  for (var d = 0u; d < HD4; d++) { qv[d] = q[qo + d] * p.scale; acc[d] = vec4<f32>(0.0); }
  var m = -3.0e38;
  var l = 0.0;
  for (var j = 0u; j < len; j++) {
    let ko = ((b * p.Tmax + j) * p.Hkv + hk) * HD4;
    var s = 0.0;
    for (var d = 0u; d < HD4; d++) { s += dot(qv[d], k_cache[ko + d]); }
    let m_new = max(m, s);
    let corr = exp(m - m_new);
    let e = exp(s - m_new);
    l = l * corr + e;
    for (var d = 0u; d < HD4; d++) { acc[d] = acc[d] * corr + e * v_cache[ko + d]; }
    m = m_new;
  }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var d = 0u; d < HD4; d++) { out[qo + d] = acc[d] * inv; }
}
