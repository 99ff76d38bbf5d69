// Multi-head attention with grouped-query heads, a causal mask with a bidirectional prefix, and
// optional per-sequence valid lengths; forward and backward side by side.
// The wrapper (lib/gpu/ops/attention.ts) prepends `const HD: u32 = <head dim>u;` (a multiple of
// 4: rows are read as vec4), `const R: u32 = <query rows per thread>u;`,
// `const RK: u32 = <key rows per thread>u;` and `const S: u32 = <query splits per key block>u;`
// (a divisor of 64) so the per-thread accumulators can live in registers.
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
// Threads: one per R consecutive query rows (forward, dq; each key/value load serves R rows) or
// per RK consecutive key rows (dk/dv), the sequence position fastest, so neighbouring threads share a head
// and read the same key (or query) row at the same loop step (a broadcast), and only the trip
// counts differ. No workgroup memory or barriers in the main loops: a tiled variant with
// per-thread accumulators live across barriers took llvmpipe's compiler minutes. GPUs run the
// dk/dv pass split S ways over queries (attention_bwd_dkv_split), whose only barriers are in the
// final reduction of the S partial sums.

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
// Thread idx = (b * Hq + h) * NB + blk with NB = ceil(T / R) owns rows i = blk * R + r, r < R
// (R consecutive rows share every key/value load); idx < B*Hq*NB. Online softmax per row over
// keys [0, kend(i)); a row takes part in step j only while j < kend(i).
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
  let nb = (p.T + R - 1u) / R;
  if (idx >= p.B * p.Hq * nb) { return; }
  let blk = idx % nb;
  let h = (idx / nb) % p.Hq;
  let b = idx / (nb * p.Hq);
  let len = seq_len(b);
  let hk = h / (p.Hq / p.Hkv);
  var qv: array<array<vec4<f32>, HD4>, R>;
  var acc: array<array<vec4<f32>, HD4>, R>;
  var m: array<f32, R>;
  var l: array<f32, R>;
  var kend: array<u32, R>;
  var kmax = 0u;
  for (var r = 0u; r < R; r++) {
    let i = blk * R + r;
    let valid = i < len;
    kend[r] = select(0u, key_end(i, len), valid);
    kmax = max(kmax, kend[r]);
    let qo = ((b * p.T + min(i, p.T - 1u)) * p.Hq + h) * HD4;
    for (var d = 0u; d < HD4; d++) {
      qv[r][d] = select(vec4<f32>(0.0), q[qo + d] * p.scale, valid);
      acc[r][d] = vec4<f32>(0.0);
    }
    m[r] = -3.0e38;
    l[r] = 0.0;
  }
  for (var j = 0u; j < kmax; j++) {
    let ko = ((b * p.T + j) * p.Hkv + hk) * HD4;
    var s: array<f32, R>;
    for (var r = 0u; r < R; r++) { s[r] = 0.0; }
    for (var d = 0u; d < HD4; d++) {
      let kk = k[ko + d];
      for (var r = 0u; r < R; r++) { s[r] += dot(qv[r][d], kk); }
    }
    var corr: array<f32, R>;
    var e: array<f32, R>;
    for (var r = 0u; r < R; r++) {
      let on = j < kend[r];
      let m_new = select(m[r], max(m[r], s[r]), on);
      corr[r] = exp(m[r] - m_new);
      e[r] = select(0.0, exp(s[r] - m_new), on);
      l[r] = l[r] * corr[r] + e[r];
      m[r] = m_new;
    }
    for (var d = 0u; d < HD4; d++) {
      let vv = v[ko + d];
      for (var r = 0u; r < R; r++) { acc[r][d] = acc[r][d] * corr[r] + e[r] * vv; }
    }
  }
  for (var r = 0u; r < R; r++) {
    let i = blk * R + r;
    if (i < p.T) {
      let qo = ((b * p.T + i) * p.Hq + h) * HD4;
      let row = (b * p.Hq + h) * p.T + i;
      if (i < len) {
        let inv = 1.0 / l[r];
        for (var d = 0u; d < HD4; d++) { out[qo + d] = acc[r][d] * inv; }
        saved[row] = m[r] + log(l[r]);
      } else {
        for (var d = 0u; d < HD4; d++) { out[qo + d] = vec4<f32>(0.0); }
        saved[row] = 0.0;
      }
    }
  }
}

