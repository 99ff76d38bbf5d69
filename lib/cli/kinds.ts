/**
 * The job-kind registry the CLI runs with. The trainers register their kinds in
 * `lib/train/kinds.ts` (`jobKinds(): Map<string, JobKind>`); until that module exists the registry
 * is empty and `ablate` stops before writing anything, naming the kinds it lacks.
 */
import type { JobKind } from "../runner/kind.ts";
import { exists } from "../util/fs.ts";

/** The registry of real job kinds (pretrain, instruct, sft, rl, eval). */
export async function loadJobKinds(): Promise<Map<string, JobKind>> {
  const url = new URL("../train/kinds.ts", import.meta.url);
  // Decoded, so a checkout under a path with spaces still finds the file.
  const path = decodeURIComponent(url.pathname);
  if (!(await exists(path))) return new Map();
  const mod = await import(url.href) as { jobKinds?: () => Map<string, JobKind> };
  if (typeof mod.jobKinds !== "function") {
    throw new Error(`${path} does not export jobKinds()`);
  }
  return mod.jobKinds();
}
