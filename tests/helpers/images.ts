/** Image helpers for the learning tests. */

/** Each of `n` images replaced by the next one's (cyclically): what an image-blind model ignores. */
export function nextSceneImages(images: Float32Array, n: number): Float32Array {
  const pixels = images.length / n;
  const out = new Float32Array(images.length);
  for (let b = 0; b < n; b++) {
    const src = ((b + 1) % n) * pixels;
    out.set(images.subarray(src, src + pixels), b * pixels);
  }
  return out;
}
