// Multi-head attention with grouped-query heads, a causal mask with a bidirectional prefix, and
// optional per-sequence valid lengths; forward and backward side by side.
// The wrapper (lib/gpu/ops/attention.ts) prepends `const HD: u32 = <head dim>u;` so the
// per-thread accumulators can live in registers.
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
// One thread per query row (b, i, h), h fastest; flat id < B*T*Hq. Online softmax over [0, kend).
// Bindings: 1 q, 2 k, 3 v, 4 lens, 5 out, 6 saved (writes saved[0]).
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> lens: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> saved: array<f32>;

@compute @workgroup_size(64)
fn attention_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  if (idx >= p.B * p.T * p.Hq) { return; }
  let h = idx % p.Hq;
  let i = (idx / p.Hq) % p.T;
  let b = idx / (p.Hq * p.T);
  let len = seq_len(b);
  let qo = idx * HD;
  let lse_i = (b * p.Hq + h) * p.T + i;
  if (i >= len) {
    for (var d = 0u; d < HD; d++) { out[qo + d] = 0.0; }
    saved[lse_i] = 0.0;
    return;
  }
  let hk = h / (p.Hq / p.Hkv);
  var qv: array<f32, HD>;
  var acc: array<f32, HD>;
  for (var d = 0u; d < HD; d++) { qv[d] = q[qo + d] * p.scale; acc[d] = 0.0; }
  var m = -3.0e38;
  var l = 0.0;
  let kend = key_end(i, len);
  for (var j = 0u; j < kend; j++) {
    let ko = ((b * p.T + j) * p.Hkv + hk) * HD;
    var s = 0.0;
    for (var d = 0u; d < HD; d++) { s += qv[d] * k[ko + d]; }
    let m_new = max(m, s);
    let corr = exp(m - m_new);
    let e = exp(s - m_new);
    l = l * corr + e;
    for (var d = 0u; d < HD; d++) { acc[d] = acc[d] * corr + e * v[ko + d]; }
    m = m_new;
  }
  let inv = 1.0 / l;
  for (var d = 0u; d < HD; d++) { out[qo + d] = acc[d] * inv; }
  saved[lse_i] = m + log(l);
}

// ---- backward -------------------------------------------------------------------------------
// Standard recomputation: P_ij = exp(scale q_i.k_j - lse_i), dS_ij = P_ij (dout_i.v_j - delta_i),
// dq_i = scale sum_j dS_ij k_j, dk_j = scale sum_i dS_ij q_i, dv_j = sum_i P_ij dout_i.
// Every gradient element is owned by one thread that sums in a fixed order (no atomics), so the
// result is bit-identical run to run; dk/dv threads also loop over the Hq / Hkv query heads that
// share their key head, which is the deterministic GQA reduction.

// Pass 1: delta. One thread per row (b, i, h), h fastest. Bindings: 1 out, 2 dout, 3 saved.
@group(0) @binding(1) var<storage, read> d1_out: array<f32>;
@group(0) @binding(2) var<storage, read> d1_dout: array<f32>;
@group(0) @binding(3) var<storage, read_write> d1_saved: array<f32>;

@compute @workgroup_size(64)
fn attention_bwd_delta(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  let n = p.B * p.T * p.Hq;
  if (idx >= n) { return; }
  let h = idx % p.Hq;
  let i = (idx / p.Hq) % p.T;
  let b = idx / (p.Hq * p.T);
  var s = 0.0;
  for (var d = 0u; d < HD; d++) { s += d1_out[idx * HD + d] * d1_dout[idx * HD + d]; }
  d1_saved[n + (b * p.Hq + h) * p.T + i] = s;
}

// Pass 2: dq. One thread per query row (b, i, h), h fastest.
// Bindings: 1 q, 2 k, 3 v, 4 lens, 5 dout, 6 saved, 7 dq.
@group(0) @binding(5) var<storage, read> g_dout: array<f32>;
@group(0) @binding(6) var<storage, read> g_saved: array<f32>;
@group(0) @binding(7) var<storage, read_write> g_dq: array<f32>;

