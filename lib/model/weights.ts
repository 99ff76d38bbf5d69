/**
 * The model's parameters on the GPU: one tensor per named parameter, plus its gradient and AdamW
 * moments, allocated once per model. Moving them to and from the host goes through one staging
 * buffer so a checkpoint is a single map, not one per tensor.
 */
import { createArena, type Gpu, type Tensor } from "../gpu/mod.ts";
import type { ModelConfig } from "./config.ts";
import { type ParamEntry, paramLayout, type ParamSet } from "./params.ts";

/** Parameter, gradient and moment tensors of every named parameter, in layout order. */
export interface GpuWeights {
  gpu: Gpu;
  config: ModelConfig;
  entries: ParamEntry[];
  w: Map<string, Tensor>;
  g: Map<string, Tensor>;
  m: Map<string, Tensor>;
  v: Map<string, Tensor>;
  /** Destroy every buffer. */
  free(): void;
}

/** Upload parameters (and moments, zero when null) into fresh GPU tensors. */
export function uploadWeights(
  gpu: Gpu,
  config: ModelConfig,
  params: ParamSet,
  adam: { m: Float32Array; v: Float32Array } | null,
): GpuWeights {
  const layout = paramLayout(config);
  if (layout.total !== params.data.length) {
    throw new Error(
      `uploadWeights: ${params.data.length} values given, the config lays out ${layout.total}`,
    );
  }
  const arena = createArena(gpu, "weights");
  const w = new Map<string, Tensor>(), g = new Map<string, Tensor>();
  const m = new Map<string, Tensor>(), v = new Map<string, Tensor>();
  const part = (a: Float32Array, e: ParamEntry) =>
    new Float32Array(a.buffer, a.byteOffset + e.offset * 4, e.size) as Float32Array<ArrayBuffer>;
  for (const e of layout.entries) {
    w.set(e.name, arena.alloc(`w/${e.name}`, e.shape, part(params.data, e)));
    g.set(e.name, arena.alloc(`g/${e.name}`, e.shape));
    m.set(e.name, arena.alloc(`m/${e.name}`, e.shape, adam ? part(adam.m, e) : undefined));
    v.set(e.name, arena.alloc(`v/${e.name}`, e.shape, adam ? part(adam.v, e) : undefined));
  }
  return { gpu, config, entries: layout.entries, w, g, m, v, free: () => arena.free() };
}

/** Read a set of per-entry tensors back into one flat array in layout order. */
export async function downloadFlat(
  gpu: Gpu,
  entries: ParamEntry[],
  tensors: Map<string, Tensor>,
): Promise<Float32Array> {
  const total = entries.reduce((s, e) => s + e.size, 0);
  const staging = gpu.device.createBuffer({
    size: Math.max(4, total * 4),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const enc = gpu.device.createCommandEncoder();
  for (const e of entries) {
    enc.copyBufferToBuffer(tensors.get(e.name)!.buffer, 0, staging, e.offset * 4, e.size * 4);
  }
  gpu.device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

/** Overwrite the GPU parameters (not the moments) from a host parameter set. */
export function setParams(wts: GpuWeights, params: ParamSet): void {
  for (const e of wts.entries) {
    const src = new Float32Array(
      params.data.buffer,
      params.data.byteOffset + e.offset * 4,
      e.size,
    ) as Float32Array<ArrayBuffer>;
    wts.gpu.device.queue.writeBuffer(wts.w.get(e.name)!.buffer, 0, src);
  }
}
