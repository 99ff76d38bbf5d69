/** The runner in-process: ordering, concurrency, failures, retries, resume, skipping done jobs. */
import assert from "node:assert/strict";
import type { JobGraph } from "../../lib/grid/types.ts";
import type { JobKind } from "../../lib/runner/kind.ts";
import { runGraph, RunnerError, type RunOptions, type RunSummary } from "../../lib/runner/run.ts";
import {
  jobStatuses,
  openStore,
  queryRows,
  type Store,
  StoreError,
  storePath,
} from "../../lib/store/mod.ts";
import {
  boomKind,
  type CounterHooks,
  counterKind,
  flakyKind,
  makeGrid,
  nanKind,
  TEST_EXPERIMENT,
} from "./fixtures/kinds.ts";
import { duplicateMetricKeys, snapshot } from "./fixtures/snapshot.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zg_runner_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function run(
  dir: string,
  graph: JobGraph,
  kinds: Map<string, JobKind>,
  extra: Partial<RunOptions> = {},
): Promise<RunSummary> {
  const store = await openStore(storePath(dir));
  try {
    return await runGraph({
      store,
      outDir: dir,
      experiment: TEST_EXPERIMENT,
      graph,
      kinds,
      concurrency: 2,
      retries: 0,
      resources: () => Promise.resolve({}),
      signal: new AbortController().signal,
      ...extra,
    });
  } finally {
    await store.close();
  }
}

async function rows(dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const store = await openStore(storePath(dir), { readOnly: true });
  try {
    return await queryRows(store.con, sql);
  } finally {
    await store.close();
  }
}

async function statuses(dir: string) {
  const store = await openStore(storePath(dir), { readOnly: true });
  try {
    return await jobStatuses(store);
  } finally {
    await store.close();
  }
}

/** A bare job of `kind` named `name` (id `name_000…`), with `inputs` its dependencies. */
const mk = (kind: string, name: string, inputs: Record<string, string> = {}) => ({
  id: `${name}_`.padEnd(16, "0"),
  kind,
  config: { name },
  inputs,
  label: name,
});

const small = () => makeGrid({ seeds: [0, 1], arms: ["a", "b"], steps: 12, every: 5 });

Deno.test("runner: runs every job once, in dependency order, within the worker bound", async () => {
  await withDir(async (dir) => {
    const graph = small();
    const order: string[] = [];
    let active = 0;
    let peak = 0;
    const base = counterKind({
      onStart: (ctx) => order.push(ctx.job.id),
      // A pause per step lets jobs overlap, so the bound is actually exercised.
      onStep: () => new Promise((r) => setTimeout(r, 1)),
    });
    const counting: JobKind = {
      name: "counter",
      async run(ctx) {
        active++;
        peak = Math.max(peak, active);
        try {
          await base.run(ctx);
        } finally {
          active--;
        }
      },
    };
    const summary = await run(dir, graph, new Map([["counter", counting]]), { concurrency: 3 });
    assert.deepEqual(summary, {
      total: graph.jobs.length,
      alreadyDone: 0,
      done: graph.jobs.length,
      failed: 0,
      skipped: 0,
      interrupted: 0,
    });
    assert.equal(order.length, graph.jobs.length);
    assert.ok(peak <= 3 && peak >= 2, `peak concurrency ${peak}`);
    for (const j of graph.jobs) {
      for (const dep of Object.values(j.inputs)) {
        assert.ok(order.indexOf(dep) < order.indexOf(j.id), `${j.label} ran before its input`);
      }
    }
    // Artifacts were moved from the temp dir to artifacts/<id> and recorded with their hash.
    const arts = await rows(dir, "SELECT job_id, path, bytes FROM artifacts ORDER BY job_id");
    assert.equal(arts.length, graph.jobs.length);
    for (const a of arts) {
      assert.equal(a.path, `artifacts/${a.job_id}`);
      const text = await Deno.readTextFile(`${dir}/${a.path}/value.json`);
      assert.equal(Number(a.bytes), new TextEncoder().encode(text).length);
    }
    const leftovers = [...Deno.readDirSync(`${dir}/artifacts`)].filter((e) =>
      e.name.startsWith(".")
    );
    assert.deepEqual(leftovers, []);
    // Environment recorded per job.
    const env = await rows(dir, "SELECT DISTINCT deno_version, code_version FROM jobs");
    assert.deepEqual(env, [{ deno_version: Deno.version.deno, code_version: "test-code" }]);
  });
});

