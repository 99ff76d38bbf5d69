/**
 * The WebGPU core every kernel wrapper builds on: device acquisition, tensors, a pipeline cache,
 * a per-step recorder (one command encoder, uniforms packed into one buffer) and readback.
 *
 * Kernel binding convention (every `kernels/*.wgsl` follows it): `@group(0) @binding(0)` is a
 * uniform `Params` struct; storage buffers follow at bindings 1..n in the order passed to
 * `Recorder.dispatch`.
 */

/** A failure to get or use a GPU, with what was tried. */
export class GpuError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "GpuError";
  }
}

/** An acquired device plus what we learned about it. */
export interface Gpu {
  device: GPUDevice;
  /** Adapter description, recorded with every result (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"). */
  adapter: string;
  isFallback: boolean;
  hasTimestamps: boolean;
  pipelines: Map<string, GPUComputePipeline>;
}

/** Options for `acquireGpu`. */
export interface AcquireOptions {
  /** Substring of the adapter description to require (the CLI's `--adapter`). */
  adapter?: string;
  powerPreference?: GPUPowerPreference;
}

/** Get a device with the adapter's real limits (not the defaults), preferring a fast adapter. */
export async function acquireGpu(opts: AcquireOptions = {}): Promise<Gpu> {
  if (!("gpu" in navigator) || !navigator.gpu) {
    throw new GpuError(
      "WebGPU is not available in this runtime (navigator.gpu is missing). Run with Deno 2.x.",
    );
  }
  const tried: string[] = [];
  const candidates: GPUAdapter[] = [];
  for (const pref of [opts.powerPreference ?? "high-performance", "low-power"] as const) {
    const a = await navigator.gpu.requestAdapter({ powerPreference: pref });
    tried.push(`powerPreference=${pref}: ${a ? a.info.description || a.info.vendor : "none"}`);
    if (a) candidates.push(a);
  }
  const fallback = await navigator.gpu.requestAdapter({ forceFallbackAdapter: true })
    .catch(() => null);
  tried.push(`forceFallbackAdapter: ${fallback ? fallback.info.description : "none"}`);
  if (fallback) candidates.push(fallback);
  const wanted = opts.adapter?.toLowerCase();
  const adapter = candidates.find((a) =>
    !wanted || `${a.info.description} ${a.info.vendor}`.toLowerCase().includes(wanted)
  );
  if (!adapter) {
    throw new GpuError(
      `no WebGPU adapter${opts.adapter ? ` matching "${opts.adapter}"` : ""} (tried: ${
        tried.join("; ")
      }). Install a GPU driver with Vulkan support, or on a machine without a GPU, Mesa's ` +
        "software adapter: apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri mesa-vulkan-drivers",
    );
  }
  const limits: Record<string, number> = {};
  for (
    const k of [
      "maxStorageBufferBindingSize",
      "maxBufferSize",
      "maxComputeWorkgroupStorageSize",
      "maxComputeInvocationsPerWorkgroup",
      "maxComputeWorkgroupSizeX",
      "maxComputeWorkgroupSizeY",
      "maxComputeWorkgroupSizeZ",
      "maxComputeWorkgroupsPerDimension",
      "maxStorageBuffersPerShaderStage",
    ] as const
  ) limits[k] = adapter.limits[k];
  const features: GPUFeatureName[] = [];
  if (adapter.features.has("timestamp-query")) features.push("timestamp-query");
  const device = await adapter.requestDevice({
    requiredLimits: limits,
    requiredFeatures: features,
  });
  return {
    device,
    adapter: adapter.info.description || `${adapter.info.vendor} ${adapter.info.device}`,
    isFallback: adapter.info.isFallbackAdapter ?? false,
    hasTimestamps: features.includes("timestamp-query"),
    pipelines: new Map(),
  };
}

/** Host data a tensor can be filled from. */
export type HostData =
  | Float32Array<ArrayBuffer>
  | Uint32Array<ArrayBuffer>
  | Int32Array<ArrayBuffer>;

/** A GPU buffer of 32-bit elements with a logical shape. */
export interface Tensor {
  buffer: GPUBuffer;
  shape: number[];
  /** Number of 32-bit elements. */
  size: number;
}

/** Element count of a shape. */
export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Allocate a tensor (zero-filled), optionally uploading 32-bit data. */
export function tensor(
  gpu: Gpu,
  shape: number[],
  data?: HostData,
  label?: string,
): Tensor {
  const size = numel(shape);
  if (data && data.length !== size) {
    throw new GpuError(
      `tensor ${label ?? ""} shape [${shape}] needs ${size} values, got ${data.length}`,
    );
  }
  // WebGPU rejects zero-sized bindings; keep at least one element so empty shapes still bind.
  const buffer = gpu.device.createBuffer({ size: Math.max(4, size * 4), usage: STORAGE, label });
  if (data) gpu.device.queue.writeBuffer(buffer, 0, data);
  return { buffer, shape, size };
}

/** Overwrite a tensor's contents from the host. */
export function upload(gpu: Gpu, t: Tensor, data: HostData): void {
  if (data.length !== t.size) {
    throw new GpuError(`upload: tensor [${t.shape}] holds ${t.size} values, got ${data.length}`);
  }
  gpu.device.queue.writeBuffer(t.buffer, 0, data);
}

/** Get (or compile once) a compute pipeline, keyed by source, entry point and constants. */
export function pipeline(
  gpu: Gpu,
  code: string,
  entryPoint = "main",
  constants: Record<string, number> = {},
): GPUComputePipeline {
  const key = `${entryPoint}\u0000${JSON.stringify(constants)}\u0000${code}`;
  let p = gpu.pipelines.get(key);
  if (!p) {
    const module = gpu.device.createShaderModule({ code });
    p = gpu.device.createComputePipeline({
      layout: "auto",
      compute: { module, entryPoint, constants },
    });
    gpu.pipelines.set(key, p);
  }
  return p;
}

