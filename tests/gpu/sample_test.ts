import assert from "node:assert/strict";
import { acquireGpu, type Gpu, readbackU32, run, tensor } from "../../lib/gpu/context.ts";
import {
  SAMPLE_THREAD_MAX_VOCAB,
  type SampleOptions,
  sampleTokensWith,
  type SampleVariant,
} from "../../lib/gpu/ops/sample.ts";
import { keptSet, sampleRef } from "./sample_ref.ts";
import { randomF32 } from "./ref_util.ts";

async function sampleGpu(
  gpu: Gpu,
  logits: Float32Array<ArrayBuffer>,
  seqIds: number[],
  positions: number[],
  o: SampleOptions,
  variant: SampleVariant = "auto",
): Promise<number[]> {
  const out = tensor(gpu, [o.batch]);
  await run(gpu, (r) =>
    sampleTokensWith(
      r,
      out,
      tensor(gpu, [o.batch, o.vocab], logits),
      tensor(gpu, [o.batch], Uint32Array.from(seqIds)),
      tensor(gpu, [o.batch], Uint32Array.from(positions)),
      o,
      variant,
    ));
  return Array.from(await readbackU32(gpu, out));
}

const SETTINGS = [
  { temperature: 0, topK: 0, topP: 1 },
  { temperature: 1, topK: 0, topP: 1 },
  { temperature: 0.7, topK: 5, topP: 1 },
  { temperature: 1.3, topK: 0, topP: 0.9 },
  { temperature: 1, topK: 20, topP: 0.8 },
  { temperature: 0.05, topK: 3, topP: 0.5 },
];

Deno.test("sample: GPU tokens equal the CPU reference for the same Philox draw (greedy, top-k, top-p, ties)", async () => {
  const gpu = await acquireGpu();
  try {
    let draws = 0;
    for (const [vi, V] of [1, 7, 33, 257, 1000, 8200].entries()) {
      const B = V >= 8200 ? 3 : V >= 257 ? 8 : 24;
      for (const [si, s] of SETTINGS.entries()) {
        let logits = randomF32(300 + 10 * vi + si, B * V, 4);
        // Every other setting quantizes logits to multiples of 0.5 so ties are common.
        if (si % 2 === 0) logits = logits.map((x) => Math.round(2 * x) / 2);
        const seqIds = Array.from({ length: B }, (_, b) => 1000 * vi + b);
        const positions = Array.from({ length: B }, (_, b) => (7 * b + si) % 50);
        const o = { batch: B, vocab: V, seed: 17, step: 3 + si, ...s };
        const want = sampleRef(logits, B, V, seqIds, positions, o);
        const variants = V <= SAMPLE_THREAD_MAX_VOCAB ? ["thread", "workgroup"] as const : [
          "workgroup",
        ] as const;
        for (const variant of variants) {
          const got = await sampleGpu(gpu, logits, seqIds, positions, o, variant);
          assert.deepEqual(got, want, `${variant} kernel, V=${V} settings=${JSON.stringify(s)}`);
        }
        draws += B;
      }
    }
    assert.ok(draws > 500);
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("sample: a sequence's token depends on (seed, step, seq, pos), not on its batch", async () => {
  const gpu = await acquireGpu();
  try {
    const V = 50;
    const batch = randomF32(400, 5 * V, 3);
    const seqIds = [9, 2, 41, 7, 3], positions = [11, 0, 5, 30, 17];
    const o = { batch: 5, vocab: V, seed: 123, step: 8, temperature: 1, topK: 0, topP: 0.95 };
    const together = await sampleGpu(gpu, batch, seqIds, positions, o);
    assert.ok(new Set(together).size > 1, `degenerate draws ${together}`);
    for (let b = 0; b < 5; b++) {
      const alone = await sampleGpu(gpu, batch.slice(b * V, (b + 1) * V), [seqIds[b]], [
        positions[b],
      ], { ...o, batch: 1 });
      assert.equal(alone[0], together[b], `sequence ${seqIds[b]} alone vs in a batch of 5`);
    }
    // Reordering the batch permutes the tokens and changes nothing else.
    const perm = [3, 0, 4, 1, 2];
    const permuted = new Float32Array(5 * V);
    perm.forEach((src, dst) => permuted.set(batch.subarray(src * V, (src + 1) * V), dst * V));
    const reordered = await sampleGpu(
      gpu,
      permuted,
      perm.map((i) => seqIds[i]),
      perm.map((i) => positions[i]),
      o,
    );
    assert.deepEqual(reordered, perm.map((i) => together[i]));
  } finally {
    gpu.device.destroy();
  }
});

// Chi-square goodness of fit of GPU draws against the kept-set probabilities. The draws are
// seeded, so the test is deterministic; the bound is the 0.999 quantile of chi-square.
Deno.test("sample: draw frequencies match the filtered softmax (chi-square), filtered tokens never drawn", async () => {
  const gpu = await acquireGpu();
  try {
    const V = 12, N = 2500;
    const row = Float32Array.from([1.5, -0.3, 0.8, 2.1, 0.0, -1.2, 1.1, 0.4, -2.0, 1.9, 0.6, -0.7]);
    const cases = [
      { s: { temperature: 0.8, topK: 6, topP: 1 }, crit: 20.52 }, // df 5
      { s: { temperature: 1.2, topK: 0, topP: 0.7 }, crit: 0 },
    ];
    for (const c of cases) {
      const { idx, w } = keptSet(row, c.s);
      const df = idx.length - 1;
      const crit = c.crit || [0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12][df];
      const logits = new Float32Array(N * V);
      for (let n = 0; n < N; n++) logits.set(row, n * V);
      const got = await sampleGpu(
        gpu,
        logits,
        Array.from({ length: N }, () => 5),
        Array.from({ length: N }, (_, n) => n),
        { batch: N, vocab: V, seed: 99, step: 1, ...c.s },
      );
      const counts = new Array(V).fill(0);
      for (const t of got) counts[t]++;
      const total = idx.reduce((a, i) => a + w[i], 0);
      let chi2 = 0;
      for (let i = 0; i < V; i++) {
        if (!idx.includes(i)) {
          assert.equal(counts[i], 0, `filtered token ${i} drawn`);
          continue;
        }
        const e = (N * w[i]) / total;
        chi2 += (counts[i] - e) ** 2 / e;
      }
      assert.ok(df >= 1 && chi2 < crit, `chi2 ${chi2.toFixed(2)} >= ${crit} (df ${df})`);
    }
  } finally {
    gpu.device.destroy();
  }
});
