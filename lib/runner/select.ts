/**
 * Choosing which part of a job graph a run executes: `--only KEY=VALUE` filters and `--shard i/n`.
 *
 * Sharding assigns whole points: points are ordered by the sha256 of their key and dealt
 * round-robin, so shard sizes differ by at most one point and the assignment does not depend on
 * the order of the spec's axes. A shard runs the dependency closure of its points, so a shared
 * stage (the pretrain of seed s) may run in several shards; it has the same job id everywhere and
 * `merge` keeps one copy.
 */
import type { ConfigValue } from "../spec/types.ts";
import type { Job, JobGraph, Point } from "../grid/types.ts";
import { sha256Hex } from "../util/hash.ts";
import { formatValue } from "../grid/expand.ts";

/** A bad `--shard` or `--only` argument. */
export class SelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SelectionError";
  }
}

/** Shard `index` of `count` (0-based index). */
export interface Shard {
  index: number;
  count: number;
}

/** Parse `i/n` with 0 <= i < n. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new SelectionError(`--shard expects i/n (e.g. 0/4), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) {
    throw new SelectionError(`--shard ${text}: need 0 <= i < n`);
  }
  return { index, count };
}

/** Axis filters: an axis path and the accepted values (as written on the command line). */
export type OnlyFilter = Map<string, string[]>;

/** Parse repeated `KEY=VALUE`; a key given twice accepts either value. */
export function parseOnly(items: string[]): OnlyFilter {
  const out: OnlyFilter = new Map();
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new SelectionError(`--only expects KEY=VALUE (e.g. seed=0), got "${item}"`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

/** How an axis value is written on the command line: as in point keys (strings bare). */
export function formatAxisValue(v: ConfigValue): string {
  return formatValue(v);
}

/** The points matching every filter (a point lacking a filtered axis does not match). */
export function filterPoints(points: Point[], only: OnlyFilter): Point[] {
  if (!only.size) return points;
  const known = new Set(points.flatMap((p) => Object.keys(p.axes)));
  for (const [key, values] of only) {
    if (!known.has(key)) {
      throw new SelectionError(
        `--only ${key}=...: no such axis; axes are ${[...known].sort().join(", ") || "(none)"}`,
      );
    }
    const seen = new Set(
      points.filter((p) => key in p.axes).map((p) => formatAxisValue(p.axes[key])),
    );
    for (const v of values) {
      if (!seen.has(v)) {
        throw new SelectionError(
          `--only ${key}=${v}: no point has this value; values are ${[...seen].sort().join(", ")}`,
        );
      }
    }
  }
  return points.filter((p) =>
    [...only].every(([key, values]) =>
      key in p.axes && values.includes(formatAxisValue(p.axes[key]))
    )
  );
}

/** The points of one shard (see the module comment). */
export function shardPoints(points: Point[], shard: Shard): Point[] {
  const ordered = points
    .map((p) => ({ p, h: sha256Hex(p.key) }))
    .sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : a.p.key < b.p.key ? -1 : 1));
  const mine = new Set(ordered.filter((_, i) => i % shard.count === shard.index).map((x) => x.p));
  return points.filter((p) => mine.has(p));
}

/** The jobs the given points need (their jobs and every transitive input), in graph order. */
export function closure(graph: JobGraph, points: Point[]): Job[] {
  const byId = new Map(graph.jobs.map((j) => [j.id, j]));
  const need = new Set<string>();
  const stack = points.flatMap((p) => Object.values(p.jobs));
  while (stack.length) {
    const id = stack.pop()!;
    if (need.has(id)) continue;
    const job = byId.get(id);
    if (!job) {
      throw new SelectionError(`job graph is inconsistent: job ${id} is referenced, absent`);
    }
    need.add(id);
    stack.push(...Object.values(job.inputs));
  }
  return graph.jobs.filter((j) => need.has(j.id));
}

/** Options for `selectGraph`. */
export interface SelectOptions {
  only?: OnlyFilter;
  shard?: Shard;
}

/** The sub-graph a run executes: filtered points, then the shard's points, with their closure. */
export function selectGraph(graph: JobGraph, opts: SelectOptions): JobGraph {
  let points = filterPoints(graph.points, opts.only ?? new Map());
  if (opts.shard) points = shardPoints(points, opts.shard);
  if (!opts.only?.size && !opts.shard) return graph;
  return { jobs: closure(graph, points), points, codeVersion: graph.codeVersion };
}