const UNIFORM_ALIGN = 256;

/** Records one step's dispatches into a single command encoder; no readback inside a step. */
export interface Recorder {
  gpu: Gpu;
  encoder: GPUCommandEncoder;
  /** Queue a dispatch. `params` become the uniform at binding 0; `buffers` bind at 1..n. */
  dispatch(
    p: GPUComputePipeline,
    params: ArrayBufferView | null,
    buffers: GPUBuffer[],
    workgroups: [number, number?, number?],
    label?: string,
  ): void;
  /** Copy between buffers inside the step. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset?: number, dstOffset?: number): void;
}

/** Start recording a step. */
export function record(gpu: Gpu): Recorder & { finish(): GPUCommandBuffer } {
  const encoder = gpu.device.createCommandEncoder();
  const chunks: { offset: number; data: Uint8Array }[] = [];
  let bytes = 0;
  // The uniform buffer is created lazily at finish(), once its size is known, so bind groups
  // reference a placeholder until then; to keep bind groups valid we collect dispatches first.
  const pending: {
    p: GPUComputePipeline;
    uniformOffset: number;
    uniformSize: number;
    buffers: GPUBuffer[];
    wg: [number, number, number];
    label?: string;
  }[] = [];
  const ops: ({ t: "d"; i: number } | {
    t: "c";
    src: GPUBuffer;
    dst: GPUBuffer;
    bytes: number;
    so: number;
    do: number;
  })[] = [];
  const maxWg = gpu.device.limits.maxComputeWorkgroupsPerDimension;
  return {
    gpu,
    encoder,
    dispatch(p, params, buffers, workgroups, label) {
      const wg: [number, number, number] = [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1];
      if (wg.some((n) => n > maxWg)) {
        throw new GpuError(
          `dispatch ${label ?? ""}: workgroups [${wg}] exceed ${maxWg} per dimension`,
        );
      }
      if (wg.some((n) => n === 0)) return;
      let uniformOffset = -1, uniformSize = 0;
      if (params) {
        uniformOffset = bytes;
        uniformSize = Math.max(16, Math.ceil(params.byteLength / 16) * 16);
        chunks.push({
          offset: bytes,
          data: new Uint8Array(params.buffer, params.byteOffset, params.byteLength),
        });
        bytes += Math.ceil(uniformSize / UNIFORM_ALIGN) * UNIFORM_ALIGN;
      }
      pending.push({ p, uniformOffset, uniformSize, buffers, wg, label });
      ops.push({ t: "d", i: pending.length - 1 });
    },
    copy(src, dst, n, so = 0, d = 0) {
      ops.push({ t: "c", src, dst, bytes: n, so, do: d });
    },
    finish() {
      let uniform: GPUBuffer | null = null;
      if (bytes > 0) {
        uniform = gpu.device.createBuffer({
          size: bytes,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        });
        const host = new Uint8Array(bytes);
        for (const c of chunks) host.set(c.data, c.offset);
        gpu.device.queue.writeBuffer(uniform, 0, host);
      }
      // Consecutive dispatches share one compute pass; WebGPU orders storage writes between them.
      let pass: GPUComputePassEncoder | null = null;
      for (const op of ops) {
        if (op.t === "c") {
          pass?.end();
          pass = null;
          encoder.copyBufferToBuffer(op.src, op.so, op.dst, op.do, op.bytes);
          continue;
        }
        const d = pending[op.i];
        const entries: GPUBindGroupEntry[] = [];
        if (d.uniformOffset >= 0 && uniform) {
          entries.push({
            binding: 0,
            resource: { buffer: uniform, offset: d.uniformOffset, size: d.uniformSize },
          });
        }
        d.buffers.forEach((b, i) => entries.push({ binding: i + 1, resource: { buffer: b } }));
        const group = gpu.device.createBindGroup({ layout: d.p.getBindGroupLayout(0), entries });
        pass ??= encoder.beginComputePass();
        pass.setPipeline(d.p);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(d.wg[0], d.wg[1], d.wg[2]);
      }
      pass?.end();
      const cb = encoder.finish();
      return cb;
    },
  };
}

/** Record, submit and wait for a step built by `build`. */
export async function run(gpu: Gpu, build: (r: Recorder) => void): Promise<void> {
  const r = record(gpu);
  build(r);
  gpu.device.queue.submit([r.finish()]);
  await gpu.device.queue.onSubmittedWorkDone();
}

/** Read a tensor back to the host as float32 (or its raw bits via `asU32`). */
export async function readback(gpu: Gpu, t: Tensor): Promise<Float32Array> {
  const bytes = t.size * 4;
  const staging = gpu.device.createBuffer({
    size: Math.max(4, bytes),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const enc = gpu.device.createCommandEncoder();
  enc.copyBufferToBuffer(t.buffer, 0, staging, 0, Math.max(4, bytes));
  gpu.device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0, bytes));
  staging.unmap();
  staging.destroy();
  return out;
}

/** Read a tensor of 32-bit unsigned integers back to the host. */
export async function readbackU32(gpu: Gpu, t: Tensor): Promise<Uint32Array> {
  const f = await readback(gpu, t);
  return new Uint32Array(f.buffer);
}

/** Load a kernel's WGSL source from `kernels/`. */
export function kernelSource(name: string): string {
  return Deno.readTextFileSync(new URL(`../../kernels/${name}`, import.meta.url));
}