Deno.test("runner: every job records code version, Deno version, adapter and its resolved config", async () => {
  await withDir(async (dir) => {
    const graph = small();
    await run(dir, graph, new Map([["counter", counterKind()]]), {
      // The GPU handed to kinds names its adapter; the runner records that name per attempt.
      resources: () => Promise.resolve({ gpu: { adapter: "Fake GPU 9000 (test)" } }),
    });
    const stored = await rows(
      dir,
      `SELECT job_id, code_version, deno_version, adapter, config::VARCHAR AS config,
         inputs::VARCHAR AS inputs FROM jobs ORDER BY job_id`,
    );
    assert.equal(stored.length, graph.jobs.length);
    const byId = new Map(graph.jobs.map((j) => [j.id, j]));
    for (const r of stored) {
      const j = byId.get(String(r.job_id))!;
      assert.equal(r.code_version, "test-code");
      assert.equal(r.deno_version, Deno.version.deno);
      assert.equal(r.adapter, "Fake GPU 9000 (test)");
      assert.deepEqual(JSON.parse(String(r.config)), j.config);
      assert.deepEqual(JSON.parse(String(r.inputs)), j.inputs);
    }
  });
});

Deno.test("runner: a rerun skips done jobs and never asks for resources", async () => {
  await withDir(async (dir) => {
    const graph = small();
    const kinds = new Map([["counter", counterKind()]]);
    await run(dir, graph, kinds);
    const before = await snapshot(storePath(dir));
    let asked = 0;
    const summary = await run(dir, graph, kinds, {
      resources: () => {
        asked++;
        return Promise.resolve({});
      },
    });
    assert.equal(summary.alreadyDone, graph.jobs.length);
    assert.equal(summary.done, 0);
    assert.equal(asked, 0);
    assert.deepEqual(await snapshot(storePath(dir)), before);
  });
});

Deno.test("runner: a failing job is recorded, its dependents skipped, the rest complete", async () => {
  await withDir(async (dir) => {
    const graph = makeGrid({
      seeds: [0, 1],
      arms: ["ok", "bad", "nan"],
      steps: 6,
      every: 3,
      armKinds: { bad: "boom", nan: "nan" },
    });
    const kinds = new Map<string, JobKind>([
      ["counter", counterKind()],
      ["boom", boomKind()],
      ["nan", nanKind()],
    ]);
    const summary = await run(dir, graph, kinds);
    assert.equal(summary.failed, 4); // boom and nan, two seeds each
    assert.equal(summary.skipped, 4); // their evals
    assert.equal(summary.done, graph.jobs.length - 8);
    const st = await statuses(dir);
    for (const j of graph.jobs) {
      const r = st.get(j.id)!;
      if (j.kind === "boom") {
        assert.equal(r.status, "failed");
        assert.equal(r.error, "boom at step 3");
        assert.equal(r.errorKind, "Error");
      } else if (j.kind === "nan") {
        assert.equal(r.status, "failed");
        assert.match(r.error!, /^NumericError at step 4: loss is NaN/);
        assert.equal(r.errorKind, "NumericError");
      } else if (j.label.startsWith("eval arm=bad") || j.label.startsWith("eval arm=nan")) {
        assert.equal(r.status, "skipped");
        assert.match(r.error!, /^dependency (boom|nan) train arm=\w+ seed=\d \(\w+\) failed: /);
      } else {
        assert.equal(r.status, "done", j.label);
      }
    }
    const diag = await rows(
      dir,
      "SELECT diagnosis::VARCHAR AS d, error_stack FROM jobs WHERE error_kind = 'NumericError'",
    );
    assert.equal(diag.length, 2);
    assert.deepEqual(JSON.parse(String(diag[0].d)), {
      step: 4,
      last_finite_loss: 1000,
      grad_norm: "inf",
    });
    assert.match(String(diag[0].error_stack), /NumericError/);
    // The diverging curve is kept for diagnosis (steps 0..4, NaN last).
    const nanRows = await rows(
      dir,
      `SELECT m.step, m.value FROM metrics m JOIN jobs j USING (job_id)
       WHERE j.kind = 'nan' AND j.label LIKE '%seed=0' ORDER BY m.step`,
    );
    assert.deepEqual(nanRows.map((r) => Number(r.step)), [0, 1, 2, 3, 4]);
    assert.ok(Number.isNaN(nanRows[4].value));
  });
});

