/**
 * Store ingest: metric rows per second through the runner's sink (buffer, then one commit through
 * the appender in column-wise chunks), against a row-at-a-time appender baseline measured in the
 * same run. Target: at least 500,000 rows/s end to end.
 */
import process from "node:process";
import {
  beginAttempt,
  createJobSink,
  finishJob,
  openStore,
  registerExperiment,
  saveCheckpoint,
  storePath,
  upsertJobs,
} from "../lib/store/mod.ts";

const NAMES = [
  "loss",
  "lr",
  "grad_norm",
  "tokens_per_s",
  "reward",
  "reward/format",
  "reward/accuracy",
  "kl",
  "entropy",
  "completion_length/mean",
];

/** Runs the suite and prints its table. */
export async function bench(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zg_bench_store_" });
  try {
    const store = await openStore(storePath(dir));
    const ids = ["sink_once", "sink_ckpt", "row_appender"];
    await registerExperiment(store, { name: "bench", hash: "h", text: "" });
    await upsertJobs(
      store,
      "bench",
      ids.map((id) => ({ id, kind: "bench", config: {}, inputs: {}, label: id })),
      "bench",
    );
    const rowsTotal = 1_000_000;
    const steps = rowsTotal / NAMES.length;
    const results: { case: string; rows: number; seconds: number; cpu: number }[] = [];
    // CPU seconds of this process (all threads, DuckDB's included): on a shared machine the
    // wall-clock rate depends on the load, rows per CPU-second much less.
    let c0 = process.cpuUsage();
    const cpu = () => {
      const d = process.cpuUsage(c0);
      return (d.user + d.system) / 1e6;
    };

    // 1. The sink, one commit at the end (a job without checkpoints).
    await beginAttempt(store, "sink_once", { denoVersion: Deno.version.deno, adapter: null });
    let t0 = performance.now();
    c0 = process.cpuUsage();
    const once = createJobSink("sink_once");
    for (let s = 0; s < steps; s++) {
      for (let k = 0; k < NAMES.length; k++) once.scalar(s, NAMES[k], s * 1e-3 + k);
    }
    await finishJob(store, once, 0, null);
    results.push({
      case: "sink, 1 commit",
      rows: rowsTotal,
      seconds: (performance.now() - t0) / 1e3,
      cpu: cpu(),
    });

    // 2. The sink with a checkpoint commit every 1,000 steps (10,000 rows per transaction).
    await beginAttempt(store, "sink_ckpt", { denoVersion: Deno.version.deno, adapter: null });
    t0 = performance.now();
    c0 = process.cpuUsage();
    const ck = createJobSink("sink_ckpt");
    const state = new Uint8Array(4096);
    for (let s = 0; s < steps; s++) {
      for (let k = 0; k < NAMES.length; k++) ck.scalar(s, NAMES[k], s * 1e-3 + k);
      if ((s + 1) % 1000 === 0) await saveCheckpoint(store, ck, state);
    }
    await finishJob(store, ck, 0, null);
    results.push({
      case: "sink, commit per 10k rows + 4 KiB checkpoint",
      rows: rowsTotal,
      seconds: (performance.now() - t0) / 1e3,
      cpu: cpu(),
    });

    // 3. Baseline: one appender call per value, in one transaction.
    t0 = performance.now();
    c0 = process.cpuUsage();
    await store.write(async (con) => {
      const a = await con.createAppender("metrics");
      for (let s = 0; s < steps; s++) {
        for (let k = 0; k < NAMES.length; k++) {
          a.appendVarchar("row_appender");
          a.appendBigInt(BigInt(s));
          a.appendVarchar(NAMES[k]);
          a.appendDouble(s * 1e-3 + k);
          a.endRow();
        }
      }
      a.flushSync();
      a.closeSync();
    });
    results.push({
      case: "baseline: row-at-a-time appender",
      rows: rowsTotal,
      seconds: (performance.now() - t0) / 1e3,
      cpu: cpu(),
    });
    await store.close();

    const base = results[2].rows / results[2].seconds;
    const fmt = (x: number) => Math.round(x).toLocaleString("en");
    console.log("| case | rows | wall s | rows/s (wall) | vs baseline | CPU s | rows per CPU-s |");
    console.log("|---|---:|---:|---:|---:|---:|---:|");
    for (const r of results) {
      const rate = r.rows / r.seconds;
      console.log(
        `| ${r.case} | ${fmt(r.rows)} | ${r.seconds.toFixed(3)} | ${fmt(rate)} | ` +
          `${(rate / base).toFixed(2)}x | ${r.cpu.toFixed(3)} | ${fmt(r.rows / r.cpu)} |`,
      );
    }
    let load = "?";
    try {
      load = (await Deno.readTextFile("/proc/loadavg")).split(" ")[0];
    } catch { /* not Linux */ }
    console.log(
      `target: >= 500,000 rows/s through the sink; ${navigator.hardwareConcurrency} cores, ` +
        `load average ${load} during the run`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await bench();