// ---- backward -------------------------------------------------------------------------------
// Standard recomputation: P_ij = exp(scale q_i.k_j - lse_i), dS_ij = P_ij (dout_i.v_j - delta_i),
// dq_i = scale sum_j dS_ij k_j, dk_j = scale sum_i dS_ij q_i, dv_j = sum_i P_ij dout_i.
// Every gradient element is summed in a fixed order (no atomics), so the result is bit-identical
// run to run; dk/dv threads also loop over the Hq / Hkv query heads that share their key head,
// which is the deterministic GQA reduction.

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

// Pass 2: dq. Thread idx = (b * Hq + h) * NB + blk owns rows blk * R + r, r < R, as in the
// forward; idx < B*Hq*NB. Bindings: 1 q, 2 k, 3 v, 4 lens, 5 dout, 6 saved, 7 dq.
@group(0) @binding(5) var<storage, read> g_dout: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> g_saved: array<f32>;
@group(0) @binding(7) var<storage, read_write> g_dq: array<vec4<f32>>;

@compute @workgroup_size(64)
fn attention_bwd_dq(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  let nb = (p.T + R - 1u) / R;
  if (idx >= p.B * p.Hq * nb) { return; }
  let n = p.B * p.Hq * p.T;
  let blk = idx % nb;
  let h = (idx / nb) % p.Hq;
  let b = idx / (nb * p.Hq);
  let len = seq_len(b);
  let hk = h / (p.Hq / p.Hkv);
  var qv: array<array<vec4<f32>, HD4>, R>;
  var go: array<array<vec4<f32>, HD4>, R>;
  var acc: array<array<vec4<f32>, HD4>, R>;
  var lse: array<f32, R>;
  var delta: array<f32, R>;
  var kend: array<u32, R>;
  var kmax = 0u;
  for (var r = 0u; r < R; r++) {
    let i = blk * R + r;
    let valid = i < len;
    kend[r] = select(0u, key_end(i, len), valid);
    kmax = max(kmax, kend[r]);
    let ic = min(i, p.T - 1u);
    let qo = ((b * p.T + ic) * p.Hq + h) * HD4;
    let row = (b * p.Hq + h) * p.T + ic;
    lse[r] = g_saved[row];
    delta[r] = g_saved[n + row];
    for (var d = 0u; d < HD4; d++) {
      qv[r][d] = select(vec4<f32>(0.0), q[qo + d] * p.scale, valid);
      go[r][d] = select(vec4<f32>(0.0), g_dout[qo + d], valid);
      acc[r][d] = vec4<f32>(0.0);
    }
  }
  for (var j = 0u; j < kmax; j++) {
    let ko = ((b * p.T + j) * p.Hkv + hk) * HD4;
    var s: array<f32, R>;
    var dp: array<f32, R>;
    for (var r = 0u; r < R; r++) {
      s[r] = 0.0;
      dp[r] = 0.0;
    }
    for (var d = 0u; d < HD4; d++) {
      let kk = k[ko + d];
      let vv = v[ko + d];
      for (var r = 0u; r < R; r++) {
        s[r] += dot(qv[r][d], kk);
        dp[r] += dot(go[r][d], vv);
      }
    }
    var ds: array<f32, R>;
    for (var r = 0u; r < R; r++) {
      ds[r] = select(0.0, exp(s[r] - lse[r]) * (dp[r] - delta[r]), j < kend[r]);
    }
    for (var d = 0u; d < HD4; d++) {
      let kk = k[ko + d];
      for (var r = 0u; r < R; r++) { acc[r][d] += ds[r] * kk; }
    }
  }
  for (var r = 0u; r < R; r++) {
    let i = blk * R + r;
    if (i < p.T) {
      let qo = ((b * p.T + i) * p.Hq + h) * HD4;
      for (var d = 0u; d < HD4; d++) { g_dq[qo + d] = acc[r][d] * p.scale; }
    }
  }
}

// Pass 3: dk, dv. Thread idx = (b * Hkv + hk) * NK + blk with NK = ceil(T / RK) owns keys
// j = blk * RK + r, r < RK (each query-row load serves RK keys); idx < B*Hkv*NK. Loops over the
// query heads of its group, then over the queries that see any of its keys, i in [lo, len) with
// lo = 0 if its first key is in the prefix and that key otherwise; key j takes part in row i
// only if j < len and (i >= j or j < prefix).
// Bindings: 1 q, 2 k, 3 v, 4 lens, 5 dout, 6 saved, 7 dk, 8 dv.
@group(0) @binding(7) var<storage, read_write> g_dk: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> g_dv: array<vec4<f32>>;

