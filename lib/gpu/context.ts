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
  /** `kernel` pipelines by a short key of file, entry, defines and consts (no source hashing). */
  kernels: Map<string, GPUComputePipeline>;
  /** Bind group layout 0 of each pipeline (asking the pipeline costs a driver call each time). */
  layouts: WeakMap<GPUComputePipeline, GPUBindGroupLayout>;
  /** Bind groups reused across steps (see `BindCache`). */
  binds: BindCache;
  /**
   * Errors the device reported (validation, out-of-memory, internal, device loss) that no host
   * sync point has thrown yet; `run`, `readback` and `checkGpu` throw them as a `GpuError`.
   */
  faults: GpuFault[];
  /** Error scopes around pipeline creation still to be resolved into `faults`. */
  pendingScopes: Promise<void>[];
  /** Per-device scratch and constant buffers owned by op wrappers (see `scratchBuffer`). */
  scratch?: Map<string, GPUBuffer>;
  /** When set (see `enableProfiling`), every recorded dispatch is timed with `timestamp-query`. */
  profiler?: Profiler;
}

/** One error reported by the device, with the kernel it belongs to when known. */
export interface GpuFault {
  /** Kernel label (`file:entry`) when the error came from compiling that kernel. */
  kernel?: string;
  message: string;
}

/** Options for `acquireGpu`. */
export interface AcquireOptions {
  /** Substring of the adapter description to require (the CLI's `--adapter`). */
  adapter?: string;
  powerPreference?: GPUPowerPreference;
}

/**
 * The adapter as results record it. Mesa's GL (llvmpipe) and Vulkan (lavapipe) software adapters
 * share one description, so a backend forced through DENO_WEBGPU_BACKEND is named too.
 */
function describeAdapter(adapter: GPUAdapter): string {
  const name = adapter.info.description || `${adapter.info.vendor} ${adapter.info.device}`;
  const backend = Deno.env.get("DENO_WEBGPU_BACKEND");
  return backend ? `${name} [${backend}]` : name;
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
  const gpu: Gpu = {
    device,
    adapter: describeAdapter(adapter),
    isFallback: adapter.info.isFallbackAdapter ?? false,
    hasTimestamps: features.includes("timestamp-query"),
    pipelines: new Map(),
    kernels: new Map(),
    layouts: new WeakMap(),
    binds: { entries: new Map(), ids: new WeakMap(), nextId: 0, generation: 0 },
    faults: [],
    pendingScopes: [],
  };
  // WebGPU reports errors asynchronously and otherwise only skips the failing work (a kernel
  // that does not compile leaves its output untouched), so every error is kept for the next
  // host sync point to throw.
  device.addEventListener("uncapturederror", (e) => {
    gpu.faults.push({ message: (e as GPUUncapturedErrorEvent).error.message });
  });
  device.lost.then((info) => {
    if (info.reason !== "destroyed") {
      gpu.faults.push({ message: `device lost: ${info.message || info.reason}` });
    }
  });
  return gpu;
}

/**
 * Throw a `GpuError` for every error the device reported since the last check (the first one in
 * full, naming its kernel when known, plus a count of the rest, which usually follow from it).
 * `run` and `readback` call this; call it after submitting work you never read back.
 */
