/** Element-wise ops: residual adds, scaled adds, scaling, fills and copies. */
import { grid1d, kernel as compiled, type Recorder, type Tensor, uniforms } from "../context.ts";
import { dims, distinct, need } from "./util.ts";

const ENTRY = { axpby: "AXPBY", accumulate: "ACCUMULATE", scale: "SCALE", fill: "FILL" } as const;

function kernel(r: Recorder, entry: keyof typeof ENTRY): GPUComputePipeline {
  const defines = {
    AXPBY: false,
    ACCUMULATE: false,
    SCALE: false,
    FILL: false,
    [ENTRY[entry]]: true,
  };
  return compiled(r.gpu, { file: "elementwise.wgsl", entry, defines });
}

/** out = alpha * a + beta * b over n elements (out distinct from a and b). */
export function axpby(
  r: Recorder,
  out: Tensor,
  a: Tensor,
  b: Tensor,
  opts: { n: number; alpha: number; beta: number },
): void {
  dims("axpby", { n: opts.n });
  need("axpby", "a", a, opts.n);
  need("axpby", "b", b, opts.n);
  need("axpby", "out", out, opts.n);
  distinct("axpby", { out, a });
  distinct("axpby", { out, b });
  r.dispatch(
    kernel(r, "axpby"),
    uniforms([opts.n], [opts.alpha, opts.beta]),
    [a.buffer, b.buffer, out.buffer],
    grid1d(opts.n, 256),
    "axpby",
  );
}

/** out = a + b over n elements (the residual add). */
export function add(r: Recorder, out: Tensor, a: Tensor, b: Tensor, opts: { n: number }): void {
  axpby(r, out, a, b, { n: opts.n, alpha: 1, beta: 1 });
}

/** y = beta * y + alpha * x in place over n elements (y += x with the defaults alpha = beta = 1). */
export function accumulate(
  r: Recorder,
  y: Tensor,
  x: Tensor,
  opts: { n: number; alpha?: number; beta?: number },
): void {
  dims("accumulate", { n: opts.n });
  need("accumulate", "y", y, opts.n);
  need("accumulate", "x", x, opts.n);
  distinct("accumulate", { y, x });
  r.dispatch(
    kernel(r, "accumulate"),
    uniforms([opts.n], [opts.alpha ?? 1, opts.beta ?? 1]),
    [y.buffer, x.buffer],
    grid1d(opts.n, 256),
    "accumulate",
  );
}

/** out = alpha * x + beta over n elements (out distinct from x). */
export function scale(
  r: Recorder,
  out: Tensor,
  x: Tensor,
  opts: { n: number; alpha: number; beta?: number },
): void {
  dims("scale", { n: opts.n });
  need("scale", "x", x, opts.n);
  need("scale", "out", out, opts.n);
  distinct("scale", { out, x });
  r.dispatch(
    kernel(r, "scale"),
    uniforms([opts.n], [opts.alpha, opts.beta ?? 0]),
    [x.buffer, out.buffer],
    grid1d(opts.n, 256),
    "scale",
  );
}

/** t[0..n) = value (0 zeroes float and integer tensors alike). */
export function fill(r: Recorder, t: Tensor, opts: { n: number; value: number }): void {
  dims("fill", { n: opts.n });
  need("fill", "t", t, opts.n);
  r.dispatch(
    kernel(r, "fill"),
    uniforms([opts.n], [opts.value]),
    [t.buffer],
    grid1d(opts.n, 256),
    "fill",
  );
}

/** dst[dstOffset + i] = src[srcOffset + i] for i < n (element offsets; a buffer copy). */
export function copy(
  r: Recorder,
  dst: Tensor,
  src: Tensor,
  opts: { n: number; srcOffset?: number; dstOffset?: number },
): void {
  const so = opts.srcOffset ?? 0, dof = opts.dstOffset ?? 0;
  dims("copy", { n: opts.n });
  need("copy", "src", src, so + opts.n);
  need("copy", "dst", dst, dof + opts.n);
  r.copy(src.buffer, dst.buffer, opts.n * 4, so * 4, dof * 4);
}