@compute @workgroup_size(64)
fn attention_bwd_dkv(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  let nk = (p.T + RK - 1u) / RK;
  if (idx >= p.B * p.Hkv * nk) { return; }
  let n = p.B * p.Hq * p.T;
  let blk = idx % nk;
  let hk = (idx / nk) % p.Hkv;
  let b = idx / (nk * p.Hkv);
  let len = seq_len(b);
  var kv: array<array<vec4<f32>, HD4>, RK>;
  var vv: array<array<vec4<f32>, HD4>, RK>;
  var dk: array<array<vec4<f32>, HD4>, RK>;
  var dv: array<array<vec4<f32>, HD4>, RK>;
  for (var r = 0u; r < RK; r++) {
    let j = blk * RK + r;
    let ko = ((b * p.T + min(j, p.T - 1u)) * p.Hkv + hk) * HD4;
    for (var d = 0u; d < HD4; d++) {
      kv[r][d] = k[ko + d] * p.scale;
      vv[r][d] = v[ko + d];
      dk[r][d] = vec4<f32>(0.0);
      dv[r][d] = vec4<f32>(0.0);
    }
  }
  let j0 = blk * RK;
  let group = p.Hq / p.Hkv;
  let lo = select(j0, 0u, j0 < p.prefix);
  let hi = select(0u, len, j0 < len);
  for (var g = 0u; g < group; g++) {
    let h = hk * group + g;
    for (var i = lo; i < hi; i++) {
      let qo = ((b * p.T + i) * p.Hq + h) * HD4;
      let row = (b * p.Hq + h) * p.T + i;
      let lse_i = g_saved[row];
      let delta_i = g_saved[n + row];
      var s: array<f32, RK>;
      var dp: array<f32, RK>;
      for (var r = 0u; r < RK; r++) {
        s[r] = 0.0;
        dp[r] = 0.0;
      }
      for (var d = 0u; d < HD4; d++) {
        let qq = q[qo + d];
        let gg = g_dout[qo + d];
        for (var r = 0u; r < RK; r++) {
          s[r] += dot(qq, kv[r][d]);
          dp[r] += dot(gg, vv[r][d]);
        }
      }
      var pr: array<f32, RK>;
      var ds: array<f32, RK>;
      for (var r = 0u; r < RK; r++) {
        let j = j0 + r;
        let on = j < len && (i >= j || j < p.prefix);
        pr[r] = select(0.0, exp(s[r] - lse_i), on);
        ds[r] = pr[r] * (dp[r] - delta_i);
      }
      for (var d = 0u; d < HD4; d++) {
        let qq = q[qo + d];
        let gg = g_dout[qo + d];
        for (var r = 0u; r < RK; r++) {
          dv[r][d] += pr[r] * gg;
          dk[r][d] += ds[r] * qq;
        }
      }
    }
  }
  for (var r = 0u; r < RK; r++) {
    let j = j0 + r;
    if (j < p.T) {
      let ko = ((b * p.T + j) * p.Hkv + hk) * HD4;
      for (var d = 0u; d < HD4; d++) {
        g_dk[ko + d] = dk[r][d] * p.scale;
        g_dv[ko + d] = dv[r][d];
      }
    }
  }
}

// Pass 3 on GPUs: dk, dv with each key block's query loop split S ways. One thread per key block
// leaves a GPU mostly idle (B*Hkv*T/RK threads, each up to (Hq/Hkv)*T dependent iterations, the
// causal mask making early keys the longest), so a 64-thread workgroup holds KPW = 64 / S key
// blocks of one (b, hk) times S splits: lane lid = s * KPW + kl owns keys j = (wb * KPW + kl) * RK
// + r, r < RK, and queries i = lo + s + m * S (m >= 0, i < len) of every head of its group, where
// lo is the first query that sees any key of the workgroup (not of the block), so the KPW lanes of
// one split read the same query row at each step (a broadcast) and consecutive splits consecutive
// rows. Workgroup w
// < NW * B * Hkv (NW = ceil(ceil(T / RK) / KPW)) takes bh = w % (B * Hkv), wb = w / (B * Hkv):
// the workgroups of the first keys, which have the most queries, start first.
// Each lane keeps its keys' partial dv and dk (RK * HD4 vec4s each, named registers unrolled in
// text as in the split forward below); they then meet in workgroup memory one vec4 per round and
// lanes of split 0 sum theirs over splits 0, 1, ..., S-1 in that order, so the result is
// bit-identical run to run whatever the scheduling (no atomics). red stays at 1 KiB: WebGPU
// zero-fills workgroup memory, which llvmpipe compiles element by element (first backward at
// D 32: 9 s with a 16 KiB red, 1.6 s with 4 KiB, 0.6 s unsplit).
// Bindings as attention_bwd_dkv.
const KPW: u32 = 64u / S;
var<workgroup> red: array<vec4<f32>, 64u>;

