/** `deno task bench`: runs every benchmark suite and prints ratios against same-run references. */
if (import.meta.main) {
  console.log("no benchmarks yet");
}
