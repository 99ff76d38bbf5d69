/** A parsed YAML document that can say where any key path lives in the source text. */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node, Pair } from "yaml";

/** A key path into the parsed data: mapping keys and list indices. */
export type KeyPath = readonly (string | number)[];

/** 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/** A YAML syntax problem with its position. */
export interface SyntaxProblem {
  position: Position;
  path: KeyPath;
  message: string;
  /** Duplicate keys leave a usable document; other syntax errors do not. */
  fatal: boolean;
}

/** The document, its plain data and a locator for key paths. */
export interface Source {
  data: unknown;
  problems: SyntaxProblem[];
  /** Position of the key (`at: "key"`) or of the value at `path`; falls back to the nearest parent. */
  locate(path: KeyPath, at?: "key" | "value"): Position;
}

/** Renders a key path as `a.b[2].c` (mapping keys may themselves contain dots, e.g. axis paths). */
export function formatPath(path: KeyPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

function keyString(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

/** Parses YAML text, keeping node ranges so every later error can point at its line. */
export function parseSource(text: string): Source {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const pos = (offset: number): Position => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const keyPaths = collectKeyPaths(doc);
  const problems: SyntaxProblem[] = doc.errors.map((e) => {
    const dupPath = keyPaths.get(e.pos[0]);
    if (e.code === "DUPLICATE_KEY") {
      const path = dupPath ?? [];
      const name = path.length ? String(path[path.length - 1]) : "?";
      return {
        position: pos(e.pos[0]),
        path,
        message: `duplicate key "${name}" (each key may appear once per mapping)`,
        fatal: false,
      };
    }
    return {
      position: pos(e.pos[0]),
      path: [],
      message: `YAML syntax error: ${e.message.split("\n")[0]}`,
      fatal: true,
    };
  });
  const fatal = problems.some((p) => p.fatal);
  let data: unknown = undefined;
  if (!fatal) {
    try {
      data = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      problems.push({
        position: { line: 1, column: 1 },
        path: [],
        message: `YAML error: ${(err as Error).message}`,
        fatal: true,
      });
    }
  }

  const locate = (path: KeyPath, at: "key" | "value" = "value"): Position => {
    let cur: unknown = doc.contents;
    let best: Node | undefined = doc.contents ?? undefined;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(cur)) {
        const pair = cur.items.find((p) => keyString(p.key) === String(seg)) as
          | Pair<Node, Node>
          | undefined;
        if (!pair) break;
        if (last && at === "key" && pair.key) return nodePos(pair.key, pos);
        best = (pair.value as Node | null) ?? pair.key ?? best;
        const v = pair.value as unknown;
        const empty = !v || (isScalar(v) && v.range?.[0] === v.range?.[1]);
        const block = (isMap(v) || isSeq(v)) && !v.flow;
        // An empty value has no text, and a block mapping or list starts on the line after its
        // key: in both cases the key's line is the place to point at.
        if (empty || (last && block)) best = pair.key ?? best;
        cur = pair.value;
      } else if (isSeq(cur) && typeof seg === "number") {
        const item = cur.items[seg];
        if (item === undefined || isPair(item)) break;
        best = item as Node;
        cur = item;
      } else {
        break;
      }
    }
    return best ? nodePos(best, pos) : { line: 1, column: 1 };
  };

  return { data, problems, locate };
}

function nodePos(node: unknown, pos: (o: number) => Position): Position {
  const range = (node as { range?: [number, number, number] }).range;
  return range ? pos(range[0]) : { line: 1, column: 1 };
}

/** Maps each mapping key's start offset to its key path (to name duplicate keys). */
function collectKeyPaths(doc: Document): Map<number, KeyPath> {
  const out = new Map<number, KeyPath>();
  const walk = (node: unknown, path: KeyPath) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const k = keyString(pair.key);
        const range = (pair.key as { range?: number[] } | null)?.range;
        if (k === undefined) continue;
        if (range) out.set(range[0], [...path, k]);
        walk(pair.value, [...path, k]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    }
  };
  walk(doc.contents, []);
  return out;
}