Deno.test("runner: transient errors are retried up to --retries", async () => {
  await withDir(async (dir) => {
    const graph: JobGraph = {
      jobs: [{ id: "f1", kind: "flaky", config: {}, inputs: {}, label: "flaky" }],
      points: [{ key: "x=1", axes: { x: 1 }, config: {}, jobs: { final: "f1" } }],
      codeVersion: "test-code",
    };
    const flaky = flakyKind(2);
    const s1 = await run(dir, graph, new Map([["flaky", flaky]]), { retries: 1 });
    assert.equal(s1.failed, 1);
    assert.equal(flaky.attempts(), 2);
    let st = (await statuses(dir)).get("f1")!;
    assert.equal(st.errorKind, "TransientError");
    assert.equal(st.attempts, 2);
    // A later run with enough retries succeeds; rows of failed attempts do not linger.
    const s2 = await run(dir, graph, new Map([["flaky", flaky]]), { retries: 2 });
    assert.equal(s2.done, 1);
    st = (await statuses(dir)).get("f1")!;
    assert.equal(st.status, "done");
    assert.equal(st.attempts, 3);
    const m = await rows(dir, "SELECT step, name, value FROM metrics ORDER BY step");
    assert.deepEqual(m, [
      { step: 0n, name: "attempt_seen", value: 3 },
      { step: 1n, name: "loss", value: 0.5 },
    ]);
  });
});

Deno.test("runner: an aborted job resumes from its checkpoint and ends as if never stopped", async () => {
  for (const saveOnAbort of [true, false]) {
    await withDir(async (dir) => {
      const graph = makeGrid({ seeds: [0], arms: ["a"], steps: 20, every: 5 });
      await run(`${dir}/ref`, graph, new Map([["counter", counterKind()]]));
      const ref = await snapshot(storePath(`${dir}/ref`));

      const trainId = graph.jobs.find((j) => j.label.startsWith("train"))!.id;
      const controller = new AbortController();
      const hooks: CounterHooks = {
        onStep: (ctx, step) => {
          if (ctx.job.id === trainId && step === 12) controller.abort();
        },
      };
      const stopping = counterKind(hooks);
      const kind: JobKind = saveOnAbort ? stopping : {
        // A kind that returns on abort without saving: resumes from the periodic checkpoint.
        name: "counter",
        run: (ctx) =>
          stopping.run({
            ...ctx,
            checkpoint: {
              load: ctx.checkpoint.load,
              save: (s) => (ctx.signal.aborted ? Promise.resolve() : ctx.checkpoint.save(s)),
            },
          }),
      };
      const out = `${dir}/run`;
      const s1 = await run(out, graph, new Map([["counter", kind]]), {
        signal: controller.signal,
      });
      assert.equal(s1.interrupted, 2); // the train job and its eval
      const mid = (await statuses(out)).get(trainId)!;
      assert.equal(mid.status, "pending");
      assert.equal(mid.lastStep, saveOnAbort ? 12 : 9);

      const starts: number[] = [];
      await run(
        out,
        graph,
        new Map([[
          "counter",
          counterKind({
            onStart: (ctx, from) => ctx.job.id === trainId && starts.push(from),
          }),
        ]]),
      );
      assert.deepEqual(starts, [saveOnAbort ? 13 : 10]);
      assert.equal(await duplicateMetricKeys(storePath(out)), 0);
      assert.deepEqual(await snapshot(storePath(out)), ref);
    });
  }
});

Deno.test("runner: unknown job kinds are refused before anything runs", async () => {
  await withDir(async (dir) => {
    const store = await openStore(storePath(dir));
    try {
      await assert.rejects(
        runGraph({
          store,
          outDir: dir,
          experiment: TEST_EXPERIMENT,
          graph: small(),
          kinds: new Map(),
          concurrency: 1,
          retries: 0,
          resources: () => Promise.resolve({}),
          signal: new AbortController().signal,
        }),
        (e) => e instanceof RunnerError && /no job kind registered for "counter"/.test(e.message),
      );
      const n = await queryRows(store.con, "SELECT count(*) AS n FROM jobs");
      assert.equal(Number(n[0].n), 0);
    } finally {
      await store.close();
    }
  });
});

