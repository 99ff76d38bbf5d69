/**
 * Zod schemas for the resolved job config (CONFIG.md) and the spec file.
 * Every default of zerogrid lives here and nowhere else; every object is strict.
 */
import { z } from "zod";

const int = () => z.number().int();
const posInt = () => z.number().int().positive();
const nonNegInt = () => z.number().int().nonnegative();
const unit = () => z.number().min(0).max(1);

/** The learning-rate schedule shapes a trainer understands. */
export const SCHEDULES = ["cosine", "linear", "constant"] as const;

/** Optimiser and schedule settings shared by the supervised stages. */
function supervised(d: { steps: number; lr: number; warmup: number }) {
  return {
    steps: nonNegInt().default(d.steps),
    batch_size: posInt().default(16),
    lr: z.number().positive().default(d.lr),
    min_lr_ratio: unit().default(0.1),
    warmup_steps: nonNegInt().default(d.warmup),
    schedule: z.enum(SCHEDULES).default("cosine"),
    weight_decay: z.number().nonnegative().default(0.01),
    grad_clip: z.number().positive().default(1.0),
  };
}

/** Optional per-field replacements of a model preset's values. */
export const ModelOverridesSchema = z.object({
  d_model: posInt().optional(),
  n_layers: posInt().optional(),
  n_heads: posInt().optional(),
  n_kv_heads: posInt().optional(),
  d_ff: posInt().optional(),
  rope_theta: z.number().positive().optional(),
  max_seq: posInt().optional(),
  vision_layers: nonNegInt().optional(),
  vision_heads: posInt().optional(),
  vision_d_ff: posInt().optional(),
  patch_size: posInt().optional(),
  projector_pos: z.union([z.literal(0), z.literal(1)]).optional(),
  coord_channels: z.union([z.literal(0), z.literal(1)]).optional(),
  shared_image_position: z.union([z.literal(0), z.literal(1)]).optional(),
  pixel_mean: z.number().optional(),
  pixel_std: z.number().positive().optional(),
  init_std: z.number().positive().optional(),
}).strict();

/** The model section: a preset plus optional overrides. */
export const ModelSchema = z.object({
  preset: z.enum(["tiny", "small"]).default("tiny"),
  overrides: ModelOverridesSchema.prefault({}),
}).strict();

/** The synthetic visual world and benchmark sizes. */
export const DataSchema = z.object({
  image_size: posInt().default(24),
  min_objects: posInt().default(2),
  max_objects: posInt().default(5),
  train_scenes: posInt().default(2000),
  bench_per_family: posInt().default(50),
  trace_error_rate: unit().default(0.2),
}).strict().superRefine((d, ctx) => {
  if (d.min_objects > d.max_objects) {
    ctx.addIssue({
      code: "custom",
      path: ["max_objects"],
      message: `expected max_objects >= min_objects (${d.min_objects}), found ${d.max_objects}`,
    });
  }
});

/** Base-model pretraining on the mixed corpus. */
export const PretrainSchema = z.object({
  ...supervised({ steps: 300, lr: 3.0e-3, warmup: 20 }),
  mix: z.object({
    describe: z.number().nonnegative().default(0.3),
    direct: z.number().nonnegative().default(0.4),
    trace: z.number().nonnegative().default(0.3),
  }).strict().prefault({}).superRefine((m, ctx) => {
    if (m.describe + m.direct + m.trace <= 0) {
      ctx.addIssue({ code: "custom", message: "expected mix shares with a positive sum, found 0" });
    }
  }),
  // "all": questions in the corpus are phrased in sat's and the benchmark's templates (on
  // training scenes), as a real base model has read the benchmark's way of asking but not its
  // images; "own": sat's templates only, so benchmark phrasings are never seen in training.
  phrasings: z.enum(["own", "all"]).default("all"),
}).strict();

/** Chat-formatted instruction tuning of the base model. */
export const InstructSchema = z.object(supervised({ steps: 100, lr: 1.0e-3, warmup: 10 })).strict();

/** The SFT arm. */
export const SftSchema = z.object({
  ...supervised({ steps: 100, lr: 1.0e-3, warmup: 10 }),
  traces: z.boolean().default(false),
}).strict();

/** One stage of Progressive Thinking Suppression Training. */
export const PtstStageSchema = z.object({
  max_completion: posInt(),
  group_size: int().min(2),
  steps: posInt(),
}).strict();

