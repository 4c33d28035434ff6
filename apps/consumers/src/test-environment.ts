import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type ArchiveStore, createArchiveStore, readArchivedMessages } from "@faultline/archive";
import { type Bus, type BusOptions, createBus } from "@faultline/bus";
import { type Config, loadConfig } from "@faultline/config";
import {
  type CanonicalMessage,
  encodeMessage,
  newMessageId,
  normalizeElmahMessage,
  SUBSCRIPTION_FILTERS,
  SUBSCRIPTIONS,
} from "@faultline/core";
import { createSearchIndex, type SearchIndex } from "@faultline/search";
import { createLogger, type Logger } from "./logger";
import { runWorker, type WorkerOptions, type WorkerTotals } from "./worker";

export const LOG_ID = "0a6f3c1e-2b4d-4e8f-9a1b-3c5d7e9f1a2b";

/** Real engines (SQLite bus, SQLite search, folder archive) in a fresh FAULTLINE_DATA_DIR. */
export interface TestEnvironment {
  dataDir: string;
  config: Config;
  bus: Bus;
  search: SearchIndex;
  archive: ArchiveStore;
  /** Log lines written by workers that use `logger`. */
  lines: Record<string, unknown>[];
  logger: Logger;
  close(): Promise<void>;
}

/**
 * `filters` defaults to the deployment's; `{}` gives a bus that copies every type to every
 * subscription, for tests of what a worker does with a type it does not handle.
 */
export async function openTestEnvironment(
  env: Record<string, string> = {},
  filters: BusOptions["filters"] = SUBSCRIPTION_FILTERS,
): Promise<TestEnvironment> {
  const dataDir = mkdtempSync(join(tmpdir(), "faultline-consumers-"));
  const config = loadConfig({ FAULTLINE_DATA_DIR: dataDir, ...env });
  const bus = await createBus(config.bus, { subscriptions: SUBSCRIPTIONS, filters });
  const search = await createSearchIndex(config.search);
  const archive = await createArchiveStore(config.archive);
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) });
  return {
    dataDir,
    config,
    bus,
    search,
    archive,
    lines,
    logger,
    async close() {
      await bus.close();
      await search.close();
      await archive.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Canonical messages as ingest makes them, with realistic stack traces. */
export function makeMessages(count: number, receivedAt = new Date()): CanonicalMessage[] {
  return Array.from({ length: count }, (_, i) =>
    normalizeElmahMessage(
      {
        title: `Order ${i} failed: timeout talking to payments`,
        type: "System.TimeoutException",
        severity: i % 3 === 0 ? "Error" : "Warning",
        detail: `System.TimeoutException: payments\n   at Shop.Checkout.Pay(Order o) in Checkout.cs:line ${i}`,
        hostname: "web-1",
      },
      { id: newMessageId(), logId: LOG_ID, receivedAt },
    ),
  );
}

export async function publish(bus: Bus, messages: readonly CanonicalMessage[]): Promise<void> {
  const publisher = bus.publisher();
  await publisher.publish(messages.map(encodeMessage));
  await publisher.close();
}

/**
 * Runs a worker until `done(totals)` holds (checked after every batch), then stops it the way
 * SIGTERM does. Fails the test rather than hanging if that does not happen in time.
 */
export async function runWorkerUntil(
  options: Omit<WorkerOptions, "signal" | "onBatch"> & { onBatch?: WorkerOptions["onBatch"] },
  done: (totals: WorkerTotals) => boolean,
  timeoutMs = 20_000,
): Promise<WorkerTotals> {
  const stop = new AbortController();
  const running: WorkerTotals = { batches: 0, received: 0, completed: 0, deadLettered: 0, abandoned: 0 };
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  // Also checked while idle: with competing workers, the condition may be met by the other one.
  const poll = setInterval(() => {
    if (done(running)) stop.abort();
  }, 20);
  const totals = await runWorker({
    waitMs: 50,
    backoffMs: 10,
    ...options,
    signal: stop.signal,
    onBatch(stats) {
      options.onBatch?.(stats);
      running.batches++;
      running.received += stats.received;
      running.completed += stats.completed;
      running.deadLettered += stats.deadLettered;
      running.abandoned += stats.abandoned;
      if (done(running)) stop.abort();
    },
  });
  clearTimeout(timer);
  clearInterval(poll);
  if (!done(totals)) throw new Error(`worker stopped by the test's timeout: ${JSON.stringify(totals)}`);
  return totals;
}

/** Every archived copy of every message (duplicates included), by reading the blobs' lines. */
export async function archivedIds(archive: ArchiveStore): Promise<{ all: string[]; distinct: Set<string> }> {
  const all: string[] = [];
  for await (const entry of archive.list(`${LOG_ID}/`)) {
    const text = gunzipSync(await archive.get(entry.key)).toString("utf8");
    for (const line of text.split("\n")) if (line) all.push((JSON.parse(line) as { id: string }).id);
  }
  const distinct = new Set<string>();
  for await (const m of readArchivedMessages(archive, `${LOG_ID}/`)) distinct.add(m.id);
  return { all, distinct };
}
