/**
 * Grid points of an experiment: the cartesian product of its axes (linked axes zipped), minus
 * `exclude` matches, plus `include` points; each point resolved and re-validated by the schema.
 */
import { canonicalJson, ConfigSchema, getPath, SpecError, withOverrides } from "../spec/mod.ts";
import type { ConfigValue, Experiment, JobConfig, SpecIssue } from "../spec/mod.ts";
import type { z } from "zod";

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
  return keyedAssignments(exp).map((a) => a.entries);
}

/** {@link assignments} with each one's point key (computed once, reused by the expansion). */
function keyedAssignments(exp: Experiment): { key: string; entries: Entry[] }[] {
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
  // Linked members that are not adjacent axes come out of their unit in group order.
  const needsSort = exp.linked.length > 0;

  const excludes = exp.exclude.map((e) => Object.entries(e).map(([k, v]) => [k, canonicalJson(v)]));
  const out: { key: string; entries: Entry[] }[] = [];
  const seen = new Set<string>();
  const push = (entries: Entry[]) => {
    const key = pointKey(entries);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ key, entries });
  };

  const total = units.reduce((n, u) => n * u.length, 1);
  const idx = new Array(units.length).fill(0);
  for (let n = 0; n < total; n++) {
    const entries: Entry[] = [];
    for (let u = 0; u < units.length; u++) entries.push(...units[u][idx[u]]);
    if (needsSort) entries.sort((a, b) => axisIndex.get(a[0])! - axisIndex.get(b[0])!);
    let excluded = false;
    if (excludes.length) {
      const canon = new Map(entries.map(([p, v]) => [p, v]));
      excluded = excludes.some((ex) =>
        ex.every(([k, cv]) => canon.has(k) && canonicalJson(canon.get(k)!) === cv)
      );
    }
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

/**
 * Every grid point with its resolved config; throws `SpecError` for combinations the schema
 * rejects and for claim arms that match no point. Configs are deeply frozen: points and jobs
 * share their unchanged sections.
 */
export function expandPoints(exp: Experiment): ResolvedPoint[] {
  const issues: SpecIssue[] = [];
  const points: ResolvedPoint[] = [];
  const shape = ConfigSchema.shape as Record<string, z.ZodType>;
  const base = deepFreeze(structuredClone(exp.base));
  const sectionMemo = new Map<string, z.ZodSafeParseResult<unknown>>();
  const reported = new Set<string>();
  const sectionOf = new Map<string, string>();
  for (const { key, entries } of keyedAssignments(exp)) {
    // The base is already valid and the schema's rules never span two top-level sections, so
    // re-validating the sections an override touches validates the whole config.
    const config: JobConfig = { ...base };
    let ok = true;
    const bySection = new Map<string, Entry[]>();
    for (const e of entries) {
      let section = sectionOf.get(e[0]);
      if (section === undefined) sectionOf.set(e[0], section = e[0].split(".")[0]);
      if (!bySection.has(section)) bySection.set(section, []);
      bySection.get(section)!.push(e);
    }
    for (const [section, own] of bySection) {
      // Points sharing a section's overrides share its validated object (validated once).
      const memoKey = `${section}\0${canonicalJson(own)}`;
      let r = sectionMemo.get(memoKey);
      if (r === undefined) {
        const raw = withOverrides({ [section]: base[section] }, own)[section];
        r = shape[section].safeParse(raw);
        if (r.success) deepFreeze(r.data);
        sectionMemo.set(memoKey, r);
      }
      if (r.success) {
        config[section] = r.data as ConfigValue;
        continue;
      }
      ok = false;
      // One message per offending combination, not one per seed that repeats it.
      if (reported.has(memoKey)) continue;
      reported.add(memoKey);
      const combo = own.map(([p, v]) => `${p}=${formatValue(v)}`).join(", ");
      for (const iss of r.error.issues) {
        const where = [section, ...iss.path.map(String)].join(".");
        const pos = locateOverride(exp, own.map(([p]) => p), where);
        issues.push({
          file: exp.file,
          ...pos,
          path: `point ${key}`,
          message: `invalid combination ${combo}: ${where}: ${iss.message}`,
        });
      }
    }
    if (ok) {
      points.push({
        key,
        axes: Object.freeze(Object.fromEntries(entries)),
        config: Object.freeze(config),
      });
    }
  }
  if (issues.length === 0) issues.push(...uncoveredArms(exp, points));
  if (issues.length) throw new SpecError(issues);
  return points;
}

/** The source position of the axis (or include) that most likely set `where`. */
function locateOverride(exp: Experiment, paths: string[], where: string) {
  const loc = exp.locations ?? {};
  const best = [...paths].sort((a, b) => common(b, where) - common(a, where))[0];
  const at = loc[`axes.${best}`] ?? loc["axes"];
  return at ? { line: at.line, column: at.column } : { line: 0, column: 0 };
}

function common(a: string, b: string): number {
  const x = a.split(".");
  const y = b.split(".");
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return n;
}

/** Claim arms that select no grid point (e.g. every such combination was excluded). */
function uncoveredArms(exp: Experiment, points: ResolvedPoint[]): SpecIssue[] {
  const out: SpecIssue[] = [];
  const valueAt = (p: ResolvedPoint, path: string) =>
    path in p.axes ? p.axes[path] : getPath(p.config, path);
  const matches = (arm: Record<string, ConfigValue>) =>
    points.some((p) =>
      Object.entries(arm).every(([k, v]) => canonicalJson(valueAt(p, k)) === canonicalJson(v))
    );
  exp.claims.forEach((c, i) => {
    const arms: [string, Record<string, ConfigValue>][] = c.kind === "compare"
      ? [[`claims[${i}].compare.a`, c.a], [`claims[${i}].compare.b`, c.b]]
      : [[`claims[${i}].trend.arm`, c.arm]];
    for (const [path, arm] of arms) {
      if (matches(arm)) continue;
      const at = exp.locations?.[path] ?? { line: 0, column: 0 };
      out.push({
        file: exp.file,
        line: at.line,
        column: at.column,
        path,
        message: `claim "${c.name}": arm ${canonicalJson(arm)} matches no grid point ` +
          "(is it excluded, or a combination the axes never produce?)",
      });
    }
  });
  return out;
}

/** Freezes a value and everything inside it. */
function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
