import type { DbConfig } from "@faultline/config";
import { FaultlineError, hashIngestKey, ingestKeyPrefix, newIngestKey, newMessageId } from "@faultline/core";
import type { Db } from "./connection";
import { isForeignKeyViolation, isRetryableConflict, uniqueViolation } from "./engine-errors";
import { decoyHash, hashPassword, verifyPassword } from "./passwords";
import type { IngestKeyRow, LogRow, OrganizationRow, UserRow } from "./schema";

export { closeDb, type Db, openDb } from "./connection";
export { isMissingTableError } from "./engine-errors";
export { type BurstSummary, burstSummary, recordBurstCounts } from "./burst";
export type { DbConfig };

// ---------------------------------------------------------------------------------------------
// Shared bits

const now = () => new Date().toISOString();

// UUIDv7 (core's generator, the same as for message ids): ids sort by creation time, so "oldest
// first" stays a stable order for rows created within the same millisecond (created_at ties).
const newId = () => newMessageId();

function badRequest(path: string, message: string): FaultlineError {
  return new FaultlineError("BAD_REQUEST", `${path} ${message}`, [{ path, message }]);
}

function requiredName(path: string, value: unknown, max = 100): string {
  const name = typeof value === "string" ? value.trim() : "";
  if (name.length === 0) throw badRequest(path, "is required");
  if (name.length > max) throw badRequest(path, `must be at most ${max} characters`);
  return name;
}

function intInRange(path: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw badRequest(path, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

// pg returns bigint columns and aggregates as strings; SQLite as numbers.
const toNumber = (v: unknown): number => (typeof v === "number" ? v : Number(v));

// ---------------------------------------------------------------------------------------------
// Users

export interface User {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

const toUser = (r: Pick<UserRow, "id" | "email" | "name" | "created_at">): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  createdAt: r.created_at,
});

// Deliberately loose: one @, something on both sides, no spaces. The real check is the mail
// that reaches (or does not reach) the address; `admin@localhost` is fine for self-hosting.
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function normalizeEmail(value: unknown): string {
  const email = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (!EMAIL.test(email) || email.length > 254) throw badRequest("email", "must be an email address");
  return email;
}

const MIN_PASSWORD = 8;
// scrypt's cost grows with the input; a cap keeps a megabyte "password" from being a cheap DoS.
const MAX_PASSWORD = 1024;

/**
 * Creates a user with a scrypt-hashed password. The email is stored lower-cased; the name
 * defaults to the email's local part. Throws BAD_REQUEST for an invalid email or a password
 * shorter than 8 characters, CONFLICT if the email is taken.
 */
export async function createUser(
  db: Db,
  input: { email: string; password: string; name?: string },
): Promise<User> {
  const email = normalizeEmail(input.email);
  if (typeof input.password !== "string" || input.password.length < MIN_PASSWORD) {
    throw badRequest("password", `must be at least ${MIN_PASSWORD} characters`);
  }
  if (input.password.length > MAX_PASSWORD) {
    throw badRequest("password", `must be at most ${MAX_PASSWORD} characters`);
  }
  const name =
    input.name === undefined || input.name.trim() === ""
      ? email.slice(0, email.indexOf("@"))
      : requiredName("name", input.name, 200);
  const row = {
    id: newId(),
    email,
    name,
    password_hash: await hashPassword(input.password),
    created_at: now(),
  };
  try {
    await db.insertInto("users").values(row).execute();
  } catch (err) {
    if (uniqueViolation(err)?.includes("email")) {
      throw new FaultlineError("CONFLICT", `a user with the email ${email} already exists`);
    }
    throw err;
  }
  return toUser(row);
}

/**
 * The user with this email (any case) and password, or null. Takes as long for an unknown email
 * as for a wrong password, so the answer does not reveal which accounts exist.
 */
export async function verifyCredentials(db: Db, email: string, password: string): Promise<User | null> {
  if (typeof email !== "string" || typeof password !== "string" || password.length > MAX_PASSWORD) {
    return null;
  }
  const row = await db
    .selectFrom("users")
    .selectAll()
    .where("email", "=", email.trim().toLowerCase())
    .executeTakeFirst();
  if (!row) {
    await verifyPassword(password, await decoyHash());
    return null;
  }
  return (await verifyPassword(password, row.password_hash)) ? toUser(row) : null;
}

/** The user with this id, or null. */
export async function getUser(db: Db, id: string): Promise<User | null> {
  const row = await db
    .selectFrom("users")
    .select(["id", "email", "name", "created_at"])
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toUser(row) : null;
}

/** The user with this email (any case), or null. */
export async function findUserByEmail(db: Db, email: string): Promise<User | null> {
  const row = await db
    .selectFrom("users")
    .select(["id", "email", "name", "created_at"])
    .where("email", "=", email.trim().toLowerCase())
    .executeTakeFirst();
  return row ? toUser(row) : null;
}

// ---------------------------------------------------------------------------------------------
// Organizations and memberships

export type Role = "owner" | "admin" | "member";
export const ROLES: readonly Role[] = ["owner", "admin", "member"];

export interface Organization {
  id: string;
  name: string;
  createdAt: string;
}

const toOrganization = (r: Pick<OrganizationRow, "id" | "name" | "created_at">): Organization => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
});

