/**
 * Spec parsing: YAML with positions → zod validation → semantic checks → a resolved `Experiment`.
 * Every problem is collected (not just the first) and reported as one `SpecError`.
 */
import { createHash } from "node:crypto";
import type { z } from "zod";
import type { Claim, ConfigValue, Experiment, JobConfig, ReportSpec } from "./types.ts";
import {
  CompareClaimSchema,
  ConfigSchema,
  EVAL_FAMILIES,
  SpecFileSchema,
  TRAIN_METRICS,
  TrendClaimSchema,
} from "./schema.ts";
import { SpecError, type SpecIssue } from "./errors.ts";
import { formatPath, type KeyPath, parseSource, type Source } from "./source.ts";
import { allPaths, describeExpected, objectKeys, schemaAt } from "./schema_walk.ts";
import { didYouMean } from "./suggest.ts";
import { canonicalJson, getPath, isRecord, withOverrides } from "./config_path.ts";

/** Every dotted config path an axis, include or exclude may name. */
export const CONFIG_PATHS: readonly string[] = allPaths(ConfigSchema);
const CONFIG_PATH_SET = new Set(CONFIG_PATHS);
const CONFIG_TOP = objectKeys(ConfigSchema);

/** Every valid metric reference, for suggestions. */
const METRIC_REFS = [
  "eval:overall",
  ...EVAL_FAMILIES.map((f) => `eval:${f}`),
  ...TRAIN_METRICS.map((m) => `train:${m}`),
];

/** Reads a spec file and parses it; throws `SpecError` listing every problem. */
export async function loadSpec(file: string): Promise<Experiment> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    throw new SpecError([{
      file,
      line: 0,
      column: 0,
      path: "",
      message: `cannot read spec file: ${(err as Error).message}`,
    }]);
  }
  return parseSpec(text, file);
}

/** Parses spec text (named `file` in messages); throws `SpecError` listing every problem. */
export function parseSpec(text: string, file: string): Experiment {
  const src = parseSource(text);
  const c = new Collector(file, src);
  for (const p of src.problems) {
    c.issues.push({
      file,
      line: p.position.line,
      column: p.position.column,
      path: formatPath(p.path),
      message: p.message,
    });
  }
  if (src.problems.some((p) => p.fatal)) throw new SpecError(c.issues);

  let raw = src.data ?? {};
  if (!isRecord(raw)) {
    c.add([], `expected a mapping at the top level, found ${found(raw)}`);
    throw new SpecError(c.issues);
  }
  // An empty section (`axes:` with nothing under it) means the same as leaving it out.
  raw = Object.fromEntries(Object.entries(raw).filter(([k, v]) => !(v === null && k !== "name")));
  const top = raw as Record<string, unknown>;

  const parsed = SpecFileSchema.safeParse(top);
  if (!parsed.success) c.zodIssues(parsed.error.issues, [], SpecFileSchema, top);

  const baseConfig = ConfigSchema.safeParse(top.base ?? {});
  const base = baseConfig.success ? baseConfig.data as unknown as JobConfig : undefined;
  const axes = checkAxes(c, top.axes, base);
  const axisPaths = axes.map((a) => a.path);
  const linked = checkLinked(c, top.linked, axes);
  const include = checkAssignments(c, top.include, "include", axes);
  const exclude = checkAssignments(c, top.exclude, "exclude", axes);
  // Arms, rows and columns may name axes and the extra keys that `include` sets; an extra key
  // also takes its base value on every other point. An empty list means "not checkable".
  const armValues = new Map(axes.map((a) => [a.path, a.values.map((v) => canonicalJson(v))]));
  for (const inc of include) {
    for (const [k, v] of Object.entries(inc)) {
      if (!armValues.has(k)) armValues.set(k, base ? [canonicalJson(getPath(base, k))] : []);
      const vals = armValues.get(k)!;
      if (vals.length > 0 && !vals.includes(canonicalJson(v))) vals.push(canonicalJson(v));
    }
  }
  const report = checkReport(c, top.report, axisPaths, [...armValues.keys()]);
  const claims = checkClaims(c, top.claims, armValues);

  if (c.issues.length > 0 || !parsed.success || base === undefined) {
    throw new SpecError(c.issues);
  }
  return {
    name: parsed.data.name,
    description: parsed.data.description,
    file,
    text,
    hash: createHash("sha256").update(text).digest("hex"),
    base,
    axes,
    linked,
    include,
    exclude,
    report,
    claims,
    locations: locations(src, axes.map((a) => a.path), include.length, claims),
  };
}

