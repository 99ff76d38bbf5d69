/**
 * Learning-rate schedules for the supervised trainers: linear warm-up to `lr`, then cosine or
 * linear decay to `lr * min_lr_ratio` at the last step, or constant.
 */

/** The schedule keys of a trainer's config section. */
export interface LrSchedule {
  lr: number;
  min_lr_ratio: number;
  warmup_steps: number;
  schedule: "cosine" | "linear" | "constant";
}

/**
 * Learning rate of update `step` (0-based) out of `total`. Warm-up: lr·(step+1)/warmup_steps.
 * After it, progress p runs from 0 (first post-warm-up update) to 1 (last update).
 */
export function learningRate(s: LrSchedule, step: number, total: number): number {
  if (!(Number.isInteger(step) && step >= 0 && step < total)) {
    throw new RangeError(`learningRate: step ${step} is outside [0, ${total})`);
  }
  if (step < s.warmup_steps) return s.lr * (step + 1) / s.warmup_steps;
  const min = s.lr * s.min_lr_ratio;
  const span = total - s.warmup_steps - 1;
  const p = span > 0 ? (step - s.warmup_steps) / span : 1;
  switch (s.schedule) {
    case "constant":
      return s.lr;
    case "linear":
      return s.lr + (min - s.lr) * p;
    case "cosine":
      return min + (s.lr - min) * 0.5 * (1 + Math.cos(Math.PI * p));
  }
}
