import assert from "node:assert/strict";
import {
  cvbench,
  imageHash,
  renderScene,
  satSample,
  TaskConfigError,
  trainPool,
} from "../../lib/tasks/mod.ts";
import { sceneKey } from "../../lib/tasks/world.ts";
import { DATA } from "./fixtures.ts";

Deno.test("datasets: pool, samples and benchmark are deterministic per seed", () => {
  const a = trainPool(0, DATA);
  const b = trainPool(0, DATA);
  assert.deepEqual(a.hashes, b.hashes);
  assert.notDeepEqual(trainPool(1, DATA).hashes, a.hashes);
  for (let i = 0; i < 50; i++) {
    const [x, y] = [satSample(a, i), satSample(b, i)];
    assert.equal(x.question, y.question);
    assert.deepEqual(x.choices, y.choices);
    assert.deepEqual(x.image, y.image);
  }
  const [c1, c2] = [cvbench(DATA), cvbench(DATA)];
  assert.deepEqual(c1.map((s) => imageHash(s.image)), c2.map((s) => imageHash(s.image)));
  assert.deepEqual(c1.map((s) => s.question), c2.map((s) => s.question));
});

Deno.test("datasets: no train/benchmark overlap by content hash, for several seeds", () => {
  const bench = cvbench(DATA);
  const benchImages = new Set(bench.map((s) => imageHash(s.image)));
  const benchScenes = new Set(bench.map((s) => sceneKey(s.scene)));
  // The stored hash is the hash of the stored image, which is the render of the stored scene.
  for (const s of bench.slice(0, 20)) {
    assert.equal(imageHash(s.image), imageHash(renderScene(s.scene, DATA.image_size)));
  }
  for (const seed of [0, 1, 2]) {
    const pool = trainPool(seed, { ...DATA, train_scenes: 1000 }, bench);
    pool.scenes.forEach((scene, i) => {
      assert.equal(pool.hashes[i], imageHash(renderScene(scene, DATA.image_size)));
      assert.ok(!benchImages.has(pool.hashes[i]), `seed ${seed} scene ${i} is a bench image`);
      assert.ok(!benchScenes.has(sceneKey(scene)), `seed ${seed} scene ${i} is a bench scene`);
    });
  }
  // The hashes do discriminate: 1000 pool images are (almost surely) pairwise distinct.
  const pool = trainPool(0, { ...DATA, train_scenes: 1000 }, bench);
  assert.equal(new Set(pool.hashes).size, 1000);
});

Deno.test("datasets: the pool refuses a scene whose image is a benchmark image", () => {
  // Forge a "benchmark" made of the first pool scenes: the pool must then differ from before.
  const free = trainPool(0, { ...DATA, train_scenes: 10 }, []);
  const forged = [0, 1, 2].map((i) => ({ image: free.images[i] }));
  // deno-lint-ignore no-explicit-any
  const pool = trainPool(0, { ...DATA, train_scenes: 10 }, forged as any);
  for (let i = 0; i < 3; i++) assert.notEqual(pool.hashes[i], free.hashes[i]);
  assert.deepEqual(pool.hashes.slice(3), free.hashes.slice(3));
});

Deno.test("datasets: invalid data config raises TaskConfigError naming the key", () => {
  assert.throws(
    () => cvbench({ ...DATA, max_objects: 1 }),
    (e: Error) => e instanceof TaskConfigError && e.message.includes("data.max_objects"),
  );
  assert.throws(() => trainPool(0, { ...DATA, trace_error_rate: 2 }), TaskConfigError);
});