/** Positions of the spec parts that grid expansion may need to point at. */
function locations(src: Source, axisPaths: string[], nInclude: number, claims: Claim[]) {
  const out: Record<string, { line: number; column: number }> = {};
  const put = (path: KeyPath, at: "key" | "value" = "key") => {
    out[formatPath(path)] = src.locate(path, at);
  };
  put(["axes"]);
  for (const p of axisPaths) put(["axes", p]);
  for (let i = 0; i < nInclude; i++) put(["include", i], "value");
  claims.forEach((c, i) => {
    if (c.kind === "compare") {
      put(["claims", i, "compare", "a"]);
      put(["claims", i, "compare", "b"]);
    } else {
      put(["claims", i, "trend", "arm"]);
    }
  });
  return out;
}

/** Accumulates issues with positions resolved from the YAML source. */
class Collector {
  issues: SpecIssue[] = [];
  constructor(readonly file: string, readonly src: Source) {}

  /** Records a problem at `path` (pointing at its key or its value). */
  add(path: KeyPath, message: string, at: "key" | "value" = "value") {
    const p = this.src.locate(path, at);
    this.issues.push({
      file: this.file,
      line: p.line,
      column: p.column,
      path: formatPath(path),
      message,
    });
  }

  /** Turns zod issues (relative to `prefix`, checked by `schema` against `data`) into messages. */
  zodIssues(
    issues: readonly z.core.$ZodIssue[],
    prefix: KeyPath,
    schema: z.ZodType,
    data: unknown,
  ) {
    for (const issue of issues) {
      const rel = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
      const path = [...prefix, ...rel];
      const value = valueAt(data, rel);
      const field = schemaAt(schema, rel);
      switch (issue.code) {
        case "unrecognized_keys": {
          const known = objectKeys(schemaAt(schema, rel));
          for (const key of issue.keys) {
            if (path.length === 0 && schema === SpecFileSchema && CONFIG_TOP.includes(key)) {
              this.add(
                [key],
                `unknown key "${key}": config settings go under base: (or vary them under axes:)`,
                "key",
              );
              continue;
            }
            const hint = didYouMean(key, known);
            this.add(
              [...path, key],
              `unknown key "${key}"${hint || `; expected one of: ${known.join(", ")}`}`,
              "key",
            );
          }
          break;
        }
        case "invalid_value": {
          const allowed = issue.values.map(String);
          this.add(
            path,
            `expected one of ${allowed.join(" | ")}, found ${found(value)}${
              typeof value === "string" ? didYouMean(value, allowed) : ""
            }`,
          );
          break;
        }
        case "invalid_type":
          if (value === undefined) {
            const name = String(rel[rel.length - 1] ?? "");
            this.add(
              path.slice(0, -1),
              `missing required key "${name}" (${
                field ? describeExpected(field) : issue.expected
              })`,
            );
          } else {
            this.add(
              path,
              `expected ${field ? describeExpected(field) : issue.expected}, found ${found(value)}${
                yamlBooleanHint(issue.expected, value)
              }`,
            );
          }
          break;
        case "custom":
          this.add(path, issue.message);
          break;
        case "invalid_format":
          this.add(path, `${issue.message}, found ${found(value)}`);
          break;
        default:
          this.add(
            path,
            field ? `expected ${describeExpected(field)}, found ${found(value)}` : issue.message,
          );
      }
    }
  }
}

/** YAML 1.2 (what the parser reads) has only true/false; YAML 1.1 words are strings there. */
function yamlBooleanHint(expected: string, value: unknown): string {
  const words = ["yes", "no", "on", "off", "y", "n"];
  return expected === "boolean" && typeof value === "string" && words.includes(value.toLowerCase())
    ? ` (YAML 1.2 reads ${value} as a string; write true or false)`
    : "";
}

