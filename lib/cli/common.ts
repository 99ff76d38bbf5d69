/** Shared pieces of the CLI commands: errors with exit codes, spec loading, run directories. */
import { type Experiment, loadSpec, SpecError } from "../spec/mod.ts";
import { SelectionError } from "../runner/select.ts";
import { RunnerError } from "../runner/run.ts";
import { StoreError } from "../store/db.ts";

/** The spec `ablate` and `status` use when none is given. */
export const DEFAULT_SPEC = "experiments/demo.yaml";

/** A bad command line; exits with code 2 after printing the message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Exit codes of every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** The default run directory of an experiment. */
export function defaultOutDir(exp: Experiment): string {
  return `results/${exp.name}`;
}

/** Load and validate a spec; a SpecError propagates (the caller prints it and exits 2). */
export function loadExperiment(path: string | undefined): Promise<Experiment> {
  return loadSpec(path ?? DEFAULT_SPEC);
}

/** Parse a non-negative integer option. */
export function intOption(
  name: string,
  value: string | undefined,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`--${name} expects an integer >= ${min}, got "${value}"`);
  }
  return Number(value);
}

/**
 * Run a command body, mapping known errors to messages and exit codes: spec, usage and selection
 * errors exit 2; runner and store errors exit 1; anything else is a bug and keeps its stack.
 */
export async function guard(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof SpecError) {
      console.error(e.format());
      console.error(`zerogrid: the spec has ${e.issues.length} problem(s); nothing was written`);
      return EXIT.usage;
    }
    if (e instanceof UsageError || e instanceof SelectionError) {
      console.error(`zerogrid: ${e.message}\n(see \`deno task help\`)`);
      return EXIT.usage;
    }
    if (e instanceof RunnerError || e instanceof StoreError) {
      console.error(`zerogrid: ${e.message}`);
      return EXIT.failed;
    }
    throw e;
  }
}
