/** lib/gpu public face: the WebGPU context and every op wrapper (H3: engine ops; H4: its ops). */
export * from "./context.ts";
// --- H3 ops (matmul, norms, rope, swiglu, embedding, element-wise, reductions, optimizer) ---
export * from "./ops/matmul.ts";
export * from "./ops/elementwise.ts";
export * from "./ops/reduce.ts";
export * from "./ops/rmsnorm.ts";
export * from "./ops/rope.ts";
export * from "./ops/swiglu.ts";
export * from "./ops/embedding.ts";
export * from "./ops/optim.ts";
// --- H4 ops (attention, cross-entropy/logprobs, decode, sampling) below this line ---
export * from "./ops/attention.ts";
export * from "./ops/cross_entropy.ts";
export * from "./ops/logprob.ts";
export * from "./ops/decode.ts";
export * from "./ops/sample.ts";
export * from "./ops/philox.ts";
export * from "./philox.ts";
