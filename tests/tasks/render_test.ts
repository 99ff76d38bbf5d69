import assert from "node:assert/strict";
import {
  apparentRadius,
  BACKGROUND,
  generateScene,
  renderScene,
  rng,
  type Scene,
  visibility,
} from "../../lib/tasks/mod.ts";
import { DATA } from "./fixtures.ts";

const pixel = (img: Float32Array, size: number, x: number, y: number) => {
  const o = (Math.floor(y * size) * size + Math.floor(x * size)) * 3;
  return [img[o], img[o + 1], img[o + 2]];
};

Deno.test("render: deterministic per seed, shape [H,W,3], values in [0,1]", () => {
  for (let i = 0; i < 20; i++) {
    const a = renderScene(generateScene(rng(5, `r/${i}`), DATA), DATA.image_size);
    const b = renderScene(generateScene(rng(5, `r/${i}`), DATA), DATA.image_size);
    assert.equal(a.length, DATA.image_size * DATA.image_size * 3);
    assert.deepEqual(a, b);
    assert.ok(a.every((v) => v >= 0 && v <= 1));
  }
  const c = renderScene(generateScene(rng(6, "r/0"), DATA), DATA.image_size);
  assert.notDeepEqual(c, renderScene(generateScene(rng(5, "r/0"), DATA), DATA.image_size));
});

Deno.test("render: nearer objects are larger and brighter, and occlude farther ones", () => {
  const near = {
    shape: "square" as const,
    colour: "red" as const,
    x: 0.5,
    y: 0.5,
    z: 0.05,
    size: 1,
  };
  const far = {
    shape: "square" as const,
    colour: "blue" as const,
    x: 0.5,
    y: 0.5,
    z: 0.9,
    size: 1,
  };
  assert.ok(apparentRadius(near) > apparentRadius(far));
  const size = 24;
  // Same position, either list order: the near (red) one must be on top.
  for (const objects of [[near, far], [far, near]]) {
    const img = renderScene({ objects }, size);
    const [r, g, b] = pixel(img, size, 0.5, 0.5);
    assert.ok(r > 0.8 && b < 0.3, `centre pixel ${[r, g, b]}`);
  }
  // Alone, the far object covers fewer pixels and is darker than the near one.
  const count = (s: Scene) => visibility(s, size).total[0];
  assert.ok(count({ objects: [near] }) > 1.5 * count({ objects: [far] }));
  const farImg = renderScene({ objects: [{ ...far, colour: "red" }] }, size);
  const nearImg = renderScene({ objects: [near] }, size);
  assert.ok(pixel(nearImg, size, 0.5, 0.5)[0] > pixel(farImg, size, 0.5, 0.5)[0] + 0.3);
  // Away from objects, the background.
  assert.deepEqual(
    pixel(nearImg, size, 0.02, 0.02).map((v) => Math.round(v * 1000)),
    BACKGROUND.map((v) => Math.round(v * 1000)),
  );
});

Deno.test("render: generated scenes respect object bounds and keep every object >=60% visible", () => {
  for (const data of [DATA, { ...DATA, min_objects: 6, max_objects: 8, image_size: 32 }]) {
    for (let i = 0; i < 50; i++) {
      const s = generateScene(rng(9, `v/${i}`), data);
      assert.ok(s.objects.length >= data.min_objects && s.objects.length <= data.max_objects);
      const names = new Set(s.objects.map((o) => `${o.colour} ${o.shape}`));
      assert.equal(names.size, s.objects.length, "colour+shape pairs are unique");
      const { total, visible } = visibility(s, data.image_size);
      total.forEach((t, k) => assert.ok(visible[k] >= 0.6 * t && t > 0));
    }
  }
});
