/** The narrow contract between the runner and whatever a job kind does (train, eval, ...). */
import type { Job } from "../grid/types.ts";

/** One sampled completion, kept for reading the "aha" moments. */
export interface CompletionRecord {
  step: number;
  prompt: string;
  completion: string;
  answer: string;
  reward: number;
  /** Extra per-completion numbers (reward components, length, ...). */
  extra?: Record<string, number>;
}

/** Where a job's numbers go. Writes are buffered; the runner commits them atomically with progress. */
export interface MetricSink {
  /** A scalar at a training step, long format: (step, name, value). */
  scalar(step: number, name: string, value: number): void;
  /** Benchmark result for one family at a step. */
  evaluation(step: number, benchmark: string, family: string, n: number, correct: number): void;
  completion(record: CompletionRecord): void;
}

/** A job's durable scratch space for resuming after a crash. */
export interface Checkpointer {
  /** The latest saved state, or null when the job starts fresh. */
  load(): Promise<Uint8Array | null>;
  /** Persist state atomically; buffered metrics up to this point are committed with it. */
  save(state: Uint8Array): Promise<void>;
}

/** Everything a job kind may touch while running. */
export interface JobContext {
  job: Job;
  /** Directory owned by this job for its artifact (e.g. `model.bin`); created by the runner. */
  artifactDir: string;
  /** Artifact directories of this job's inputs, by the same role names as `job.inputs`. */
  inputDirs: Record<string, string>;
  sink: MetricSink;
  checkpoint: Checkpointer;
  /** Aborted on SIGINT/SIGTERM: finish the current step, save, and return. */
  signal: AbortSignal;
  /** Report progress of the current job (shown with ETA by the runner). */
  progress(step: number, total: number): void;
  /** Shared resources the runner hands to kinds (e.g. the GPU device), keyed by name. */
  resources: Record<string, unknown>;
}

/** A job kind: what the runner calls to realise a job. */
export interface JobKind {
  name: string;
  run(ctx: JobContext): Promise<void>;
}

/** Thrown by a kind when a numeric failure (NaN/Inf) ends the job; carries the diagnosis. */
export class NumericError extends Error {
  constructor(message: string, readonly step: number, readonly detail: Record<string, unknown>) {
    super(message);
    this.name = "NumericError";
  }
}

/** Thrown for failures worth retrying (e.g. a lost GPU device). */
export class TransientError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransientError";
  }
}
