/** `report [SPEC] [--out DIR]`: tables, figures, completions and claim verdicts of a run. */
import { parseArgs } from "node:util";
import { verdictText } from "../claims/mod.ts";
import { expandPoints } from "../grid/expand.ts";
import { buildReport, type ReportOptions, type ReportResult } from "../report/mod.ts";
import type { Experiment } from "../spec/types.ts";
import { openStore, StoreError, storePath } from "../store/mod.ts";
import { exists } from "../util/fs.ts";
import { defaultOutDir, EXIT, guard, loadExperiment, UsageError } from "./common.ts";

/**
 * Report settings that the spec does not carry, stated in the report's captions: curve binning,
 * how many completions to show, and the bootstrap used when the spec asks for `interval: bootstrap`.
 */
export const REPORT_SETTINGS: Omit<ReportOptions, "outDir"> = {
  curveBins: 100,
  completionSamples: 6,
  bootstrap: { method: "percentile", resamples: 10000, seed: 0 },
};

/** Options of `report`, after parsing. */
export interface ReportArgs {
  spec: string | undefined;
  out: string | undefined;
}

/** Parses `report`'s arguments. */
export function parseReportArgs(args: string[]): ReportArgs {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { out: { type: "string" } } });
  } catch (e) {
    throw new UsageError(`report: ${(e as Error).message}`);
  }
  if (parsed.positionals.length > 1) {
    throw new UsageError(`report takes one spec file, got ${parsed.positionals.join(" ")}`);
  }
  return { spec: parsed.positionals[0], out: parsed.values.out };
}

/** Writes `<runDir>/report/` for an experiment from the store in `runDir`. */
export async function writeRunReport(exp: Experiment, runDir: string): Promise<ReportResult> {
  const path = storePath(runDir);
  if (!(await exists(path))) {
    throw new StoreError(`no results yet; run \`deno task ablate ${exp.file}\` first`, path);
  }
  const store = await openStore(path, { readOnly: true });
  try {
    return await buildReport(store, exp, expandPoints(exp), {
      ...REPORT_SETTINGS,
      outDir: `${runDir}/report`,
    });
  } finally {
    await store.close();
  }
}

/** One line per phase, e.g. `load 120 ms, claims 3 ms, ...`. */
export function formatTimings(t: Record<string, number>): string {
  return Object.entries(t).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(", ");
}

/** `report` entry point for `main.ts`. */
export function reportCommand(args: string[]): Promise<number> {
  return guard(async () => {
    const opts = parseReportArgs(args);
    const exp = await loadExperiment(opts.spec);
    const runDir = opts.out ?? defaultOutDir(exp);
    const r = await writeRunReport(exp, runDir);
    const count = (s: string) => r.data.points.filter((p) => p.status === s).length;
    console.log(
      `${exp.name}: ${r.data.points.length} points (${count("done")} done, ${count("failed")} ` +
        `failed, ${count("missing")} missing); ${r.files.length} files in ${r.dir} ` +
        `(${formatTimings(r.timings)})`,
    );
    if (r.verdicts.length) console.log(`\n${verdictText(r.verdicts)}`);
    console.log(`\nopen ${r.dir}/index.md`);
    return EXIT.ok;
  });
}
