/**
 * A store filled by the tests themselves: a small grid (init × method × seed) with eval results,
 * training curves and completions from known formulas, one failed RL job (its eval skipped) and
 * one point that never ran. Shared by the report, claims and CLI tests.
 */
import { expandPoints } from "../../lib/grid/expand.ts";
import { parseSpec } from "../../lib/spec/mod.ts";
import type { JobGraph } from "../../lib/grid/types.ts";
import type { Experiment } from "../../lib/spec/types.ts";
import { createRng } from "../../lib/stats/mod.ts";
import { openStore } from "../../lib/store/mod.ts";

/** The fixture spec: 2 inits × 3 methods × 3 seeds, with claims that hold and one that fails. */
export const FIXTURE_SPEC = `name: fixture
description: "Synthetic grid written by the tests."
base:
  model: { preset: tiny }
  rl: { steps: 40 }
axes:
  init: [base, instruct]
  method: [none, sft, rl]
  seed: [0, 1, 2]
report:
  rows: [init, method]
  metrics: [eval:overall, eval:relation_2d, train:completion_length/mean, train:reflection_rate]
  figures: [train:accuracy, train:completion_length/mean]
  interval: t
  confidence: 0.95
claims:
  - name: rl_beats_sft_on_base
    compare: { metric: eval:overall, a: { init: base, method: rl }, b: { init: base, method: sft },
               relation: greater, margin: 0.05 }
    alpha: 0.05
  - name: length_grows_under_rl
    trend: { metric: "train:completion_length/mean", arm: { init: base, method: rl },
             direction: increasing }
    alpha: 0.05
  - name: instruct_rl_beats_base_rl
    compare: { metric: eval:overall, a: { init: instruct, method: rl }, b: { init: base, method: rl },
               relation: greater, margin: 0.0 }
    alpha: 0.05
`;

export const FAMILIES = ["relation_2d", "count_2d", "depth_3d", "distance_3d"] as const;
/** Questions per family in the synthetic evals. */
export const N_PER_FAMILY = 50;
/** RL and SFT jobs log steps 0..STEPS-1. */
export const STEPS = 40;

/** The point that failed (its rl job failed, its eval was skipped) and the one never run. */
export const FAILED_KEY = "init=instruct,method=rl,seed=2";
export const MISSING_KEY = "init=instruct,method=sft,seed=1";

const BASE_ACC: Record<string, number> = {
  "base/none": 0.3,
  "base/sft": 0.45,
  "base/rl": 0.62,
  "instruct/none": 0.4,
  "instruct/sft": 0.5,
  "instruct/rl": 0.52,
};

/** Correct answers of a point's eval for a family (deterministic, seed-dependent). */
export function correctOf(init: string, method: string, seed: number, family: number): number {
  const acc = BASE_ACC[`${init}/${method}`] + 0.02 * ((seed * 7 + family * 3) % 5 - 2) / 2;
  return Math.round(acc * N_PER_FAMILY);
}

/** The completion-length curve of an RL/SFT job: slope by arm plus seeded noise. */
export function lengthCurve(init: string, method: string, seed: number): number[] {
  const rng = createRng(1000 + seed * 10 + (init === "base" ? 0 : 5) + (method === "rl" ? 1 : 0));
  const slope = method === "rl" ? (init === "base" ? 0.5 : -0.05) : 0;
  return Array.from({ length: STEPS }, (_, s) => 12 + slope * s + (rng.next() - 0.5) * 2);
}

/** The reflection-rate curve: grows under RL from base. */
export function reflectionCurve(init: string, method: string, seed: number): number[] {
  const top = method === "rl" && init === "base" ? 0.4 : 0.05;
  return Array.from({ length: STEPS }, (_, s) => (top * s) / (STEPS - 1) + 0.01 * seed);
}

/** Mean over the last 10% of the step range (steps 0..n-1: step >= 0.9 (n - 1)), as reports define it. */
export function last10(xs: number[]): number {
  const tail = xs.filter((_, step) => step >= 0.9 * (xs.length - 1));
  return tail.reduce((a, b) => a + b, 0) / tail.length;
}

