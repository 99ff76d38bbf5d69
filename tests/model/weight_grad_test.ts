import assert from "node:assert/strict";
import { acquireGpu, readback, run, tensor } from "../../lib/gpu/mod.ts";
import { uniformStream } from "../../lib/model/params.ts";
import { splitCount, weightGrad } from "../../lib/model/weight_grad.ts";

Deno.test("weight grad: split-K over rows equals dYᵀ·X in float64 (awkward widths)", async () => {
  const gpu = await acquireGpu();
  for (const [rows, inDim, outDim] of [[2048, 33, 7], [1536, 20, 12], [300, 5, 9]]) {
    const u = uniformStream(rows, inDim);
    const dy = new Float32Array(rows * outDim).map(() => u() - 0.5);
    const x = new Float32Array(rows * inDim).map(() => u() - 0.5);
    const tdy = tensor(gpu, [rows, outDim], dy), tx = tensor(gpu, [rows, inDim], x);
    const dw = tensor(gpu, [outDim, inDim]);
    await run(gpu, (r) => weightGrad(r, dw, tdy, tx, { rows, inDim, outDim }));
    const got = await readback(gpu, dw);
    let worst = 0;
    for (let o = 0; o < outDim; o++) {
      for (let i = 0; i < inDim; i++) {
        let s = 0;
        for (let k = 0; k < rows; k++) s += dy[k * outDim + o] * x[k * inDim + i];
        worst = Math.max(worst, Math.abs(got[o * inDim + i] - s));
      }
    }
    assert.ok(worst < 1e-4, `rows ${rows}: split ${splitCount(rows, inDim, outDim)}, err ${worst}`);
  }
  assert.ok(splitCount(2048, 33, 7) > 1, "the large shapes take the split path");
  assert.equal(splitCount(300, 5, 9), 1);
  gpu.device.destroy();
});