export async function checkGpu(gpu: Gpu): Promise<void> {
  if (gpu.pendingScopes.length) await Promise.all(gpu.pendingScopes.splice(0));
  if (!gpu.faults.length) return;
  const faults = gpu.faults.splice(0);
  const first = faults.find((f) => f.kernel) ?? faults[0];
  const more = faults.length > 1 ? ` (and ${faults.length - 1} more GPU errors)` : "";
  throw new GpuError(
    `GPU error${first.kernel ? ` in kernel ${first.kernel}` : ""}: ${first.message.trim()}${more}`,
  );
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

/**
 * Get (or compile once) a compute pipeline, keyed by source, entry point and constants. `label`
 * names the kernel in driver messages and in the `GpuError` a compile failure raises.
 */
export function pipeline(
  gpu: Gpu,
  code: string,
  entryPoint = "main",
  constants: Record<string, number> = {},
  label = `wgsl:${entryPoint}`,
): GPUComputePipeline {
  const key = `${entryPoint}\u0000${JSON.stringify(constants)}\u0000${code}`;
  let p = gpu.pipelines.get(key);
  if (!p) {
    p = compile(gpu, code, entryPoint, constants, label);
    gpu.pipelines.set(key, p);
  }
  return p;
}

/** Compile a pipeline, attributing any compile or validation error to `label`. */
function compile(
  gpu: Gpu,
  code: string,
  entryPoint: string,
  constants: Record<string, number>,
  label: string,
): GPUComputePipeline {
  gpu.device.pushErrorScope("validation");
  const module = gpu.device.createShaderModule({ code, label });
  const p = gpu.device.createComputePipeline({
    layout: "auto",
    compute: { module, entryPoint, constants },
    label,
  });
  gpu.pendingScopes.push(
    gpu.device.popErrorScope().then((e) => {
      if (e) gpu.faults.push({ kernel: label, message: e.message });
    }),
  );
  return p;
}

/** A kernel from `kernels/`: its file(s), entry point and specialisation. */
export interface KernelSpec {
  /** File name(s) under `kernels/`, concatenated in order (e.g. a shared library first). */
  file: string | readonly string[];
  /** Entry point (default "main"). */
  entry?: string;
  /** Template values (see `kernelSource`). */
  defines?: Defines;
  /** u32 constants declared ahead of the source as `const NAME: u32 = Vu;`. */
  consts?: Record<string, number>;
}

/** The label a kernel carries in driver messages and errors: `file[+file]:entry`. */
export function kernelLabel(spec: KernelSpec): string {
  const files = typeof spec.file === "string" ? spec.file : spec.file.join("+");
  return `${files}:${spec.entry ?? "main"}`;
}

/**
 * Get (or compile once) the pipeline of a kernel from `kernels/`, labelled with its file. Ops call
 * this on every dispatch, so a hit costs one short key and a map lookup: the file is read and
 * preprocessed only on the first request for that (file, entry, defines, consts).
 */
export function kernel(gpu: Gpu, spec: KernelSpec): GPUComputePipeline {
  const key = kernelKey(spec);
  let p = gpu.kernels.get(key);
  if (!p) {
    const files = typeof spec.file === "string" ? [spec.file] : spec.file;
    const consts = Object.entries(spec.consts ?? {}).map(([k, v]) => `const ${k}: u32 = ${v}u;\n`);
    const code = consts.join("") + files.map((f) => kernelSource(f, spec.defines)).join("");
    // Distinct keys may still yield the same text (defines listed in another order): share it.
    p = pipeline(gpu, code, spec.entry ?? "main", {}, kernelLabel(spec));
    gpu.kernels.set(key, p);
  }
  return p;
}

/** The cache key of a kernel spec: file(s), entry, then every define and const in given order. */
function kernelKey(spec: KernelSpec): string {
  let key = typeof spec.file === "string" ? spec.file : spec.file.join("+");
  key += `:${spec.entry ?? "main"}`;
  const d = spec.defines;
  if (d) { for (const k in d) key += `|${k}=${d[k]}`; }
  const c = spec.consts;
  if (c) { for (const k in c) key += `|${k}#${c[k]}`; }
  return key;
}

/** Bind group layout 0 of a pipeline, asked of the driver once per pipeline. */
function layoutOf(gpu: Gpu, p: GPUComputePipeline): GPUBindGroupLayout {
  let l = gpu.layouts.get(p);
  if (!l) {
    l = p.getBindGroupLayout(0);
    gpu.layouts.set(p, l);
  }
  return l;
}

/**
 * Bind groups cached across steps, keyed by pipeline, buffers and the uniform's bytes. A cached
 * group owns a uniform buffer holding exactly those bytes, written once at creation and never
 * again, so reusing it in a later step cannot change what an earlier command buffer reads. Most
 * dispatches repeat step after step (same shapes, same tensors); those whose uniforms change every
 * step (AdamW's bias corrections) miss and are evicted once idle.
 */
export interface BindCache {
  entries: Map<string, BindEntry>;
  /** Ids for pipelines and buffers in keys (objects cannot be map keys inside a string). */
  ids: WeakMap<object, number>;
  nextId: number;
  /** Incremented by every `finish()`; an entry records the generation that last used it. */
  generation: number;
}

interface BindEntry {
  group: GPUBindGroup;
  uniform: GPUBuffer | null;
  used: number;
}

/**
 * Entries unused for this many finished steps are dropped and their uniform buffer destroyed; a
 * command buffer must be submitted before this many later steps finish (a later submit of it fails
 * validation loudly, it does not compute garbage).
 */
const BIND_IDLE_STEPS = 16;

function objectId(cache: BindCache, o: object): number {
  let id = cache.ids.get(o);
  if (id === undefined) {
    id = cache.nextId++;
    cache.ids.set(o, id);
  }
  return id;
}

/** The cached bind group for a dispatch, created (with its own uniform buffer) on a miss. */
function bindGroup(
  gpu: Gpu,
  p: GPUComputePipeline,
  params: ArrayBufferView | null,
  buffers: GPUBuffer[],
  label: string | undefined,
): GPUBindGroup {
  const cache = gpu.binds;
  let key = String(objectId(cache, p));
  for (const b of buffers) key += `,${objectId(cache, b)}`;
  let bytes: Uint8Array | null = null;
  if (params) {
    bytes = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
    // The uniform's bytes as UTF-16 code units: one string op instead of one per byte.
    const even = params.byteOffset % 2 === 0 && params.byteLength % 2 === 0;
    const units = even
      ? new Uint16Array(params.buffer, params.byteOffset, params.byteLength / 2)
      : Uint16Array.from(bytes);
    key += "|" + String.fromCharCode.apply(null, units as unknown as number[]);
  }
  const hit = cache.entries.get(key);
  if (hit) {
    hit.used = cache.generation;
    return hit.group;
  }
  const entries: GPUBindGroupEntry[] = [];
  let uniform: GPUBuffer | null = null;
  if (bytes) {
    const size = Math.max(16, Math.ceil(bytes.length / 16) * 16);
    uniform = gpu.device.createBuffer({
      size,
      usage: GPUBufferUsage.UNIFORM,
      mappedAtCreation: true,
      label: label && `${label} params`,
    });
    new Uint8Array(uniform.getMappedRange()).set(bytes);
    uniform.unmap();
    entries.push({ binding: 0, resource: { buffer: uniform } });
  }
  buffers.forEach((b, i) => entries.push({ binding: i + 1, resource: { buffer: b } }));
  const group = gpu.device.createBindGroup({ layout: layoutOf(gpu, p), entries, label });
  cache.entries.set(key, { group, uniform, used: cache.generation });
  return group;
}

/** Drop bind groups idle for `BIND_IDLE_STEPS` steps (checked every few steps, not per dispatch). */
function evictIdle(cache: BindCache): void {
  if (cache.generation % 4 !== 0) return;
  for (const [key, e] of cache.entries) {
    if (e.used < cache.generation - BIND_IDLE_STEPS) {
      e.uniform?.destroy();
      cache.entries.delete(key);
    }
  }
}

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
  /** Per-step notes of op wrappers (e.g. a value already written to a scratch buffer this step). */
  memo: Map<string, unknown>;
}

