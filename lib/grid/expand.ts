/**
 * Grid points of an experiment: the cartesian product of its axes (linked axes zipped), minus
 * `exclude` matches, plus `include` points; each point resolved and re-validated by the schema.
 */
import { canonicalJson, ConfigSchema, SpecError, withOverrides } from "../spec/mod.ts";
import type { ConfigValue, Experiment, JobConfig, SpecIssue } from "../spec/mod.ts";

/** A grid point before its jobs are attached. */
export interface ResolvedPoint {
  key: string;
  axes: Record<string, ConfigValue>;
  config: JobConfig;
}

type Entry = [string, ConfigValue];

/** Renders one axis value for a point key: strings bare, anything else as canonical JSON. */
export function formatValue(v: ConfigValue): string {
  return typeof v === "string" ? v : canonicalJson(v);
}

/** The stable key of an assignment, e.g. `init=base,method=rl,seed=0`. */
export function pointKey(entries: readonly Entry[]): string {
  return entries.map(([p, v]) => `${p}=${formatValue(v)}`).join(",");
}

/**
 * The assignments of the grid in deterministic order: the product (first axis varies slowest,
 * a linked group sits at its first member's place), then includes in file order; duplicates
 * (same key) keep their first occurrence.
 */
export function assignments(exp: Experiment): Entry[][] {
  const axisIndex = new Map(exp.axes.map((a, i) => [a.path, i]));
  const groupOf = new Map<string, string[]>();
  for (const g of exp.linked) for (const p of g) groupOf.set(p, g);

  // Each unit is a list of alternatives; an alternative assigns one or more axes.
  const units: Entry[][][] = [];
  const placed = new Set<string>();
  for (const axis of exp.axes) {
    if (placed.has(axis.path)) continue;
    const group = groupOf.get(axis.path) ?? [axis.path];
    const members = group.map((p) => exp.axes[axisIndex.get(p)!]);
    for (const m of members) placed.add(m.path);
    units.push(axis.values.map((_, i) => members.map((m): Entry => [m.path, m.values[i]])));
  }

  const excludes = exp.exclude.map((e) => Object.entries(e).map(([k, v]) => [k, canonicalJson(v)]));
  const out: Entry[][] = [];
  const seen = new Set<string>();
  const push = (entries: Entry[]) => {
    const key = pointKey(entries);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(entries);
  };

  const total = units.reduce((n, u) => n * u.length, 1);
  const idx = new Array(units.length).fill(0);
  for (let n = 0; n < total; n++) {
    const entries: Entry[] = [];
    for (let u = 0; u < units.length; u++) entries.push(...units[u][idx[u]]);
    entries.sort((a, b) => axisIndex.get(a[0])! - axisIndex.get(b[0])!);
    const canon = new Map(entries.map(([p, v]) => [p, v]));
    const excluded = excludes.some((ex) =>
      ex.every(([k, cv]) => canon.has(k) && canonicalJson(canon.get(k)!) === cv)
    );
    if (!excluded) push(entries);
    for (let u = units.length - 1; u >= 0; u--) {
      if (++idx[u] < units[u].length) break;
      idx[u] = 0;
    }
  }

  for (const inc of exp.include) {
    const entries: Entry[] = [];
    for (const axis of exp.axes) {
      if (axis.path in inc) {
        entries.push([axis.path, inc[axis.path]]);
        continue;
      }
      // A missing member of a linked group follows the given member's index, so the include
      // stays on the zipped diagonal; otherwise a missing axis takes its first value.
      const group = groupOf.get(axis.path) ?? [];
      let at = 0;
      for (const p of group) {
        if (!(p in inc)) continue;
        const other = exp.axes[axisIndex.get(p)!];
        const j = other.values.findIndex((v) => canonicalJson(v) === canonicalJson(inc[p]));
        if (j >= 0) {
          at = j;
          break;
        }
      }
      entries.push([axis.path, axis.values[at]]);
    }
    const extra = Object.keys(inc).filter((k) => !axisIndex.has(k)).sort();
    for (const k of extra) entries.push([k, inc[k]]);
    push(entries);
  }
  return out;
}

/** Every grid point with its resolved config; throws `SpecError` for combinations the schema rejects. */
export function expandPoints(exp: Experiment): ResolvedPoint[] {
  const issues: SpecIssue[] = [];
  const points: ResolvedPoint[] = [];
  for (const entries of assignments(exp)) {
    const key = pointKey(entries);
    const r = ConfigSchema.safeParse(withOverrides(exp.base, entries));
    if (!r.success) {
      for (const iss of r.error.issues) {
        const where = iss.path.map(String).join(".");
        issues.push({
          file: exp.file,
          line: 0,
          column: 0,
          path: `point ${key}`,
          message: `invalid combination of axis values: ${where ? `${where}: ` : ""}${iss.message}`,
        });
      }
      continue;
    }
    points.push({
      key,
      axes: Object.fromEntries(entries),
      config: r.data as unknown as JobConfig,
    });
  }
  if (issues.length) throw new SpecError(issues);
  return points;
}
