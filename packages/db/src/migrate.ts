import { type MigrationProvider, type MigrationResult, Migrator } from "kysely/migration";
import type { Db } from "./connection";
import { isRetryableConflict } from "./engine-errors";
import { migrations } from "./migrations";

const provider: MigrationProvider = {
  getMigrations: async () => ({ ...migrations }),
};

function migrator(db: Db): Migrator {
  return new Migrator({ db, provider });
}

/** Names of every migration this build knows, in the order they run. */
export const migrationNames: readonly string[] = Object.keys(migrations).sort();

/**
 * Applies every migration not yet applied, in one transaction, and returns the names
 * applied (empty when the database is up to date). Throws naming the migration that failed.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  // Two processes migrating one SQLite file at once: the loser's transaction hits a busy lock;
  // running again then finds the work done (or does it).
  for (let attempt = 1; ; attempt++) {
    const { error, results = [] } = await migrator(db).migrateToLatest();
    if (error === undefined) return applied(results);
    if (isRetryableConflict(error) && attempt < 5) {
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      continue;
    }
    const failed = results.find((r) => r.status === "Error")?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(failed ? `migration ${failed} failed: ${reason}` : `migrating failed: ${reason}`, {
      cause: error,
    });
  }
}

function applied(results: readonly MigrationResult[]): string[] {
  return results.filter((r) => r.status === "Success").map((r) => r.migrationName);
}

/** Names of the migrations not yet applied — for a startup check that refuses an old schema. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
