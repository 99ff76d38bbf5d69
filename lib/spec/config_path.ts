/** Dotted-path access to configs, override application and canonical JSON. */
import type { ConfigValue, JobConfig } from "./types.ts";

/** True for plain mappings (not arrays, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The value at a dotted path, or undefined. */
export function getPath(obj: unknown, dotted: string): unknown {
  let cur = obj;
  for (const k of dotted.split(".")) {
    if (!isRecord(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** Deep merge: mappings merge key by key, anything else (lists included) replaces. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isRecord(base) || !isRecord(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

/**
 * A copy of `config` with each dotted-path override applied in order (mapping values merge into
 * what is there). Only the objects along each path are copied; the rest is shared.
 */
export function withOverrides(
  config: JobConfig,
  overrides: Iterable<[string, ConfigValue]>,
): JobConfig {
  let out: Record<string, unknown> = { ...config };
  for (const [path, value] of overrides) out = setPath(out, path.split("."), value);
  return out as JobConfig;
}

function setPath(obj: Record<string, unknown>, keys: string[], value: unknown) {
  const [head, ...rest] = keys;
  const copy = { ...obj };
  if (rest.length === 0) copy[head] = deepMerge(obj[head], value);
  else copy[head] = setPath(isRecord(obj[head]) ? obj[head] : {}, rest, value);
  return copy;
}

/** JSON with sorted keys and no whitespace, so equal values always give equal text. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") {
    if (typeof v === "number" && !Number.isFinite(v)) {
      throw new Error(`canonicalJson: non-finite number ${v}`);
    }
    return v === undefined ? "null" : JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${
    keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")
  }}`;
}
