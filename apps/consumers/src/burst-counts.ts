import { BURST_COUNTS_TYPE } from "@faultline/core";
import { type Db, recordBurstCounts } from "@faultline/db";
import { decodeTypes, type Pipeline } from "./pipeline";

/**
 * The stats worker: stores ingest's burst-counts reports (what burst protection kept and
 * dropped per log, minute and fingerprint) in the database. Idempotent by report id:
 * recordBurstCounts notes the id in the transaction that adds the counts, so a redelivered
 * report adds nothing. Canonical messages share the topic and are completed unread.
 */
export function statsPipeline(db: Db): Pipeline {
  return [
    decodeTypes([BURST_COUNTS_TYPE]),
    {
      name: "record-burst-counts",
      async run(batch) {
        // One transaction per report: small, and a report is the unit of idempotency.
        for (const report of batch.burstReports) await recordBurstCounts(db, report.id, report.rows);
      },
    },
  ];
}
