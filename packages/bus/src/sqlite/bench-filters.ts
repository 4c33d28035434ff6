/**
 * Publish rate of the SQLite bus with the three Faultline subscriptions, with and without
 * per-subscription type filters. Run from packages/bus:
 *   node --import tsx src/sqlite/bench-filters.ts [messages=20000] [bodyBytes=4096] [batch=500] [rounds=3]
 *
 * Publishes `messages` message.v1 bodies in batches of `batch` (one transaction each, as ingest
 * does) into a fresh file per round, alternating "no filters" (every subscription gets a delivery
 * row) and "filters" (stats takes burst-count reports only, so a message.v1 gets one row fewer),
 * and prints each round's rate, the median, and the delivery rows per message. Then, per round,
 * the time the stats subscription takes to work through what it was given (receive + complete
 * in batches of `batch`): without filters every error, with filters nothing.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { BusMessage, BusOptions } from "../types";
import { createSqliteBus } from "./index";

const count = Number(process.argv[2] ?? 20_000);
const bodyBytes = Number(process.argv[3] ?? 4_096);
const batch = Number(process.argv[4] ?? 500);
const rounds = Number(process.argv[5] ?? 3);
const subscriptions = ["indexer", "archiver", "stats"];
// The same shape as @faultline/core's SUBSCRIPTION_FILTERS (the bus does not depend on core).
const filters = { indexer: ["message.v1"], archiver: ["message.v1"], stats: ["burst-counts.v1"] };

function makeMessages(): BusMessage[] {
  // Text-like bodies (base64) so the size on disk is what it would be for JSON.
  return Array.from({ length: count }, () => ({
    id: randomUUID(),
    type: "message.v1",
    body: Buffer.from(
      randomBytes(Math.ceil((bodyBytes * 3) / 4))
        .toString("base64")
        .slice(0, bodyBytes),
    ),
  }));
}

async function round(
  options: BusOptions,
): Promise<{ perSecond: number; rowsPerMessage: number; statsMs: number; statsCount: number }> {
  const dir = mkdtempSync(join(tmpdir(), "faultline-bus-bench-"));
  try {
    const file = join(dir, "bus.db");
    const messages = makeMessages();
    const bus = createSqliteBus({ ...options, file });
    const publisher = bus.publisher();
    const started = performance.now();
    for (let i = 0; i < messages.length; i += batch) await publisher.publish(messages.slice(i, i + batch));
    const ms = performance.now() - started;
    const raw = new Database(file, { readonly: true });
    const rows = raw.prepare("SELECT count(*) FROM bus_deliveries").pluck().get() as number;
    raw.close();
    const stats = bus.subscriber("stats");
    const statsStarted = performance.now();
    let statsCount = 0;
    for (;;) {
      const got = await stats.receive(batch);
      if (got.length === 0) break;
      await stats.complete(got);
      statsCount += got.length;
    }
    const statsMs = performance.now() - statsStarted;
    await bus.close();
    return { perSecond: (count * 1000) / ms, rowsPerMessage: rows / count, statsMs, statsCount };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Record<string, { rates: number[]; rows: number; statsMs: number[]; statsCount: number }> = {
  "no filters": { rates: [], rows: 0, statsMs: [], statsCount: 0 },
  filters: { rates: [], rows: 0, statsMs: [], statsCount: 0 },
};
for (let r = 0; r < rounds; r++) {
  for (const [name, options] of [
    ["no filters", { subscriptions }],
    ["filters", { subscriptions, filters }],
  ] as const) {
    const { perSecond, rowsPerMessage, statsMs, statsCount } = await round(options);
    results[name]!.rates.push(perSecond);
    results[name]!.rows = rowsPerMessage;
    results[name]!.statsMs.push(statsMs);
    results[name]!.statsCount = statsCount;
  }
}
console.log(
  `publish ${count} × ${bodyBytes} B message.v1, batches of ${batch}, 3 subscriptions, ${rounds} rounds`,
);
for (const [name, { rates, rows, statsMs, statsCount }] of Object.entries(results)) {
  console.log(
    `${name.padEnd(11)} ${rows} delivery rows/message; msg/s per round ${rates.map((x) => Math.round(x)).join(", ")}; median ${Math.round(median(rates))}`,
  );
  console.log(
    `${"".padEnd(11)} stats subscription: ${statsCount} messages to skip, drained in ${Math.round(median(statsMs))} ms (median)`,
  );
}
