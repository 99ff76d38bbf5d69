import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  createArena,
  enableProfiling,
  GpuError,
  grid1d,
  preprocess,
  profileTable,
  readback,
  uniforms,
} from "../../lib/gpu/context.ts";
import { fill } from "../../lib/gpu/ops/elementwise.ts";
import { gpu, gpuTest, step, zeros } from "./helpers.ts";

Deno.test({
  name: "arena: named tensors allocated once, looked up, counted and freed",
  ...gpuTest,
  async fn() {
    const g = await gpu();
    const arena = createArena(g, "test");
    const w = arena.alloc("w", [3, 4], new Float32Array(12).fill(2));
    arena.alloc("b", [4]);
    strictEqual(arena.get("w"), w);
    deepStrictEqual(arena.names(), ["w", "b"]);
    strictEqual(arena.bytes(), 64);
    throws(() => arena.alloc("w", [1]), GpuError);
    throws(() => arena.get("nope"), /no tensor "nope"/);
    deepStrictEqual(Array.from(await readback(g, w)), new Array(12).fill(2));
    arena.free();
    deepStrictEqual(arena.names(), []);
  },
});

Deno.test("preprocess: //#if/else/endif blocks, nesting and ${NAME} substitution", () => {
  const src = "a ${X}\n//#if F\nb\n//#if !G\nc\n//#else\nd\n//#endif\n//#else\ne\n//#endif\nf";
  strictEqual(preprocess(src, { X: 3, F: true, G: false }), "a 3\nb\nc\nf");
  strictEqual(preprocess(src, { X: 1, F: false, G: true }), "a 1\ne\nf");
  throws(() => preprocess("//#if H\n//#endif", {}), /H is not defined/);
  throws(() => preprocess("${Y}", {}), /Y/);
});

Deno.test("uniforms and grid1d: packing and large grids", () => {
  const u = uniforms([1, 2], [0.5]);
  strictEqual(u.byteLength, 16);
  deepStrictEqual(Array.from(new Uint32Array(u.buffer, 0, 2)), [1, 2]);
  strictEqual(new Float32Array(u.buffer)[2], 0.5);
  throws(() => uniforms([-1]), GpuError);
  deepStrictEqual(grid1d(1000, 256), [4, 1]);
  const [x, y] = grid1d(70000 * 256, 256);
  strictEqual(x <= 65535 && x * y >= 70000, true);
});

Deno.test({
  name: "profiler: timestamp-query times each labelled dispatch (when the adapter has it)",
  ...gpuTest,
  async fn() {
    const g = await gpu();
    if (!enableProfiling(g)) return; // no timestamp-query on this adapter: nothing to measure
    const tt = await zeros(1 << 16);
    await step((r) => {
      fill(r, tt, { n: 1 << 16, value: 1 });
      fill(r, tt, { n: 1 << 16, value: 2 });
    });
    const table = await profileTable(g);
    strictEqual(/fill\s+2\s/.test(table), true, table);
    g.profiler = undefined;
  },
});
