// Multi-head attention with grouped-query heads, a causal mask with a bidirectional prefix, and
// optional per-sequence valid lengths; forward and backward side by side.
// The wrapper (lib/gpu/ops/attention.ts) prepends `const HD: u32 = <head dim>u;` (a multiple of
// 4: rows are read as vec4) so the per-thread accumulators can live in registers.
//
// Layouts (row-major, f32):
//   q, out, dout, dq  [B, T, Hq, HD]     k, v, dk, dv  [B, T, Hkv, HD]
//   saved             [2, B, Hq, T]: saved[0] = logsumexp of each row's scaled scores (forward),
//                     saved[1] = delta = rowsum(dout * out) (first backward pass)
//   lens              [B] u32 (read only when p.has_lens = 1; otherwise any bound buffer)
// Query head h reads key/value head h / (Hq / Hkv).
// Visibility: key j is visible from query i iff j < len and (j <= i or j < prefix): image tokens
// (the first `prefix` positions) see each other both ways, text sees everything before it plus
// the whole image. The visible keys of row i are therefore exactly [0, kend(i)) with
// kend(i) = min(len, max(i + 1, prefix)). Rows i >= len are padding: out = 0, saved[0] = 0,
// and they contribute no gradient.
//
// Threads: one per query row (forward, dq) or key row (dk/dv), the sequence position fastest, so
// neighbouring threads share a head and read the same key (or query) row at the same loop step
// (a broadcast), and only the trip counts differ. No workgroup memory or barriers: a tiled
// variant with per-thread accumulators live across barriers took llvmpipe's compiler minutes.

struct Params {
  B: u32,
  T: u32,
  Hq: u32,
  Hkv: u32,
  prefix: u32,
  has_lens: u32,
  scale: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

const HD4: u32 = HD / 4u;

fn seq_len(b: u32) -> u32 {
  if (p.has_lens == 1u) { return min(lens[b], p.T); }
  return p.T;
}

fn key_end(i: u32, len: u32) -> u32 {
  return min(len, max(i + 1u, p.prefix));
}

// Flat thread index over a 2D grid of 64-wide workgroups (x fastest).
fn flat_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 64u;
}

// ---- forward --------------------------------------------------------------------------------
// Thread idx = (b * Hq + h) * T + i (which is also the row's index in saved[0]);
// idx < B*Hq*T. Online softmax over keys [0, kend(i)).
// Bindings: 1 q, 2 k, 3 v, 4 lens, 5 out, 6 saved (writes saved[0]).
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> lens: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> saved: array<f32>;

@compute @workgroup_size(64)
fn attention_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  if (idx >= p.B * p.Hq * p.T) { return; }
  let i = idx % p.T;
  let h = (idx / p.T) % p.Hq;
  let b = idx / (p.T * p.Hq);
  let len = seq_len(b);
  let qo = ((b * p.T + i) * p.Hq + h) * HD4;
  if (i >= len) {
    for (var d = 0u; d < HD4; d++) { out[qo + d] = vec4<f32>(0.0); }
    saved[idx] = 0.0;
    return;
  }
  let hk = h / (p.Hq / p.Hkv);
  var qv: array<vec4<f32>, HD4>;
  var acc: array<vec4<f32>, HD4>;
  for (var d = 0u; d < HD4; d++) { qv[d] = q[qo + d] * p.scale; acc[d] = vec4<f32>(0.0); }
  var m = -3.0e38;
  var l = 0.0;
  let kend = key_end(i, len);
  for (var j = 0u; j < kend; j++) {
    let ko = ((b * p.T + j) * p.Hkv + hk) * HD4;
    var s = 0.0;
    for (var d = 0u; d < HD4; d++) { s += dot(qv[d], k[ko + d]); }
    let m_new = max(m, s);
    let corr = exp(m - m_new);
    let e = exp(s - m_new);
    l = l * corr + e;
    for (var d = 0u; d < HD4; d++) { acc[d] = acc[d] * corr + e * v[ko + d]; }
    m = m_new;
  }
  let inv = 1.0 / l;
  for (var d = 0u; d < HD4; d++) { out[qo + d] = acc[d] * inv; }
  saved[idx] = m + log(l);
}

// ---- backward -------------------------------------------------------------------------------
// Standard recomputation: P_ij = exp(scale q_i.k_j - lse_i), dS_ij = P_ij (dout_i.v_j - delta_i),
// dq_i = scale sum_j dS_ij k_j, dk_j = scale sum_i dS_ij q_i, dv_j = sum_i P_ij dout_i.
// Every gradient element is owned by one thread that sums in a fixed order (no atomics), so the
// result is bit-identical run to run; dk/dv threads also loop over the Hq / Hkv query heads that
// share their key head, which is the deterministic GQA reduction.

// Pass 1: delta. Thread idx = (b * Hq + h) * T + i < B*Hq*T. Bindings: 1 out, 2 dout, 3 saved
// (writes saved[1]).
@group(0) @binding(1) var<storage, read> d1_out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> d1_dout: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> d1_saved: array<f32>;