/** Start recording a step. */
export function record(gpu: Gpu): Recorder & { finish(): GPUCommandBuffer } {
  const encoder = gpu.device.createCommandEncoder();
  // Dispatches are collected and encoded at finish(), when it is known whether to time them.
  const ops: ({
    t: "d";
    p: GPUComputePipeline;
    group: GPUBindGroup;
    wg: [number, number, number];
    label?: string;
  } | {
    t: "c";
    src: GPUBuffer;
    dst: GPUBuffer;
    bytes: number;
    so: number;
    do: number;
  })[] = [];
  let dispatches = 0;
  const maxWg = gpu.device.limits.maxComputeWorkgroupsPerDimension;
  return {
    gpu,
    encoder,
    memo: new Map(),
    dispatch(p, params, buffers, workgroups, label) {
      const wg: [number, number, number] = [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1];
      if (wg[0] > maxWg || wg[1] > maxWg || wg[2] > maxWg) {
        throw new GpuError(
          `dispatch ${label ?? ""}: workgroups [${wg}] exceed ${maxWg} per dimension`,
        );
      }
      if (wg[0] === 0 || wg[1] === 0 || wg[2] === 0) return;
      const group = bindGroup(gpu, p, params, buffers, label);
      ops.push({ t: "d", p, group, wg, label });
      dispatches++;
    },
    copy(src, dst, n, so = 0, d = 0) {
      ops.push({ t: "c", src, dst, bytes: n, so, do: d });
    },
    finish() {
      gpu.binds.generation++;
      evictIdle(gpu.binds);
      // Consecutive dispatches share one compute pass; WebGPU orders storage writes between them.
      // When profiling, each dispatch gets its own pass so its start and end can be timestamped.
      const prof = gpu.profiler && gpu.hasTimestamps ? gpu.profiler : null;
      const nTimed = prof ? Math.min(dispatches, MAX_TIMED_DISPATCHES) : 0;
      const querySet = nTimed > 0
        ? gpu.device.createQuerySet({ type: "timestamp", count: 2 * nTimed })
        : null;
      let timed = 0;
      const timedLabels: string[] = [];
      let pass: GPUComputePassEncoder | null = null;
      let lastPipeline: GPUComputePipeline | null = null, lastGroup: GPUBindGroup | null = null;
      for (const op of ops) {
        if (op.t === "c") {
          pass?.end();
          pass = null;
          encoder.copyBufferToBuffer(op.src, op.so, op.dst, op.do, op.bytes);
          continue;
        }
        if (querySet && timed < nTimed) {
          pass?.end();
          pass = encoder.beginComputePass({
            timestampWrites: {
              querySet,
              beginningOfPassWriteIndex: 2 * timed,
              endOfPassWriteIndex: 2 * timed + 1,
            },
          });
          timedLabels.push(op.label ?? "(unlabelled)");
          timed++;
          pass.setPipeline(op.p);
          pass.setBindGroup(0, op.group);
          pass.dispatchWorkgroups(op.wg[0], op.wg[1], op.wg[2]);
          pass.end();
          pass = null;
          continue;
        }
        if (!pass) {
          pass = encoder.beginComputePass();
          lastPipeline = null;
          lastGroup = null;
        }
        // Each pass call crosses into the runtime: skip the ones that would change nothing.
        if (op.p !== lastPipeline) pass.setPipeline(lastPipeline = op.p);
        if (op.group !== lastGroup) pass.setBindGroup(0, lastGroup = op.group);
        pass.dispatchWorkgroups(op.wg[0], op.wg[1], op.wg[2]);
      }
      pass?.end();
      if (querySet && prof && timed > 0) {
        const bytes = 16 * timed;
        const resolve = gpu.device.createBuffer({
          size: bytes,
          usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
        });
        const staging = gpu.device.createBuffer({
          size: bytes,
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        });
        encoder.resolveQuerySet(querySet, 0, 2 * timed, resolve, 0);
        encoder.copyBufferToBuffer(resolve, 0, staging, 0, bytes);
        prof.pending.push({ labels: timedLabels, staging, resolve, querySet });
      }
      return encoder.finish();
    },
  };
}

