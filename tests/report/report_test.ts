import assert from "node:assert/strict";
import { expandPoints } from "../../lib/grid/expand.ts";
import { buildReport, loadReportData, parseMetricRef } from "../../lib/report/mod.ts";
import { buildCell } from "../../lib/report/cells.ts";
import { cellText } from "../../lib/report/tables.ts";
import { iqm, tInterval } from "../../lib/stats/mod.ts";
import { openStore } from "../../lib/store/mod.ts";
import { reportCommand } from "../../lib/cli/report.ts";
import {
  correctOf,
  FAILED_KEY,
  FAMILIES,
  FIXTURE_SPEC,
  last10,
  lengthCurve,
  MISSING_KEY,
  N_PER_FAMILY,
  overallOf,
  reflectionCurve,
  writeFixtureStore,
} from "./fixture.ts";

const OPTS = {
  curveBins: 100,
  completionSamples: 3,
  bootstrap: { method: "percentile" as const, resamples: 2000, seed: 0 },
};

async function fixtureReport() {
  const dir = await Deno.makeTempDir({ prefix: "zerogrid_report_" });
  const exp = await writeFixtureStore(`${dir}/store.duckdb`);
  const store = await openStore(`${dir}/store.duckdb`, { readOnly: true });
  try {
    const result = await buildReport(store, exp, expandPoints(exp), {
      ...OPTS,
      outDir: `${dir}/report`,
    });
    const read = (rel: string) => Deno.readTextFileSync(`${dir}/report/${rel}`);
    return { dir, exp, result, read };
  } finally {
    await store.close();
  }
}

/** "62.3 ± 0.7" for per-seed accuracies, computed here from the fixture's formulas. */
function expectedCell(values: number[]): string {
  const iv = tInterval(values, 0.95);
  return `${(iv.estimate * 100).toFixed(1)} ± ${(((iv.hi - iv.lo) / 2) * 100).toFixed(1)}`;
}

