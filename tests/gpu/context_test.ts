import assert, { strictEqual as assertEquals } from "node:assert/strict";
import {
  acquireGpu,
  checkGpu,
  GpuError,
  kernel,
  kernelSource,
  pipeline,
  readback,
  record,
  run,
  tensor,
  uniforms,
} from "../../lib/gpu/context.ts";

Deno.test("context: a dispatch with uniforms computes y = a*x + b, and pipelines are cached", async () => {
  const gpu = await acquireGpu();
  const n = 1000;
  const x = new Float32Array(n).map((_, i) => i - 500);
  const tx = tensor(gpu, [n], x);
  const ty = tensor(gpu, [n]);
  const code = kernelSource("scale.wgsl");
  const p = pipeline(gpu, code);
  assertEquals(pipeline(gpu, code), p);
  await run(gpu, (r) => {
    const params = new ArrayBuffer(16);
    new Uint32Array(params, 0, 1)[0] = n;
    new Float32Array(params, 4, 2).set([2, 0.5]);
    r.dispatch(p, new Uint8Array(params), [tx.buffer, ty.buffer], [Math.ceil(n / 256)]);
  });
  const y = await readback(gpu, ty);
  for (let i = 0; i < n; i++) assertEquals(y[i], x[i] * 2 + 0.5);
  gpu.device.destroy();
});

Deno.test("context: a kernel that does not compile fails its step with a GpuError naming it", async () => {
  const gpu = await acquireGpu();
  const t = tensor(gpu, [4], new Float32Array([1, 2, 3, 4]));
  const broken = "@group(0) @binding(1) var<storage, read_write> y: array<f32>;\n" +
    "@compute @workgroup_size(1) fn main() { y[0] = not_declared; }";
  const err = await run(gpu, (r) => {
    r.dispatch(pipeline(gpu, broken, "main", {}, "broken_test.wgsl:main"), null, [t.buffer], [1]);
  }).then(() => null, (e) => e);
  assert(err instanceof GpuError, `expected a GpuError, got ${err}`);
  assert.match(err.message, /broken_test\.wgsl:main/);
  assert.match(err.message, /not_declared/);
  // The errors are consumed by the throw: the next step on the same device runs and reads back.
  const y = tensor(gpu, [4]);
  const good = pipeline(gpu, kernelSource("scale.wgsl"));
  await run(gpu, (r) => r.dispatch(good, uniforms([4], [2, 0]), [t.buffer, y.buffer], [1]));
  assert.deepEqual([...await readback(gpu, y)], [2, 4, 6, 8]);
  gpu.device.destroy();
});

Deno.test("context: kernel() labels errors with the file and entry; readback throws too", async () => {
  const gpu = await acquireGpu();
  const x = tensor(gpu, [4]), y = tensor(gpu, [4]);
  // An entry point the file does not have: pipeline creation fails validation.
  const p = kernel(gpu, { file: "scale.wgsl", entry: "no_such_entry" });
  // Submitted without `run` (as a model's own submit does): the next readback reports it.
  const r = record(gpu);
  r.dispatch(p, uniforms([4], [1, 0]), [x.buffer, y.buffer], [1], "scale test");
  gpu.device.queue.submit([r.finish()]);
  await assert.rejects(() => readback(gpu, y), (e: Error) => {
    assert(e instanceof GpuError);
    assert.match(e.message, /kernel scale\.wgsl:no_such_entry/);
    return true;
  });
  // A dispatch whose buffers do not match the kernel's bindings is loud as well.
  const good = kernel(gpu, { file: "scale.wgsl" });
  await assert.rejects(
    () => run(gpu, (r) => r.dispatch(good, uniforms([4], [1, 0]), [x.buffer], [1], "short")),
    GpuError,
  );
  await checkGpu(gpu);
  gpu.device.destroy();
});

Deno.test("context: bind groups are reused across steps by uniform contents, idle ones evicted", async () => {
  const gpu = await acquireGpu();
  const n = 8;
  const x = tensor(gpu, [n], new Float32Array(n).map((_, i) => i + 1));
  const y = tensor(gpu, [n]);
  const p = kernel(gpu, { file: "scale.wgsl" });
  const scaled = async (alpha: number) => {
    await run(gpu, (r) => r.dispatch(p, uniforms([n], [alpha, 0]), [x.buffer, y.buffer], [1]));
    return [...await readback(gpu, y)];
  };
  const want = (alpha: number) => Array.from({ length: n }, (_, i) => (i + 1) * alpha);
  // Same pipeline and buffers, different uniforms: each step must see its own values, including
  // a later step that repeats an earlier step's uniforms (a cache hit).
  assert.deepEqual(await scaled(2), want(2));
  assert.deepEqual(await scaled(3), want(3));
  const size = gpu.binds.entries.size;
  assert.deepEqual(await scaled(2), want(2));
  assert.equal(gpu.binds.entries.size, size, "repeating a dispatch creates no bind group");
  // Uniforms that change every step (like a learning rate) do not grow the cache without bound.
  for (let s = 0; s < 60; s++) assert.deepEqual(await scaled(s + 0.5), want(s + 0.5));
  assert(gpu.binds.entries.size <= 24, `cache holds ${gpu.binds.entries.size} entries`);
  gpu.device.destroy();
});

Deno.test("context: //#include splices a shared kernel file in once, nested includes too", () => {
  const count = (s: string, sub: string) => s.split(sub).length - 1;
  const lse = kernelSource("row_lse.wgsl");
  const reduce = kernelSource("row_reduce.wgsl");
  // row_lse.wgsl includes row_reduce.wgsl; logprob.wgsl includes row_lse.wgsl.
  assert(lse.includes(reduce));
  for (const file of ["logprob.wgsl", "cross_entropy.wgsl"]) {
    const src = kernelSource(file, {});
    assert(!/^\s*\/\/#include/m.test(src), file);
    assertEquals(count(src, "fn reduce_max("), 1, file);
    assertEquals(count(src, "fn row_lse("), 1, file);
    assert(src.includes(lse), file);
  }
  const ent = kernelSource("entropy.wgsl");
  assertEquals(count(ent, "fn reduce_max("), 1);
  assertEquals(count(ent, "fn row_lse("), 0);
  assert.throws(() => kernelSource("no_such_kernel.wgsl"));
});