/**
 * Creates an organization with the given user as its owner, in one transaction. Throws
 * BAD_REQUEST for an empty name, NOT_FOUND if the user does not exist, CONFLICT if the name is taken.
 */
export async function createOrganization(
  db: Db,
  input: { name: string; ownerUserId: string },
): Promise<Organization> {
  const name = requiredName("name", input.name);
  const createdAt = now();
  const organization: Organization = { id: newId(), name, createdAt };
  try {
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto("organizations")
        .values({ id: organization.id, name, created_at: createdAt })
        .execute();
      await trx
        .insertInto("memberships")
        .values({
          organization_id: organization.id,
          user_id: input.ownerUserId,
          role: "owner",
          created_at: createdAt,
        })
        .execute();
    });
  } catch (err) {
    if (uniqueViolation(err)?.includes("name")) {
      throw new FaultlineError("CONFLICT", `an organization named "${name}" already exists`);
    }
    if (isForeignKeyViolation(err)) throw new FaultlineError("NOT_FOUND", "user not found");
    throw err;
  }
  return organization;
}

/** The organization with exactly this name (surrounding spaces ignored), or null. */
export async function findOrganizationByName(db: Db, name: string): Promise<Organization | null> {
  const row = await db
    .selectFrom("organizations")
    .selectAll()
    .where("name", "=", name.trim())
    .executeTakeFirst();
  return row ? toOrganization(row) : null;
}

/** The organization with this id, or null. */
export async function getOrganization(db: Db, id: string): Promise<Organization | null> {
  const row = await db.selectFrom("organizations").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toOrganization(row) : null;
}

/** Every organization, by name — for operators (the CLI), not for customers. */
export async function listOrganizations(db: Db): Promise<Organization[]> {
  const rows = await db.selectFrom("organizations").selectAll().orderBy("name").orderBy("id").execute();
  return rows.map(toOrganization);
}

/** The organizations the user belongs to, with the user's role in each, by name. */
export async function listOrganizationsForUser(
  db: Db,
  userId: string,
): Promise<(Organization & { role: Role })[]> {
  const rows = await db
    .selectFrom("memberships as m")
    .innerJoin("organizations as o", "o.id", "m.organization_id")
    .select(["o.id", "o.name", "o.created_at", "m.role"])
    .where("m.user_id", "=", userId)
    .orderBy("o.name")
    .orderBy("o.id")
    .execute();
  return rows.map((r) => ({ ...toOrganization(r), role: r.role }));
}

/**
 * Adds a user to an organization. Throws BAD_REQUEST for an unknown role, NOT_FOUND if the
 * organization or the user does not exist, CONFLICT if the user is already a member.
 */