// Sum in split order of the values the lanes parked in red: lane t * (64 / splits) + o of split t,
// t = 0, 1, ..., splits - 1 (every split kernel lays its lanes out this way).
fn split_sum(o: u32, splits: u32) -> vec4<f32> {
  var sum = red[o];
  for (var t = 1u; t < splits; t++) { sum += red[t * (64u / splits) + o]; }
  return sum;
}

@compute @workgroup_size(64)
fn attention_bwd_dkv_split(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let nk = (p.T + RK - 1u) / RK;
  let nbh = p.B * p.Hkv;
  let w = wid.x + wid.y * nwg.x;
  // Uniform per workgroup, so the barriers below stay in uniform control flow.
  if (w >= ((nk + KPW - 1u) / KPW) * nbh) { return; }
  let n = p.B * p.Hq * p.T;
  let hk = (w % nbh) % p.Hkv;
  let b = (w % nbh) / p.Hkv;
  let wb = w / nbh;
  let kl = lid % KPW;
  let s = lid / KPW;
  let len = seq_len(b);
  let j0 = (wb * KPW + kl) * RK;
//#for r RK
  let jk${r} = j0 + ${r}u;
  let ko${r} = ((b * p.T + min(jk${r}, p.T - 1u)) * p.Hkv + hk) * HD4;
//#for d HD4
  let kv${r}_${d} = k[ko${r} + ${d}u] * p.scale;
  let vv${r}_${d} = v[ko${r} + ${d}u];
  var dk${r}_${d} = vec4<f32>(0.0);
  var dv${r}_${d} = vec4<f32>(0.0);
//#endfor
//#endfor
  let jw = wb * KPW * RK;
  let group = p.Hq / p.Hkv;
  let lo = select(jw, 0u, jw < p.prefix);
  let hi = select(0u, len, jw < len);
  for (var g = 0u; g < group; g++) {
    let h = hk * group + g;
    for (var i = lo + s; i < hi; i += S) {
      let qo = ((b * p.T + i) * p.Hq + h) * HD4;
      let row = (b * p.Hq + h) * p.T + i;
      let lse_i = g_saved[row];
      let delta_i = g_saved[n + row];
//#for r RK
      var sc${r} = 0.0;
      var dp${r} = 0.0;
//#endfor
//#for d HD4
      let qq${d} = q[qo + ${d}u];
      let gg${d} = g_dout[qo + ${d}u];
//#for r RK
      sc${r} += dot(qq${d}, kv${r}_${d});
      dp${r} += dot(gg${d}, vv${r}_${d});
//#endfor
//#endfor
//#for r RK
      let pr${r} = select(0.0, exp(sc${r} - lse_i), jk${r} < len && (i >= jk${r} || jk${r} < p.prefix));
      let ds${r} = pr${r} * (dp${r} - delta_i);
//#for d HD4
      dv${r}_${d} += pr${r} * gg${d};
      dk${r}_${d} += ds${r} * qq${d};
//#endfor
//#endfor
    }
  }
//#for r RK
//#for d HD4
  workgroupBarrier();
  red[lid] = dv${r}_${d};
  workgroupBarrier();
  if (s == 0u && jk${r} < p.T) { g_dv[ko${r} + ${d}u] = split_sum(kl, S); }
  workgroupBarrier();
  red[lid] = dk${r}_${d};
  workgroupBarrier();
  if (s == 0u && jk${r} < p.T) { g_dk[ko${r} + ${d}u] = split_sum(kl, S) * p.scale; }
//#endfor
//#endfor
}

