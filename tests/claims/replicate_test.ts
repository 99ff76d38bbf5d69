/**
 * `replicate` end to end over a store that already holds a finished run except one failed and
 * one missing point: the runner (through `ablate`) runs only those jobs with stand-in kinds, then
 * the report is written and the verdicts decide the exit code.
 */
import assert from "node:assert/strict";
import { replicate } from "../../lib/cli/replicate.ts";
import { codeVersion, expandGraph } from "../../lib/grid/mod.ts";
import { NumericError } from "../../lib/runner/kind.ts";
import type { JobKind } from "../../lib/runner/kind.ts";
import { parseSpec } from "../../lib/spec/mod.ts";
import {
  accuracyAt,
  correctOf,
  FAILED_KEY,
  FAMILIES,
  FIXTURE_SPEC,
  lengthCurve,
  MISSING_KEY,
  N_PER_FAMILY,
  reflectionCurve,
  STEPS,
  writeFixtureStore,
} from "../report/fixture.ts";

/** Stand-in kinds that log the fixture's formulas; `calls` records what the runner ran. */
function standInKinds(calls: string[]): Map<string, JobKind> {
  const train = (name: string): JobKind => ({
    name,
    run(ctx) {
      const c = ctx.job.config as { init: string; seed: number };
      calls.push(`${name} init=${c.init} seed=${c.seed}`);
      if (name === "rl" && c.init === "instruct" && c.seed === 2) {
        throw new NumericError("NaN loss again", 17, {});
      }
      const len = lengthCurve(c.init, name, c.seed);
      const refl = reflectionCurve(c.init, name, c.seed);
      for (let s = 0; s < STEPS; s++) {
        ctx.sink.scalar(s, "completion_length/mean", len[s]);
        ctx.sink.scalar(s, "reflection_rate", refl[s]);
        ctx.sink.scalar(s, "accuracy", accuracyAt(s));
      }
      return Promise.resolve();
    },
  });
  const never = (name: string): JobKind => ({
    name,
    run: () => Promise.reject(new Error(`${name} should already be done`)),
  });
  return new Map([
    ["pretrain", never("pretrain")],
    ["instruct", never("instruct")],
    ["sft", train("sft")],
    ["rl", train("rl")],
    [
      "eval",
      {
        name: "eval",
        run(ctx) {
          // Only the missing point (instruct, sft, seed 1) has an eval left to run.
          const seed = (ctx.job.config as { seed: number }).seed;
          calls.push(`eval seed=${seed}`);
          FAMILIES.forEach((fam, f) =>
            ctx.sink.evaluation(
              0,
              "cvbench",
              fam,
              N_PER_FAMILY,
              correctOf("instruct", "sft", seed, f),
            )
          );
          return Promise.resolve();
        },
      },
    ],
  ]);
}

async function replicateFixture(specText: string) {
  const dir = await Deno.makeTempDir({ prefix: "zerogrid_replicate_" });
  const specFile = `${dir}/fixture.yaml`;
  await Deno.writeTextFile(specFile, specText);
  const exp = parseSpec(specText, specFile);
  const graph = expandGraph(exp, await codeVersion());
  await writeFixtureStore(`${dir}/run/store.duckdb`, graph, exp);
  const calls: string[] = [];
  const code = await replicate(
    { spec: specFile, out: `${dir}/run`, jobs: 1, retries: 0, adapter: undefined },
    standInKinds(calls),
  );
  return { dir, code, calls, read: (rel: string) => Deno.readTextFileSync(`${dir}/run/${rel}`) };
}

Deno.test("replicate: runs only what is missing, reports, exits 1 when a claim fails", async () => {
  const { dir, code, calls, read } = await replicateFixture(FIXTURE_SPEC);
  try {
    assert.deepEqual(calls.sort(), [
      "eval seed=1",
      "rl init=instruct seed=2",
      "sft init=instruct seed=1",
    ]);
    assert.equal(code, 1);
    const index = read("report/index.md");
    assert.match(index, /18 grid points: 17 done, 1 failed, 0 missing/);
    assert.ok(index.includes(`| ${FAILED_KEY} | failed | rl job`));
    assert.ok(!index.includes(`| ${MISSING_KEY} |`), "the missing point ran");
    assert.match(read("report/claims.md"), /instruct_rl_beats_base_rl.*\*\*FAILS\*\*/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("replicate: exits 0 when every claim holds", async () => {
  const holding = FIXTURE_SPEC.slice(
    0,
    FIXTURE_SPEC.indexOf("  - name: instruct_rl_beats_base_rl"),
  );
  const { dir, code, read } = await replicateFixture(holding);
  try {
    assert.equal(code, 0);
    assert.match(read("report/index.md"), /2 of 2 claims hold/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
