/**
 * `deno task bench [NAME...]`: runs every `bench/<name>.ts` suite (each exports `bench()`), or only
 * the named ones. Each suite prints its own table, with ratios against a reference measured in the
 * same run where one exists.
 */

/** The suites present, in a stable order. */
function suites(): string[] {
  const dir = new URL(".", import.meta.url);
  const names: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile && e.name.endsWith(".ts") && e.name !== "main.ts") names.push(e.name.slice(0, -3));
  }
  return names.sort();
}

if (import.meta.main) {
  const all = suites();
  const wanted = Deno.args.length ? Deno.args : all;
  const unknown = wanted.filter((w) => !all.includes(w));
  if (unknown.length) {
    console.error(`bench: unknown suite(s) ${unknown.join(", ")}; available: ${all.join(", ")}`);
    Deno.exit(2);
  }
  for (const name of wanted) {
    console.log(`\n== bench/${name}.ts ==`);
    const mod = await import(new URL(`./${name}.ts`, import.meta.url).href);
    await mod.bench();
  }
}