// Forward and dq on GPUs, each query block's key loop split SK ways (flash-decoding style). One
// thread per R query rows gives B*Hq*T/R threads, each up to T dependent iterations: too few and
// too long for a GPU. A 64-lane workgroup holds QPW = 64 / SK query blocks of one (b, h) times SK
// splits: lane lid = s * QPW + ql owns rows i = (wq * QPW + ql) * R + r, r < R, and keys
// j = s + m * SK (m >= 0, j < the lane's last visible key), so the QPW lanes of one split read the
// same key row at each step (a broadcast). Workgroup w < NQ * B * Hq (NQ = ceil(ceil(T / R) /
// QPW)) takes bh = w % (B * Hq) and query-block group wq = NQ - 1 - w / (B * Hq): the last rows,
// which see the most keys, start first.
// The splits meet in workgroup memory and every output is combined over s = 0, 1, ..., SK-1 in
// that order, so results are bit-identical run to run (no atomics). Forward: each split rescales
// its (m, l, acc) to the rows' common max M (a max is exact in any order), then l and acc are
// summed: out = sum acc / sum l, saved[0] = M + log(sum l). dq: the partial sums, summed. The
// R * HD4 accumulator vec4s of a lane cross red one per round; lanes of split 0 sum and write
// them. R <= 4: a lane's per-row m, l, lse, delta
// and key ends are vec4 lanes.
// Loops over rows and head-dimension chunks are unrolled in text (//#for, with R and HD4 as
// defines) and the per-row vectors are named registers (qv0_0, acc0_0, ...): with arrays indexed
// in loops, NVIDIA's compiler kept them in local memory (H200, small shape: forward 1.29 ms with
// arrays; see README, "The GPU engine").
// Bindings: forward as attention_fwd, dq as attention_bwd_dq.
const QPW: u32 = 64u / SK;

struct QLane {
  b: u32,
  h: u32,
  hk: u32,
  // First query block of the workgroup, and this lane's block and split.
  blk0: u32,
  ql: u32,
  s: u32,
  len: u32,
}

// Query-block groups per (b, h): NQ above.
fn q_groups() -> u32 {
  return ((p.T + R - 1u) / R + QPW - 1u) / QPW;
}

// Whether workgroup (wid, nwg) is inside the grid; a separate function from q_lane so that the
// result is visibly uniform and the barriers after the early return stay in uniform control flow.
fn q_live(wid: vec3<u32>, nwg: vec3<u32>) -> bool {
  return wid.x + wid.y * nwg.x < q_groups() * p.B * p.Hq;
}

