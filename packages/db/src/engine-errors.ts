// Driver errors differ between better-sqlite3 and pg; these helpers are the one place that knows
// both, so the queries can react to "duplicate", "busy" and "missing table" portably.

interface DriverError {
  code?: unknown;
  message?: unknown;
  /** pg: the violated constraint's name. */
  constraint?: unknown;
}

function asDriverError(err: unknown): DriverError | null {
  return typeof err === "object" && err !== null ? (err as DriverError) : null;
}

/**
 * For a unique (or primary key) violation, text that names the constraint or its columns —
 * pg gives the constraint name, SQLite the columns (`UNIQUE constraint failed: logs.project_id`);
 * constraints are named after their columns so one `includes` check works on both. Otherwise null.
 */
export function uniqueViolation(err: unknown): string | null {
  const e = asDriverError(err);
  if (!e) return null;
  if (e.code === "SQLITE_CONSTRAINT_UNIQUE" || e.code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    return String(e.message ?? "");
  }
  if (e.code === "23505") return String(e.constraint ?? e.message ?? "");
  return null;
}

/** A foreign key violation: the row referred to does not exist (any more). */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = asDriverError(err)?.code;
  return code === "SQLITE_CONSTRAINT_FOREIGNKEY" || code === "23503";
}

/**
 * Another connection held the write lock longer than busy_timeout, or (SQLite WAL) a read
 * transaction could not be upgraded because another process wrote in between. Retrying the
 * whole transaction is the remedy; pg's serialization failure is the same situation.
 */
export function isRetryableConflict(err: unknown): boolean {
  const code = asDriverError(err)?.code;
  return (
    (typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))) ||
    code === "40001"
  );
}

/**
 * The query hit a table that does not exist yet — the database was never migrated. Callers turn
 * this into "run `faultline migrate` first" instead of a driver message.
 */
export function isMissingTableError(err: unknown): boolean {
  const e = asDriverError(err);
  if (!e) return false;
  if (e.code === "42P01") return true;
  return e.code === "SQLITE_ERROR" && typeof e.message === "string" && e.message.startsWith("no such table");
}
