import { strictEqual as assertEquals } from "node:assert/strict";
import {
  acquireGpu,
  kernelSource,
  pipeline,
  readback,
  run,
  tensor,
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
