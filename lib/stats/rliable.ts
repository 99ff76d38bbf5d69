/**
 * Aggregate metrics of Agarwal et al. (2021), "Deep RL at the Edge of the Statistical Precipice"
 * (the rliable library): interquartile mean over all runs of all tasks, probability of
 * improvement, and percentile intervals from a stratified bootstrap that resamples runs within
 * each task. Scores come as one array of runs (seeds) per task.
 */
import { iqm } from "./descriptive.ts";
import { type Interval, percentileFromDistribution } from "./intervals.ts";
import { createRng, type Rng } from "./rng.ts";

/** Scores per task: `tasks[m]` holds the runs (seeds) of task m. */
export type TaskScores = readonly ArrayLike<number>[];

/** Settings of a stratified bootstrap (percentile interval, as rliable's default). */
export interface StratifiedBootstrapConfig {
  confidence: number;
  resamples: number;
  seed: number;
}

/** IQM over every run of every task (scipy `trim_mean(scores, 0.25, axis=None)`). */
export function aggregateIqm(tasks: TaskScores): number {
  return iqm(flatten(tasks));
}

/**
 * Probability that a run of X beats a run of Y on the same task, ties counting half,
 * averaged over tasks (rliable `probability_of_improvement`: U / (n_x n_y) per task).
 */
export function probabilityOfImprovement(x: TaskScores, y: TaskScores): number {
  if (x.length !== y.length || x.length === 0) {
    throw new RangeError(
      `probability of improvement needs equal task counts, got ${x.length}, ${y.length}`,
    );
  }
  let total = 0;
  for (let m = 0; m < x.length; m++) {
    const xs = x[m];
    const ys = y[m];
    if (xs.length === 0 || ys.length === 0) throw new RangeError(`task ${m} has no runs`);
    let wins = 0;
    for (let i = 0; i < xs.length; i++) {
      for (let j = 0; j < ys.length; j++) {
        wins += xs[i] > ys[j] ? 1 : xs[i] === ys[j] ? 0.5 : 0;
      }
    }
    total += wins / (xs.length * ys.length);
  }
  return total / x.length;
}

/** One stratified resample: runs drawn with replacement within each task. */
export function stratifiedResample(tasks: TaskScores, rng: Rng): Float64Array[] {
  return tasks.map((runs) => {
    const out = new Float64Array(runs.length);
    for (let i = 0; i < runs.length; i++) out[i] = runs[rng.int(runs.length)];
    return out;
  });
}

/** IQM with a stratified-bootstrap percentile interval. */
export function iqmInterval(tasks: TaskScores, config: StratifiedBootstrapConfig): Interval {
  const rng = createRng(config.seed);
  const dist = new Float64Array(config.resamples);
  // One buffer for every resample: this loop runs tens of thousands of times per arm.
  const buf = new Float64Array(tasks.reduce((s, t) => s + t.length, 0));
  const cut = Math.floor(0.25 * buf.length);
  const kept = buf.length - 2 * cut;
  for (let b = 0; b < config.resamples; b++) {
    let k = 0;
    for (const runs of tasks) {
      for (let i = 0; i < runs.length; i++) buf[k++] = runs[rng.int(runs.length)];
    }
    sortSmall(buf);
    let s = 0;
    for (let i = cut; i < buf.length - cut; i++) s += buf[i];
    dist[b] = s / kept;
  }
  const iv = percentileFromDistribution(aggregateIqm(tasks), dist, config.confidence);
  return { ...iv, n: buf.length };
}

/** Probability of improvement of X over Y with an interval from independent stratified resamples. */
export function probabilityOfImprovementInterval(
  x: TaskScores,
  y: TaskScores,
  config: StratifiedBootstrapConfig,
): Interval {
  const rng = createRng(config.seed);
  const dist = new Float64Array(config.resamples);
  for (let b = 0; b < config.resamples; b++) {
    dist[b] = probabilityOfImprovement(stratifiedResample(x, rng), stratifiedResample(y, rng));
  }
  const iv = percentileFromDistribution(probabilityOfImprovement(x, y), dist, config.confidence);
  return { ...iv, n: flatten(x).length + flatten(y).length };
}

/** Ascending in-place sort; insertion sort for the few dozen runs of an arm beats the builtin. */
function sortSmall(a: Float64Array): void {
  if (a.length > 64) {
    a.sort();
    return;
  }
  for (let i = 1; i < a.length; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

function flatten(tasks: TaskScores): Float64Array {
  const n = tasks.reduce((s, t) => s + t.length, 0);
  const out = new Float64Array(n);
  let k = 0;
  for (const t of tasks) for (let i = 0; i < t.length; i++) out[k++] = t[i];
  return out;
}
