import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { DbConfig } from "@faultline/config";
import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import type { Database as Tables } from "./schema";

export type Db = Kysely<Tables>;

// Web, ingest and the CLI open the same file from separate processes: a writer waits up to this
// long for another's lock instead of failing at once.
const BUSY_TIMEOUT_MS = 5000;

function openSqlite(file: string): Db {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file);
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // WAL lets readers in other processes go on while one writes.
  database.pragma("journal_mode = WAL");
  // In WAL mode NORMAL is still crash-safe for the database; it only may lose the last
  // commits on power loss, which is acceptable for account data that was just typed in.
  database.pragma("synchronous = NORMAL");
  // SQLite enforces foreign keys only when asked, per connection.
  database.pragma("foreign_keys = ON");
  return new Kysely<Tables>({ dialect: new SqliteDialect({ database }) });
}

function openPostgres(url: string): Db {
  return new Kysely<Tables>({
    dialect: new PostgresDialect({
      // Loaded on first use, so that processes on SQLite never load the pg driver.
      pool: async () => {
        const { Pool } = await import("pg");
        return new Pool({ connectionString: url, max: 10 });
      },
    }),
  });
}

/**
 * Opens the configured database. The engine is chosen by configuration; an unknown kind is an
 * error, never a silent fallback. Call once per process and share the handle.
 */
export function openDb(config: DbConfig): Db {
  switch (config.kind) {
    case "sqlite":
      return openSqlite(config.file);
    case "postgres":
      return openPostgres(config.url);
    default: {
      // Fails to compile when DbConfig gains an engine this switch does not handle.
      const unknown: never = config;
      throw new Error(`unknown database engine ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);
    }
  }
}

/** Closes the database handle (and with it the file or the connection pool). */
export async function closeDb(db: Db): Promise<void> {
  await db.destroy();
}