// Where lane lid of a live workgroup (wid, nwg) works.
fn q_lane(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> QLane {
  let nq = q_groups();
  let nbh = p.B * p.Hq;
  let wc = wid.x + wid.y * nwg.x;
  var o: QLane;
  o.h = (wc % nbh) % p.Hq;
  o.b = (wc % nbh) / p.Hq;
  o.hk = o.h / (p.Hq / p.Hkv);
  o.blk0 = (nq - 1u - wc / nbh) * QPW;
  o.ql = lid % QPW;
  o.s = lid / QPW;
  o.len = seq_len(o.b);
  return o;
}

@compute @workgroup_size(64)
fn attention_fwd_split(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  if (!q_live(wid, nwg)) { return; }
  let ln = q_lane(wid, nwg, lid);
  let blk = ln.blk0 + ln.ql;
  // Row r of the lane's block in vector lane r (R <= 4; unused lanes keep kend 0, so they never
  // take part and their m, l stay -3e38, 0).
  var kend = vec4<u32>(0u);
//#for r R
  let i${r} = blk * R + ${r}u;
  kend[${r}] = select(0u, key_end(i${r}, ln.len), i${r} < ln.len);
  let qo${r} = ((ln.b * p.T + min(i${r}, p.T - 1u)) * p.Hq + ln.h) * HD4;
//#for d HD4
  let qv${r}_${d} = select(vec4<f32>(0.0), q[qo${r} + ${d}u] * p.scale, i${r} < ln.len);
  var acc${r}_${d} = vec4<f32>(0.0);
//#endfor
//#endfor
  let kmax = max(max(kend.x, kend.y), max(kend.z, kend.w));
  var m = vec4<f32>(-3.0e38);
  var l = vec4<f32>(0.0);
  for (var j = ln.s; j < kmax; j += SK) {
    let ko = ((ln.b * p.T + j) * p.Hkv + ln.hk) * HD4;
    var sc = vec4<f32>(0.0);
//#for d HD4
    let kk${d} = k[ko + ${d}u];
//#for r R
    sc[${r}] += dot(qv${r}_${d}, kk${d});
//#endfor
//#endfor
    let on = vec4<u32>(j) < kend;
    let m_new = select(m, max(m, sc), on);
    let corr = exp(m - m_new);
    let e = select(vec4<f32>(0.0), exp(sc - m_new), on);
    l = l * corr + e;
    m = m_new;
//#for d HD4
    let vv${d} = v[ko + ${d}u];
//#for r R
    acc${r}_${d} = acc${r}_${d} * corr[${r}] + e[${r}] * vv${d};
//#endfor
//#endfor
  }
  // The rows' max over splits (exact in any order); each split rescales to it (a split that saw
  // no key has m = -3e38, l = 0, acc = 0, so its factor does not matter).
  red[lid] = m;
  workgroupBarrier();
  var mx = red[ln.ql];
  for (var t = 1u; t < SK; t++) { mx = max(mx, red[t * QPW + ln.ql]); }
  let f = exp(m - mx);
  workgroupBarrier();
  red[lid] = l * f;
  workgroupBarrier();
  let lsum = split_sum(ln.ql, SK);
  if (ln.s == 0u) {
//#for r R
    if (i${r} < p.T) {
      let row = (ln.b * p.Hq + ln.h) * p.T + i${r};
      saved[row] = select(0.0, mx[${r}] + log(lsum[${r}]), i${r} < ln.len);
    }
//#endfor
  }
  // One accumulator vec4 per round: every lane parks it, lanes of split 0 sum their block's.
//#for r R
//#for d HD4
  workgroupBarrier();
  red[lid] = acc${r}_${d} * f[${r}];
  workgroupBarrier();
  if (ln.s == 0u && i${r} < p.T) {
    out[qo${r} + ${d}u] = select(vec4<f32>(0.0), split_sum(ln.ql, SK) / lsum[${r}], i${r} < ln.len);
  }
//#endfor
//#endfor
}

@compute @workgroup_size(64)
fn attention_bwd_dq_split(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  if (!q_live(wid, nwg)) { return; }
  let ln = q_lane(wid, nwg, lid);
  let blk = ln.blk0 + ln.ql;
  let n = p.B * p.Hq * p.T;
  var kend = vec4<u32>(0u);
  var lse = vec4<f32>(0.0);
  var delta = vec4<f32>(0.0);
//#for r R
  let i${r} = blk * R + ${r}u;
  kend[${r}] = select(0u, key_end(i${r}, ln.len), i${r} < ln.len);
  let qo${r} = ((ln.b * p.T + min(i${r}, p.T - 1u)) * p.Hq + ln.h) * HD4;
  let row${r} = (ln.b * p.Hq + ln.h) * p.T + min(i${r}, p.T - 1u);
  lse[${r}] = g_saved[row${r}];
  delta[${r}] = g_saved[n + row${r}];
//#for d HD4
  let qv${r}_${d} = select(vec4<f32>(0.0), q[qo${r} + ${d}u] * p.scale, i${r} < ln.len);
  let go${r}_${d} = select(vec4<f32>(0.0), g_dout[qo${r} + ${d}u], i${r} < ln.len);
  var acc${r}_${d} = vec4<f32>(0.0);
//#endfor
//#endfor
  let kmax = max(max(kend.x, kend.y), max(kend.z, kend.w));
  for (var j = ln.s; j < kmax; j += SK) {
    let ko = ((ln.b * p.T + j) * p.Hkv + ln.hk) * HD4;
    var sc = vec4<f32>(0.0);
    var dp = vec4<f32>(0.0);
//#for d HD4
    let kk${d} = k[ko + ${d}u];
    let vv${d} = v[ko + ${d}u];
//#for r R
    sc[${r}] += dot(qv${r}_${d}, kk${d});
    dp[${r}] += dot(go${r}_${d}, vv${d});
//#endfor
//#endfor
    let ds = select(vec4<f32>(0.0), exp(sc - lse) * (dp - delta), vec4<u32>(j) < kend);
//#for d HD4
//#for r R
    acc${r}_${d} += ds[${r}] * kk${d};
//#endfor
//#endfor
  }
//#for r R
//#for d HD4
  workgroupBarrier();
  red[lid] = acc${r}_${d};
  workgroupBarrier();
  if (ln.s == 0u && i${r} < p.T) { g_dq[qo${r} + ${d}u] = split_sum(ln.ql, SK) * p.scale; }
//#endfor
//#endfor
}