export async function addMember(db: Db, organizationId: string, userId: string, role: Role): Promise<void> {
  if (!ROLES.includes(role)) throw badRequest("role", `must be one of ${ROLES.join(", ")}`);
  try {
    await db
      .insertInto("memberships")
      .values({ organization_id: organizationId, user_id: userId, role, created_at: now() })
      .execute();
  } catch (err) {
    if (uniqueViolation(err) !== null) {
      throw new FaultlineError("CONFLICT", "the user is already a member of this organization");
    }
    if (isForeignKeyViolation(err)) {
      const org = await getOrganization(db, organizationId);
      throw new FaultlineError("NOT_FOUND", org ? "user not found" : "organization not found");
    }
    throw err;
  }
}

/** The user's role in the organization, or null if not a member. */
export async function getMembership(
  db: Db,
  organizationId: string,
  userId: string,
): Promise<{ role: Role } | null> {
  const row = await db
    .selectFrom("memberships")
    .select("role")
    .where("organization_id", "=", organizationId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row ? { role: row.role } : null;
}

/**
 * The organization and the user's role in it, in one query. Throws NOT_FOUND both when the
 * organization does not exist and when the user is not a member, so that outsiders cannot
 * probe which organizations exist.
 */
export async function requireOrganizationMember(
  db: Db,
  organizationId: string,
  userId: string,
): Promise<{ organization: Organization; role: Role }> {
  const row = await db
    .selectFrom("organizations as o")
    .innerJoin("memberships as m", "m.organization_id", "o.id")
    .select(["o.id", "o.name", "o.created_at", "m.role"])
    .where("o.id", "=", organizationId)
    .where("m.user_id", "=", userId)
    .executeTakeFirst();
  if (!row) throw new FaultlineError("NOT_FOUND", "organization not found");
  return { organization: toOrganization(row), role: row.role };
}

// ---------------------------------------------------------------------------------------------
// Logs

export interface Log {
  id: string;
  projectId: number;
  organizationId: string;
  name: string;
  retentionDays: number;
  burstLimitPerMinute: number | null;
  createdAt: string;
}

export const DEFAULT_RETENTION_DAYS = 90;
export const DEFAULT_BURST_LIMIT_PER_MINUTE = 6000;
const MAX_RETENTION_DAYS = 3650;
const MAX_BURST_LIMIT = 10_000_000;

const LOG_COLUMNS = [
  "logs.id",
  "logs.project_id",
  "logs.organization_id",
  "logs.name",
  "logs.retention_days",
  "logs.burst_limit_per_minute",
  "logs.created_at",
] as const;

const toLog = (r: LogRow): Log => ({
  id: r.id,
  projectId: toNumber(r.project_id),
  organizationId: r.organization_id,
  name: r.name,
  retentionDays: toNumber(r.retention_days),
  burstLimitPerMinute: r.burst_limit_per_minute === null ? null : toNumber(r.burst_limit_per_minute),
  createdAt: r.created_at,
});

function checkBurstLimit(value: unknown): number | null {
  return value === null ? null : intInRange("burstLimitPerMinute", value, 1, MAX_BURST_LIMIT);
}

// Concurrent creators may pick the same next project id; the unique constraint rejects all but
// one and the others try again with a fresh maximum.
const PROJECT_ID_ATTEMPTS = 20;

/**
 * Creates a log in the organization with the next free numeric project id (used in Sentry DSNs;
 * ids increase and are never reused while the log exists). Retention defaults to 90 days and the
 * burst limit to 6000 per minute (null: no limit). Throws BAD_REQUEST for invalid settings,
 * NOT_FOUND if the organization does not exist, CONFLICT if it already has a log of that name.
 */
export async function createLog(
  db: Db,
  input: {
    organizationId: string;
    name: string;
    retentionDays?: number;
    burstLimitPerMinute?: number | null;
  },
): Promise<Log> {
  const name = requiredName("name", input.name);
  const retentionDays =
    input.retentionDays === undefined
      ? DEFAULT_RETENTION_DAYS
      : intInRange("retentionDays", input.retentionDays, 1, MAX_RETENTION_DAYS);
  const burstLimitPerMinute =
    input.burstLimitPerMinute === undefined
      ? DEFAULT_BURST_LIMIT_PER_MINUTE
      : checkBurstLimit(input.burstLimitPerMinute);

  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const { max } = await trx
          .selectFrom("logs")
          .select((eb) => eb.fn.max("project_id").as("max"))
          .executeTakeFirstOrThrow();
        const row: LogRow = {
          id: newId(),
          project_id: (max === null ? 0 : toNumber(max)) + 1,
          organization_id: input.organizationId,
          name,
          retention_days: retentionDays,
          burst_limit_per_minute: burstLimitPerMinute,
          created_at: now(),
        };
        await trx.insertInto("logs").values(row).execute();
        return toLog(row);
      });
    } catch (err) {
      const unique = uniqueViolation(err);
      const retry = unique?.includes("project_id") || isRetryableConflict(err);
      if (retry && attempt < PROJECT_ID_ATTEMPTS) {
        // A short random pause, so that creators that collided do not collide again in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
        continue;
      }
      if (unique?.includes("name")) {
        throw new FaultlineError("CONFLICT", `the organization already has a log named "${name}"`);
      }
      if (isForeignKeyViolation(err)) throw new FaultlineError("NOT_FOUND", "organization not found");
      throw err;
    }
  }
}