Deno.test("report: tables from a test-filled store (values, n, failed, missing, n/a, bold)", async () => {
  const { dir, read } = await fixtureReport();
  try {
    const md = read("tables/main.md");
    const line = (init: string, method: string) =>
      md.split("\n").find((l) => l.startsWith(`| ${init} | ${method} |`))!;
    // base/rl: 3 seeds, best overall → bold, t interval from the formulas.
    const baseRl = expectedCell([0, 1, 2].map((s) => overallOf("base", "rl", s)));
    assert.ok(line("base", "rl").includes(`**${baseRl}**`), line("base", "rl"));
    const baseSft = expectedCell([0, 1, 2].map((s) => overallOf("base", "sft", s)));
    assert.ok(
      line("base", "sft").includes(`| ${baseSft} |`),
      `${line("base", "sft")} vs ${baseSft}`,
    );
    // The failed point (seed 2) and the missing point (seed 1) are counted, not dropped.
    const instRl = expectedCell([0, 1].map((s) => overallOf("instruct", "rl", s)));
    assert.ok(line("instruct", "rl").includes(`${instRl} (n=2; 1 failed)`), line("instruct", "rl"));
    assert.ok(line("instruct", "sft").includes("(n=2; 1 missing)"), line("instruct", "sft"));
    // Train metrics do not apply to method none.
    assert.match(line("base", "none"), /\| n\/a \| n\/a \|$/);
    // train:completion_length/mean = mean of the last 10% of steps, averaged over seeds.
    const lens = [0, 1, 2].map((s) => last10(lengthCurve("base", "rl", s)));
    const iv = tInterval(lens, 0.95);
    assert.ok(
      line("base", "rl").includes(
        `${iv.estimate.toFixed(1)} ± ${((iv.hi - iv.lo) / 2).toFixed(1)}`,
      ),
    );
    const refl = [0, 1, 2].map((s) => last10(reflectionCurve("base", "rl", s)) * 100);
    assert.ok(line("base", "rl").includes(`${(refl.reduce((a, b) => a + b) / 3).toFixed(1)} ±`));
    assert.match(md, /95% Student-t confidence interval/);
    assert.match(md, /n = 3 seeds per cell unless marked/);

    const tex = read("tables/main.tex");
    for (const k of ["\\toprule", "\\midrule", "\\bottomrule", "\\begin{tabular}{llrrrr}"]) {
      assert.ok(tex.includes(k), k);
    }
    assert.ok(tex.includes(`$\\mathbf{${baseRl.replace("±", "\\pm")}}$`));
    assert.ok(tex.includes("{\\scriptsize(n=2; 1 failed)}"));
    assert.ok(tex.includes("relation\\_2d"), "underscores escaped");

    // rliable view: IQM over the 12 (seed, family) accuracies of base/rl; P(base/rl > base/none) = 1.
    const runs = [0, 1, 2].flatMap((seed) =>
      FAMILIES.map((_, f) => correctOf("base", "rl", seed, f) / N_PER_FAMILY)
    );
    const iqmMd = read("tables/aggregate_iqm.md");
    assert.ok(
      iqmMd.includes(`| init=base, method=rl | ${(iqm(runs) * 100).toFixed(1)} [`),
      iqmMd,
    );
    assert.match(
      read("tables/aggregate_poi.md"),
      /\| A3: init=base, method=rl \| 1\.00 \| 1\.00 \| {2}\|/,
    );
    assert.ok(read("tables/aggregate_iqm.tex").includes("\\toprule"));

    const index = read("index.md");
    assert.match(index, /18 grid points: 16 done, 1 failed, 1 missing/);
    assert.ok(
      index.includes(`| ${FAILED_KEY} | failed | rl job ${FAILED_KEY}/rl failed: NumericError`),
    );
    assert.ok(index.includes(`| ${MISSING_KEY} | missing |`));
    assert.match(index, /figures\/train_completion_length_mean\.svg/);
    assert.match(index, /2 of 3 claims hold/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report: SVG training curves via Vega-Lite, one line and band per arm", async () => {
  const { dir, read } = await fixtureReport();
  try {
    for (const name of ["train_accuracy", "train_completion_length_mean"]) {
      const svg = read(`figures/${name}.svg`);
      assert.ok(svg.startsWith("<svg"), name);
      // 4 trained arms → 4 lines and 4 bands.
      assert.equal(svg.match(/aria-roledescription="line mark"/g)?.length, 4, `${name} lines`);
      assert.equal(svg.match(/aria-roledescription="area mark"/g)?.length, 4, `${name} bands`);
      const spec = JSON.parse(read(`figures/${name}.vl.json`));
      const values = spec.data.values as {
        arm: string;
        step: number;
        n: number;
        lo: number;
        hi: number;
        mean: number;
      }[];
      const arms = new Set(values.map((v) => v.arm));
      assert.deepEqual([...arms].sort(), [
        "init=base, method=rl",
        "init=base, method=sft",
        "init=instruct, method=rl",
        "init=instruct, method=sft",
      ]);
      for (const v of values) assert.ok(v.lo <= v.mean && v.mean <= v.hi);
      // The failed seed of instruct/rl is left out: 2 seeds per bin.
      assert.ok(values.filter((v) => v.arm === "init=instruct, method=rl").every((v) => v.n === 2));
      assert.equal(values.filter((v) => v.arm === "init=base, method=rl").length, 40);
      assert.ok((svg.match(/<path/g) ?? []).length > 8);
    }
    const comp = read("completions.md");
    assert.match(comp, /wait , re-check/);
    assert.match(comp, /Reflection words: wait, re-check/);
    assert.doesNotMatch(
      comp,
      /the square is left \. <\/think>/,
      "no completion without reflection",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report: bootstrap cells show the interval as a range, reproducibly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zerogrid_report_" });
  try {
    const exp = await writeFixtureStore(`${dir}/store.duckdb`);
    const store = await openStore(`${dir}/store.duckdb`, { readOnly: true });
    const data = await loadReportData(store, {
      experiment: "fixture",
      expected: expandPoints(exp),
      trainScalars: [],
      curves: [],
      curveBins: 10,
      completionSamples: 0,
      reflectionWords: [],
    });
    await store.close();
    const m = parseMetricRef("eval:overall");
    const cfg = {
      kind: "bootstrap" as const,
      confidence: 0.9,
      bootstrap: { method: "percentile" as const, resamples: 1000, seed: 5 },
    };
    const cell = buildCell(data, { init: "base", method: "rl" }, m, cfg);
    assert.deepEqual(cell.seeds, [0, 1, 2]);
    const text = cellText(cell, m, 3, "bootstrap");
    assert.equal(text.spread?.kind, "range");
    assert.deepEqual(
      buildCell(data, { init: "base", method: "rl" }, m, cfg).interval,
      cell.interval,
    );
    const failedCell = buildCell(data, { init: "instruct", method: "rl" }, m, cfg);
    assert.equal(failedCell.failed, 1);
    assert.ok(failedCell.reasons.some((r) => r.includes("NumericError")));
    // A cell whose only seed failed reads "— (1 failed)".
    const lone = buildCell(data, { init: "instruct", method: "rl", seed: 2 }, m, cfg);
    assert.deepEqual(cellText(lone, m, 3, "bootstrap"), {
      main: "—",
      spread: null,
      note: "1 failed",
      bold: false,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report command: writes <out>/report from the run's store; no store exits 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zerogrid_report_cli_" });
  try {
    const specFile = `${dir}/fixture.yaml`;
    await Deno.writeTextFile(specFile, FIXTURE_SPEC);
    await writeFixtureStore(`${dir}/run/store.duckdb`);
    assert.equal(await reportCommand([specFile, "--out", `${dir}/run`]), 0);
    assert.match(await Deno.readTextFile(`${dir}/run/report/index.md`), /# Report: fixture/);
    assert.equal(await reportCommand([specFile, "--out", `${dir}/empty`]), 1);
    assert.equal(await reportCommand([specFile, "extra.yaml"]), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
