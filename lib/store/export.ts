/** `export --parquet DIR`: every table of a store as one Parquet file. */
import { sqlString, type Store, StoreError } from "./db.ts";
import { TABLES } from "./schema.ts";

/** Sort keys that make exported files deterministic for equal contents. */
const ORDER: Record<string, string> = {
  experiments: "name",
  jobs: "job_id",
  points: "experiment, point_key, role",
  metrics: "job_id, step, name, value",
  evaluations: "job_id, step, benchmark, family",
  completions: "job_id, step, prompt, completion",
  artifacts: "job_id",
  checkpoints: "job_id",
};

/** Write `<dir>/<table>.parquet` for every table; returns the files written with row counts. */
export async function exportParquet(
  store: Store,
  dir: string,
): Promise<{ table: string; file: string; rows: number }[]> {
  await Deno.mkdir(dir, { recursive: true });
  const out: { table: string; file: string; rows: number }[] = [];
  for (const t of TABLES) {
    const file = `${dir}/${t}.parquet`;
    let rows: number;
    try {
      const res = await store.con.run(
        `COPY (SELECT * FROM ${t} ORDER BY ${ORDER[t]}) TO ${sqlString(file)} (FORMAT parquet)`,
      );
      rows = Number(res.rowsChanged);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new StoreError(`cannot export table ${t} to ${file}: ${msg}`, store.path, { cause: e });
    }
    out.push({ table: t, file, rows });
  }
  return out;
}