function sqlStr(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Parses the fixture spec. */
export function fixtureExperiment(): Experiment {
  return parseSpec(FIXTURE_SPEC, "tests/report/fixture.yaml");
}

/**
 * Writes the fixture store at `path`; returns the experiment. With `graph` (the spec's real job
 * graph) the store uses its job ids and roles and marks every other job done, as a finished run
 * would leave it, so that the runner finds only the failed and the missing point to do.
 */
export async function writeFixtureStore(
  path: string,
  graph?: JobGraph,
  exp: Experiment = fixtureExperiment(),
): Promise<Experiment> {
  const store = await openStore(path);
  const con = store.con;
  const jobs: string[] = [];
  const points: string[] = [];
  const metrics: string[] = [];
  const evals: string[] = [];
  const completions: string[] = [];
  const written = new Set<string>();
  const job = (id: string, kind: string, status: string, error: string | null, config = "{}") => {
    if (written.has(id)) return;
    written.add(id);
    jobs.push(
      `(${sqlStr(id)}, 'fixture', ${sqlStr(kind)}, ${sqlStr(id)}, ${sqlStr(config)}, '{}', ` +
        `${sqlStr(status)}, 1, NULL, NULL, NULL, ${
          error === null ? "NULL" : sqlStr(error)
        }, NULL, ` +
        `${sqlStr(graph?.codeVersion ?? "test")}, NULL, NULL, NULL, NULL, NULL)`,
    );
  };
  const graphPoints = new Map((graph?.points ?? []).map((p) => [p.key, p]));
  for (const p of expandPoints(exp)) {
    if (p.key === MISSING_KEY) continue;
    const init = String(p.axes.init);
    const method = String(p.axes.method);
    const seed = Number(p.axes.seed);
    const failed = p.key === FAILED_KEY;
    const roles: Record<string, string> = graphPoints.get(p.key)?.jobs ??
      { final: `${p.key}/eval`, ...(method === "none" ? {} : { [method]: `${p.key}/${method}` }) };
    for (const [role, id] of Object.entries(roles)) {
      points.push(
        `('fixture', ${sqlStr(p.key)}, ${sqlStr(JSON.stringify(p.axes))}, ` +
          `${sqlStr(JSON.stringify(p.config))}, ${sqlStr(role)}, ${sqlStr(id)})`,
      );
    }
    for (const role of ["pretrain", "instruct"]) {
      if (roles[role]) job(roles[role], role, "done", null);
    }
    if (method !== "none") {
      const id = roles[method];
      job(
        id,
        method,
        failed ? "failed" : "done",
        failed ? "NumericError: NaN loss at step 17" : null,
      );
      const steps = failed ? 17 : STEPS;
      metrics.push(...trainingRows(id, init, method, seed, steps));
      if (method === "rl" && !failed) {
        completions.push(
          `(${sqlStr(id)}, 30, 'how many red shapes?', ` +
            `'<think> there are two red circles . wait , re-check : three </think> <answer> 3 </answer>', ` +
            `'3', 2.0, NULL)`,
          `(${sqlStr(id)}, 31, 'is the square left of the circle?', ` +
            `'<think> the square is left . </think> <answer> yes </answer>', 'yes', 2.0, NULL)`,
        );
      }
    }
    job(roles.final, "eval", failed ? "skipped" : "done", failed ? "dependency failed" : null);
    if (!failed) {
      FAMILIES.forEach((fam, f) => {
        const c = correctOf(init, method, seed, f);
        evals.push(
          `(${sqlStr(roles.final)}, 0, 'cvbench', '${fam}', ${N_PER_FAMILY}, ${c}, ${
            c / N_PER_FAMILY
          })`,
        );
      });
    }
  }
  await con.run(
    `INSERT INTO experiments VALUES ('fixture', ${sqlStr(exp.hash)}, ${sqlStr(exp.text)}, now())`,
  );
  await con.run(`INSERT INTO jobs VALUES ${jobs.join(",\n")}`);
  await con.run(`INSERT INTO points VALUES ${points.join(",\n")}`);
  await con.run(`INSERT INTO metrics VALUES ${metrics.join(",\n")}`);
  await con.run(`INSERT INTO evaluations VALUES ${evals.join(",\n")}`);
  await con.run(`INSERT INTO completions VALUES ${completions.join(",\n")}`);
  await store.close();
  return exp;
}

/** The metric rows a training job of the fixture logs (as SQL value tuples). */
function trainingRows(id: string, init: string, method: string, seed: number, steps: number) {
  const len = lengthCurve(init, method, seed);
  const refl = reflectionCurve(init, method, seed);
  const rows: string[] = [];
  for (let s = 0; s < steps; s++) {
    rows.push(`(${sqlStr(id)}, ${s}, 'completion_length/mean', ${len[s]})`);
    rows.push(`(${sqlStr(id)}, ${s}, 'reflection_rate', ${refl[s]})`);
    rows.push(`(${sqlStr(id)}, ${s}, 'accuracy', ${accuracyAt(s)})`);
  }
  return rows;
}

/** The training-accuracy curve of every fixture job. */
export function accuracyAt(step: number): number {
  return 0.2 + (0.01 * step) / 2;
}

/** Overall accuracy of a point from the formulas (Σcorrect / Σn). */
export function overallOf(init: string, method: string, seed: number): number {
  let c = 0;
  for (let f = 0; f < FAMILIES.length; f++) c += correctOf(init, method, seed, f);
  return c / (N_PER_FAMILY * FAMILIES.length);
}
