/** zerogrid CLI: see README.md. */
if (import.meta.main) {
  console.error("zerogrid: CLI under construction");
  Deno.exit(1);
}
