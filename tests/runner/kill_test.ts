/**
 * Crash safety end to end: a grid run in a subprocess is killed (SIGKILL) or stopped (SIGINT) in
 * the middle, rerun to completion, and must then hold exactly the rows of an uninterrupted run.
 */
import assert from "node:assert/strict";
import { jobStatuses, openStore, storePath } from "../../lib/store/mod.ts";
import { killGrid, runInto } from "./fixtures/run_grid.ts";
import { duplicateMetricKeys, snapshot } from "./fixtures/snapshot.ts";

const FIXTURE = new URL("./fixtures/run_grid.ts", import.meta.url).pathname;

/** An uninterrupted in-process run of the same grid. */
async function reference(dir: string): Promise<Record<string, unknown[]>> {
  const summary = await runInto(dir, killGrid());
  assert.equal(summary.done, killGrid().jobs.length);
  return snapshot(storePath(dir));
}

interface Spawned {
  child: Deno.ChildProcess;
  /** Resolves once `n` lines matching `re` were printed. */
  waitFor(re: RegExp, n: number): Promise<void>;
  lines: string[];
  drained: Promise<void>;
}

function spawnGrid(out: string, args: string[]): Spawned {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FIXTURE, out, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const waiters: { re: RegExp; n: number; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (lines.filter((l) => w.re.test(l)).length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const drained = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      const parts = buf.split("\n");
      buf = parts.pop()!;
      lines.push(...parts);
      check();
    }
    if (buf) lines.push(buf);
    check();
  })();
  // Drain stderr so the child never blocks on a full pipe.
  child.stderr.pipeTo(new WritableStream()).catch(() => {});
  return {
    child,
    lines,
    drained,
    waitFor: (re, n) => new Promise((resolve) => waiters.push({ re, n, resolve })),
  };
}

async function rerunToCompletion(out: string): Promise<string[]> {
  const run = spawnGrid(out, ["--jobs", "2"]);
  const status = await run.child.status;
  await run.drained;
  assert.equal(status.code, 0, run.lines.join("\n"));
  return run.lines;
}

Deno.test("runner: SIGKILL mid-grid, rerun completes with no duplicate or lost rows", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "zg_kill_" });
  try {
    const ref = await reference(`${tmp}/ref`);
    const out = `${tmp}/killed`;
    const run = spawnGrid(out, ["--jobs", "2", "--sleep", "15"]);
    await run.waitFor(/^ckpt /, 10);
    run.child.kill("SIGKILL");
    const status = await run.child.status;
    await run.drained;
    assert.equal(status.success, false);
    assert.equal(status.signal, "SIGKILL");

    // The kill landed mid-grid: some work committed, not all of it.
    const store = await openStore(storePath(out), { readOnly: true });
    const st = [...(await jobStatuses(store)).values()];
    await store.close();
    const done = st.filter((r) => r.status === "done").length;
    assert.ok(done < st.length, `all ${st.length} jobs finished before the kill`);
    assert.ok(st.some((r) => r.status === "running"), "no job was mid-run when killed");

    const lines = await rerunToCompletion(out);
    const resumed = lines.filter((l) => /^start \S+ [1-9]/.test(l));
    assert.ok(resumed.length >= 1, `no job resumed from a checkpoint:\n${lines.join("\n")}`);
    const summary = JSON.parse(lines.find((l) => l.startsWith("summary "))!.slice(8));
    assert.equal(summary.alreadyDone, done);
    assert.equal(summary.alreadyDone + summary.done, killGrid().jobs.length);

    assert.equal(await duplicateMetricKeys(storePath(out)), 0);
    assert.deepEqual(await snapshot(storePath(out)), ref);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("runner: SIGINT stops gracefully, jobs checkpoint, rerun resumes to the same result", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "zg_sigint_" });
  try {
    const ref = await reference(`${tmp}/ref`);
    const out = `${tmp}/stopped`;
    const run = spawnGrid(out, ["--jobs", "2", "--sleep", "15"]);
    await run.waitFor(/^ckpt /, 6);
    run.child.kill("SIGINT");
    const status = await run.child.status;
    await run.drained;
    assert.equal(status.code, 130, run.lines.join("\n"));
    const summary = JSON.parse(run.lines.find((l) => l.startsWith("summary "))!.slice(8));
    assert.ok(summary.interrupted > 0);

    // Nothing is left half-done: interrupted jobs are pending with a checkpoint to resume from.
    const store = await openStore(storePath(out), { readOnly: true });
    const st = [...(await jobStatuses(store)).values()];
    await store.close();
    assert.equal(st.filter((r) => r.status === "running").length, 0);
    assert.ok(st.some((r) => r.status === "pending" && (r.lastStep ?? -1) > 0));

    const lines = await rerunToCompletion(out);
    assert.ok(lines.some((l) => /^start \S+ [1-9]/.test(l)), "no job resumed from a checkpoint");
    assert.equal(await duplicateMetricKeys(storePath(out)), 0);
    assert.deepEqual(await snapshot(storePath(out)), ref);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("signals: a second SIGINT ends the process at once even while the main thread is blocked", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./fixtures/block.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  assert.match(out, /ready/);
  child.kill("SIGINT");
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  child.kill("SIGINT");
  const [status, errText] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        out += value;
      }
    })(),
  ]).then(([s, e]) => [s, e] as const);
  const waited = Date.now() - t0;
  assert.equal(status.success, false);
  assert.ok(waited < 10_000, `took ${waited} ms after the second signal`);
  assert.doesNotMatch(out, /unblocked/);
  assert.match(errText, /second SIGINT; exiting now/);
});
