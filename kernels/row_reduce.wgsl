// Workgroup reductions over one row, shared by the softmax kernels (`//#include row_reduce.wgsl`).
// Layout: one WG-thread workgroup per row, lid = local_invocation_index < WG; every thread of the
// workgroup must call each function (they hold barriers).

const WG: u32 = 64u;
var<workgroup> red: array<f32, WG>;

// Every thread combines the WG partials itself in index order, so all get the same value after two
// barriers (a tree needs log2(WG) + 1; barriers dominate on llvmpipe, where each one also costs
// compile time).
fn reduce_max(lid: u32, x: f32) -> f32 {
  red[lid] = x;
  workgroupBarrier();
  var r = red[0];
  for (var t = 1u; t < WG; t++) { r = max(r, red[t]); }
  workgroupBarrier();
  return r;
}

fn reduce_sum(lid: u32, x: f32) -> f32 {
  red[lid] = x;
  workgroupBarrier();
  var r = 0.0;
  for (var t = 0u; t < WG; t++) { r += red[t]; }
  workgroupBarrier();
  return r;
}