/** The organization's logs, by name. */
export async function listLogs(db: Db, organizationId: string): Promise<Log[]> {
  const rows = await db
    .selectFrom("logs")
    .select(LOG_COLUMNS)
    .where("organization_id", "=", organizationId)
    .orderBy("name")
    .execute();
  return rows.map(toLog);
}

/** The log with this id, or null. */
export async function getLog(db: Db, logId: string): Promise<Log | null> {
  const row = await db.selectFrom("logs").select(LOG_COLUMNS).where("id", "=", logId).executeTakeFirst();
  return row ? toLog(row) : null;
}

/** The log with this numeric (Sentry) project id, or null. */
export async function getLogByProjectId(db: Db, projectId: number): Promise<Log | null> {
  if (!Number.isSafeInteger(projectId)) return null;
  const row = await db
    .selectFrom("logs")
    .select(LOG_COLUMNS)
    .where("project_id", "=", projectId)
    .executeTakeFirst();
  return row ? toLog(row) : null;
}

/**
 * The log and the user's role in its organization, in one query. Throws NOT_FOUND both when the
 * log does not exist and when the user is not a member of its organization (no existence leak).
 */
export async function requireLogMember(
  db: Db,
  logId: string,
  userId: string,
): Promise<{ log: Log; role: Role }> {
  const row = await db
    .selectFrom("logs")
    .innerJoin("memberships as m", "m.organization_id", "logs.organization_id")
    .select([...LOG_COLUMNS, "m.role"])
    .where("logs.id", "=", logId)
    .where("m.user_id", "=", userId)
    .executeTakeFirst();
  if (!row) throw new FaultlineError("NOT_FOUND", "log not found");
  const { role, ...log } = row;
  return { log: toLog(log), role };
}

/**
 * Changes a log's name, retention or burst limit (null: no limit); fields left out stay as they
 * are. Returns the updated log. Throws BAD_REQUEST for invalid values, NOT_FOUND if the log does
 * not exist, CONFLICT if the new name is taken in the organization.
 */
