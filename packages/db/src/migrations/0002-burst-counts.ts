import type { Kysely } from "kysely";

// Frozen once released, like 0001: only Kysely's schema builder, portable to SQLite and PostgreSQL.

export async function up(db: Kysely<unknown>): Promise<void> {
  // What burst protection kept and dropped, per log, UTC minute (ISO text, so it sorts and reads
  // the same on both engines) and fingerprint. No foreign key to logs on purpose: a report can
  // arrive after its log was deleted, and must then apply harmlessly rather than fail the
  // consumer over and over until it is dead-lettered.
  await db.schema
    .createTable("burst_counts")
    .addColumn("log_id", "text", (c) => c.notNull())
    .addColumn("minute", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("kept", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("dropped", "integer", (c) => c.notNull().defaultTo(0))
    // The leading (log_id, minute) columns serve "a log's counts in a time range".
    .addPrimaryKeyConstraint("burst_counts_pk", ["log_id", "minute", "fingerprint"])
    .execute();

  // Ids of the burst-counts reports already applied: the bus delivers at least once, and a
  // report's counts are added, so a redelivered report must be recognised and skipped.
  await db.schema
    .createTable("applied_reports")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("applied_at", "text", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("applied_reports").execute();
  await db.schema.dropTable("burst_counts").execute();
}
