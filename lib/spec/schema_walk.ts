/** Navigation of zod schemas by key path: field lookup, known keys, expected-type descriptions. */
import type { z } from "zod";

type Any = z.ZodType;
// deno-lint-ignore no-explicit-any
type Def = any;

function def(s: Any): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strips default/prefault/optional/nullable/pipe wrappers to the schema that checks the value. */
export function unwrap(s: Any): Any {
  let cur = s;
  for (;;) {
    const d = def(cur);
    if (["default", "prefault", "optional", "nullable", "readonly", "catch"].includes(d.type)) {
      cur = d.innerType;
    } else if (d.type === "pipe") {
      cur = d.in;
    } else {
      return cur;
    }
  }
}

/** The schema of the field at `path` (object keys, array indices), or undefined when unknown. */
export function schemaAt(s: Any, path: readonly (string | number)[]): Any | undefined {
  let cur: Any | undefined = s;
  for (const key of path) {
    if (cur === undefined) return undefined;
    const d = def(unwrap(cur));
    if (d.type === "object") cur = d.shape[String(key)];
    else if (d.type === "array") cur = typeof key === "number" ? d.element : undefined;
    else if (d.type === "record") cur = d.valueType;
    else return undefined;
  }
  return cur;
}

/** Keys of an object schema (after unwrapping), or [] for non-objects. */
export function objectKeys(s: Any | undefined): string[] {
  if (s === undefined) return [];
  const d = def(unwrap(s));
  return d.type === "object" ? Object.keys(d.shape) : [];
}

/** Allowed values of an enum/literal schema (after unwrapping), or undefined. */
export function enumValues(s: Any | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  const d = def(unwrap(s));
  if (d.type === "enum") return Object.values(d.entries).map(String);
  if (d.type === "literal") return d.values.map(String);
  return undefined;
}

/** Every dotted path into nested objects of `s` (intermediate objects included), in order. */
export function allPaths(s: Any, prefix = ""): string[] {
  const out: string[] = [];
  const d = def(unwrap(s));
  if (d.type !== "object") return out;
  for (const [k, v] of Object.entries(d.shape as Record<string, Any>)) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.push(p, ...allPaths(v, p));
  }
  return out;
}

/** A short human description of what a schema accepts, e.g. `integer >= 0` or `one of a | b`. */
export function describeExpected(s: Any): string {
  const d = def(s);
  switch (d.type) {
    case "default":
    case "prefault":
    case "optional":
    case "readonly":
    case "catch":
      return describeExpected(d.innerType);
    case "nullable":
      return `${describeExpected(d.innerType)} or null`;
    case "pipe":
      return describeExpected(d.in);
    case "enum":
      return `one of ${Object.values(d.entries).join(" | ")}`;
    case "literal":
      return `one of ${d.values.join(" | ")}`;
    case "object":
      return "a mapping";
    case "record":
      return "a mapping";
    case "array":
      return `a list of ${plural(describeExpected(d.element))}`;
    case "union":
      return d.options.map((o: Any) => describeExpected(o)).join(" or ");
    case "boolean":
      return "true or false";
    case "string":
      return "a string";
    case "unknown":
      return "a value";
    case "number":
      return describeNumber(s);
    default:
      return String(d.type);
  }
}

function plural(desc: string): string {
  return desc.replace(/^an? /, "").replace(/^(mapping|string|value|integer|number|list)\b/, "$1s");
}

function describeNumber(s: Any): string {
  const checks: { check: string; value?: number; inclusive?: boolean; format?: string }[] =
    (def(s).checks ?? []).map((c: Any) => def(c));
  const isInt = checks.some((c) => c.check === "number_format" && /int/.test(c.format ?? ""));
  const bounds: string[] = [];
  for (const c of checks) {
    if (c.check === "greater_than") bounds.push(`${c.inclusive ? ">=" : ">"} ${c.value}`);
    if (c.check === "less_than") bounds.push(`${c.inclusive ? "<=" : "<"} ${c.value}`);
  }
  const head = isInt ? "an integer" : "a number";
  return bounds.length ? `${head} ${bounds.join(" and ")}` : head;
}
