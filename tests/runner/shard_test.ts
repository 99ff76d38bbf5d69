/** Shards and filters: `--shard i/n` partitions points; merged shard stores equal a single run. */
import assert from "node:assert/strict";
import {
  closure,
  filterPoints,
  parseOnly,
  parseShard,
  selectGraph,
  SelectionError,
  shardPoints,
} from "../../lib/runner/select.ts";
import { mergeStores, openStore, storePath } from "../../lib/store/mod.ts";
import { makeGrid } from "./fixtures/kinds.ts";
import { runInto } from "./fixtures/run_grid.ts";
import { duplicateMetricKeys, snapshot } from "./fixtures/snapshot.ts";

const grid = () => makeGrid({ seeds: [0, 1, 2], arms: ["a", "b"], steps: 8, every: 3 });

Deno.test("select: shards partition the points and carry each point's dependency closure", () => {
  const g = grid();
  for (const n of [1, 2, 3, 4, 7]) {
    const parts = Array.from(
      { length: n },
      (_, i) => shardPoints(g.points, { index: i, count: n }),
    );
    const keys = parts.flatMap((p) => p.map((x) => x.key)).sort();
    assert.deepEqual(keys, g.points.map((p) => p.key).sort(), `n=${n}: not a partition`);
    const sizes = parts.map((p) => p.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `n=${n}: unbalanced ${sizes}`);
    // Deterministic: the same call gives the same shard.
    assert.deepEqual(shardPoints(g.points, { index: 0, count: n }), parts[0]);
  }
  const sub = selectGraph(g, { shard: { index: 1, count: 3 } });
  const ids = new Set(sub.jobs.map((j) => j.id));
  for (const p of sub.points) for (const id of Object.values(p.jobs)) assert.ok(ids.has(id));
  for (const j of sub.jobs) for (const d of Object.values(j.inputs)) assert.ok(ids.has(d));
  // Graph order (topological) is kept.
  const order = g.jobs.map((j) => j.id).filter((id) => ids.has(id));
  assert.deepEqual(sub.jobs.map((j) => j.id), order);
});

Deno.test("select: --only filters by axis value; bad arguments are clear errors", () => {
  const g = grid();
  const only = parseOnly(["seed=1", "arm=a", "arm=b"]);
  const pts = filterPoints(g.points, only);
  assert.deepEqual(pts.map((p) => p.key).sort(), ["arm=a,seed=1", "arm=b,seed=1"]);
  const jobs = closure(g, pts);
  assert.equal(jobs.length, 1 + 2 + 2); // one shared prep, two trains, two evals
  assert.throws(
    () => filterPoints(g.points, parseOnly(["sed=1"])),
    /no such axis; axes are arm, seed/,
  );
  assert.throws(() => filterPoints(g.points, parseOnly(["seed=9"])), /values are 0, 1, 2/);
  assert.throws(() => parseOnly(["seed"]), SelectionError);
  assert.deepEqual(parseShard("2/5"), { index: 2, count: 5 });
  for (const bad of ["5/5", "1/0", "a/b", "1", "-1/3"]) {
    assert.throws(() => parseShard(bad), SelectionError, bad);
  }
});

Deno.test("shards: merged shard stores equal one uninterrupted run, and merging is idempotent", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "zg_shard_" });
  try {
    const g = grid();
    await runInto(`${tmp}/single`, g);
    const single = await snapshot(storePath(`${tmp}/single`));
    const shards: string[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = `${tmp}/shard${i}`;
      await runInto(dir, selectGraph(g, { shard: { index: i, count: 3 } }));
      shards.push(storePath(dir));
    }
    const outDir = `${tmp}/merged`;
    const out = await openStore(storePath(outDir));
    let results;
    try {
      results = await mergeStores(out, outDir, shards);
      // Shared prep stages ran in several shards; only one copy of each is taken.
      const taken = results.reduce((a, r) => a + r.jobsTaken, 0);
      assert.equal(taken, g.jobs.length);
      const again = await mergeStores(out, outDir, shards);
      assert.equal(again.reduce((a, r) => a + r.jobsTaken, 0), 0);
    } finally {
      await out.close();
    }
    assert.equal(await duplicateMetricKeys(storePath(outDir)), 0);
    assert.deepEqual(await snapshot(storePath(outDir)), single);
    // Artifacts came along, so the merged directory can be extended or reported on.
    for (const j of g.jobs) {
      const a = await Deno.readTextFile(`${outDir}/artifacts/${j.id}/value.json`);
      const b = await Deno.readTextFile(`${tmp}/single/artifacts/${j.id}/value.json`);
      assert.equal(a, b);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
