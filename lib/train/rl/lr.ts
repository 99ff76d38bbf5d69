/** Learning-rate schedules (warmup, then cosine / linear decay to lr·min_lr_ratio, or constant). */

/** The schedule fields of a trainer section. */
export interface LrSchedule {
  lr: number;
  min_lr_ratio: number;
  warmup_steps: number;
  schedule: "cosine" | "linear" | "constant";
}

/** Learning rate at a 0-based step of `total`. */
export function lrAt(s: LrSchedule, step: number, total: number): number {
  if (s.warmup_steps > 0 && step < s.warmup_steps) return s.lr * (step + 1) / s.warmup_steps;
  if (s.schedule === "constant") return s.lr;
  const span = Math.max(1, total - s.warmup_steps - 1);
  const p = Math.min(1, Math.max(0, (step - s.warmup_steps) / span));
  const min = s.lr * s.min_lr_ratio;
  const f = s.schedule === "cosine" ? 0.5 * (1 + Math.cos(Math.PI * p)) : 1 - p;
  return min + (s.lr - min) * f;
}
