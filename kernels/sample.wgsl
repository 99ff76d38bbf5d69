// Token sampling from logits with temperature, top-k and top-p, driven by a counter-based RNG.
// The wrapper prepends kernels/philox.wgsl. CPU reference: tests/gpu/sample_ref.ts.
// Layout: logits [B, V] f32 row-major, seq_ids [B] u32 (global sequence id), positions [B] u32
// (position of the token being sampled), tokens [B] u32 (output).
// Two entry points with identical semantics: `sample` runs one 64-thread workgroup per sequence
// b (b = wg.x + wg.y * nwg.x < B); `sample_rows` runs one thread per sequence (b = flat thread id
// on a 2D grid of 64-wide workgroups, b < B) with no barriers, for narrow vocabularies (the
// wrapper uses it up to V = 1024).
//
// Semantics (exactly those of the reference):
//  - Tokens are ranked by logit, descending, ties broken by lower index. The order uses the
//    f32 bit pattern mapped to an order-preserving u32 (order_key), so no float arithmetic
//    decides the ranking.
//  - temperature = 0: the rank-0 token (greedy), no random draw.
//  - Otherwise w_i = exp((l_i - l_max) / temperature). top_k > 0 keeps ranks < top_k. top_p < 1
//    then keeps the shortest rank prefix of the top-k set whose mass reaches top_p times the
//    top-k mass (rank r is kept iff the mass of ranks < r is below that goal).
//  - u = Philox4x32-10(counter = (position, seq_id, step, 0), key = (seed_lo, seed_hi)).x as a
//    24-bit uniform; the token is the first kept index i (vocabulary order) whose inclusive
//    cumulative kept weight exceeds u * (total kept weight).
// Kept sets are represented by a rank threshold (tk, ti): token i is kept iff its key > tk, or
// key == tk and i <= ti; thresholds are found by bisection over keys and then indices (at most
// 32 + ceil(log2 V) counting passes each for top-k and top-p, skipped when they are off), so no
// sort is needed and V may exceed the workgroup size.

