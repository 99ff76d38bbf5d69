/**
 * The stage table of CONFIG.md: which config sections each job kind reads and which stages a grid
 * point needs; points become deduplicated jobs whose ids hash exactly what they read.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../spec/mod.ts";
import type { ConfigValue, Experiment, JobConfig } from "../spec/mod.ts";
import type { Job, JobGraph, Point } from "./types.ts";
import { expandPoints, formatValue } from "./expand.ts";

/** The job kinds of the pipeline, in dependency order. */
export const STAGE_KINDS = ["pretrain", "instruct", "sft", "rl", "eval"] as const;
/** One of {@link STAGE_KINDS}. */
export type StageKind = typeof STAGE_KINDS[number];

/** Top-level config keys each kind reads; a job's id depends on these and nothing else. */
export const STAGE_READS: Record<StageKind, readonly string[]> = {
  pretrain: ["seed", "model", "data", "pretrain"],
  instruct: ["seed", "model", "data", "instruct"],
  sft: ["seed", "model", "data", "init", "sft"],
  rl: ["seed", "model", "data", "init", "rl"],
  eval: ["seed", "model", "data", "eval"],
};

const SORTED_READS = Object.fromEntries(
  STAGE_KINDS.map((k) => [k, [...STAGE_READS[k]].sort()]),
) as Record<StageKind, string[]>;

/** Role of each kind in `Point.jobs`; the eval job is the point's `final`. */
export const STAGE_ROLE: Record<StageKind, string> = {
  pretrain: "pretrain",
  instruct: "instruct",
  sft: "sft",
  rl: "rl",
  eval: "final",
};

/** The stages a point runs, in order, from its `init` and `method`. */
export function stagesFor(config: JobConfig): StageKind[] {
  const out: StageKind[] = ["pretrain"];
  if (config.init === "instruct") out.push("instruct");
  if (config.method === "sft" || config.method === "sft_rl") out.push("sft");
  if (config.method === "rl" || config.method === "sft_rl") out.push("rl");
  out.push("eval");
  return out;
}

/** The sections of `config` that `kind` reads. */
export function configSlice(kind: StageKind, config: JobConfig): JobConfig {
  const out: JobConfig = {};
  for (const k of STAGE_READS[kind]) out[k] = config[k];
  return out;
}

/** Job id: sha256 of canonical JSON `{kind, slice, inputs, codeVersion}`, first 16 hex chars. */
export function jobId(
  kind: string,
  slice: JobConfig,
  inputs: Record<string, string>,
  codeVersion: string,
): string {
  return hash16(canonicalJson({ kind, slice, inputs, codeVersion }));
}

function hash16(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** Expands an experiment into its job DAG (topologically ordered) and its points. */
export function expandGraph(experiment: Experiment, codeVersion: string): JobGraph {
  const resolved = expandPoints(experiment);
  const jobs = new Map<string, Job>();
  const points: Point[] = [];
  // Points share frozen section objects (see expandPoints), so canonical text is cached per
  // object, and a job is first looked up by a short key naming its section objects; the full
  // canonical payload is built and hashed only when that key is new.
  const objectText = new WeakMap<object, string>();
  const objectNo = new WeakMap<object, number>();
  let nextObjectNo = 0;
  const idOfShort = new Map<string, string>();
  const text = (v: ConfigValue) => {
    if (v === null || typeof v !== "object") return canonicalJson(v);
    let t = objectText.get(v);
    if (t === undefined) objectText.set(v, t = canonicalJson(v));
    return t;
  };
  const ref = (v: ConfigValue) => {
    if (v === null || typeof v !== "object") return canonicalJson(v);
    let n = objectNo.get(v);
    if (n === undefined) objectNo.set(v, n = nextObjectNo++);
    return `#${n}`;
  };
  for (const rp of resolved) {
    const cfg = rp.config;
    const roles: Record<string, string> = {};
    let prev: string | undefined;
    const stages = stagesFor(cfg);
    for (let s = 0; s < stages.length; s++) {
      const kind = stages[s];
      const reads = STAGE_READS[kind];
      let short = `${kind}|${prev ?? ""}`;
      for (const k of reads) short += `|${ref(cfg[k])}`;
      let id = idOfShort.get(short);
      const inputs: Record<string, string> = prev === undefined ? {} : { model: prev };
      if (id === undefined) {
        // Same bytes as canonicalJson({kind, slice, inputs, codeVersion}); keys in sorted order.
        const slice = SORTED_READS[kind].map((k) => `${JSON.stringify(k)}:${text(cfg[k])}`);
        const payload = `{"codeVersion":${JSON.stringify(codeVersion)},"inputs":${
          canonicalJson(inputs)
        },"kind":${JSON.stringify(kind)},"slice":{${slice.join(",")}}}`;
        idOfShort.set(short, id = hash16(payload));
      }
      if (!jobs.has(id)) {
        // The label names the axes that reach this job through any stage of its chain.
        const chainReads = new Set(stages.slice(0, s + 1).flatMap((k) => STAGE_READS[k]));
        jobs.set(id, {
          id,
          kind,
          config: configSlice(kind, cfg),
          inputs,
          label: jobLabel(kind, rp.axes, chainReads),
        });
      }
      roles[STAGE_ROLE[kind]] = id;
      prev = id;
    }
    points.push({ key: rp.key, axes: rp.axes, config: cfg, jobs: roles });
  }
  // Stable sort by stage rank keeps every input before its consumers.
  const rank = (j: Job) => STAGE_KINDS.indexOf(j.kind as StageKind);
  const ordered = [...jobs.values()].sort((a, b) => rank(a) - rank(b));
  return { jobs: ordered, points, codeVersion };
}

/** A human label: the kind and the point's axis values that can reach this job. */
function jobLabel(
  kind: StageKind,
  axes: Record<string, ConfigValue>,
  chainReads: Set<string>,
): string {
  const parts: string[] = [kind];
  for (const [path, v] of Object.entries(axes)) {
    const top = path.split(".")[0];
    const relevant = top === "method"
      ? kind === "rl" || kind === "eval"
      : top === "init"
      ? kind !== "pretrain"
      : chainReads.has(top);
    if (relevant) parts.push(`${path}=${formatValue(v)}`);
  }
  return parts.join(" ");
}
