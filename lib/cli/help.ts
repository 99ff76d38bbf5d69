/** The CLI reference printed by `help` (and mirrored in README.md). */

/** Usage text of every command. */
export const HELP =
  `zerogrid: ablation grids for R1-Zero-style training of small vision-language models

usage: deno task <command> [args]      (or: deno run -A main.ts <command> [args])

  ablate [SPEC] [options]     expand SPEC (default experiments/demo.yaml) into jobs, run them,
                              then write the report (not for --plan, --shard or a stopped run)
      --plan                  print the jobs, the DAG and what is already done; run nothing
      --out DIR               run directory (default results/<experiment name>/)
      --jobs N                jobs running at once (default 1)
      --retries N             extra attempts after a transient error such as a lost GPU (default 0)
      --shard i/n             run shard i (0-based) of n: whole grid points, with their stages
      --only KEY=VALUE        keep points whose axis KEY has VALUE (repeat; same KEY = either)
      --adapter NAME          use the WebGPU adapter whose description contains NAME
  status [SPEC] [--out DIR]   jobs by kind and status, failures, resumable jobs, row counts
  report [SPEC] ...           tables, figures and claim verdicts from a run (see README)
  replicate [SPEC] ...        run and check the spec's claims (see README)
  export --parquet DIR [SPEC] [--out RUN_DIR]
                              write every store table as DIR/<table>.parquet
  merge --out DIR SHARD_DIR...
                              fold shard run directories into one, without duplicates
  help                        this text

exit codes: 0 ok; 1 some job failed, was skipped, or a runtime error; 2 bad arguments or spec
(nothing written); 130 stopped by SIGINT/SIGTERM (rerun to resume). A second SIGINT/SIGTERM exits
at once (130, or killed after 1 s when a job holds the main thread in a long synchronous step).
`;

/** `help` entry point. */
export function helpCommand(): Promise<number> {
  console.log(HELP);
  return Promise.resolve(0);
}