/** A short rendering of a found value for messages. */
function found(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `a list (${truncate(JSON.stringify(v))})`;
  return `a mapping (${truncate(JSON.stringify(v))})`;
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let cur = data;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/** Validates `value` as the config field at `configPath`; reports issues under `at`. */
function checkFieldValue(c: Collector, configPath: string, value: unknown, at: KeyPath): boolean {
  const field = schemaAt(ConfigSchema, configPath.split("."))!;
  const r = field.safeParse(value);
  if (!r.success) c.zodIssues(r.error.issues, at, field, value);
  return r.success;
}

/** Checks a dotted config path named by an axis, include or exclude key. */
function checkConfigPath(c: Collector, path: string, at: KeyPath): boolean {
  if (CONFIG_PATH_SET.has(path)) return true;
  c.add(at, `unknown config path "${path}"${didYouMean(path, CONFIG_PATHS)}`, "key");
  return false;
}

function checkAxes(c: Collector, raw: unknown, base: JobConfig | undefined) {
  const out: { path: string; values: ConfigValue[] }[] = [];
  if (!isRecord(raw)) return out;
  for (const [path, values] of Object.entries(raw)) {
    const at = ["axes", path];
    if (!checkConfigPath(c, path, at)) continue;
    if (!Array.isArray(values)) continue; // reported by the file schema
    if (values.length === 0) {
      c.add(at, `axis "${path}" has no values; expected a non-empty list`);
      out.push({ path, values: [] });
      continue;
    }
    let ok = true;
    const seen = new Map<string, number>();
    values.forEach((v, i) => {
      if (!checkFieldValue(c, path, v, [...at, i])) {
        ok = false;
        return;
      }
      const key = canonicalJson(v);
      if (seen.has(key)) {
        c.add(
          [...at, i],
          `duplicate value ${found(v)} on axis "${path}" (also at index ${seen.get(key)})`,
        );
        ok = false;
      } else {
        seen.set(key, i);
      }
      // A value valid on its own can still break a cross-field rule of the config.
      if (base) {
        const r = ConfigSchema.safeParse(withOverrides(base, [[path, v as ConfigValue]]));
        if (!r.success) {
          for (const iss of r.error.issues) {
            c.add(
              [...at, i],
              `with ${path} = ${found(v)}: ${formatPath(iss.path as KeyPath)}: ${iss.message}`,
            );
          }
          ok = false;
        }
      }
    });
    if (ok) out.push({ path, values: values as ConfigValue[] });
    else out.push({ path, values: [] });
  }
  for (const a of out) {
    for (const b of out) {
      if (a !== b && b.path.startsWith(`${a.path}.`)) {
        c.add(
          ["axes", b.path],
          `axis "${b.path}" lies inside axis "${a.path}"; set one or the other`,
          "key",
        );
      }
    }
  }
  return out;
}

function checkLinked(c: Collector, raw: unknown, axes: { path: string; values: unknown[] }[]) {
  const out: string[][] = [];
  if (!Array.isArray(raw)) return out;
  const axisPaths = axes.map((a) => a.path);
  const owner = new Map<string, number>();
  raw.forEach((group, g) => {
    if (!Array.isArray(group) || !group.every((p) => typeof p === "string")) return;
    if (group.length < 2) {
      c.add(["linked", g], `a linked group needs at least 2 axes, found ${group.length}`);
    }
    let ok = true;
    group.forEach((p: string, i: number) => {
      if (!axisPaths.includes(p)) {
        c.add(
          ["linked", g, i],
          `"${p}" is not an axis (linked groups name axes)${didYouMean(p, axisPaths)}`,
        );
        ok = false;
      } else if (owner.has(p)) {
        c.add(["linked", g, i], `axis "${p}" is already in linked group ${owner.get(p)}`);
        ok = false;
      } else {
        owner.set(p, g);
      }
    });
    if (!ok) return;
    const lens = group.map((p: string) => axes.find((a) => a.path === p)!.values.length);
    if (lens.some((n) => n === 0)) return; // the axis itself was reported
    if (new Set(lens).size > 1) {
      const detail = group.map((p: string, i: number) => `${p} has ${lens[i]}`).join(", ");
      c.add(["linked", g], `linked axes must have equal lengths: ${detail}`);
      return;
    }
    out.push(group as string[]);
  });
  return out;
}

function checkAssignments(
  c: Collector,
  raw: unknown,
  section: "include" | "exclude",
  axes: { path: string; values: ConfigValue[] }[],
): Record<string, ConfigValue>[] {
  const out: Record<string, ConfigValue>[] = [];
  if (!Array.isArray(raw)) return out;
  const axisPaths = axes.map((a) => a.path);
  raw.forEach((entry, i) => {
    if (!isRecord(entry)) return; // reported by the file schema
    const at: KeyPath = [section, i];
    if (Object.keys(entry).length === 0) {
      c.add(at, `empty ${section} entry; expected axis assignments like { method: rl }`);
      return;
    }
    let ok = true;
    for (const [k, v] of Object.entries(entry)) {
      const axis = axes.find((a) => a.path === k);
      if (section === "exclude") {
        if (!axis) {
          c.add(
            [...at, k],
            `exclude names "${k}", which is not an axis${didYouMean(k, axisPaths)}`,
            "key",
          );
          ok = false;
          continue;
        }
        if (axis.values.length === 0) continue;
        if (!axis.values.some((av) => canonicalJson(av) === canonicalJson(v))) {
          const vals = axis.values.map((av) => typeof av === "string" ? av : canonicalJson(av));
          c.add(
            [...at, k],
            `expected one of the values of axis "${k}" (${vals.join(" | ")}), found ${found(v)}${
              typeof v === "string" ? didYouMean(v, vals) : ""
            }`,
          );
          ok = false;
        }
      } else {
        if (!axis && !CONFIG_PATH_SET.has(k)) {
          c.add(
            [...at, k],
            `include names "${k}", which is neither an axis nor a config path${
              didYouMean(k, [...axisPaths, ...CONFIG_PATHS])
            }`,
            "key",
          );
          ok = false;
          continue;
        }
        if (!checkFieldValue(c, k, v, [...at, k])) ok = false;
      }
    }
    if (ok) out.push(entry as Record<string, ConfigValue>);
  });
  return out;
}

/** Checks one metric reference; returns an error message or undefined. */
export function metricProblem(ref: unknown, curve: boolean): string | undefined {
  if (typeof ref !== "string") return `expected a metric reference, found ${found(ref)}`;
  const m = /^(eval|train):(.*)$/.exec(ref);
  if (!m) {
    return `expected eval:<family>, eval:overall or train:<name>, found "${ref}"${
      didYouMean(ref, METRIC_REFS)
    }`;
  }
  if (m[1] === "eval") {
    if (curve) return `expected a training curve train:<name>, found "${ref}" (evals are scalars)`;
    const fams = ["overall", ...EVAL_FAMILIES];
    if (!fams.includes(m[2])) {
      return `unknown eval family "${m[2]}"; expected one of ${fams.join(" | ")}${
        didYouMean(m[2], fams)
      }`;
    }
  } else if (!(TRAIN_METRICS as readonly string[]).includes(m[2])) {
    return `unknown training metric "${m[2]}"${
      didYouMean(m[2], TRAIN_METRICS) || `; expected one of ${TRAIN_METRICS.join(", ")}`
    }`;
  }
  return undefined;
}

function checkReport(
  c: Collector,
  raw: unknown,
  axisPaths: string[],
  armKeys: string[],
): ReportSpec {
  const fallback: ReportSpec = {
    rows: [],
    columns: [],
    metrics: ["eval:overall"],
    figures: [],
    interval: "t",
    confidence: 0.95,
  };
  if (raw !== undefined && !isRecord(raw)) return fallback;
  const rep = (raw ?? {}) as Record<string, unknown>;
  const checkAxisList = (key: "rows" | "columns") => {
    const list = rep[key];
    if (!Array.isArray(list)) return;
    list.forEach((p, i) => {
      if (typeof p !== "string") return;
      if (p === "seed") {
        c.add(
          ["report", key, i],
          `seed cannot be a report ${key.slice(0, -1)}: results are pooled across seeds`,
        );
      } else if (!armKeys.includes(p)) {
        c.add(["report", key, i], `"${p}" is not an axis${didYouMean(p, armKeys)}`);
      }
    });
  };
  checkAxisList("rows");
  checkAxisList("columns");
  const rows = Array.isArray(rep.rows) ? rep.rows : undefined;
  const columns = Array.isArray(rep.columns) ? rep.columns as string[] : [];
  if (rows) {
    rows.forEach((p, i) => {
      if (columns.includes(p)) c.add(["report", "rows", i], `"${p}" is both a row and a column`);
    });
  }
  for (const [key, curve] of [["metrics", false], ["figures", true]] as const) {
    const list = rep[key];
    if (!Array.isArray(list)) continue;
    list.forEach((m, i) => {
      const msg = metricProblem(m, curve);
      if (msg && typeof m === "string") c.add(["report", key, i], msg);
    });
  }
  const parsed = SpecFileSchema.shape.report.safeParse(raw);
  if (!parsed.success) return fallback;
  const d = parsed.data;
  return {
    rows: d.rows ?? axisPaths.filter((p) => p !== "seed" && !d.columns.includes(p)),
    columns: d.columns,
    metrics: d.metrics,
    figures: d.figures,
    interval: d.interval,
    confidence: d.confidence,
  };
}

function checkClaims(c: Collector, raw: unknown, armValues: Map<string, string[]>): Claim[] {
  const out: Claim[] = [];
  if (!Array.isArray(raw)) return out;
  const names = new Map<string, number>();
  const checkArm = (arm: unknown, at: KeyPath) => {
    if (!isRecord(arm)) return false;
    let ok = true;
    if (Object.keys(arm).length === 0) {
      c.add(at, "empty arm; expected axis assignments like { init: base, method: rl }");
      ok = false;
    }
    for (const [k, v] of Object.entries(arm)) {
      const vals = armValues.get(k);
      if (!vals) {
        c.add([...at, k], `"${k}" is not an axis${didYouMean(k, [...armValues.keys()])}`, "key");
        ok = false;
      } else if (vals.length > 0 && !vals.includes(canonicalJson(v))) {
        const shown = vals.map((s) => {
          const p = JSON.parse(s);
          return typeof p === "string" ? p : s;
        });
        c.add(
          [...at, k],
          `expected one of the values of axis "${k}" (${shown.join(" | ")}), found ${found(v)}${
            typeof v === "string" ? didYouMean(v, shown) : ""
          }`,
        );
        ok = false;
      }
    }
    return ok;
  };
  raw.forEach((entry, i) => {
    const at: KeyPath = ["claims", i];
    if (!isRecord(entry)) {
      c.add(at, `expected a claim mapping with "compare" or "trend", found ${found(entry)}`);
      return;
    }
    const isCompare = "compare" in entry;
    const isTrend = "trend" in entry;
    if (isCompare === isTrend) {
      c.add(
        at,
        isCompare
          ? 'a claim has either "compare" or "trend", not both'
          : `expected a claim with "compare" or "trend", found keys ${
            Object.keys(entry).join(", ") || "none"
          }`,
      );
      return;
    }
    if (typeof entry.name === "string") {
      if (names.has(entry.name)) {
        c.add(
          [...at, "name"],
          `duplicate claim name "${entry.name}" (also claim ${names.get(entry.name)})`,
        );
      } else {
        names.set(entry.name, i);
      }
    }
    const schema = isCompare ? CompareClaimSchema : TrendClaimSchema;
    const r = schema.safeParse(entry);
    if (!r.success) c.zodIssues(r.error.issues, at, schema, entry);
    const body = (isCompare ? entry.compare : entry.trend) as Record<string, unknown>;
    if (!isRecord(body)) return;
    const sect = isCompare ? "compare" : "trend";
    let ok = r.success;
    if (typeof body.metric === "string") {
      const msg = metricProblem(body.metric, isTrend);
      if (msg) {
        c.add([...at, sect, "metric"], msg);
        ok = false;
      }
    }
    if (isCompare) {
      ok = checkArm(body.a, [...at, sect, "a"]) && ok;
      ok = checkArm(body.b, [...at, sect, "b"]) && ok;
      if (isRecord(body.a) && isRecord(body.b) && canonicalJson(body.a) === canonicalJson(body.b)) {
        c.add(
          [...at, sect, "b"],
          "arm b is the same as arm a; a claim compares two different arms",
        );
        ok = false;
      }
      if (body.relation === "equivalent" && !(typeof body.margin === "number" && body.margin > 0)) {
        c.add([...at, sect], "an equivalence claim needs a margin > 0");
        ok = false;
      }
    } else {
      ok = checkArm(body.arm, [...at, sect, "arm"]) && ok;
    }
    if (!ok || !r.success) return;
    if ("compare" in r.data) {
      const d = r.data.compare;
      out.push({
        kind: "compare",
        name: r.data.name,
        metric: d.metric,
        a: d.a as Record<string, ConfigValue>,
        b: d.b as Record<string, ConfigValue>,
        relation: d.relation,
        margin: d.margin,
        alpha: r.data.alpha,
      });
    } else {
      const d = (r.data as z.infer<typeof TrendClaimSchema>).trend;
      out.push({
        kind: "trend",
        name: r.data.name,
        metric: d.metric,
        arm: d.arm as Record<string, ConfigValue>,
        direction: d.direction,
        alpha: r.data.alpha,
      });
    }
  });
  return out;
}
