/** The code version hashes the computing code (lib/{gpu,model,tasks,train}, kernels/), deterministically. */
import assert from "node:assert/strict";
import { codeVersion, computeCodeVersion } from "../../lib/grid/mod.ts";

async function tree(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "zerogrid_cv_" });
  for (const [rel, text] of Object.entries(files)) {
    const path = `${root}/${rel}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  return root;
}

Deno.test("code version: depends on contents and names of the computing code only", async () => {
  const files = {
    "lib/train/a.ts": "a",
    "lib/model/sub/b.ts": "b",
    "kernels/k.wgsl": "k",
    "tests/t.ts": "t",
    "lib/report/r.ts": "r",
  };
  const r1 = await tree(files);
  // Same files written in another order give the same version.
  const r2 = await tree(Object.fromEntries(Object.entries(files).reverse()));
  const v1 = await computeCodeVersion(r1);
  assert.match(v1, /^[0-9a-f]{16}$/);
  assert.equal(await computeCodeVersion(r2), v1);
  await Deno.writeTextFile(`${r2}/tests/t.ts`, "changed");
  assert.equal(await computeCodeVersion(r2), v1, "tests/ is not code");
  await Deno.writeTextFile(`${r2}/lib/report/r.ts`, "changed");
  assert.equal(await computeCodeVersion(r2), v1, "report code does not change what a job computes");
  await Deno.writeTextFile(`${r2}/kernels/k.wgsl`, "k2");
  const v2 = await computeCodeVersion(r2);
  assert.notEqual(v2, v1);
  await Deno.writeTextFile(`${r2}/lib/model/sub/b.ts`, "b2");
  assert.notEqual(await computeCodeVersion(r2), v2);
  // Moving content between files changes the version too.
  const r3 = await tree({
    "lib/train/a.ts": "ab",
    "lib/model/sub/b.ts": "",
    "kernels/k.wgsl": "k",
    "tests/t.ts": "t",
    "lib/report/r.ts": "r",
  });
  assert.notEqual(await computeCodeVersion(r3), v1);
  for (const r of [r1, r2, r3]) await Deno.remove(r, { recursive: true });
});

Deno.test("code version of this checkout hashes the project's computing folders", async () => {
  const a = await codeVersion();
  assert.match(a, /^[0-9a-f]{16}$/);
  const root = new URL("../../", import.meta.url);
  assert.equal(await computeCodeVersion(decodeURIComponent(root.pathname)), a);
});
