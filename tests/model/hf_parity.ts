/**
 * Manual check (not a unit test: needs python3 with torch + transformers, as on the lent GPU
 * machine): export the `small` preset's language model as safetensors + config.json, load it in
 * transformers' Qwen2ForCausalLM, and compare its logits with zerogrid's GPU forward and the
 * float64 reference on the same token ids. Usage: deno run -A tests/model/hf_parity.ts [outDir]
 */
import { acquireGpu } from "../../lib/gpu/mod.ts";
import { modelConfig } from "../../lib/model/config.ts";
import { createGpuModel, forwardLogits } from "../../lib/model/gpu_model.ts";
import { initParams, uniformStream } from "../../lib/model/params.ts";
import { referenceLogits } from "../../lib/model/reference.ts";
import { exportHf } from "../../lib/model/safetensors.ts";
import { VOCAB_SIZE } from "../../lib/tasks/mod.ts";

const PY = `
import json, sys, numpy as np, torch
from transformers import Qwen2ForCausalLM
d = sys.argv[1]
ids = json.load(open(d + "/ids.json"))
B, T = ids["B"], ids["T"]
m = Qwen2ForCausalLM.from_pretrained(d, torch_dtype=torch.float32, attn_implementation="eager").eval()
with torch.no_grad():
    hf = m(torch.tensor(ids["ids"]).view(B, T)).logits.double().numpy().reshape(-1)
zg = np.fromfile(d + "/zg_logits.bin", dtype=np.float32).astype(np.float64)
ref = np.fromfile(d + "/ref_logits.bin", dtype=np.float64)
import transformers
print(json.dumps({"transformers": transformers.__version__, "torch": torch.__version__,
  "max_abs_logit": float(np.abs(ref).max()),
  "hf_vs_zerogrid": float(np.abs(hf - zg).max()), "hf_vs_reference": float(np.abs(hf - ref).max()),
  "zerogrid_vs_reference": float(np.abs(zg - ref).max())}))
`;

const dir = Deno.args[0] ?? await Deno.makeTempDir();
const c = modelConfig({ preset: "small" }, VOCAB_SIZE, 24);
const p = initParams(c, 1);
// Move norms and biases off their trivial init so every tensor's name and layout is exercised.
for (const e of p.layout.entries) {
  for (let i = e.offset; i < e.offset + e.size; i++) {
    if (e.init === "ones") p.data[i] = 1 + 0.2 * Math.sin(i);
    else if (e.init === "zeros") p.data[i] = 0.1 * Math.cos(i);
    else p.data[i] *= 3;
  }
}
await exportHf(dir, c, p);
const B = 2, T = 48;
const u = uniformStream(3, 4);
const ids = Array.from({ length: B * T }, () => Math.floor(u() * c.vocab_size));
const gpu = await acquireGpu();
const model = createGpuModel(gpu, c, p);
const batch = { batch: B, seq: T, images: null, tokens: Int32Array.from(ids) };
const zg = await forwardLogits(model, batch);
const ref = referenceLogits(p, c, batch);
await Deno.writeTextFile(`${dir}/ids.json`, JSON.stringify({ B, T, ids }));
await Deno.writeFile(`${dir}/zg_logits.bin`, new Uint8Array(zg.buffer));
await Deno.writeFile(`${dir}/ref_logits.bin`, new Uint8Array(ref.buffer));
let zr = 0;
for (let i = 0; i < ref.length; i++) zr = Math.max(zr, Math.abs(zg[i] - ref[i]));
console.log(
  `adapter ${gpu.adapter}; zerogrid vs float64 reference: max |diff| ${zr.toExponential(3)}`,
);
const out = await new Deno.Command("python3", { args: ["-c", PY, dir] }).output();
console.log(new TextDecoder().decode(out.stdout));
if (!out.success) console.log(new TextDecoder().decode(out.stderr).slice(-3000));