export async function updateLogSettings(
  db: Db,
  logId: string,
  patch: { name?: string; retentionDays?: number; burstLimitPerMinute?: number | null },
): Promise<Log> {
  const set: { name?: string; retention_days?: number; burst_limit_per_minute?: number | null } = {};
  if (patch.name !== undefined) set.name = requiredName("name", patch.name);
  if (patch.retentionDays !== undefined) {
    set.retention_days = intInRange("retentionDays", patch.retentionDays, 1, MAX_RETENTION_DAYS);
  }
  if (patch.burstLimitPerMinute !== undefined)
    set.burst_limit_per_minute = checkBurstLimit(patch.burstLimitPerMinute);
  if (Object.keys(set).length > 0) {
    try {
      await db.updateTable("logs").set(set).where("id", "=", logId).execute();
    } catch (err) {
      if (uniqueViolation(err)?.includes("name")) {
        throw new FaultlineError("CONFLICT", `the organization already has a log named "${set.name}"`);
      }
      throw err;
    }
  }
  const log = await getLog(db, logId);
  if (!log) throw new FaultlineError("NOT_FOUND", "log not found");
  return log;
}

// ---------------------------------------------------------------------------------------------
// Ingest keys

export interface IngestKey {
  id: string;
  logId: string;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

const toIngestKey = (r: Omit<IngestKeyRow, "key_hash">): IngestKey => ({
  id: r.id,
  logId: r.log_id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

/**
 * Creates an ingest key for the log. Only the key's SHA-256 is stored: the returned secret is
 * the one chance to show it. Throws NOT_FOUND if the log does not exist.
 */
export async function createIngestKey(
  db: Db,
  logId: string,
  name?: string,
): Promise<{ key: IngestKey; secret: string }> {
  const keyName = name === undefined || name.trim() === "" ? "default" : requiredName("name", name);
  const secret = newIngestKey();
  const row: IngestKeyRow = {
    id: newId(),
    log_id: logId,
    name: keyName,
    key_hash: hashIngestKey(secret),
    prefix: ingestKeyPrefix(secret),
    created_at: now(),
    revoked_at: null,
  };
  try {
    await db.insertInto("ingest_keys").values(row).execute();
  } catch (err) {
    if (isForeignKeyViolation(err)) throw new FaultlineError("NOT_FOUND", "log not found");
    throw err;
  }
  const { key_hash: _, ...rest } = row;
  return { key: toIngestKey(rest), secret };
}

/** The log's keys, revoked ones included, oldest first. */
export async function listIngestKeys(db: Db, logId: string): Promise<IngestKey[]> {
  const rows = await db
    .selectFrom("ingest_keys")
    .select(["id", "log_id", "name", "prefix", "created_at", "revoked_at"])
    .where("log_id", "=", logId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toIngestKey);
}

/**
 * Revokes the key; ingest stops accepting it once its key cache expires. Revoking a revoked key
 * changes nothing (the first revocation time is kept). Throws NOT_FOUND if the log has no such key.
 */
export async function revokeIngestKey(db: Db, logId: string, keyId: string): Promise<void> {
  const result = await db
    .updateTable("ingest_keys")
    .set({ revoked_at: now() })
    .where("id", "=", keyId)
    .where("log_id", "=", logId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  if (result.numUpdatedRows > 0n) return;
  const exists = await db
    .selectFrom("ingest_keys")
    .select("id")
    .where("id", "=", keyId)
    .where("log_id", "=", logId)
    .executeTakeFirst();
  if (!exists) throw new FaultlineError("NOT_FOUND", "ingest key not found");
}

/**
 * The active (not revoked) key with this secret and its log, or null. Ingest's hot path: one
 * query through the unique index on the key's hash, joined to the log by primary key.
 */
export async function findActiveIngestKey(
  db: Db,
  secret: string,
): Promise<{ keyId: string; logId: string; projectId: number } | null> {
  if (typeof secret !== "string" || secret.length === 0) return null;
  const row = await db
    .selectFrom("ingest_keys as k")
    .innerJoin("logs", "logs.id", "k.log_id")
    .select(["k.id", "k.log_id", "logs.project_id"])
    .where("k.key_hash", "=", hashIngestKey(secret))
    .where("k.revoked_at", "is", null)
    .executeTakeFirst();
  return row ? { keyId: row.id, logId: row.log_id, projectId: toNumber(row.project_id) } : null;
}
