import { z } from "zod";
import { messageIdSchema } from "./message";

/**
 * Bus message type of a burst-counts report: what one ingest instance kept and dropped per
 * log, minute and fingerprint since its previous report. Travels on the same topic as the
 * messages, so the counts are as durable as the messages they describe.
 */
export const BURST_COUNTS_TYPE = "burst-counts.v1";

/** The start of the UTC minute `ms` falls in, in milliseconds. Burst windows are these minutes. */
export function minuteStart(ms: number): number {
  return ms - (((ms % 60_000) + 60_000) % 60_000);
}

/** The UTC minute as stored and reported: ISO 8601 with zero seconds (`2026-11-21T10:02:00.000Z`). */
export function minuteKey(ms: number): string {
  return new Date(minuteStart(ms)).toISOString();
}

const MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/;

export const burstCountRowSchema = z.object({
  logId: z.string().uuid(),
  /** The UTC minute, as minuteKey gives it. */
  minute: z.string().regex(MINUTE, "a UTC minute such as 2026-11-21T10:02:00.000Z"),
  fingerprint: z.string().min(1).max(200),
  /** Messages the bus committed. */
  kept: z.number().int().min(0),
  /** Messages answered 429. */
  dropped: z.number().int().min(0),
});
export type BurstCountRow = z.infer<typeof burstCountRowSchema>;

export const burstCountsReportSchema = z.object({
  /** Unique per report and kept across retries: the consumer applies a report once by this id. */
  id: messageIdSchema,
  /** ISO 8601: when the report was made (for diagnosis only). */
  createdAt: z.string(),
  rows: z.array(burstCountRowSchema),
});
export type BurstCountsReport = z.infer<typeof burstCountsReportSchema>;

export function encodeBurstCounts(report: BurstCountsReport): { id: string; type: string; body: Buffer } {
  return { id: report.id, type: BURST_COUNTS_TYPE, body: Buffer.from(JSON.stringify(report)) };
}

/** Parses and validates a bus body; throws if it is not a burst-counts report. */
export function decodeBurstCounts(body: Uint8Array): BurstCountsReport {
  return burstCountsReportSchema.parse(JSON.parse(Buffer.from(body).toString("utf8")));
}
