// Rotary position embedding, Qwen2/HF convention (rotate_half): for pair (i, i + half) of a head,
//   out[i] = x[i] cos(a) - x[i + half] sin(a),  out[i + half] = x[i + half] cos(a) + x[i] sin(a),
// a = pos * invfreq[i], invfreq[i] = theta^(-2i / headDim) (a host-made f32 table, as in HF).
// Backward is the same rotation by -a (flag bit 0 = 1). Layout: token r, head h, lane d of the
// input at r * inStride + inOffset + h * headDim + d (output likewise with its own stride/offset),
// so Q and K can be rotated in place inside a fused QKV buffer's column ranges by copying out.
// pos = positions[r] when flag bit 1 is set (decoding), else posOffset + max(s, collapse) - collapse
// with s = r % seq: the first collapse + 1 tokens of every sequence share position posOffset (an
// image prefix with ModelConfig.shared_image_position; collapse = 0 is plain 1D RoPE).
// One thread per (token, head, pair); 256 per workgroup; 2D grid (see grid1d).
struct Params {
  rows: u32, seq: u32, heads: u32, headDim: u32,
  inStride: u32, inOffset: u32, outStride: u32, outOffset: u32,
  posOffset: u32, flag: u32, collapse: u32, _p1: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> invfreq: array<f32>;
@group(0) @binding(4) var<storage, read> positions: array<u32>;

// 2*pi split so that k * C1 is exact for k < 2^15 (Cody-Waite), keeping sin/cos accurate for
// the large angles of late positions, where GPU sin/cos lose precision outside [-pi, pi].
const C1 = 6.28125;
const C2 = 0.0019353071795864769;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let half = p.headDim / 2u;
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.rows * p.heads * half) { return; }
  let i = t % half;
  let h = (t / half) % p.heads;
  let r = t / (half * p.heads);
  var pos = p.posOffset + max(r % p.seq, p.collapse) - p.collapse;
  if ((p.flag & 2u) != 0u) { pos = positions[r]; }
  let a = f32(pos) * invfreq[i];
  let k = round(a / (C1 + C2));
  let red = (a - k * C1) - k * C2;
  let c = cos(red);
  var s = sin(red);
  if ((p.flag & 1u) != 0u) { s = -s; }
  let xi = r * p.inStride + p.inOffset + h * p.headDim + i;
  let yi = r * p.outStride + p.outOffset + h * p.headDim + i;
  let x1 = x[xi];
  let x2 = x[xi + half];
  y[yi] = x1 * c - x2 * s;
  y[yi + half] = x2 * c + x1 * s;
}
