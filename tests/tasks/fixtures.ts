/** Shared small data config for the tasks tests. */
import type { DataConfig } from "../../lib/tasks/mod.ts";

/** The CONFIG.md defaults with a smaller pool, so tests stay fast. */
export const DATA: DataConfig = {
  image_size: 24,
  min_objects: 2,
  max_objects: 5,
  train_scenes: 300,
  bench_per_family: 50,
  trace_error_rate: 0.2,
};
