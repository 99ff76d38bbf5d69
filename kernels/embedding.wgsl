// Embedding lookup and its deterministic gradient.
// Layout: tokens u32[n]; table f32[vocab, dim] row-major; out / dout f32[n, dim].
struct Params { n: u32, vocab: u32, dim: u32, flag: u32 }
@group(0) @binding(0) var<uniform> p: Params;

//#if FORWARD
@group(0) @binding(1) var<storage, read> tokens: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// out[i, j] = table[tokens[i], j]; a token >= vocab gives a zero row (never an out-of-range read).
// One thread per (i, j), 256 per workgroup; 2D grid (see grid1d).
@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= p.n * p.dim) { return; }
  let i = t / p.dim;
  let j = t % p.dim;
  let tok = tokens[i];
  var v = 0.0;
  if (tok < p.vocab) { v = table[tok * p.dim + j]; }
  out[t] = v;
}
//#endif

//#if BACKWARD
@group(0) @binding(1) var<storage, read> tokens: array<u32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read_write> dtable: array<f32>;

var<workgroup> mask: array<atomic<u32>, 8>;

// dtable[v, j] = (flag ? dtable[v, j] : 0) + sum over i with tokens[i] = v, in increasing i, of
// dout[i, j]. A gather per vocabulary row instead of a scatter, so no float atomics and a fixed
// summation order. Workgroup (v, column block): its 256 threads scan the tokens 256 at a time,
// mark matches in a bitmask (integer atomics: order-free), then walk the set bits in order.
// Grid: (vocab, ceil(dim / 256)) with x split into (x, y) when vocab > 65535.
@compute @workgroup_size(256)
fn backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>) {
  let v = wg.x + wg.y * nwg.x;
  if (v >= p.vocab) { return; }
  let j = wg.z * 256u + lid;
  var acc = 0.0;
  for (var c = 0u; c < p.n; c += 256u) {
    if (lid < 8u) { atomicStore(&mask[lid], 0u); }
    workgroupBarrier();
    let i = c + lid;
    if (i < p.n && tokens[i] == v) { atomicOr(&mask[lid / 32u], 1u << (lid % 32u)); }
    workgroupBarrier();
    for (var w = 0u; w < 8u; w++) {
      var bits = atomicLoad(&mask[w]);
      while (bits != 0u) {
        let b = countTrailingZeros(bits);
        bits &= bits - 1u;
        if (j < p.dim) { acc += dout[(c + w * 32u + b) * p.dim + j]; }
      }
    }
    workgroupBarrier();
  }
  if (j < p.dim) {
    let o = v * p.dim + j;
    if (p.flag == 1u) { acc += dtable[o]; }
    dtable[o] = acc;
  }
}
//#endif
