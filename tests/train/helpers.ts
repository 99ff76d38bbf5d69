/** A fake runner context for trainer tests: in-memory checkpoints, a collecting sink. */
import type { CompletionRecord, JobContext } from "../../lib/runner/kind.ts";
import type { JobConfig } from "../../lib/spec/types.ts";
import type { Gpu } from "../../lib/gpu/context.ts";

/** What a fake context recorded. */
export interface Recorded {
  scalars: { step: number; name: string; value: number }[];
  evals: { step: number; benchmark: string; family: string; n: number; correct: number }[];
  completions: CompletionRecord[];
  checkpoint: Uint8Array | null;
  saves: number;
}

/** A context for `kind` with `config`; `abortAfter` aborts once progress reaches that step. */
export function fakeContext(
  gpu: Gpu,
  kind: string,
  config: JobConfig,
  artifactDir: string,
  inputDirs: Record<string, string>,
  rec: Recorded,
  abortAfter?: number,
): JobContext {
  const ac = new AbortController();
  return {
    job: { id: `test-${kind}`, kind, config, inputs: {}, label: kind },
    artifactDir,
    inputDirs,
    sink: {
      scalar: (step, name, value) => rec.scalars.push({ step, name, value }),
      evaluation: (step, benchmark, family, n, correct) =>
        rec.evals.push({ step, benchmark, family, n, correct }),
      completion: (c) => rec.completions.push(c),
    },
    checkpoint: {
      load: () => Promise.resolve(rec.checkpoint),
      save: (s) => {
        rec.checkpoint = s;
        rec.saves++;
        return Promise.resolve();
      },
    },
    signal: ac.signal,
    progress: (step) => {
      if (abortAfter !== undefined && step >= abortAfter) ac.abort();
    },
    resources: { gpu },
  };
}

/** An empty record. */
export function recorded(): Recorded {
  return { scalars: [], evals: [], completions: [], checkpoint: null, saves: 0 };
}
