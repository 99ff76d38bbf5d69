/** Hashing helpers shared by the store, runner and CLI. */
import { createHash } from "node:crypto";

/** Hex sha256 of a string (UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Incremental sha256 for hashing several parts (e.g. every file of a directory). */
export function sha256Stream(): { update(data: string | Uint8Array): void; hex(): string } {
  const h = createHash("sha256");
  return {
    update(data) {
      h.update(data);
    },
    hex: () => h.digest("hex"),
  };
}