@compute @workgroup_size(64)
fn attention_bwd_dq(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  let n = p.B * p.T * p.Hq;
  if (idx >= n) { return; }
  let h = idx % p.Hq;
  let i = (idx / p.Hq) % p.T;
  let b = idx / (p.Hq * p.T);
  let len = seq_len(b);
  let qo = idx * HD;
  if (i >= len) {
    for (var d = 0u; d < HD; d++) { g_dq[qo + d] = 0.0; }
    return;
  }
  let hk = h / (p.Hq / p.Hkv);
  let row = (b * p.Hq + h) * p.T + i;
  let lse_i = g_saved[row];
  let delta_i = g_saved[n + row];
  var qv: array<f32, HD>;
  var go: array<f32, HD>;
  var acc: array<f32, HD>;
  for (var d = 0u; d < HD; d++) {
    qv[d] = q[qo + d] * p.scale;
    go[d] = g_dout[qo + d];
    acc[d] = 0.0;
  }
  let kend = key_end(i, len);
  for (var j = 0u; j < kend; j++) {
    let ko = ((b * p.T + j) * p.Hkv + hk) * HD;
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < HD; d++) {
      s += qv[d] * k[ko + d];
      dp += go[d] * v[ko + d];
    }
    let ds = exp(s - lse_i) * (dp - delta_i);
    for (var d = 0u; d < HD; d++) { acc[d] += ds * k[ko + d]; }
  }
  for (var d = 0u; d < HD; d++) { g_dq[qo + d] = acc[d] * p.scale; }
}

// Pass 3: dk, dv. One thread per key row (b, j, hk), hk fastest; flat id < B*T*Hkv. Loops over
// the query heads of its group, then over the queries that see key j: i in [lo(j), len) with
// lo(j) = 0 for prefix keys (j < prefix) and j otherwise.
// Bindings: 1 q, 2 k, 3 v, 4 lens, 5 dout, 6 saved, 7 dk, 8 dv.
@group(0) @binding(7) var<storage, read_write> g_dk: array<f32>;
@group(0) @binding(8) var<storage, read_write> g_dv: array<f32>;

@compute @workgroup_size(64)
fn attention_bwd_dkv(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  if (idx >= p.B * p.T * p.Hkv) { return; }
  let n = p.B * p.T * p.Hq;
  let hk = idx % p.Hkv;
  let j = (idx / p.Hkv) % p.T;
  let b = idx / (p.Hkv * p.T);
  let len = seq_len(b);
  let ko = idx * HD;
  var kv: array<f32, HD>;
  var vv: array<f32, HD>;
  var dk: array<f32, HD>;
  var dv: array<f32, HD>;
  for (var d = 0u; d < HD; d++) {
    kv[d] = k[ko + d] * p.scale;
    vv[d] = v[ko + d];
    dk[d] = 0.0;
    dv[d] = 0.0;
  }
  let group = p.Hq / p.Hkv;
  let lo = select(j, 0u, j < p.prefix);
  if (j < len) {
    for (var g = 0u; g < group; g++) {
      let h = hk * group + g;
      for (var i = lo; i < len; i++) {
        let qo = ((b * p.T + i) * p.Hq + h) * HD;
        let row = (b * p.Hq + h) * p.T + i;
        var s = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < HD; d++) {
          s += q[qo + d] * kv[d];
          dp += g_dout[qo + d] * vv[d];
        }
        let pr = exp(s - g_saved[row]);
        let ds = pr * (dp - g_saved[n + row]);
        for (var d = 0u; d < HD; d++) {
          dv[d] += pr * g_dout[qo + d];
          dk[d] += ds * q[qo + d];
        }
      }
    }
  }
  for (var d = 0u; d < HD; d++) {
    g_dk[ko + d] = dk[d] * p.scale;
    g_dv[ko + d] = dv[d];
  }
}
