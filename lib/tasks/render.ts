/**
 * Deterministic rasteriser: scenes → small RGB images. Painter's order by depth (far first), so
 * nearer objects occlude farther ones; 2×2 supersampling keeps few-pixel shapes distinguishable.
 * Only IEEE-exact arithmetic on the inputs is used, so the same scene gives the same bytes anywhere.
 */
import { apparentRadius, brightness, COLOUR_RGB, type Scene, type Shape } from "./world.ts";

/** Background colour; far objects fade towards it. */
export const BACKGROUND: readonly [number, number, number] = [0.05, 0.05, 0.08];

const SUB = 2; // supersamples per pixel side

function inside(shape: Shape, dx: number, dy: number): boolean {
  switch (shape) {
    case "circle":
      return dx * dx + dy * dy <= 1;
    case "square":
      return Math.abs(dx) <= 0.85 && Math.abs(dy) <= 0.85;
    case "triangle":
      // Upward triangle with apex at dy = -1 and base at dy = 0.8.
      return dy <= 0.8 && dy >= -1 && Math.abs(dx) <= (dy + 1) * 0.55;
  }
}

/** Far-to-near drawing order (ties by index, so the order is total). */
export function paintOrder(scene: Scene): number[] {
  return scene.objects.map((_, i) => i).sort((a, b) =>
    scene.objects[b].z - scene.objects[a].z || a - b
  );
}

/** The object owning each supersample (-1 = background), side `size * 2`. */
function rasterise(scene: Scene, size: number): Int16Array {
  const side = size * SUB;
  const owner = new Int16Array(side * side).fill(-1);
  for (const i of paintOrder(scene)) {
    const o = scene.objects[i];
    const r = apparentRadius(o);
    const x0 = Math.max(0, Math.floor((o.x - r) * side));
    const x1 = Math.min(side - 1, Math.ceil((o.x + r) * side));
    const y0 = Math.max(0, Math.floor((o.y - r) * side));
    const y1 = Math.min(side - 1, Math.ceil((o.y + r) * side));
    for (let py = y0; py <= y1; py++) {
      const dy = ((py + 0.5) / side - o.y) / r;
      for (let px = x0; px <= x1; px++) {
        const dx = ((px + 0.5) / side - o.x) / r;
        if (inside(o.shape, dx, dy)) owner[py * side + px] = i;
      }
    }
  }
  return owner;
}

/** Render to a `[size, size, 3]` row-major Float32Array with values in [0, 1]. */
export function renderScene(scene: Scene, size: number): Float32Array {
  const owner = rasterise(scene, size);
  const colours = scene.objects.map((o) => {
    const c = COLOUR_RGB[o.colour];
    const f = brightness(o);
    return [0, 1, 2].map((k) => BACKGROUND[k] + (c[k] - BACKGROUND[k]) * f);
  });
  const side = size * SUB;
  const img = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const acc = [0, 0, 0];
      for (let sy = 0; sy < SUB; sy++) {
        for (let sx = 0; sx < SUB; sx++) {
          const id = owner[(y * SUB + sy) * side + x * SUB + sx];
          const c = id < 0 ? BACKGROUND : colours[id];
          acc[0] += c[0];
          acc[1] += c[1];
          acc[2] += c[2];
        }
      }
      const o = (y * size + x) * 3;
      for (let k = 0; k < 3; k++) img[o + k] = acc[k] / (SUB * SUB);
    }
  }
  return img;
}

/** Per object: supersamples it covers alone (`total`) and those still visible in the scene. */
export function visibility(scene: Scene, size: number): { total: number[]; visible: number[] } {
  const owner = rasterise(scene, size);
  const visible = scene.objects.map(() => 0);
  for (const id of owner) if (id >= 0) visible[id]++;
  const total = scene.objects.map((o) => {
    const alone = rasterise({ objects: [o] }, size);
    let n = 0;
    for (const id of alone) if (id >= 0) n++;
    return n;
  });
  return { total, visible };
}

/** Image quantised to bytes: the canonical content for hashing. */
export function imageBytes(img: Float32Array): Uint8Array {
  const out = new Uint8Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, img[i])) * 255);
  return out;
}
