/** Small shared helpers: hashing and file-system utilities. */
export { sha256Hex, sha256Stream } from "./hash.ts";
export { copyDir, exists, hashDir, listFiles, removeIfExists, writeFileAtomic } from "./fs.ts";
