import type { ColumnType, Insertable, Selectable, Updateable } from "kysely";

/**
 * Table types as stored. Portable between SQLite and PostgreSQL on purpose: ids are UUID text,
 * timestamps are ISO-8601 text in UTC (so they sort as strings and read the same on both
 * engines), and there are no booleans (SQLite has none; `revoked_at IS NULL` says "active").
 */

export interface UsersTable {
  id: string;
  /** Always stored lower-cased, so the unique index is case-insensitive in effect. */
  email: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash` (base64): self-describing, so the cost can be raised later. */
  password_hash: string;
  created_at: string;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: string;
}

export type RoleColumn = "owner" | "admin" | "member";

export interface MembershipsTable {
  organization_id: string;
  user_id: string;
  role: RoleColumn;
  created_at: string;
}

export interface LogsTable {
  id: string;
  /** The numeric id Sentry DSNs carry (Sentry's SDKs reject non-numeric ones). */
  project_id: number;
  organization_id: string;
  name: string;
  retention_days: ColumnType<number, number | undefined, number>;
  /** Messages per minute before ingest starts rejecting; null means no limit. */
  burst_limit_per_minute: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: string;
}

export interface IngestKeysTable {
  id: string;
  log_id: string;
  name: string;
  /** SHA-256 (hex) of the key; the key itself is never stored. */
  key_hash: string;
  /** First characters of the key, so an owner can tell keys apart in a list. */
  prefix: string;
  created_at: string;
  revoked_at: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Burst protection's counts per log, UTC minute (ISO text) and fingerprint; see burst.ts. */
export interface BurstCountsTable {
  log_id: string;
  minute: string;
  fingerprint: string;
  kept: number;
  dropped: number;
}

/** Burst-counts reports already applied, by report id (a redelivery is skipped). */
export interface AppliedReportsTable {
  id: string;
  applied_at: string;
}

export interface Database {
  users: UsersTable;
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  logs: LogsTable;
  ingest_keys: IngestKeysTable;
  burst_counts: BurstCountsTable;
  applied_reports: AppliedReportsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type OrganizationRow = Selectable<OrganizationsTable>;
export type MembershipRow = Selectable<MembershipsTable>;
export type LogRow = Selectable<LogsTable>;
export type NewLogRow = Insertable<LogsTable>;
export type LogRowUpdate = Updateable<LogsTable>;
export type IngestKeyRow = Selectable<IngestKeysTable>;
