// Test entry point for philox.wgsl (prepended by the wrapper). Layout: ctr u32[n*4] (counter
// words), key u32[n*2], out u32[n*4]; one thread per block, i < p.n.
struct Params { n: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ctr: array<u32>;
@group(0) @binding(2) var<storage, read> key: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64)
fn philox_kat(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.n) { return; }
  let r = philox4x32_10(
    vec4<u32>(ctr[4u * i], ctr[4u * i + 1u], ctr[4u * i + 2u], ctr[4u * i + 3u]),
    vec2<u32>(key[2u * i], key[2u * i + 1u]),
  );
  out[4u * i] = r.x;
  out[4u * i + 1u] = r.y;
  out[4u * i + 2u] = r.z;
  out[4u * i + 3u] = r.w;
}
