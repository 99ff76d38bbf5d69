/**
 * Report generation over a store with 1,000,000 metric rows (a paper-sized grid: 2 inits ×
 * 4 methods × length reward off/on × 5 seeds, 60 training jobs × 10 metrics × 1,667 steps),
 * built quickly with DuckDB SQL. Target: the whole report (queries, claims, tables, 4 SVG
 * figures, completions, index) under 2 s.
 */
import process from "node:process";
import { expandPoints } from "../lib/grid/expand.ts";
import { buildReport } from "../lib/report/mod.ts";
import { parseSpec } from "../lib/spec/mod.ts";
import { openStore, storePath } from "../lib/store/mod.ts";
import { REPORT_SETTINGS } from "../lib/cli/report.ts";

const SPEC = `name: bench_report
axes:
  init: [base, instruct]
  method: [none, sft, rl, sft_rl]
  rl.length_reward.enabled: [false, true]
  seed: [0, 1, 2, 3, 4]
report:
  rows: [init, method]
  columns: [rl.length_reward.enabled]
  metrics: [eval:overall, eval:relation_2d, eval:count_2d, eval:depth_3d, eval:distance_3d,
            train:completion_length/mean, train:reflection_rate]
  figures: [train:accuracy, train:completion_length/mean, train:reflection_rate, train:reward]
  interval: t
  confidence: 0.95
claims:
  - name: rl_beats_sft_on_base
    compare: { metric: eval:overall, a: { init: base, method: rl }, b: { init: base, method: sft },
               relation: greater, margin: 0.0 }
    alpha: 0.05
  - name: length_grows_under_rl
    trend: { metric: "train:completion_length/mean", arm: { init: base, method: rl },
             direction: increasing }
    alpha: 0.05
`;

const NAMES = [
  "accuracy",
  "completion_length/mean",
  "reflection_rate",
  "reward",
  "loss",
  "kl",
  "entropy",
  "grad_norm",
  "lr",
  "format_rate",
];
const ROWS = 1_000_000;

function q(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Builds the bench store in `dir`; returns the metric row count and seconds taken. */
async function buildStore(dir: string) {
  const t0 = performance.now();
  const exp = parseSpec(SPEC, "bench/report.ts#SPEC");
  const points = expandPoints(exp);
  const trained = points.filter((p) => p.axes.method !== "none");
  const steps = Math.ceil(ROWS / (trained.length * NAMES.length));
  const store = await openStore(storePath(dir));
  const con = store.con;
  const pointRows: string[] = [];
  const jobRows: string[] = [];
  const trainRows: string[] = [];
  points.forEach((p, i) => {
    const method = String(p.axes.method);
    const roles: Record<string, string> = { final: `eval_${i}` };
    if (method !== "none") roles[method === "sft" ? "sft" : "rl"] = `train_${i}`;
    for (const [role, id] of Object.entries(roles)) {
      pointRows.push(
        `('bench_report', ${q(p.key)}, ${q(JSON.stringify(p.axes))}, ${
          q(JSON.stringify(p.config))
        }, ` +
          `${q(role)}, ${q(id)})`,
      );
      jobRows.push(`(${q(id)}, 'bench_report', ${q(role)}, ${q(id)}, '{}', '{}', 'done', 1)`);
    }
    if (roles.rl || roles.sft) {
      const slope = method === "rl" && p.axes.init === "base" ? 0.01 : 0.001;
      trainRows.push(`(${q(`train_${i}`)}, ${slope}, ${method === "none" ? 0 : 1})`);
    }
  });
  await con.run(
    `INSERT INTO jobs (job_id, experiment, kind, label, config, inputs, status, attempts,
       code_version) SELECT *, 'bench' FROM (VALUES ${jobRows.join(",")})`,
  );
  await con.run(`INSERT INTO points VALUES ${pointRows.join(",")}`);
  await con.run(`CREATE TEMP TABLE tj (job_id VARCHAR, slope DOUBLE, k INTEGER)`);
  await con.run(`INSERT INTO tj VALUES ${trainRows.join(",")}`);
  await con.run(`CREATE TEMP TABLE nm (name VARCHAR)`);
  await con.run(`INSERT INTO nm VALUES ${NAMES.map((n) => `(${q(n)})`).join(",")}`);
  // Deterministic pseudo-noise from a hash, so the store is the same every run.
  await con.run(
    `INSERT INTO metrics
     SELECT tj.job_id, r.range, nm.name,
       0.2 + tj.slope * r.range / 10 + (hash(tj.job_id, r.range, nm.name) % 1000) / 20000.0
     FROM tj, nm, range(0, ${steps}) r`,
  );
  await con.run(
    `INSERT INTO evaluations
     SELECT 'eval_' || p.i, 0, 'cvbench', f.family, 50,
       (20 + hash(p.i, f.family) % 20)::INTEGER, 0
     FROM range(0, ${points.length}) p(i),
       (VALUES ('relation_2d'), ('count_2d'), ('depth_3d'), ('distance_3d')) f(family)`,
  );
  await con.run(`UPDATE evaluations SET accuracy = correct / n`);
  await con.run(
    `INSERT INTO completions
     SELECT tj.job_id, r.range * 10, 'how many shapes?',
       CASE WHEN r.range % 3 = 0 THEN '<think> two . wait , verify : three </think> <answer> 3 </answer>'
            ELSE '<think> three </think> <answer> 3 </answer>' END, '3', 1.0, NULL
     FROM tj, range(0, 100) r`,
  );
  const n = Number((await con.runAndReadAll("SELECT count(*) FROM metrics")).getRows()[0][0]);
  await store.close();
  return { exp, points, metricRows: n, seconds: (performance.now() - t0) / 1000 };
}

/** Runs the suite and prints its table. */
export async function bench(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zg_bench_report_" });
  try {
    const built = await buildStore(dir);
    console.log(
      `store: ${
        built.metricRows.toLocaleString("en")
      } metric rows, ${built.points.length} points, ` +
        `built in ${built.seconds.toFixed(2)} s`,
    );
    const rows: string[][] = [];
    for (let run = 0; run < 3; run++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const store = await openStore(storePath(dir), { readOnly: true });
      const r = await buildReport(store, built.exp, built.points, {
        ...REPORT_SETTINGS,
        outDir: `${dir}/report`,
      });
      await store.close();
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      const t = r.timings;
      rows.push([
        run === 0 ? "first (cold)" : `repeat ${run}`,
        wall.toFixed(2),
        ((cpu.user + cpu.system) / 1e6).toFixed(2),
        ...["load", "claims", "tables", "figures", "write"].map((k) => (t[k] / 1000).toFixed(2)),
        String(r.files.length),
        wall < 2 ? "yes" : "NO",
      ]);
    }
    const head = [
      "run",
      "wall s",
      "cpu s",
      "load",
      "claims",
      "tables",
      "figures",
      "write",
      "files",
      "< 2 s",
    ];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => c.padStart(w[i])).join("  ");
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    console.log("target: full report over 1,000,000 metric rows in under 2 s (wall)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await bench();
