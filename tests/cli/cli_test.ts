/** The CLI as a user runs it: `main.ts` in a subprocess; exit codes, output, and what is written. */
import assert from "node:assert/strict";
import { runGraph } from "../../lib/runner/run.ts";
import { parseOnly, selectGraph } from "../../lib/runner/select.ts";
import { openStore, queryRows, storePath, upsertJobs } from "../../lib/store/mod.ts";
import { codeVersion, expandGraph } from "../../lib/grid/mod.ts";
import { loadSpec } from "../../lib/spec/mod.ts";
import type { JobKind } from "../../lib/runner/kind.ts";
import { exists } from "../../lib/util/fs.ts";
import { makeGrid } from "../runner/fixtures/kinds.ts";
import { runInto } from "../runner/fixtures/run_grid.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const FIX = new URL("./fixtures/", import.meta.url).pathname;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("cli: a spec error prints every problem with its line, exits 2 and writes nothing", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "zg_cli_" });
  try {
    const out = `${tmp}/run`;
    const r = await cli(["ablate", `${FIX}bad.yaml`, "--out", out]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad\.yaml:3:\d+: base\.rl\.stepz: .*did you mean "steps"/);
    assert.match(r.stderr, /bad\.yaml:3:\d+: base\.rl\.loss: .*grpoo/);
    assert.match(r.stderr, /nothing was written/);
    assert.equal(await exists(out), false);
    assert.equal(await exists(`${ROOT}results/cli_bad`), false);
    // Without --out the default run directory is not created either.
    const r2 = await cli(["ablate", `${FIX}bad.yaml`]);
    assert.equal(r2.code, 2);
    assert.equal(await exists(`${ROOT}results/cli_bad`), false);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli: --plan prints jobs and the DAG and runs nothing", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "zg_cli_" });
  try {
    const out = `${tmp}/run`;
    const [all, shard] = await Promise.all([
      cli(["ablate", `${FIX}tiny.yaml`, "--plan", "--out", out]),
      cli([
        "ablate",
        `${FIX}tiny.yaml`,
        "--plan",
        "--out",
        out,
        "--shard",
        "0/2",
        "--only",
        "seed=0",
      ]),
    ]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /plan: 4 points, 8 jobs \(0 done, 8 to run\)/);
    assert.match(all.stdout, /dag:/);
    assert.equal(shard.code, 0, shard.stderr);
    const m = /plan: (\d+) points/.exec(shard.stdout);
    assert.ok(m && Number(m[1]) === 1, shard.stdout);
    assert.equal(await exists(out), false);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli: bad arguments exit 2 with a message", async () => {
  const cases: [string[], RegExp][] = [
    [["ablate", `${FIX}tiny.yaml`, "--jobs", "0"], /--jobs expects an integer >= 1/],
    [["ablate", `${FIX}tiny.yaml`, "--shard", "3/2"], /--shard 3\/2: need 0 <= i < n/],
    [["ablate", `${FIX}tiny.yaml`, "--only", "sed=0"], /no such axis; axes are method, seed/],
    [["ablate", `${FIX}tiny.yaml`, "--frobnicate"], /Unknown option '--frobnicate'/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["merge", "x"], /merge needs --out DIR/],
    [["export", "--out", "x"], /export needs --parquet DIR/],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args)));
  for (const [i, r] of results.entries()) {
    assert.equal(r.code, 2, `${cases[i][0].join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, cases[i][1]);
  }
  const help = await cli(["help"]);
  assert.equal(help.code, 0);
  for (const cmd of ["ablate", "status", "report", "replicate", "export", "merge"]) {
    assert.match(help.stdout, new RegExp(`^  ${cmd}`, "m"));
  }
});

Deno.test("cli: status, export and merge on run directories", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "zg_cli_" });
  try {
    const g = makeGrid({ seeds: [0, 1], arms: ["a", "b"], steps: 6, every: 2 });
    await runInto(`${tmp}/s0`, selectGraph(g, { shard: { index: 0, count: 2 } }));
    await runInto(`${tmp}/s1`, selectGraph(g, { shard: { index: 1, count: 2 } }));

    const merged = await cli(["merge", "--out", `${tmp}/all`, `${tmp}/s0`, `${tmp}/s1`]);
    assert.equal(merged.code, 0, merged.stderr);
    const store = await openStore(storePath(`${tmp}/all`), { readOnly: true });
    const n = await queryRows(store.con, "SELECT count(*) AS n FROM jobs WHERE status = 'done'");
    await store.close();
    assert.equal(Number(n[0].n), g.jobs.length);

    const [status, exported, missing] = await Promise.all([
      cli(["status", "--out", `${tmp}/all`]),
      cli(["export", "--parquet", `${tmp}/pq`, "--out", `${tmp}/all`]),
      cli(["status", "--out", `${tmp}/nothing`]),
    ]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /experiment\(s\) runner_test/);
    assert.match(status.stdout, new RegExp(`counter +done ${g.jobs.length}`));
    assert.equal(exported.code, 0, exported.stderr);
    for (const t of ["experiments", "jobs", "points", "metrics", "evaluations", "completions"]) {
      assert.ok(await exists(`${tmp}/pq/${t}.parquet`), t);
    }
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /no results/);

    // A shard that is not a store is named, and the merged directory is not even created.
    await Deno.mkdir(`${tmp}/junk`);
    await Deno.writeTextFile(`${tmp}/junk/store.duckdb`, "not a database");
    const bad = await cli(["merge", "--out", `${tmp}/m2`, `${tmp}/s0`, `${tmp}/junk`]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /junk\/store\.duckdb: cannot open store/);
    assert.equal(await exists(`${tmp}/m2`), false);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli: status with a spec counts its current plan and sets other stored jobs apart", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "zg_cli_" });
  try {
    const exp = await loadSpec(`${FIX}tiny.yaml`);
    const graph = selectGraph(expandGraph(exp, await codeVersion()), {
      only: parseOnly(["seed=0"]),
    });
    const noop = (name: string): JobKind => ({ name, run: () => Promise.resolve() });
    const store = await openStore(storePath(tmp));
    try {
      await runGraph({
        store,
        outDir: tmp,
        experiment: { name: exp.name, hash: exp.hash, text: exp.text },
        graph,
        kinds: new Map(["pretrain", "rl", "eval"].map((k) => [k, noop(k)])),
        concurrency: 1,
        retries: 0,
        resources: () => Promise.resolve({}),
        signal: new AbortController().signal,
      });
      // A job left by an earlier code version: stored, but not part of the plan any more.
      const old = { id: "0ld0ld0ld0ld0ld0", kind: "pretrain", config: {}, inputs: {}, label: "x" };
      await upsertJobs(store, exp.name, [old], "old-code");
    } finally {
      await store.close();
    }
    const r = await cli(["status", `${FIX}tiny.yaml`, "--out", tmp]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /plan: 4 points, 8 jobs, 4 done; code version [0-9a-f]{16}\n/);
    assert.match(
      r.stdout,
      /\(current plan\):\n +pretrain +done 1, pending 1\n +rl +done 1, pending 1\n +eval +done 2, pending 2\n/,
    );
    assert.match(r.stdout, /1 stored job\(s\) are not in the current plan .*: pretrain pending 1/);
    assert.doesNotMatch(r.stdout, /resumable/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
