import { type BurstCountRow, FaultlineError, minuteKey } from "@faultline/core";
import type { Db } from "./connection";

// pg returns bigint aggregates as strings; SQLite as numbers.
const toNumber = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

// Rows per INSERT: 5 parameters each stays far below SQLite's and PostgreSQL's parameter limits.
const INSERT_CHUNK = 500;

/**
 * Applies one burst-counts report: adds its kept and dropped counts to the stored ones, once.
 * The report id is recorded in the same transaction as the counts, so a redelivered report (or
 * one retried by ingest after a publish it thought had failed) finds its id and changes
 * nothing. Returns whether this call applied it. Rows with the same log, minute and
 * fingerprint are summed first.
 */
export async function recordBurstCounts(
  db: Db,
  reportId: string,
  rows: readonly BurstCountRow[],
): Promise<{ applied: boolean }> {
  const merged = new Map<string, BurstCountRow>();
  for (const row of rows) {
    const key = `${row.logId}\u0001${row.minute}\u0001${row.fingerprint}`;
    const seen = merged.get(key);
    if (seen) merged.set(key, { ...seen, kept: seen.kept + row.kept, dropped: seen.dropped + row.dropped });
    else merged.set(key, { ...row });
  }
  const values = [...merged.values()]
    .filter((r) => r.kept > 0 || r.dropped > 0)
    .map((r) => ({
      log_id: r.logId,
      minute: r.minute,
      fingerprint: r.fingerprint,
      kept: r.kept,
      dropped: r.dropped,
    }));

  return db.transaction().execute(async (trx) => {
    // Inserting the id first also serialises concurrent appliers of the same report on
    // PostgreSQL: the second waits on the first's row lock, then finds the conflict.
    const claimed = await trx
      .insertInto("applied_reports")
      .values({ id: reportId, applied_at: new Date().toISOString() })
      .onConflict((oc) => oc.column("id").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!claimed) return { applied: false };
    for (let i = 0; i < values.length; i += INSERT_CHUNK) {
      await trx
        .insertInto("burst_counts")
        .values(values.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) =>
          oc.columns(["log_id", "minute", "fingerprint"]).doUpdateSet((eb) => ({
            kept: eb("burst_counts.kept", "+", eb.ref("excluded.kept")),
            dropped: eb("burst_counts.dropped", "+", eb.ref("excluded.dropped")),
          })),
        )
        .execute();
    }
    return { applied: true };
  });
}

export interface BurstSummary {
  /** Messages the bus committed in the period. */
  kept: number;
  /** Messages answered 429 in the period. */
  dropped: number;
  /** kept + dropped: every message that reached burst protection. */
  received: number;
  /** First and last UTC minute with any count in the period, or null when there is none. */
  firstMinute: string | null;
  lastMinute: string | null;
  /** Minutes with counts, oldest first (minutes without messages are left out). */
  perMinute: { minute: string; kept: number; dropped: number }[];
  /** The fingerprints that dropped most, then kept most (at most `top`). */
  topFingerprints: { fingerprint: string; kept: number; dropped: number }[];
}

/** Longest period one summary covers; a longer one is a mistake or an attempt to make us work. */
const MAX_PERIOD_MS = 31 * 24 * 60 * 60 * 1000;

function instant(path: string, value: string | Date): number {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new FaultlineError("BAD_REQUEST", `${path} must be a date and time`, [
      { path, message: "must be a date and time" },
    ]);
  }
  return ms;
}

/**
 * What burst protection kept and dropped for the log in [from, to): every minute that starts
 * before `to` and ends after `from` counts whole (counts are per minute). Throws BAD_REQUEST
 * for an invalid or reversed period, or one longer than 31 days.
 */
export async function burstSummary(
  db: Db,
  logId: string,
  period: { from: string | Date; to: string | Date },
  options: { top?: number } = {},
): Promise<BurstSummary> {
  const fromMs = instant("from", period.from);
  const toMs = instant("to", period.to);
  if (toMs <= fromMs) {
    throw new FaultlineError("BAD_REQUEST", "to must be after from", [
      { path: "to", message: "must be after from" },
    ]);
  }
  if (toMs - fromMs > MAX_PERIOD_MS) {
    throw new FaultlineError("BAD_REQUEST", "the period must be at most 31 days", [
      { path: "from", message: "must be at most 31 days before to" },
    ]);
  }
  const from = minuteKey(fromMs);
  const to = new Date(toMs).toISOString();
  const top = Math.max(1, Math.min(options.top ?? 10, 100));

  const inPeriod = db
    .selectFrom("burst_counts")
    .where("log_id", "=", logId)
    .where("minute", ">=", from)
    .where("minute", "<", to);

  const [minutes, fingerprints] = await Promise.all([
    inPeriod
      .select((eb) => ["minute", eb.fn.sum("kept").as("kept"), eb.fn.sum("dropped").as("dropped")])
      .groupBy("minute")
      .orderBy("minute")
      .execute(),
    inPeriod
      .select((eb) => ["fingerprint", eb.fn.sum("kept").as("kept"), eb.fn.sum("dropped").as("dropped")])
      .groupBy("fingerprint")
      .orderBy((eb) => eb.fn.sum("dropped"), "desc")
      .orderBy((eb) => eb.fn.sum("kept"), "desc")
      .orderBy("fingerprint")
      .limit(top)
      .execute(),
  ]);

  const perMinute = minutes.map((m) => ({
    minute: m.minute,
    kept: toNumber(m.kept),
    dropped: toNumber(m.dropped),
  }));
  let kept = 0;
  let dropped = 0;
  for (const m of perMinute) {
    kept += m.kept;
    dropped += m.dropped;
  }
  return {
    kept,
    dropped,
    received: kept + dropped,
    firstMinute: perMinute[0]?.minute ?? null,
    lastMinute: perMinute.at(-1)?.minute ?? null,
    perMinute,
    topFingerprints: fingerprints.map((f) => ({
      fingerprint: f.fingerprint,
      kept: toNumber(f.kept),
      dropped: toNumber(f.dropped),
    })),
  };
}
