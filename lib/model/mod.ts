/** lib/model public face: config, parameters, the GPU model, generation, checkpoints, export. */
export * from "./config.ts";
export * from "./params.ts";
export * from "./gpu_model.ts";
export * from "./generate.ts";
export * from "./checkpoint.ts";
export * from "./safetensors.ts";
export { referenceLogits, referenceLogprobs, referenceLoss } from "./reference.ts";
