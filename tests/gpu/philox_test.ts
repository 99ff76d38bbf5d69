import assert from "node:assert/strict";
import { acquireGpu, readbackU32, run, tensor } from "../../lib/gpu/context.ts";
import { philoxBlocks } from "../../lib/gpu/ops/philox.ts";
import {
  mulhi32,
  philox4x32,
  samplingUniform,
  seedKey,
  wordToUniform,
} from "../../lib/gpu/philox.ts";

// Known answers for Philox4x32-10 from Random123's kat_vectors file (as reproduced in
// DEShawResearch/fs123 core123/ut/ut_philox.cpp): counter words, key words, expected output.
const KAT: { ctr: number[]; key: number[]; out: number[] }[] = [
  { ctr: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

Deno.test("philox: CPU mulhi32 equals the exact 64-bit product's high word", () => {
  const vals = [0, 1, 0xffff, 0x10000, 0xD2511F53, 0xCD9E8D57, 0xffffffff, 0x80000000, 12345678];
  for (const a of vals) {
    for (const b of vals) {
      assert.equal(mulhi32(a, b), Number((BigInt(a) * BigInt(b)) >> 32n), `${a} * ${b}`);
    }
  }
});

Deno.test("philox: CPU reference reproduces the Random123 known-answer vectors", () => {
  for (const v of KAT) {
    const got = philox4x32(v.ctr as [number, number, number, number], v.key as [number, number]);
    assert.deepEqual(got, v.out);
  }
});

Deno.test("philox: GPU kernel reproduces the known answers and matches the CPU on 1000 blocks", async () => {
  const gpu = await acquireGpu();
  try {
    const n = 1000 + KAT.length;
    const ctr = new Uint32Array(4 * n), key = new Uint32Array(2 * n);
    KAT.forEach((v, i) => {
      ctr.set(v.ctr, 4 * i);
      key.set(v.key, 2 * i);
    });
    for (let i = KAT.length; i < n; i++) {
      // Arbitrary but spread-out counters and keys (a multiplicative hash of i).
      ctr.set([i, Math.imul(i, 0x9E3779B9) >>> 0, i * 7, 0xfffffff0 + (i % 16)], 4 * i);
      key.set([Math.imul(i, 0x85EBCA6B) >>> 0, i], 2 * i);
    }
    const out = tensor(gpu, [4 * n]);
    await run(gpu, (r) => {
      philoxBlocks(r, out, tensor(gpu, [4 * n], ctr), tensor(gpu, [2 * n], key), { n });
    });
    const got = await readbackU32(gpu, out);
    for (let i = 0; i < n; i++) {
      const want = philox4x32(
        [ctr[4 * i], ctr[4 * i + 1], ctr[4 * i + 2], ctr[4 * i + 3]],
        [key[2 * i], key[2 * i + 1]],
      );
      assert.deepEqual(Array.from(got.subarray(4 * i, 4 * i + 4)), want, `block ${i}`);
    }
  } finally {
    gpu.device.destroy();
  }
});

Deno.test("philox: sampling uniforms are in [0, 1), f32-exact, and keyed by every coordinate", () => {
  assert.equal(wordToUniform(0), 0);
  assert.ok(wordToUniform(0xffffffff) < 1);
  assert.deepEqual(seedKey(2 ** 32 + 5), [5, 1]);
  const base = samplingUniform(3, 4, 5, 6);
  assert.equal(Math.fround(base), base);
  assert.notEqual(samplingUniform(4, 4, 5, 6), base);
  assert.notEqual(samplingUniform(3, 5, 5, 6), base);
  assert.notEqual(samplingUniform(3, 4, 6, 6), base);
  assert.notEqual(samplingUniform(3, 4, 5, 7), base);
  assert.throws(() => seedKey(-1));
});
