/**
 * `merge OUT SHARD...`: fold shard stores into one without duplicates.
 *
 * The unit of merging is the job: a job id hashes the job's whole content, so two shards that both
 * ran a shared stage (e.g. the pretrain of seed 0) hold the same job. For each job the merged
 * store keeps the rows of the most complete copy (done > failed > skipped > running > pending;
 * the first shard wins ties), so no metric (job_id, step, name) is counted twice.
 */
import { queryRows, sqlString, type Store, StoreError } from "./db.ts";
import { copyDir, exists, removeIfExists } from "../util/fs.ts";

const JOB_TABLES = ["metrics", "evaluations", "completions", "artifacts", "checkpoints"] as const;

const RANK_SQL = (col: string) =>
  `CASE ${col} WHEN 'done' THEN 4 WHEN 'failed' THEN 3 WHEN 'skipped' THEN 2
     WHEN 'running' THEN 1 ELSE 0 END`;

/** What one shard contributed. */
export interface MergeResult {
  shard: string;
  jobsTaken: number;
  jobsKept: number;
}

/**
 * Merge the stores at `shardStores` (paths of `store.duckdb` files) into `out`; each shard's
 * artifact directories (next to its store, under `artifacts/`) are copied into `outDir`.
 */
export async function mergeStores(
  out: Store,
  outDir: string,
  shardStores: string[],
): Promise<MergeResult[]> {
  const results: MergeResult[] = [];
  for (const [i, path] of shardStores.entries()) {
    const alias = `shard_${i}`;
    try {
      await out.con.run(`ATTACH ${sqlString(path)} AS ${alias} (READ_ONLY)`);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new StoreError(`cannot read shard store: ${msg}`, path, { cause: e });
    }
    try {
      const take = (await queryRows(
        out.con,
        `SELECT s.job_id FROM ${alias}.jobs s LEFT JOIN jobs j USING (job_id)
         WHERE j.job_id IS NULL OR ${RANK_SQL("s.status")} > ${RANK_SQL("j.status")}
         ORDER BY s.job_id`,
      )).map((r) => String(r.job_id));
      const total = Number(
        (await queryRows(out.con, `SELECT count(*) AS n FROM ${alias}.jobs`))[0].n,
      );
      // Artifacts first: a crash before the commit below leaves extra files, never a row
      // pointing at a missing directory.
      const shardDir = path.replace(/\/?[^/]*$/, "") || ".";
      for (const id of take) {
        const src = `${shardDir}/artifacts/${id}`;
        if (!(await exists(src))) continue;
        const dst = `${outDir}/artifacts/${id}`;
        const tmp = `${outDir}/artifacts/.merge-${id}`;
        await removeIfExists(tmp);
        await copyDir(src, tmp);
        await removeIfExists(dst);
        await Deno.rename(tmp, dst);
      }
      await out.write(async (con) => {
        await con.run(
          `INSERT OR IGNORE INTO experiments BY NAME SELECT * FROM ${alias}.experiments`,
        );
        await con.run("CREATE OR REPLACE TEMP TABLE _take (job_id VARCHAR PRIMARY KEY)");
        if (take.length) {
          await con.run(
            `INSERT INTO temp._take SELECT s.job_id FROM ${alias}.jobs s LEFT JOIN jobs j
               USING (job_id)
             WHERE j.job_id IS NULL OR ${RANK_SQL("s.status")} > ${RANK_SQL("j.status")}`,
          );
        }
        for (const t of [...JOB_TABLES, "jobs"]) {
          await con.run(`DELETE FROM ${t} WHERE job_id IN (SELECT job_id FROM temp._take)`);
          await con.run(
            `INSERT INTO ${t} BY NAME SELECT * FROM ${alias}.${t}
             WHERE job_id IN (SELECT job_id FROM temp._take)`,
          );
        }
        await con.run(`INSERT OR IGNORE INTO points BY NAME SELECT * FROM ${alias}.points`);
        await con.run("DROP TABLE temp._take");
      });
      results.push({ shard: path, jobsTaken: take.length, jobsKept: total - take.length });
    } finally {
      await out.con.run(`DETACH ${alias}`);
    }
  }
  return results;
}
