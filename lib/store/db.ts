/** Opening a store file and running serialized write transactions on it. */
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { SCHEMA } from "./schema.ts";

/** A store failure, with the file it concerns. */
export class StoreError extends Error {
  constructor(message: string, readonly path: string, options?: ErrorOptions) {
    super(`${path}: ${message}`, options);
    this.name = "StoreError";
  }
}

/** An open store: one DuckDB file, one connection, writes serialized through `write`. */
export interface Store {
  path: string;
  readOnly: boolean;
  con: DuckDBConnection;
  /** Run `fn` inside one transaction, after every earlier write finished; rolls back on error. */
  write<T>(fn: (con: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Wait for pending writes, then close the file. */
  close(): Promise<void>;
}

/** Options for `openStore`. */
export interface OpenOptions {
  /** Open without the write lock (reports, status); the file must exist. */
  readOnly?: boolean;
}

/** Open the store at `path` (creating it and its folder unless read-only); ensure its schema. */
export async function openStore(path: string, opts: OpenOptions = {}): Promise<Store> {
  const readOnly = opts.readOnly ?? false;
  const dir = path.replace(/\/?[^/]*$/, "");
  if (!readOnly && dir) await Deno.mkdir(dir, { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(
      path,
      readOnly ? { access_mode: "READ_ONLY" } : { access_mode: "READ_WRITE" },
    );
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const hint = /lock/i.test(msg)
      ? " (another zerogrid process holds this store; wait for it or stop it)"
      : "";
    throw new StoreError(`cannot open store: ${msg}${hint}`, path, { cause: e });
  }
  const con = await instance.connect();
  if (!readOnly) {
    for (const ddl of SCHEMA) await con.run(ddl);
  }
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;
  const store: Store = {
    path,
    readOnly,
    con,
    write<T>(fn: (con: DuckDBConnection) => Promise<T>): Promise<T> {
      if (readOnly) return Promise.reject(new StoreError("store was opened read-only", path));
      const run = async (): Promise<T> => {
        if (closed) throw new StoreError("store is closed", path);
        await con.run("BEGIN TRANSACTION");
        try {
          const out = await fn(con);
          await con.run("COMMIT");
          return out;
        } catch (e) {
          await con.run("ROLLBACK").catch(() => {});
          throw e;
        }
      };
      const next = tail.then(run, run);
      tail = next.catch(() => {});
      return next;
    },
    async close() {
      await tail;
      if (closed) return;
      closed = true;
      con.closeSync();
      instance.closeSync();
    },
  };
  return store;
}

/** Run a query and return its rows as plain JS objects (BIGINT as bigint, JSON as string). */
export async function queryRows(
  con: DuckDBConnection,
  sql: string,
  params?: DuckDBValue[],
): Promise<Record<string, unknown>[]> {
  const reader = await con.runAndReadAll(sql, params);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

/** Escape a string for use inside a single-quoted SQL literal (paths in ATTACH/COPY). */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
