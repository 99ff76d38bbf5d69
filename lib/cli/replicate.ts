/**
 * `replicate [SPEC] [options]`: run what is missing of the spec's grid (through `ablate`, which
 * skips finished jobs), write the report, print the claims' verdict table, and exit 0 only when
 * every claim holds.
 */
import { parseArgs } from "node:util";
import { verdictExitCode, verdictText } from "../claims/mod.ts";
import type { JobKind } from "../runner/kind.ts";
import { ablate } from "./ablate.ts";
import { defaultOutDir, EXIT, guard, intOption, loadExperiment, UsageError } from "./common.ts";
import { loadJobKinds } from "./kinds.ts";
import { formatTimings, writeRunReport } from "./report.ts";

/** Options of `replicate`, after parsing. */
export interface ReplicateOptions {
  spec: string | undefined;
  out: string | undefined;
  jobs: number;
  retries: number;
  adapter: string | undefined;
}

/** Parses `replicate`'s arguments. */
export function parseReplicateArgs(args: string[]): ReplicateOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        out: { type: "string" },
        jobs: { type: "string" },
        retries: { type: "string" },
        adapter: { type: "string" },
      },
    });
  } catch (e) {
    throw new UsageError(`replicate: ${(e as Error).message}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new UsageError(`replicate takes one spec file, got ${positionals.join(" ")}`);
  }
  return {
    spec: positionals[0],
    out: values.out,
    jobs: intOption("jobs", values.jobs, 1) ?? 1,
    retries: intOption("retries", values.retries, 0) ?? 0,
    adapter: values.adapter,
  };
}

/**
 * Runs the missing part of the grid with `kinds`, then reports and judges the claims. Returns
 * 0 when every claim holds, 1 when one fails or cannot be tested (or the spec has none and a job
 * failed), 2 for a bad spec, 130 when interrupted.
 */
export async function replicate(
  opts: ReplicateOptions,
  kinds: Map<string, JobKind>,
): Promise<number> {
  const exp = await loadExperiment(opts.spec);
  const runDir = opts.out ?? defaultOutDir(exp);
  const ran = await ablate(
    {
      spec: exp.file,
      plan: false,
      out: runDir,
      jobs: opts.jobs,
      retries: opts.retries,
      shard: undefined,
      only: [],
      adapter: opts.adapter,
    },
    kinds,
  );
  if (ran === EXIT.interrupted || ran === EXIT.usage) return ran;
  const r = await writeRunReport(exp, runDir);
  console.log(`\nreport: ${r.dir}/index.md (${formatTimings(r.timings)})`);
  if (!r.verdicts.length) {
    console.log(`${exp.name} has no claims; exit status follows the run`);
    return ran;
  }
  console.log(`\n${verdictText(r.verdicts)}`);
  const code = verdictExitCode(r.verdicts);
  console.log(code === EXIT.ok ? "\nreplicated: every claim holds" : "\nNOT replicated: see above");
  return code;
}

/** `replicate` entry point for `main.ts`. */
export function replicateCommand(args: string[]): Promise<number> {
  return guard(async () => replicate(parseReplicateArgs(args), await loadJobKinds()));
}
