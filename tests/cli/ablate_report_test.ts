/** `ablate` writes the run's report after the grid; a plan writes none. */
import assert from "node:assert/strict";
import { ablateAndReport } from "../../lib/cli/ablate.ts";
import { codeVersion, expandGraph } from "../../lib/grid/mod.ts";
import type { JobKind } from "../../lib/runner/kind.ts";
import { parseSpec } from "../../lib/spec/mod.ts";
import { FIXTURE_SPEC, writeFixtureStore } from "../report/fixture.ts";

/** Stand-ins for the jobs the fixture store lacks (a failed rl job and a missing point). */
function kinds(): Map<string, JobKind> {
  const ok = (name: string): JobKind => ({ name, run: () => Promise.resolve() });
  return new Map(["pretrain", "instruct", "sft", "rl", "eval"].map((k) => [k, ok(k)]));
}

Deno.test("ablate: after the grid runs, the report is written under <out>/report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zerogrid_ablate_report_" });
  try {
    const specFile = `${dir}/fixture.yaml`;
    await Deno.writeTextFile(specFile, FIXTURE_SPEC);
    const exp = parseSpec(FIXTURE_SPEC, specFile);
    await writeFixtureStore(`${dir}/run/store.duckdb`, expandGraph(exp, await codeVersion()), exp);
    const base = {
      spec: specFile,
      out: `${dir}/run`,
      jobs: 1,
      retries: 0,
      only: [],
      shard: undefined,
      adapter: undefined,
    };
    const planned = await ablateAndReport({ ...base, plan: true }, kinds());
    assert.equal(planned, 0);
    await assert.rejects(Deno.stat(`${dir}/run/report/index.md`), Deno.errors.NotFound);
    const code = await ablateAndReport({ ...base, plan: false }, kinds());
    assert.equal(code, 0);
    const index = await Deno.readTextFile(`${dir}/run/report/index.md`);
    assert.match(index, /18 grid points: 18 done, 0 failed, 0 missing/);
    await Deno.stat(`${dir}/run/report/tables/main.md`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
