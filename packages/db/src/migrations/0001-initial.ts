import { type Kysely, sql } from "kysely";

// A migration is frozen once released: it uses only Kysely's schema builder (so it runs on SQLite
// and PostgreSQL alike) and never the application's table types, which move on.
// Constraints are named so that a violation can be told apart on both engines.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("users_email_unique", ["email"])
    .execute();

  await db.schema
    .createTable("organizations")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("organizations_name_unique", ["name"])
    .execute();

  await db.schema
    .createTable("memberships")
    .addColumn("organization_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("memberships_pk", ["organization_id", "user_id"])
    .addForeignKeyConstraint(
      "memberships_organization_fk",
      ["organization_id"],
      "organizations",
      ["id"],
      (fk) => fk.onDelete("cascade"),
    )
    .addForeignKeyConstraint("memberships_user_fk", ["user_id"], "users", ["id"], (fk) =>
      fk.onDelete("cascade"),
    )
    .addCheckConstraint("memberships_role_check", sql`role in ('owner', 'admin', 'member')`)
    .execute();
  // "Which organizations is this user in" runs on every page of the web site.
  await db.schema.createIndex("memberships_user_id_idx").on("memberships").column("user_id").execute();

  await db.schema
    .createTable("logs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "integer", (c) => c.notNull())
    .addColumn("organization_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("retention_days", "integer", (c) => c.notNull().defaultTo(90))
    // Nullable on purpose: null means "no burst limit".
    .addColumn("burst_limit_per_minute", "integer", (c) => c.defaultTo(6000))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("logs_project_id_unique", ["project_id"])
    // Also serves "the logs of an organization" (leading column).
    .addUniqueConstraint("logs_organization_name_unique", ["organization_id", "name"])
    .addForeignKeyConstraint("logs_organization_fk", ["organization_id"], "organizations", ["id"], (fk) =>
      fk.onDelete("cascade"),
    )
    .execute();

  await db.schema
    .createTable("ingest_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("log_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("key_hash", "text", (c) => c.notNull())
    .addColumn("prefix", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("revoked_at", "text")
    // The unique index is what ingest's key lookup walks.
    .addUniqueConstraint("ingest_keys_key_hash_unique", ["key_hash"])
    .addForeignKeyConstraint("ingest_keys_log_fk", ["log_id"], "logs", ["id"], (fk) => fk.onDelete("cascade"))
    .execute();
  await db.schema.createIndex("ingest_keys_log_id_idx").on("ingest_keys").column("log_id").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["ingest_keys", "logs", "memberships", "organizations", "users"]) {
    await db.schema.dropTable(table).execute();
  }
}
