/** Small file-system helpers: atomic writes, recursive copy, directory hashing. */
import { sha256Stream } from "./hash.ts";

/** Write a file so that readers see either the old or the new content, never a torn one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  if (typeof data === "string") await Deno.writeTextFile(tmp, data);
  else await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

/** True when the path exists (file or directory). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Remove a path recursively; a missing path is fine. */
export async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Regular files under `dir`, as paths relative to it, sorted (so hashes are stable). */
export async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await listFiles(`${dir}/${e.name}`, rel));
    else if (e.isFile) out.push(rel);
  }
  return out.sort();
}

/** Copy a directory tree (files and folders only). */
export async function copyDir(src: string, dst: string): Promise<void> {
  await Deno.mkdir(dst, { recursive: true });
  for await (const e of Deno.readDir(src)) {
    if (e.isDirectory) await copyDir(`${src}/${e.name}`, `${dst}/${e.name}`);
    else if (e.isFile) await Deno.copyFile(`${src}/${e.name}`, `${dst}/${e.name}`);
  }
}

/** Total bytes and a content hash (over relative names and contents) of a directory tree. */
export async function hashDir(dir: string): Promise<{ bytes: number; sha256: string }> {
  const h = sha256Stream();
  let bytes = 0;
  for (const rel of await listFiles(dir)) {
    const data = await Deno.readFile(`${dir}/${rel}`);
    bytes += data.byteLength;
    h.update(`${rel}\0${data.byteLength}\0`);
    h.update(data);
  }
  return { bytes, sha256: h.hex() };
}