struct Params {
  B: u32,
  V: u32,
  seed_lo: u32,
  seed_hi: u32,
  step: u32,
  top_k: u32,
  temperature: f32,
  top_p: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> seq_ids: array<u32>;
@group(0) @binding(3) var<storage, read> positions: array<u32>;
@group(0) @binding(4) var<storage, read_write> tokens: array<u32>;

const WG: u32 = 64u;
const NONE: u32 = 0xffffffffu;
var<workgroup> red_u: array<u32, WG>;
var<workgroup> red_i: array<u32, WG>;
var<workgroup> red_f: array<f32, WG>;
var<workgroup> excl: array<f32, WG>;
var<workgroup> incl: array<f32, WG>;
var<workgroup> chosen: u32;

fn order_key(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn above(key: u32, i: u32, tk: u32, ti: u32) -> bool {
  return key > tk || (key == tk && i <= ti);
}

// Workgroup reductions: every thread combines the WG partials itself in index order, so all get
// the same value after two barriers (a tree needs log2(WG) + 1; barriers dominate on llvmpipe,
// where each one also costs compile time).
fn sum_u(lid: u32, x: u32) -> u32 {
  red_u[lid] = x;
  workgroupBarrier();
  var r = 0u;
  for (var t = 0u; t < WG; t++) { r += red_u[t]; }
  workgroupBarrier();
  return r;
}

fn sum_f(lid: u32, x: f32) -> f32 {
  red_f[lid] = x;
  workgroupBarrier();
  var r = 0.0;
  for (var t = 0u; t < WG; t++) { r += red_f[t]; }
  workgroupBarrier();
  return r;
}

// Rank-0 token: highest key, lowest index among equal keys. Returns the index.
fn best_index(lid: u32, base: u32) -> u32 {
  var bk = 0u;
  var bi = NONE;
  for (var i = lid; i < p.V; i += WG) {
    let k = order_key(logits[base + i]);
    if (k > bk || (k == bk && i < bi)) {
      bk = k;
      bi = i;
    }
  }
  red_u[lid] = bk;
  red_i[lid] = bi;
  workgroupBarrier();
  var rk = red_u[0];
  var ri = red_i[0];
  for (var t = 1u; t < WG; t++) {
    let ok = red_u[t];
    let oi = red_i[t];
    if (ok > rk || (ok == rk && oi < ri)) {
      rk = ok;
      ri = oi;
    }
  }
  workgroupBarrier();
  return ri;
}

@compute @workgroup_size(64)
fn sample(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let b = wid.x + wid.y * nwg.x;
  if (b >= p.B) { return; }
  let base = b * p.V;
  let best = best_index(lid, base);
  if (p.temperature <= 0.0) {
    if (lid == 0u) { tokens[b] = best; }
    return;
  }
  let lmax = logits[base + best];
  let inv_t = 1.0 / p.temperature;
  // Bisection over [0, V - 1] needs ceil(log2 V) halvings; extra ones are no-ops.
  let index_iters = 32u - countLeadingZeros(p.V);

  // ---- top-k threshold ----
  var tk = 0u;
  var ti = NONE;
  if (p.top_k > 0u && p.top_k < p.V) {
    // Largest key t with count(key >= t) >= k: the key of rank k - 1.
    var lo = 0u;
    var hi = NONE;
    for (var it = 0u; it < 32u; it++) {
      let d = hi - lo;
      let mid = lo + (d >> 1u) + (d & 1u);
      var c = 0u;
      for (var i = lid; i < p.V; i += WG) {
        c += select(0u, 1u, order_key(logits[base + i]) >= mid);
      }
      c = sum_u(lid, c);
      let ok = c >= p.top_k;
      lo = select(lo, mid, ok);
      hi = select(mid - 1u, hi, ok);
    }
    tk = lo;
    var cgt = 0u;
    for (var i = lid; i < p.V; i += WG) {
      cgt += select(0u, 1u, order_key(logits[base + i]) > tk);
    }
    let need = p.top_k - sum_u(lid, cgt);
    // Smallest index I with count(key == tk, i <= I) >= need.
    var lo2 = 0u;
    var hi2 = p.V - 1u;
    for (var it = 0u; it < index_iters; it++) {
      let mid = lo2 + (hi2 - lo2) / 2u;
      var c = 0u;
      for (var i = lid; i <= mid; i += WG) {
        c += select(0u, 1u, order_key(logits[base + i]) == tk);
      }
      c = sum_u(lid, c);
      let ok = c >= need;
      hi2 = select(hi2, mid, ok);
      lo2 = select(mid + 1u, lo2, ok);
    }
    ti = lo2;
  }

  // ---- top-p threshold within the top-k set ----
  var tp = 0u;
  var tpi = NONE;
  if (p.top_p < 1.0) {
    var zk = 0.0;
    for (var i = lid; i < p.V; i += WG) {
      let l = logits[base + i];
      if (above(order_key(l), i, tk, ti)) { zk += exp((l - lmax) * inv_t); }
    }
    let goal = p.top_p * sum_f(lid, zk);
    // Largest key t with mass(kept_k, key >= t) >= goal.
    var lo = 0u;
    var hi = NONE;
    for (var it = 0u; it < 32u; it++) {
      let d = hi - lo;
      let mid = lo + (d >> 1u) + (d & 1u);
      var m = 0.0;
      for (var i = lid; i < p.V; i += WG) {
        let l = logits[base + i];
        let k = order_key(l);
        if (k >= mid && above(k, i, tk, ti)) { m += exp((l - lmax) * inv_t); }
      }
      m = sum_f(lid, m);
      let ok = m >= goal;
      lo = select(lo, mid, ok);
      hi = select(mid - 1u, hi, ok);
    }
    tp = lo;
    var mgt = 0.0;
    for (var i = lid; i < p.V; i += WG) {
      let l = logits[base + i];
      let k = order_key(l);
      if (k > tp && above(k, i, tk, ti)) { mgt += exp((l - lmax) * inv_t); }
    }
    mgt = sum_f(lid, mgt);
    // Smallest index I with mgt + mass(kept_k, key == tp, i <= I) >= goal.
    var lo2 = 0u;
    var hi2 = p.V - 1u;
    for (var it = 0u; it < index_iters; it++) {
      let mid = lo2 + (hi2 - lo2) / 2u;
      var m = 0.0;
      for (var i = lid; i <= mid; i += WG) {
        let l = logits[base + i];
        let k = order_key(l);
        if (k == tp && above(k, i, tk, ti)) { m += exp((l - lmax) * inv_t); }
      }
      m = sum_f(lid, m);
      let ok = mgt + m >= goal;
      hi2 = select(hi2, mid, ok);
      lo2 = select(mid + 1u, lo2, ok);
    }
    tpi = lo2;
  }

  // ---- inverse-CDF draw in vocabulary order over contiguous per-thread chunks ----
  let chunk = (p.V + WG - 1u) / WG;
  let i0 = min(lid * chunk, p.V);
  let i1 = min(i0 + chunk, p.V);
  var s = 0.0;
  for (var i = i0; i < i1; i++) {
    let l = logits[base + i];
    let k = order_key(l);
    if (above(k, i, tk, ti) && above(k, i, tp, tpi)) { s += exp((l - lmax) * inv_t); }
  }
  red_f[lid] = s;
  workgroupBarrier();
  if (lid == 0u) {
    var acc = 0.0;
    for (var t = 0u; t < WG; t++) {
      excl[t] = acc;
      acc = acc + red_f[t];
      incl[t] = acc;
    }
    chosen = NONE;
  }
  workgroupBarrier();
  let r = philox4x32_10(
    vec4<u32>(positions[b], seq_ids[b], p.step, 0u),
    vec2<u32>(p.seed_lo, p.seed_hi),
  );
  let goal = philox_uniform(r.x) * incl[WG - 1u];
  let e = excl[lid];
  if (e <= goal && goal < incl[lid]) {
    var acc = 0.0;
    for (var i = i0; i < i1; i++) {
      let l = logits[base + i];
      let k = order_key(l);
      if (above(k, i, tk, ti) && above(k, i, tp, tpi)) {
        acc += exp((l - lmax) * inv_t);
        if (e + acc > goal) {
          chosen = i;
          break;
        }
      }
    }
  }
  let c = workgroupUniformLoad(&chosen);
  if (c != NONE) {
    if (lid == 0u) { tokens[b] = c; }
    return;
  }
  // u * total rounded up to the total: take the last kept token of positive weight.
  var last = 0u;
  for (var i = lid; i < p.V; i += WG) {
    let l = logits[base + i];
    let k = order_key(l);
    if (above(k, i, tk, ti) && above(k, i, tp, tpi) && exp((l - lmax) * inv_t) > 0.0) {
      last = max(last, i + 1u);
    }
  }
  red_u[lid] = last;
  workgroupBarrier();
  if (lid == 0u) {
    var mx = 0u;
    for (var t = 0u; t < WG; t++) { mx = max(mx, red_u[t]); }
    tokens[b] = mx - 1u;
  }
}

// ---- one thread per sequence ------------------------------------------------------------------
// The same algorithm with every workgroup reduction replaced by a serial loop in index order.

fn w_of(l: f32, lmax: f32, inv_t: f32) -> f32 {
  return exp((l - lmax) * inv_t);
}

@compute @workgroup_size(64)
fn sample_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = gid.x + gid.y * nwg.x * 64u;
  if (b >= p.B) { return; }
  let base = b * p.V;
  var best = 0u;
  var bk = order_key(logits[base]);
  for (var i = 1u; i < p.V; i++) {
    let k = order_key(logits[base + i]);
    if (k > bk) {
      bk = k;
      best = i;
    }
  }
  if (p.temperature <= 0.0) {
    tokens[b] = best;
    return;
  }
  let lmax = logits[base + best];
  let inv_t = 1.0 / p.temperature;
  let index_iters = 32u - countLeadingZeros(p.V);

  var tk = 0u;
  var ti = NONE;
  if (p.top_k > 0u && p.top_k < p.V) {
    var lo = 0u;
    var hi = NONE;
    for (var it = 0u; it < 32u; it++) {
      let d = hi - lo;
      let mid = lo + (d >> 1u) + (d & 1u);
      var c = 0u;
      for (var i = 0u; i < p.V; i++) { c += select(0u, 1u, order_key(logits[base + i]) >= mid); }
      let ok = c >= p.top_k;
      lo = select(lo, mid, ok);
      hi = select(mid - 1u, hi, ok);
    }
    tk = lo;
    var cgt = 0u;
    for (var i = 0u; i < p.V; i++) { cgt += select(0u, 1u, order_key(logits[base + i]) > tk); }
    let need = p.top_k - cgt;
    var lo2 = 0u;
    var hi2 = p.V - 1u;
    for (var it = 0u; it < index_iters; it++) {
      let mid = lo2 + (hi2 - lo2) / 2u;
      var c = 0u;
      for (var i = 0u; i <= mid; i++) { c += select(0u, 1u, order_key(logits[base + i]) == tk); }
      let ok = c >= need;
      hi2 = select(hi2, mid, ok);
      lo2 = select(mid + 1u, lo2, ok);
    }
    ti = lo2;
  }

  var tp = 0u;
  var tpi = NONE;
  if (p.top_p < 1.0) {
    var zk = 0.0;
    for (var i = 0u; i < p.V; i++) {
      let l = logits[base + i];
      if (above(order_key(l), i, tk, ti)) { zk += w_of(l, lmax, inv_t); }
    }
    let goal = p.top_p * zk;
    var lo = 0u;
    var hi = NONE;
    for (var it = 0u; it < 32u; it++) {
      let d = hi - lo;
      let mid = lo + (d >> 1u) + (d & 1u);
      var m = 0.0;
      for (var i = 0u; i < p.V; i++) {
        let l = logits[base + i];
        let k = order_key(l);
        if (k >= mid && above(k, i, tk, ti)) { m += w_of(l, lmax, inv_t); }
      }
      let ok = m >= goal;
      lo = select(lo, mid, ok);
      hi = select(mid - 1u, hi, ok);
    }
    tp = lo;
    var mgt = 0.0;
    for (var i = 0u; i < p.V; i++) {
      let l = logits[base + i];
      let k = order_key(l);
      if (k > tp && above(k, i, tk, ti)) { mgt += w_of(l, lmax, inv_t); }
    }
    var lo2 = 0u;
    var hi2 = p.V - 1u;
    for (var it = 0u; it < index_iters; it++) {
      let mid = lo2 + (hi2 - lo2) / 2u;
      var m = 0.0;
      for (var i = 0u; i <= mid; i++) {
        let l = logits[base + i];
        let k = order_key(l);
        if (k == tp && above(k, i, tk, ti)) { m += w_of(l, lmax, inv_t); }
      }
      let ok = mgt + m >= goal;
      hi2 = select(hi2, mid, ok);
      lo2 = select(mid + 1u, lo2, ok);
    }
    tpi = lo2;
  }

  var total = 0.0;
  var last = NONE;
  for (var i = 0u; i < p.V; i++) {
    let l = logits[base + i];
    let k = order_key(l);
    if (above(k, i, tk, ti) && above(k, i, tp, tpi)) {
      let w = w_of(l, lmax, inv_t);
      total += w;
      if (w > 0.0) { last = i; }
    }
  }
  let r = philox4x32_10(
    vec4<u32>(positions[b], seq_ids[b], p.step, 0u),
    vec2<u32>(p.seed_lo, p.seed_hi),
  );
  let goal = philox_uniform(r.x) * total;
  var acc = 0.0;
  var chosen = last;
  for (var i = 0u; i < p.V; i++) {
    let l = logits[base + i];
    let k = order_key(l);
    if (above(k, i, tk, ti) && above(k, i, tp, tpi)) {
      acc += w_of(l, lmax, inv_t);
      if (acc > goal) {
        chosen = i;
        break;
      }
    }
  }
  tokens[b] = chosen;
}
