/** Token embedding lookup and its deterministic gradient (a gather per vocabulary row). */
import { GpuError, grid1d, kernel, type Recorder, type Tensor, uniforms } from "../context.ts";
import { dims, distinct, loopBudget, need } from "./util.ts";

/** Shapes: n tokens (u32), a [vocab, dim] table, [n, dim] rows. */
export interface EmbeddingOptions {
  n: number;
  vocab: number;
  dim: number;
}

/** out[i] = table[tokens[i]] (a zero row for tokens >= vocab). */
export function embeddingForward(
  r: Recorder,
  out: Tensor,
  tokens: Tensor,
  table: Tensor,
  opts: EmbeddingOptions,
): void {
  const { n, vocab, dim } = opts;
  dims("embeddingForward", { n, vocab, dim });
  need("embeddingForward", "tokens", tokens, n);
  need("embeddingForward", "table", table, vocab * dim);
  need("embeddingForward", "out", out, n * dim);
  distinct("embeddingForward", { out, table });
  const p = kernel(r.gpu, {
    file: "embedding.wgsl",
    entry: "forward",
    defines: { FORWARD: true, BACKWARD: false },
  });
  r.dispatch(
    p,
    uniforms([n, vocab, dim, 0]),
    [tokens.buffer, table.buffer, out.buffer],
    grid1d(n * dim, 256),
    "embedding fwd",
  );
}

/**
 * dtable[v] (=|+= when accumulate, e.g. onto the tied LM-head gradient) = sum of dout[i] over
 * tokens[i] = v in increasing i. Cost O(vocab * n / 256) token scans plus O(n * dim) adds.
 */
export function embeddingBackward(
  r: Recorder,
  dtable: Tensor,
  dout: Tensor,
  tokens: Tensor,
  opts: EmbeddingOptions & { accumulate: boolean },
): void {
  const { n, vocab, dim } = opts;
  dims("embeddingBackward", { n, vocab, dim });
  need("embeddingBackward", "tokens", tokens, n);
  need("embeddingBackward", "dout", dout, n * dim);
  need("embeddingBackward", "dtable", dtable, vocab * dim);
  distinct("embeddingBackward", { dtable, dout });
  // A workgroup scans the tokens 256 at a time (an outer pass and 8 mask words each) and adds one
  // row per occurrence of its token: up to n passes when every token is the same.
  loopBudget(r.gpu, "embeddingBackward", n + 10 * Math.ceil(n / 256), `${n} tokens`);
  const z = Math.ceil(dim / 256);
  if (z > 65535) throw new GpuError(`embeddingBackward: dim ${dim} too large`);
  const [gx, gy] = grid1d(vocab, 1);
  const p = kernel(r.gpu, {
    file: "embedding.wgsl",
    entry: "backward",
    defines: { FORWARD: false, BACKWARD: true },
  });
  r.dispatch(
    p,
    uniforms([n, vocab, dim, opts.accumulate ? 1 : 0]),
    [tokens.buffer, dout.buffer, dtable.buffer],
    [gx, gy, z],
    "embedding bwd",
  );
}
