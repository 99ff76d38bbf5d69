// Row logsumexp shared by the softmax kernels (`//#include row_lse.wgsl`). The including file
// declares `p` (uniform with field V, the row length) and `fn z_at(i: u32) -> f32`, the softmax
// input at flat index i (e.g. `p.scale * logits[i]`); a row is z_at(base .. base + V - 1).

//#include row_reduce.wgsl

// logsumexp of the row at `base`, one WG-thread workgroup per row; every thread gets the same value.
fn row_lse(lid: u32, base: u32) -> f32 {
  var m = -3.0e38;
  for (var i = lid; i < p.V; i += WG) { m = max(m, z_at(base + i)); }
  m = reduce_max(lid, m);
  var s = 0.0;
  for (var i = lid; i < p.V; i += WG) { s += exp(z_at(base + i) - m); }
  s = reduce_sum(lid, s);
  return m + log(s);
}

// logsumexp of the row at `base`, computed by one thread.
fn row_lse_serial(base: u32) -> f32 {
  var m = -3.0e38;
  for (var i = 0u; i < p.V; i++) { m = max(m, z_at(base + i)); }
  var s = 0.0;
  for (var i = 0u; i < p.V; i++) { s += exp(z_at(base + i) - m); }
  return m + log(s);
}