Deno.test("runner: a store that cannot be written stops the run with the job named, after running jobs settle", async () => {
  await withDir(async (dir) => {
    const graph = small();
    const inner = await openStore(storePath(dir));
    let broken = false;
    let settled = 0;
    // The store fails (disk full, say) from the moment the first job finishes its last step.
    const store: Store = {
      ...inner,
      write: (fn) =>
        broken ? Promise.reject(new StoreError("disk full", inner.path)) : inner.write(fn),
    };
    const firstId = graph.jobs[0].id;
    const counter = counterKind({
      onStep: async (ctx, step) => {
        if (ctx.job.id === firstId && step === 11) broken = true;
        await new Promise((r) => setTimeout(r, 2));
      },
    });
    const kind: JobKind = {
      name: "counter",
      run: (ctx) => counter.run(ctx).finally(() => settled++),
    };
    try {
      await assert.rejects(
        runGraph({
          store,
          outDir: dir,
          experiment: TEST_EXPERIMENT,
          graph,
          kinds: new Map([["counter", kind]]),
          concurrency: 2,
          retries: 0,
          resources: () => Promise.resolve({}),
          signal: new AbortController().signal,
        }),
        (e) =>
          e instanceof RunnerError && e.cause instanceof StoreError &&
          /^run stopped: recording job counter [0-9a-f]{16} failed: .*disk full/.test(e.message),
      );
      // Both jobs that were running came to an end before runGraph returned; none started after.
      assert.equal(settled, 2);
      const st = await jobStatuses(inner);
      assert.notEqual(st.get(firstId)!.status, "done");
      assert.equal([...st.values()].filter((r) => r.attempts > 0).length, 2);
    } finally {
      await inner.close();
    }
  });
});

Deno.test("runner: a job settling while a pass awaits skip writes does not end the run early", async () => {
  await withDir(async (dir) => {
    // `fail` dies at once and has many dependents, so the next pass spends a while awaiting
    // their skip writes; `slow` settles during those writes, after the pass has looked at its
    // dependent `after` (which comes first in the order), and `after` must still run.
    const fail = mk("fail", "f");
    const slow = mk("slow", "s");
    const deps = Array.from({ length: 300 }, (_, i) => mk("ok", `d${i}`, { model: fail.id }));
    const after = mk("ok", "a", { model: slow.id });
    const graph: JobGraph = {
      jobs: [fail, slow, after, ...deps],
      points: [],
      codeVersion: "test-code",
    };
    const kinds = new Map<string, JobKind>([
      ["fail", { name: "fail", run: () => Promise.reject(new Error("fails at once")) }],
      ["slow", { name: "slow", run: () => new Promise((r) => setTimeout(r, 50)) }],
      ["ok", { name: "ok", run: () => Promise.resolve() }],
    ]);
    const summary = await run(dir, graph, kinds);
    assert.equal(summary.failed, 1);
    assert.equal(summary.skipped, 300);
    assert.equal(summary.interrupted, 0);
    assert.equal((await statuses(dir)).get(after.id)?.status, "done");
    // Skips name the root failure once, not a chain.
    const reason = (await statuses(dir)).get(deps[0].id)?.error ?? "";
    assert.match(reason, /^dependency fail f \(f_0+\) failed: fails at once$/);
  });
});

Deno.test("runner: a skip caused by a skipped dependency names the root failure, not a chain", async () => {
  await withDir(async (dir) => {
    const root = mk("fail", "r");
    const mid = mk("ok", "m", { model: root.id });
    const leaf = mk("ok", "l", { model: mid.id });
    const graph: JobGraph = { jobs: [root, mid, leaf], points: [], codeVersion: "test-code" };
    const kinds = new Map<string, JobKind>([
      ["fail", { name: "fail", run: () => Promise.reject(new Error("root cause")) }],
      ["ok", { name: "ok", run: () => Promise.resolve() }],
    ]);
    await run(dir, graph, kinds);
    const st = await statuses(dir);
    assert.equal(st.get(leaf.id)?.status, "skipped");
    assert.equal(st.get(leaf.id)?.error, st.get(mid.id)?.error);
    assert.match(st.get(leaf.id)?.error ?? "", /^dependency fail r \(r_0+\) failed: root cause$/);
  });
});