/**
 * Record and submit a step built by `build` without waiting: a later readback waits for it
 * (mapAsync orders after all submitted work), and each wait costs Deno's WebGPU a poll of ~10 ms
 * whatever the work (11 ms for an empty queue, lavapipe and H200 alike).
 */
export function submit(gpu: Gpu, build: (r: Recorder) => void): void {
  const r = record(gpu);
  build(r);
  gpu.device.queue.submit([r.finish()]);
}

/** Record, submit and wait for a step built by `build`; throws a `GpuError` if the device reported one. */
export async function run(gpu: Gpu, build: (r: Recorder) => void): Promise<void> {
  submit(gpu, build);
  await gpu.device.queue.onSubmittedWorkDone();
  await checkGpu(gpu);
  if (gpu.profiler) await flushProfile(gpu);
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
  await checkGpu(gpu);
  return out;
}

/** Read a tensor of 32-bit unsigned integers back to the host. */
export async function readbackU32(gpu: Gpu, t: Tensor): Promise<Uint32Array> {
  const f = await readback(gpu, t);
  return new Uint32Array(f.buffer);
}

/** Values substituted into a kernel template: `${NAME}` text and `//#if NAME` switches. */
export type Defines = Record<string, number | boolean | string>;

/**
 * Load a kernel's WGSL source from `kernels/`, optionally specialised by `defines`: `${NAME}` is
 * replaced by the value, and lines between `//#if NAME` / `//#else` / `//#endif` are kept only when
 * NAME is truthy (nesting allowed). Specialising in text lets one file serve layouts whose storage
 * types differ (e.g. `array<vec4<f32>>` vs `array<f32>`), which override constants cannot do.
 * A `//#include FILE` line is replaced by that file's text (nested includes allowed, each file at
 * most once per source), before any template rule applies; the included text is fixed by the
 * including file's name, so `kernel()`'s cache key (file, entry, defines) still covers it.
 */
