/** The store: sink buffering and atomic commits, job lifecycle writes, Parquet export, merging. */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Job } from "../../lib/grid/types.ts";
import {
  beginAttempt,
  createJobSink,
  exportParquet,
  failJob,
  finishJob,
  jobStatuses,
  mergeStores,
  openStore,
  queryRows,
  registerExperiment,
  saveCheckpoint,
  type Store,
  storePath,
  TABLES,
  upsertJobs,
  upsertPoints,
} from "../../lib/store/mod.ts";

const ENV = { denoVersion: Deno.version.deno, adapter: null };

async function withStore(fn: (store: Store, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zg_store_" });
  const store = await openStore(storePath(dir));
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const job = (id: string): Job => ({
  id,
  kind: "k",
  config: { lr: 0.1, nested: { a: [1, 2] } },
  inputs: {},
  label: `job ${id}`,
});

async function count(store: Store, table: string, where = "TRUE"): Promise<number> {
  return Number(
    (await queryRows(store.con, `SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0].n,
  );
}

async function seed(store: Store, ids: string[]): Promise<void> {
  await registerExperiment(store, { name: "e", hash: "h", text: "name: e" });
  await upsertJobs(store, "e", ids.map(job), "cv1");
}

Deno.test("store: the sink rejects malformed rows at the call site", () => {
  const sink = createJobSink("j");
  assert.throws(() => sink.scalar(-1, "loss", 1), RangeError);
  assert.throws(() => sink.scalar(1.5, "loss", 1), RangeError);
  assert.throws(() => sink.scalar(1, "", 1), RangeError);
  assert.throws(() => sink.evaluation(0, "cvbench", "count_2d", 10, 11), RangeError);
  assert.throws(() => sink.evaluation(0, "cvbench", "count_2d", 10, 2.5), RangeError);
  sink.scalar(3, "loss", NaN); // NaN is data (a diverged run), not a malformed row
  assert.equal(sink.pending(), 1);
  assert.equal(sink.maxStep(), 3);
});

Deno.test("store: rows land only with a commit; a failed transaction leaves nothing", async () => {
  await withStore(async (store) => {
    await seed(store, ["j"]);
    await beginAttempt(store, "j", ENV);
    const sink = createJobSink("j");
    for (let s = 0; s < 5000; s++) {
      sink.scalar(s, "loss", s / 10);
      sink.scalar(s, "lr", 1e-3);
    }
    sink.evaluation(5000, "cvbench", "count_2d", 50, 21);
    sink.completion({ step: 7, prompt: "p", completion: "c", answer: "a", reward: 1 });
    assert.equal(await count(store, "metrics"), 0);
    await assert.rejects(
      store.write(async (con) => {
        await sink.flushInto(con);
        throw new Error("crash inside the transaction");
      }),
      /crash inside/,
    );
    assert.equal(await count(store, "metrics"), 0);
    assert.equal(await count(store, "evaluations"), 0);

    for (let s = 0; s < 5000; s++) {
      sink.scalar(s, "loss", s / 10);
      sink.scalar(s, "lr", 1e-3);
    }
    sink.evaluation(5000, "cvbench", "count_2d", 50, 21);
    sink.completion({ step: 7, prompt: "p", completion: "c", answer: "a", reward: 1 });
    await finishJob(store, sink, 1.25, null);
    assert.equal(await count(store, "metrics"), 10000);
    const m = await queryRows(
      store.con,
      "SELECT sum(value) AS s, max(step) AS mx FROM metrics WHERE name = 'loss'",
    );
    assert.equal(Number(m[0].mx), 4999);
    assert.ok(Math.abs(Number(m[0].s) - 4999 * 5000 / 20) < 1e-6);
    // Every row kept its own name and value (the chunk's string slots are reused).
    assert.equal(await count(store, "metrics", "name = 'loss' AND value <> step / 10"), 0);
    assert.equal(await count(store, "metrics", "name = 'lr' AND value <> 1e-3"), 0);
    assert.equal(await count(store, "metrics", "name = 'lr'"), 5000);
    const e = await queryRows(store.con, "SELECT n, correct, accuracy FROM evaluations");
    assert.deepEqual(e, [{ n: 50, correct: 21, accuracy: 0.42 }]);
    const st = (await jobStatuses(store)).get("j")!;
    assert.equal(st.status, "done");
    assert.equal(st.lastStep, 5000);
    assert.equal(st.seconds, 1.25);
  });
});

Deno.test("store: irregular metric streams land exactly, row for row", async () => {
  await withStore(async (store) => {
    await seed(store, ["first_job_with_a_long_id", "j2"]);
    // Names of mixed lengths (inline and heap strings), in a pattern that shifts across chunks.
    const names = [
      "a",
      "loss",
      "completion_length/median",
      "reward/accuracy",
      "kl",
      "x".repeat(40),
    ];
    let r = 12345;
    const rand = () => (r = (r * 1103515245 + 12345) % 2147483648) / 2147483648;
    const expected = new Map<string, [number, string, number][]>();
    const sinks = ["first_job_with_a_long_id", "j2"].map((id) => createJobSink(id));
    for (const s of sinks) expected.set(s.jobId, []);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 7000; i++) {
        const sink = sinks[rand() < 0.5 ? 0 : 1];
        const row: [number, string, number] = [
          Math.floor(i / 3),
          names[Math.floor(rand() * names.length)],
          rand() < 0.01 ? NaN : rand() * 100 - 50,
        ];
        sink.scalar(...row);
        expected.get(sink.jobId)!.push(row);
      }
      // Two commits per sink: the second flush starts with a fresh chunk.
      for (const s of sinks) await saveCheckpoint(store, s, new Uint8Array([round]));
    }
    for (const s of sinks) {
      const got = await queryRows(
        store.con,
        "SELECT step, name, value FROM metrics WHERE job_id = $1 ORDER BY rowid",
        [s.jobId],
      );
      const want = expected.get(s.jobId)!;
      assert.equal(got.length, want.length);
      for (let i = 0; i < want.length; i++) {
        const g = got[i];
        assert.equal(Number(g.step), want[i][0], `row ${i}`);
        assert.equal(g.name, want[i][1], `row ${i}`);
        assert.ok(Object.is(g.value, want[i][2]) || g.value === want[i][2], `row ${i}`);
      }
    }
  });
});

Deno.test("store: a new attempt deletes rows beyond the checkpoint and returns its state", async () => {
  await withStore(async (store) => {
    await seed(store, ["j"]);
    assert.equal(await beginAttempt(store, "j", ENV), null);
    const sink = createJobSink("j");
    for (let s = 0; s < 10; s++) sink.scalar(s, "loss", s);
    await saveCheckpoint(store, sink, new Uint8Array([9, 8, 7]));
    for (let s = 10; s < 14; s++) sink.scalar(s, "loss", s);
    sink.completion({ step: 12, prompt: "p", completion: "c", answer: "a", reward: 0 });
    // A failed attempt commits its rows for diagnosis ...
    await failJob(store, sink, 0.5, { message: "x", stack: null, kind: "Error", diagnosis: null });
    assert.equal(await count(store, "metrics"), 14);
    // ... and the next attempt starts from the checkpoint without them.
    const ck = await beginAttempt(store, "j", ENV);
    assert.deepEqual(ck, { step: 9, state: new Uint8Array([9, 8, 7]) });
    assert.equal(await count(store, "metrics"), 10);
    assert.equal(await count(store, "completions"), 0);
    const st = (await jobStatuses(store)).get("j")!;
    assert.equal(st.status, "running");
    assert.equal(st.attempts, 2);
    assert.equal(st.error, null);
    // A checkpoint saved before any new row still covers the rows already stored.
    const resumed = createJobSink("j", ck!.step);
    await saveCheckpoint(store, resumed, new Uint8Array([1]));
    assert.equal((await beginAttempt(store, "j", ENV))!.step, 9);
    assert.equal(await count(store, "metrics"), 10);
  });
});

Deno.test("store: concurrent writers are serialized, each commit whole", async () => {
  await withStore(async (store) => {
    const ids = Array.from({ length: 12 }, (_, i) => `j${i}`);
    await seed(store, ids);
    await Promise.all(ids.map(async (id, i) => {
      await beginAttempt(store, id, ENV);
      const sink = createJobSink(id);
      for (let s = 0; s < 100 + i; s++) sink.scalar(s, "loss", i);
      await saveCheckpoint(store, sink, new Uint8Array([i]));
      sink.scalar(500, "loss", i);
      await finishJob(store, sink, 0, null);
    }));
    for (const [i, id] of ids.entries()) {
      assert.equal(await count(store, "metrics", `job_id = '${id}'`), 101 + i);
    }
    assert.equal(await count(store, "checkpoints"), 0);
    assert.equal(await count(store, "jobs", "status = 'done'"), ids.length);
  });
});

Deno.test("store: registering jobs again keeps their status; points are replaced per key", async () => {
  await withStore(async (store) => {
    await seed(store, ["a", "b"]);
    await beginAttempt(store, "a", ENV);
    await finishJob(store, createJobSink("a"), 0, null);
    await upsertJobs(store, "e", [job("a"), job("b"), job("c")], "cv1");
    const st = await jobStatuses(store);
    assert.deepEqual([...st.values()].map((r) => [r.jobId, r.status]), [
      ["a", "done"],
      ["b", "pending"],
      ["c", "pending"],
    ]);
    const cfg = await queryRows(
      store.con,
      "SELECT config->>'$.nested.a[1]' AS v FROM jobs LIMIT 1",
    );
    assert.equal(cfg[0].v, "2");
    const p = { key: "seed=0", axes: { seed: 0 }, config: {}, jobs: { final: "a", train: "b" } };
    await upsertPoints(store, "e", [p]);
    await upsertPoints(store, "e", [{ ...p, jobs: { final: "c" } }]);
    const pts = await queryRows(store.con, "SELECT role, job_id FROM points");
    assert.deepEqual(pts, [{ role: "final", job_id: "c" }]);
  });
});

Deno.test("store: read-only stores refuse writes", async () => {
  await withStore(async (store, dir) => {
    await seed(store, ["a"]);
    await store.close();
    const ro = await openStore(storePath(dir), { readOnly: true });
    try {
      await assert.rejects(ro.write(() => Promise.resolve()), /read-only/);
      assert.equal(await count(ro, "jobs"), 1);
    } finally {
      await ro.close();
    }
  });
});

Deno.test("store: export writes every table as Parquet that reads back identically", async () => {
  await withStore(async (store, dir) => {
    await seed(store, ["a", "b"]);
    for (const id of ["a", "b"]) {
      await beginAttempt(store, id, ENV);
      const sink = createJobSink(id);
      for (let s = 0; s < 300; s++) sink.scalar(s, "reward", Math.sin(s));
      sink.evaluation(300, "cvbench", "depth_3d", 40, 30);
      sink.completion({
        step: 3,
        prompt: "what is left of the cube?",
        completion: "<think>wait , re-check</think><answer>sphere</answer>",
        answer: "sphere",
        reward: 2,
        extra: { length: 11 },
      });
      await saveCheckpoint(store, sink, new Uint8Array([1, 2]));
    }
    const files = await exportParquet(store, `${dir}/pq`);
    assert.deepEqual(files.map((f) => f.table), [...TABLES]);
    const mem = await DuckDBInstance.create(":memory:");
    const con = await mem.connect();
    try {
      for (const f of files) {
        const back = await queryRows(con, `SELECT count(*) AS n FROM read_parquet('${f.file}')`);
        assert.equal(Number(back[0].n), await count(store, f.table), f.table);
        assert.equal(f.rows, await count(store, f.table));
      }
      const a = await queryRows(
        con,
        `SELECT job_id, step, name, value FROM read_parquet('${dir}/pq/metrics.parquet')
         ORDER BY ALL`,
      );
      const b = await queryRows(
        store.con,
        "SELECT job_id, step, name, value FROM metrics ORDER BY ALL",
      );
      assert.deepEqual(a, b);
      const c = await queryRows(
        con,
        `SELECT completion FROM read_parquet('${dir}/pq/completions.parquet')`,
      );
      assert.equal(c[0].completion, "<think>wait , re-check</think><answer>sphere</answer>");
    } finally {
      con.closeSync();
      mem.closeSync();
    }
  });
});

Deno.test("store: merge keeps the most complete copy of each job, never both", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "zg_merge_" });
  try {
    const make = async (name: string, ok: boolean) => {
      const s = await openStore(storePath(`${tmp}/${name}`));
      await seed(s, ["shared"]);
      await beginAttempt(s, "shared", ENV);
      const sink = createJobSink("shared");
      for (let i = 0; i < (ok ? 20 : 7); i++) sink.scalar(i, "loss", ok ? 1 : 99);
      if (ok) await finishJob(s, sink, 1, null);
      else {await failJob(s, sink, 1, {
          message: "nan",
          stack: null,
          kind: "Error",
          diagnosis: null,
        });}
      await s.close();
      return storePath(`${tmp}/${name}`);
    };
    const failed = await make("s_failed", false);
    const done = await make("s_done", true);
    const out = await openStore(storePath(`${tmp}/out`));
    try {
      const r = await mergeStores(out, `${tmp}/out`, [failed, done, failed]);
      assert.deepEqual(r.map((x) => x.jobsTaken), [1, 1, 0]);
      assert.equal((await jobStatuses(out)).get("shared")!.status, "done");
      assert.equal(await count(out, "metrics"), 20);
      assert.equal(await count(out, "metrics", "value = 99"), 0);
      assert.equal(await count(out, "experiments"), 1);
    } finally {
      await out.close();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