@compute @workgroup_size(64)
fn attention_bwd_delta(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  let n = p.B * p.Hq * p.T;
  if (idx >= n) { return; }
  let i = idx % p.T;
  let h = (idx / p.T) % p.Hq;
  let b = idx / (p.T * p.Hq);
  let qo = ((b * p.T + i) * p.Hq + h) * HD4;
  var s = 0.0;
  for (var d = 0u; d < HD4; d++) { s += dot(d1_out[qo + d], d1_dout[qo + d]); }
  d1_saved[n + idx] = s;
}

// Pass 2: dq. Thread idx = (b * Hq + h) * T + i < B*Hq*T.
// Bindings: 1 q, 2 k, 3 v, 4 lens, 5 dout, 6 saved, 7 dq.
@group(0) @binding(5) var<storage, read> g_dout: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> g_saved: array<f32>;
@group(0) @binding(7) var<storage, read_write> g_dq: array<vec4<f32>>;

@compute @workgroup_size(64)
fn attention_bwd_dq(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  let n = p.B * p.Hq * p.T;
  if (idx >= n) { return; }
  let i = idx % p.T;
  let h = (idx / p.T) % p.Hq;
  let b = idx / (p.T * p.Hq);
  let len = seq_len(b);
  let qo = ((b * p.T + i) * p.Hq + h) * HD4;
  if (i >= len) {
    for (var d = 0u; d < HD4; d++) { g_dq[qo + d] = vec4<f32>(0.0); }
    return;
  }
  let hk = h / (p.Hq / p.Hkv);
  let lse_i = g_saved[idx];
  let delta_i = g_saved[n + idx];
  var qv: array<vec4<f32>, HD4>;
  var go: array<vec4<f32>, HD4>;
  var acc: array<vec4<f32>, HD4>;
  for (var d = 0u; d < HD4; d++) {
    qv[d] = q[qo + d] * p.scale;
    go[d] = g_dout[qo + d];
    acc[d] = vec4<f32>(0.0);
  }
  let kend = key_end(i, len);
  for (var j = 0u; j < kend; j++) {
    let ko = ((b * p.T + j) * p.Hkv + hk) * HD4;
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < HD4; d++) {
      s += dot(qv[d], k[ko + d]);
      dp += dot(go[d], v[ko + d]);
    }
    let ds = exp(s - lse_i) * (dp - delta_i);
    for (var d = 0u; d < HD4; d++) { acc[d] += ds * k[ko + d]; }
  }
  for (var d = 0u; d < HD4; d++) { g_dq[qo + d] = acc[d] * p.scale; }
}

// Pass 3: dk, dv. Thread idx = (b * Hkv + hk) * T + j < B*Hkv*T. Loops over the query heads of
// its group, then over the queries that see key j: i in [lo(j), len) with lo(j) = 0 for prefix
// keys (j < prefix) and j otherwise.
// Bindings: 1 q, 2 k, 3 v, 4 lens, 5 dout, 6 saved, 7 dk, 8 dv.
@group(0) @binding(7) var<storage, read_write> g_dk: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> g_dv: array<vec4<f32>>;

@compute @workgroup_size(64)
fn attention_bwd_dkv(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  if (idx >= p.B * p.Hkv * p.T) { return; }
  let n = p.B * p.Hq * p.T;
  let j = idx % p.T;
  let hk = (idx / p.T) % p.Hkv;
  let b = idx / (p.T * p.Hkv);
  let len = seq_len(b);
  let ko = ((b * p.T + j) * p.Hkv + hk) * HD4;
  var kv: array<vec4<f32>, HD4>;
  var vv: array<vec4<f32>, HD4>;
  var dk: array<vec4<f32>, HD4>;
  var dv: array<vec4<f32>, HD4>;
  for (var d = 0u; d < HD4; d++) {
    kv[d] = k[ko + d] * p.scale;
    vv[d] = v[ko + d];
    dk[d] = vec4<f32>(0.0);
    dv[d] = vec4<f32>(0.0);
  }
  let group = p.Hq / p.Hkv;
  let lo = select(j, 0u, j < p.prefix);
  let hi = select(0u, len, j < len);
  for (var g = 0u; g < group; g++) {
    let h = hk * group + g;
    for (var i = lo; i < hi; i++) {
      let qo = ((b * p.T + i) * p.Hq + h) * HD4;
      let row = (b * p.Hq + h) * p.T + i;
      var s = 0.0;
      var dp = 0.0;
      for (var d = 0u; d < HD4; d++) {
        s += dot(q[qo + d], kv[d]);
        dp += dot(g_dout[qo + d], vv[d]);
      }
      let pr = exp(s - g_saved[row]);
      let ds = pr * (dp - g_saved[n + row]);
      for (var d = 0u; d < HD4; d++) {
        dv[d] += pr * g_dout[qo + d];
        dk[d] += ds * q[qo + d];
      }
    }
  }
  for (var d = 0u; d < HD4; d++) {
    g_dk[ko + d] = dk[d] * p.scale;
    g_dv[ko + d] = dv[d];
  }
}