export function kernelSource(name: string, defines?: Defines): string {
  const src = withIncludes(readKernel(name), name, new Set([name]));
  return defines ? preprocess(src, defines, name) : src;
}

/** The raw text of a file under `kernels/`. */
function readKernel(name: string): string {
  return Deno.readTextFileSync(new URL(`../../kernels/${name}`, import.meta.url));
}

/** Replace each `//#include FILE` line of `src` by FILE's text; a file already in `seen` is skipped. */
function withIncludes(src: string, name: string, seen: Set<string>): string {
  if (!src.includes("//#include")) return src;
  return src.split("\n").map((line, i) => {
    const m = line.match(/^\s*\/\/#include\s+(\S+)\s*$/);
    if (!m) return line;
    const file = m[1];
    if (seen.has(file)) return "";
    seen.add(file);
    let text: string;
    try {
      text = readKernel(file);
    } catch (e) {
      throw new GpuError(`${name}:${i + 1}: //#include ${file}: ${(e as Error).message}`);
    }
    return withIncludes(text, file, seen);
  }).join("\n");
}

/** Apply `kernelSource`'s template rules to WGSL text. */
export function preprocess(src: string, defines: Defines, name = "<wgsl>"): string {
  src = unroll(src.split("\n"), defines, name).join("\n");
  const out: string[] = [];
  const stack: { active: boolean; parent: boolean }[] = [];
  let active = true;
  const lines = src.split("\n");
  lines.forEach((line, i) => {
    const m = line.match(/^\s*\/\/#(if|else|endif)\s*(!?)(\w*)/);
    if (m) {
      if (m[1] === "if") {
        if (!(m[3] in defines)) {
          throw new GpuError(`${name}:${i + 1}: //#if ${m[3]} is not defined`);
        }
        const v = Boolean(defines[m[3]]) !== (m[2] === "!");
        stack.push({ active: v, parent: active });
        active = active && v;
      } else if (m[1] === "else") {
        const top = stack.at(-1);
        if (!top) throw new GpuError(`${name}:${i + 1}: //#else without //#if`);
        top.active = !top.active;
        active = top.parent && top.active;
      } else {
        const top = stack.pop();
        if (!top) throw new GpuError(`${name}:${i + 1}: //#endif without //#if`);
        active = top.parent;
      }
      return;
    }
    if (!active) return;
    out.push(line.replace(/\$\{(\w+)\}/g, (_, k: string) => {
      if (!(k in defines)) throw new GpuError(`${name}:${i + 1}: \${${k}} is not defined`);
      const v = defines[k];
      return typeof v === "boolean" ? (v ? "true" : "false") : String(v);
    }));
  });
  if (stack.length) throw new GpuError(`${name}: unterminated //#if`);
  return out.join("\n");
}

/**
 * Expand `//#for VAR BOUND` ... `//#endfor` blocks (BOUND a number or a define): the body is
 * repeated for VAR = 0 .. BOUND-1 with `${VAR}` replaced, and `${VAR+c}` / `${VAR*c}` forms
 * evaluated. Unrolling in text gives register variables where drivers would otherwise keep
 * dynamically indexed arrays in memory (llvmpipe does).
 */
function unroll(lines: string[], defines: Defines, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^\s*\/\/#for\s+(\w+)\s+(\w+)\s*$/);
    if (!m) {
      out.push(lines[i]);
      continue;
    }
    let depth = 1, j = i + 1;
    for (; j < lines.length; j++) {
      if (/^\s*\/\/#for\s/.test(lines[j])) depth++;
      else if (/^\s*\/\/#endfor/.test(lines[j]) && --depth === 0) break;
    }
    if (depth !== 0) throw new GpuError(`${name}: //#for ${m[1]} without //#endfor`);
    const bound = /^\d+$/.test(m[2]) ? Number(m[2]) : Number(defines[m[2]]);
    if (!Number.isInteger(bound)) {
      throw new GpuError(`${name}: //#for bound ${m[2]} is not defined`);
    }
    const body = lines.slice(i + 1, j);
    const v = m[1];
    const re = new RegExp(`\\$\\{${v}(?:([+*])(\\d+))?\\}`, "g");
    for (let k = 0; k < bound; k++) {
      const sub = body.map((l) =>
        l.replace(
          re,
          (_, op?: string, c?: string) =>
            String(op === "+" ? k + Number(c) : op === "*" ? k * Number(c) : k),
        )
      );
      out.push(...unroll(sub, defines, name));
    }
    i = j;
  }
  return out;
}

/** Pack a uniform Params struct: the u32 fields first, then the f32 fields, 16-byte padded. */
export function uniforms(u32: number[], f32: number[] = []): Uint8Array {
  const n = Math.max(4, Math.ceil((u32.length + f32.length) / 4) * 4);
  const buf = new ArrayBuffer(n * 4);
  const u = new Uint32Array(buf);
  for (let i = 0; i < u32.length; i++) {
    if (!Number.isInteger(u32[i]) || u32[i] < 0 || u32[i] > 0xffffffff) {
      throw new GpuError(`uniforms: field ${i} = ${u32[i]} is not a u32`);
    }
    u[i] = u32[i];
  }
  new Float32Array(buf).set(f32, u32.length);
  return new Uint8Array(buf);
}

/**
 * Workgroup grid for `n` items at `perWorkgroup` items each: x up to 65535 (the WebGPU limit),
 * the rest in y. Kernels recover the linear workgroup as `wg.x + wg.y * nwg.x`.
 */
export function grid1d(n: number, perWorkgroup: number): [number, number] {
  const groups = Math.ceil(n / perWorkgroup);
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}

/**
 * A per-device buffer owned by op wrappers (scratch space for two-pass reductions, constant
 * tables), created on first use and reused by every later step; grown when a larger one is asked.
 * Ops use scratch only between their own consecutive dispatches, which WebGPU orders.
 */
export function scratchBuffer(gpu: Gpu, key: string, bytes: number): GPUBuffer {
  gpu.scratch ??= new Map();
  const have = gpu.scratch.get(key);
  if (have && have.size >= bytes) return have;
  // The smaller buffer is not destroyed: dispatches recorded earlier in this step may use it.
  const b = gpu.device.createBuffer({ size: Math.max(16, bytes), usage: STORAGE, label: key });
  gpu.scratch.set(key, b);
  return b;
}

/** A per-device constant buffer keyed by `key`, uploaded once from `make()`. */
export function constBuffer(gpu: Gpu, key: string, make: () => HostData): GPUBuffer {
  gpu.scratch ??= new Map();
  let b = gpu.scratch.get(key);
  if (!b) {
    const data = make();
    b = gpu.device.createBuffer({
      size: Math.max(16, data.byteLength),
      usage: STORAGE,
      label: key,
    });
    gpu.device.queue.writeBuffer(b, 0, data);
    gpu.scratch.set(key, b);
  }
  return b;
}

/** Named tensors allocated once per model (parameters, gradients, optimizer state, activations). */
export interface Arena {
  gpu: Gpu;
  /** Allocate a new named tensor; names are unique within the arena. */
  alloc(name: string, shape: number[], data?: HostData): Tensor;
  /** The tensor of that name; throws if absent. */
  get(name: string): Tensor;
  has(name: string): boolean;
  /** Names in allocation order. */
  names(): string[];
  /** Total bytes allocated. */
  bytes(): number;
  /** Destroy every buffer; the arena is empty afterwards. */
  free(): void;
}

/** Create an empty arena on `gpu`; `label` prefixes buffer labels (seen in driver errors). */
export function createArena(gpu: Gpu, label = "arena"): Arena {
  const byName = new Map<string, Tensor>();
  let total = 0;
  return {
    gpu,
    alloc(name, shape, data) {
      if (byName.has(name)) throw new GpuError(`arena ${label}: tensor "${name}" exists already`);
      const bytes = Math.max(4, numel(shape) * 4);
      if (bytes > gpu.device.limits.maxStorageBufferBindingSize) {
        throw new GpuError(
          `arena ${label}: "${name}" [${shape}] needs ${bytes} bytes, over the device's ` +
            `maxStorageBufferBindingSize ${gpu.device.limits.maxStorageBufferBindingSize}`,
        );
      }
      const t = tensor(gpu, shape, data, `${label}/${name}`);
      byName.set(name, t);
      total += bytes;
      return t;
    },
    get(name) {
      const t = byName.get(name);
      if (!t) throw new GpuError(`arena ${label}: no tensor "${name}"`);
      return t;
    },
    has: (name) => byName.has(name),
    names: () => [...byName.keys()],
    bytes: () => total,
    free() {
      for (const t of byName.values()) t.buffer.destroy();
      byName.clear();
      total = 0;
    },
  };
}

/** Caps the per-step dispatches timed when profiling (a timestamp query set holds at most 4096). */
const MAX_TIMED_DISPATCHES = 2048;

/** Accumulated per-label kernel times from `timestamp-query`. */
export interface Profiler {
  /** label -> [calls, total nanoseconds] */
  totals: Map<string, [number, number]>;
  pending: {
    labels: string[];
    staging: GPUBuffer;
    resolve: GPUBuffer;
    querySet: GPUQuerySet;
  }[];
}

/** Turn on per-dispatch timing; returns false (and does nothing) without `timestamp-query`. */
export function enableProfiling(gpu: Gpu): boolean {
  if (!gpu.hasTimestamps) return false;
  gpu.profiler ??= { totals: new Map(), pending: [] };
  return true;
}

/** Read the timestamps of submitted steps into the totals (call after the work was submitted). */
export async function flushProfile(gpu: Gpu): Promise<void> {
  const prof = gpu.profiler;
  if (!prof) return;
  const pending = prof.pending.splice(0);
  for (const p of pending) {
    await p.staging.mapAsync(GPUMapMode.READ);
    const ts = new BigUint64Array(p.staging.getMappedRange().slice(0));
    p.staging.unmap();
    p.labels.forEach((label, i) => {
      const ns = ts[2 * i + 1] > ts[2 * i] ? Number(ts[2 * i + 1] - ts[2 * i]) : 0;
      const t = prof.totals.get(label) ?? [0, 0];
      prof.totals.set(label, [t[0] + 1, t[1] + ns]);
    });
    p.staging.destroy();
    p.resolve.destroy();
    p.querySet.destroy();
  }
}

/** Per-kernel time table since profiling began (or "" when profiling is off), slowest first. */
export async function profileTable(gpu: Gpu): Promise<string> {
  if (!gpu.profiler) return "";
  await flushProfile(gpu);
  const rows = [...gpu.profiler.totals.entries()].sort((a, b) => b[1][1] - a[1][1]);
  const all = rows.reduce((s, r) => s + r[1][1], 0) || 1;
  const w = Math.max(6, ...rows.map((r) => r[0].length));
  const lines = [
    `${"kernel".padEnd(w)}  ${"calls".padStart(7)}  ${"total ms".padStart(10)}  ${
      "mean us".padStart(10)
    }  ${"share".padStart(6)}`,
  ];
  for (const [label, [calls, ns]] of rows) {
    lines.push(
      `${label.padEnd(w)}  ${String(calls).padStart(7)}  ${(ns / 1e6).toFixed(3).padStart(10)}  ${
        (ns / calls / 1e3).toFixed(1).padStart(10)
      }  ${(100 * ns / all).toFixed(1).padStart(5)}%`,
    );
  }
  return lines.join("\n");
}

/** Clear the profiler's totals (e.g. after warm-up). */
export function resetProfile(gpu: Gpu): void {
  gpu.profiler?.totals.clear();
}
