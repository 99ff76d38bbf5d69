/** The code version: a hash of every source file that can change what a job computes. */
import { createHash } from "node:crypto";

/**
 * Folders (relative to the project root) whose files make up the code version: only the code that
 * computes a job's numbers. The spec, grid, runner, store and report code is left out so that
 * editing a report does not invalidate every finished job; config defaults still reach job ids
 * through the resolved config itself.
 */
export const CODE_DIRS = [
  "lib/gpu",
  "lib/model",
  "lib/tasks",
  "lib/train",
  "lib/util",
  "kernels",
] as const;

const PROJECT_ROOT = new URL("../../", import.meta.url);

/** Hash (16 hex) of the sorted relative paths and contents of all files under `dirs` of `root`. */
export async function computeCodeVersion(
  root: string | URL = PROJECT_ROOT,
  dirs: readonly string[] = CODE_DIRS,
): Promise<string> {
  const rootPath = root instanceof URL
    ? decodeURIComponent(root.pathname)
    : root.replace(/\/?$/, "/");
  const files: string[] = [];
  for (const d of dirs) await walk(rootPath, d, files);
  files.sort();
  const h = createHash("sha256");
  for (const rel of files) {
    h.update(rel).update("\0").update(await Deno.readFile(rootPath + rel)).update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

async function walk(root: string, rel: string, out: string[]) {
  let entries: Deno.DirEntry[];
  try {
    entries = [];
    for await (const e of Deno.readDir(root + rel)) entries.push(e);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  for (const e of entries) {
    const child = `${rel}/${e.name}`;
    if (e.isDirectory) await walk(root, child, out);
    else if (e.isFile) out.push(child);
  }
}

/**
 * The code version of this checkout. Not memoised (no module state): a command computes it once
 * and passes it down, and a long-lived caller sees edits made since its last call.
 */
export function codeVersion(): Promise<string> {
  return computeCodeVersion();
}
