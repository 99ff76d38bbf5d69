// Deterministic column sums over rows, for weight and bias gradients without float atomics:
// pass 1 (`partial`) sums fixed chunks of `chunk` rows in row order into part[c, j]; pass 2
// (`finish`) sums the chunks in order: out[j] = (flag ? out[j] : 0) + sum_c part[c, j].
// Term per row: dy[r, j] (bias grads), or with RMS, dy[r, j] * x[r, j] * rstd[r] (RMSNorm weight).
// Layout: dy, x row-major f32[rows, cols]; rstd f32[rows]; part f32[chunks, cols]; out f32[cols].
// One thread per column, 256 per workgroup; pass 1's grid is (ceil(cols / 256), chunks).
struct Params { rows: u32, cols: u32, chunk: u32, chunks: u32, flag: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> p: Params;

//#if PARTIAL
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;
//#if RMS
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
//#endif

@compute @workgroup_size(256)
fn partial(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let c = gid.y;
  if (j >= p.cols) { return; }
  let r0 = c * p.chunk;
  let r1 = min(r0 + p.chunk, p.rows);
  var s = 0.0;
  for (var r = r0; r < r1; r++) {
//#if RMS
    s += dy[r * p.cols + j] * x[r * p.cols + j] * rstd[r];
//#else
    s += dy[r * p.cols + j];
//#endif
  }
  part[c * p.cols + j] = s;
}
//#endif

//#if FINISH
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  if (j >= p.cols) { return; }
  var s = 0.0;
  for (var c = 0u; c < p.chunks; c++) { s += part[c * p.cols + j]; }
  if (p.flag == 1u) { s += out[j]; }
  out[j] = s;
}
//#endif
