/**
 * Typed views of the resolved job-config sections the supervised trainers read. lib/spec fills
 * every default; these readers only check types and ranges, naming the key on failure.
 */
import type { ConfigValue, JobConfig } from "../spec/types.ts";
import type { DataConfig, Phrasings } from "../tasks/mod.ts";
import type { ModelSection } from "../model/config.ts";
import type { LrSchedule } from "./schedule.ts";

/** A config section that is missing or has the wrong type or range. */
export class TrainConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainConfigError";
  }
}

/** Hyper-parameters shared by pretrain, instruct and sft. */
export interface SupervisedSection extends LrSchedule {
  steps: number;
  batch_size: number;
  weight_decay: number;
  grad_clip: number;
}

/** `pretrain`: plus the corpus mix and which question phrasings it uses. */
export interface PretrainSection extends SupervisedSection {
  mix: { describe: number; direct: number; trace: number };
  phrasings: Phrasings;
}

/** `sft`: plus whether targets include reasoning traces. */
export interface SftSection extends SupervisedSection {
  traces: boolean;
}

/** `eval`. */
export interface EvalSection {
  benchmark: string;
  max_new_tokens: number;
  batch_size: number;
}

type Obj = { [k: string]: ConfigValue };

function obj(v: ConfigValue | undefined, path: string): Obj {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new TrainConfigError(`${path} must be a mapping, got ${JSON.stringify(v)}`);
  }
  return v;
}

function num(o: Obj, key: string, path: string, lo: number, hi: number, int = false): number {
  const v = o[key];
  if (
    typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi ||
    (int && !Number.isInteger(v))
  ) {
    throw new TrainConfigError(
      `${path}.${key} must be ${int ? "an integer" : "a number"} in [${lo}, ${hi}], got ${
        JSON.stringify(v)
      }`,
    );
  }
  return v;
}

function oneOf<T extends string>(o: Obj, key: string, path: string, allowed: readonly T[]): T {
  const v = o[key];
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    throw new TrainConfigError(
      `${path}.${key} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`,
    );
  }
  return v as T;
}

function supervised(o: Obj, path: string): SupervisedSection {
  const s: SupervisedSection = {
    steps: num(o, "steps", path, 1, 1e9, true),
    batch_size: num(o, "batch_size", path, 1, 1e6, true),
    lr: num(o, "lr", path, 0, 10),
    min_lr_ratio: num(o, "min_lr_ratio", path, 0, 1),
    warmup_steps: num(o, "warmup_steps", path, 0, 1e9, true),
    schedule: oneOf(o, "schedule", path, ["cosine", "linear", "constant"] as const),
    weight_decay: num(o, "weight_decay", path, 0, 10),
    grad_clip: num(o, "grad_clip", path, 0, 1e9),
  };
  return s;
}

/** `job.config.seed`. */
export function readSeed(c: JobConfig): number {
  const v = c.seed;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new TrainConfigError(`seed must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** `job.config.data`. */
export function readData(c: JobConfig): DataConfig {
  const o = obj(c.data, "data");
  return {
    image_size: num(o, "image_size", "data", 1, 4096, true),
    min_objects: num(o, "min_objects", "data", 1, 100, true),
    max_objects: num(o, "max_objects", "data", 1, 100, true),
    train_scenes: num(o, "train_scenes", "data", 1, 1e9, true),
    bench_per_family: num(o, "bench_per_family", "data", 1, 1e9, true),
    trace_error_rate: num(o, "trace_error_rate", "data", 0, 1),
  };
}

/** `job.config.model`. */
export function readModel(c: JobConfig): ModelSection {
  const o = obj(c.model, "model");
  if (typeof o.preset !== "string") {
    throw new TrainConfigError(`model.preset must be a string, got ${JSON.stringify(o.preset)}`);
  }
  const overrides = o.overrides === undefined ? {} : obj(o.overrides, "model.overrides");
  return { preset: o.preset, overrides: overrides as Record<string, number> };
}

/** `job.config.init`. */
export function readInit(c: JobConfig): "base" | "instruct" {
  return oneOf(c as Obj, "init", "config", ["base", "instruct"] as const);
}

/** `job.config.pretrain`. */
export function readPretrain(c: JobConfig): PretrainSection {
  const o = obj(c.pretrain, "pretrain");
  const m = obj(o.mix, "pretrain.mix");
  const mix = {
    describe: num(m, "describe", "pretrain.mix", 0, 1),
    direct: num(m, "direct", "pretrain.mix", 0, 1),
    trace: num(m, "trace", "pretrain.mix", 0, 1),
  };
  if (!(mix.describe + mix.direct + mix.trace > 0)) {
    throw new TrainConfigError("pretrain.mix shares must not all be 0");
  }
  const phrasings = oneOf(o, "phrasings", "pretrain", ["own", "all"] as const);
  return { ...supervised(o, "pretrain"), mix, phrasings };
}

/** `job.config.instruct`. */
export function readInstruct(c: JobConfig): SupervisedSection {
  return supervised(obj(c.instruct, "instruct"), "instruct");
}

/** `job.config.sft`. */
export function readSft(c: JobConfig): SftSection {
  const o = obj(c.sft, "sft");
  if (typeof o.traces !== "boolean") {
    throw new TrainConfigError(`sft.traces must be a boolean, got ${JSON.stringify(o.traces)}`);
  }
  return { ...supervised(o, "sft"), traces: o.traces };
}

/** `job.config.eval`. */
export function readEval(c: JobConfig): EvalSection {
  const o = obj(c.eval, "eval");
  const benchmark = oneOf(o, "benchmark", "eval", ["cvbench"] as const);
  return {
    benchmark,
    max_new_tokens: num(o, "max_new_tokens", "eval", 1, 1e6, true),
    batch_size: num(o, "batch_size", "eval", 1, 1e6, true),
  };
}
