/** GPU Philox 4x32-10 blocks (kernels/philox.wgsl), for known-answer tests and bulk draws. */

import { kernel, kernelSource, type Recorder, type Tensor } from "../context.ts";
import { expectDims, expectSize, grid1d, params } from "./launch.ts";

/** The WGSL Philox library, to prepend to kernels that draw random numbers. */
export function philoxSource(): string {
  return kernelSource("philox.wgsl");
}

/** out[4i..4i+3] = Philox4x32-10(counter = ctr[4i..4i+3], key = key[2i..2i+1]) for i < n. */
export function philoxBlocks(
  r: Recorder,
  out: Tensor,
  ctr: Tensor,
  key: Tensor,
  o: { n: number },
): void {
  expectDims("philoxBlocks", { n: o.n });
  expectSize("philoxBlocks", "ctr", ctr, 4 * o.n);
  expectSize("philoxBlocks", "key", key, 2 * o.n);
  expectSize("philoxBlocks", "out", out, 4 * o.n);
  r.dispatch(
    kernel(r.gpu, { file: ["philox.wgsl", "philox_kat.wgsl"], entry: "philox_kat" }),
    params([{ u: o.n }]),
    [ctr.buffer, key.buffer, out.buffer],
    grid1d(o.n, 64),
    "philox_kat",
  );
}