/** The GRPO family of RL settings. */
export const RlSchema = z.object({
  steps: nonNegInt().default(60),
  prompts_per_step: posInt().default(8),
  group_size: int().min(2).default(8),
  temperature: z.number().positive().default(1.0),
  top_p: z.number().gt(0).max(1).default(1.0),
  top_k: nonNegInt().default(0),
  max_completion: posInt().default(48),
  template: z.enum(["auto", "r1_zero", "chat"]).default("auto"),
  lr: z.number().positive().default(5.0e-4),
  min_lr_ratio: unit().default(1.0),
  warmup_steps: nonNegInt().default(0),
  schedule: z.enum(SCHEDULES).default("constant"),
  weight_decay: z.number().nonnegative().default(0.0),
  grad_clip: z.number().positive().default(1.0),
  beta: z.number().nonnegative().default(0.0),
  epsilon: z.number().positive().default(0.2),
  epsilon_high: z.number().positive().nullable().default(null),
  loss: z.enum(["grpo", "bnpo", "dr_grpo", "dapo"]).default("grpo"),
  scale_rewards: z.boolean().default(true),
  num_iterations: posInt().default(1),
  mask_truncated: z.boolean().default(false),
  rewards: z.object({
    format: z.number().default(1.0),
    accuracy: z.number().default(1.0),
  }).strict().prefault({}),
  length_reward: z.object({
    enabled: z.boolean().default(false),
    weight: z.number().default(0.5),
    cap: posInt().default(48),
  }).strict().prefault({}),
  reflection_words: z.array(z.string().min(1)).default([
    "wait",
    "re-check",
    "however",
    "recheck",
    "verify",
  ]),
  ptst: z.object({
    enabled: z.boolean().default(false),
    stages: z.array(PtstStageSchema).default([]),
  }).strict().prefault({}).superRefine((p, ctx) => {
    if (p.enabled && p.stages.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["stages"],
        message: "expected at least one stage when ptst.enabled is true, found none",
      });
    }
  }),
  sample_every: posInt().default(10),
  sample_count: nonNegInt().default(4),
  eval_every: nonNegInt().default(0),
}).strict();

/** The benchmark evaluation. */
export const EvalSchema = z.object({
  benchmark: z.enum(["cvbench"]).default("cvbench"),
  max_new_tokens: posInt().default(48),
  batch_size: posInt().default(64),
}).strict();

/** The full resolved job config; parsing `{}` yields every default. */
export const ConfigSchema = z.object({
  seed: nonNegInt().default(0),
  init: z.enum(["base", "instruct"]).default("base"),
  method: z.enum(["none", "sft", "rl", "sft_rl"]).default("rl"),
  model: ModelSchema.prefault({}),
  data: DataSchema.prefault({}),
  pretrain: PretrainSchema.prefault({}),
  instruct: InstructSchema.prefault({}),
  sft: SftSchema.prefault({}),
  rl: RlSchema.prefault({}),
  eval: EvalSchema.prefault({}),
}).strict();

/** The resolved config as zod infers it. */
export type Config = z.infer<typeof ConfigSchema>;

/** Benchmark families of cvbench, and the pooled `overall`. */
export const EVAL_FAMILIES = ["relation_2d", "count_2d", "depth_3d", "distance_3d"] as const;

/** Step metric names trainers emit (CONFIG.md), usable as `train:<name>`. */
export const TRAIN_METRICS = [
  "loss",
  "lr",
  "grad_norm",
  "tokens_per_s",
  "reward",
  "reward/format",
  "reward/accuracy",
  "reward/length",
  "accuracy",
  "format_rate",
  "completion_length/mean",
  "completion_length/median",
  "completion_length/max",
  "reflection_rate",
  "kl",
  "entropy",
  "clip_fraction",
  "truncated_rate",
  "max_completion",
] as const;

/** Experiment names double as directory names. */
export const NAME_PATTERN = /^[a-z0-9_-]+$/;

const nameSchema = z.string().regex(NAME_PATTERN, {
  message: "expected a name of lowercase letters, digits, '_' or '-'",
});
const assignment = z.record(z.string(), z.unknown());

/** The `report:` section; `rows` is left optional so the parser can default it from the axes. */
export const ReportSchema = z.object({
  rows: z.array(z.string()).optional(),
  columns: z.array(z.string()).default([]),
  metrics: z.array(z.string()).default(["eval:overall"]),
  figures: z.array(z.string()).default([]),
  interval: z.enum(["t", "bootstrap"]).default("t"),
  confidence: z.number().gt(0).lt(1).default(0.95),
}).strict();

const alpha = z.number().gt(0).lt(1).default(0.05);

/** A claim comparing two arms on a scalar metric. */
export const CompareClaimSchema = z.object({
  name: nameSchema,
  compare: z.object({
    metric: z.string(),
    a: assignment,
    b: assignment,
    relation: z.enum(["greater", "less", "equivalent"]).default("greater"),
    margin: z.number().nonnegative().default(0),
  }).strict(),
  alpha,
}).strict();

/** A claim about the slope of a training curve. */
export const TrendClaimSchema = z.object({
  name: nameSchema,
  trend: z.object({
    metric: z.string(),
    arm: assignment,
    direction: z.enum(["increasing", "decreasing"]),
  }).strict(),
  alpha,
}).strict();

/** The spec file as written; `base` is checked against {@link ConfigSchema} in place. */
export const SpecFileSchema = z.object({
  name: nameSchema,
  description: z.string().default(""),
  base: ConfigSchema.prefault({}),
  axes: z.record(z.string(), z.array(z.unknown())).default({}),
  linked: z.array(z.array(z.string())).default([]),
  include: z.array(assignment).default([]),
  exclude: z.array(assignment).default([]),
  report: ReportSchema.prefault({}),
  claims: z.array(z.unknown()).default([]),
}).strict();
