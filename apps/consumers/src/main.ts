import { parseArgs } from "node:util";
import { createArchiveStore } from "@faultline/archive";
import { createBus } from "@faultline/bus";
import { type Config, ConfigError, describeEngines, loadConfig } from "@faultline/config";
import { SUBSCRIPTION_FILTERS, SUBSCRIPTIONS, type SubscriptionName } from "@faultline/core";
import { createSearchIndex } from "@faultline/search";
import { closeDb, openDb } from "@faultline/db";
import { pendingMigrations } from "@faultline/db/migrate";
import { archiverPipeline } from "./archiver";
import { statsPipeline } from "./burst-counts";
import { indexerPipeline } from "./indexer";
import { createLogger } from "./logger";
import type { Pipeline } from "./pipeline";
import { runWorker } from "./worker";

const USAGE = `usage: node dist/main.mjs <${SUBSCRIPTIONS.join("|")}> [--batch-size N]`;
// Measured: indexing 500 messages takes ~0.1 s, far inside the lock, and amortises each commit.
const DEFAULT_BATCH_SIZE = 500;
const MAX_BATCH_SIZE = 5000;

interface OpenedWorker {
  pipeline: Pipeline;
  /** Engine descriptions for the ready line. */
  engines: Record<string, string>;
  close(): Promise<void>;
}

/** Each worker kind names the store it writes to; adding a kind is one more case here. */
async function openWorker(kind: SubscriptionName, config: Config): Promise<OpenedWorker> {
  switch (kind) {
    case "indexer": {
      const search = await createSearchIndex(config.search);
      return {
        pipeline: indexerPipeline(search),
        engines: { search: search.description },
        close: () => search.close(),
      };
    }
    case "archiver": {
      const store = await createArchiveStore(config.archive);
      return {
        pipeline: archiverPipeline(store),
        engines: { archive: store.description },
        close: () => store.close(),
      };
    }
    case "stats": {
      const db = openDb(config.db);
      // Fail at start, with the fix in the message, rather than dead-letter every report.
      const pending = await pendingMigrations(db);
      if (pending.length > 0) {
        await closeDb(db);
        throw new Error(`the database needs migrations (${pending.join(", ")}); run faultline migrate first`);
      }
      return {
        pipeline: statsPipeline(db),
        engines: { db: config.db.kind },
        close: () => closeDb(db),
      };
    }
    default: {
      const unknown: never = kind;
      throw new Error(`no worker for ${String(unknown)}`);
    }
  }
}

function parseCommandLine(args: string[]) {
  try {
    return parseArgs({ args, options: { "batch-size": { type: "string" } }, allowPositionals: true });
  } catch (error) {
    // Unknown options and missing values: the same usage error as an unknown worker.
    usageError(error instanceof Error ? error.message : String(error));
  }
}

function usageError(problem: string): never {
  console.error(`consumers: ${problem}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const parsed = parseCommandLine(process.argv.slice(2));
  const [kind, ...extra] = parsed.positionals;
  if (!kind) usageError("name the worker to run");
  if (extra.length > 0) usageError(`unexpected arguments: ${extra.join(" ")}`);
  if (!(SUBSCRIPTIONS as readonly string[]).includes(kind)) usageError(`unknown worker "${kind}"`);
  const worker = kind as SubscriptionName;
  const batchSizeText = parsed.values["batch-size"];
  const batchSize = batchSizeText === undefined ? DEFAULT_BATCH_SIZE : Number(batchSizeText);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    usageError(`--batch-size must be a whole number from 1 to ${MAX_BATCH_SIZE}`);
  }

  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`consumers: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({
    level: config.logLevel,
    base: { service: "consumers", worker, pid: process.pid },
  });

  // Service Bus caps a message at 256 KiB: larger bodies travel as a claim check in the archive.
  const claimCheck =
    config.bus.kind === "azure-service-bus" ? await createArchiveStore(config.archive) : undefined;
  const bus = await createBus(config.bus, {
    subscriptions: SUBSCRIPTIONS,
    filters: SUBSCRIPTION_FILTERS,
    claimCheck,
  });
  const subscriber = bus.subscriber(worker);
  const opened = await openWorker(worker, config);

  const stop = new AbortController();
  const onSignal = (signal: string) => {
    if (stop.signal.aborted) return;
    logger.info("stopping after the current batch", { signal });
    stop.abort();
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));

  logger.info("ready", {
    batchSize,
    engines: describeEngines(config),
    bus: bus.description,
    ...opened.engines,
  });
  const totals = await runWorker({
    subscriber,
    pipeline: opened.pipeline,
    batchSize,
    logger,
    signal: stop.signal,
    // A third of the lock: two renewals can fail before another worker could take the batch.
    renewLocksEveryMs: Math.max(100, Math.floor(config.bus.lockMs / 3)),
  });
  await subscriber.close();
  await opened.close();
  await bus.close();
  logger.info("stopped", { ...totals });
}

main().catch((error: unknown) => {
  console.error("consumers: failed", error);
  process.exit(1);
});
