import { createArchiveStore } from "@faultline/archive";
import { createBus } from "@faultline/bus";
import { ConfigError, describeEngines, loadConfig } from "@faultline/config";
import { SUBSCRIPTION_FILTERS, SUBSCRIPTIONS } from "@faultline/core";
import {
  closeDb,
  findActiveIngestKey,
  getLog,
  getLogByProjectId,
  isMissingTableError,
  openDb,
} from "@faultline/db";
import { buildIngestServer } from "./server";

// A shutdown that takes longer than this is stuck (a hung bus); exit rather than hang the launcher.
const SHUTDOWN_TIMEOUT_MS = 15_000;

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`ingest: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }

  // Service Bus caps a message at 256 KiB: larger bodies travel as a claim check in the archive.
  const claimCheck =
    config.bus.kind === "azure-service-bus" ? await createArchiveStore(config.archive) : undefined;
  const bus = await createBus(config.bus, {
    subscriptions: SUBSCRIPTIONS,
    filters: SUBSCRIPTION_FILTERS,
    claimCheck,
  });
  const publisher = bus.publisher();
  const db = openDb(config.db);
  try {
    // Fail at start, with the fix in the message, rather than on every request.
    await findActiveIngestKey(db, "startup-check");
  } catch (error) {
    if (isMissingTableError(error)) {
      console.error("ingest: the database has no tables yet; run the migrations first (faultline migrate)");
      process.exit(2);
    }
    throw error;
  }
  const app = buildIngestServer({
    publisher,
    findIngestKey: (secret) => findActiveIngestKey(db, secret),
    // A log deleted meanwhile has no limit; its keys stop working on their own.
    findBurstLimit: async (logId) => (await getLog(db, logId))?.burstLimitPerMinute ?? null,
    findLogByProjectId: async (projectId) => {
      const log = await getLogByProjectId(db, projectId);
      return log ? { logId: log.id } : null;
    },
    limits: { maxBodyBytes: config.ingest.maxBodyBytes, maxJsonDepth: config.ingest.maxJsonDepth },
    http: {
      maxHeaderBytes: config.ingest.maxHeaderBytes,
      headersTimeoutMs: config.ingest.headersTimeoutMs,
      requestTimeoutMs: config.ingest.requestTimeoutMs,
      keepAliveTimeoutMs: config.ingest.keepAliveTimeoutMs,
      maxConnections: config.ingest.maxConnections,
    },
    // The same line shape as the consumers' logs: ISO time, level as a word, the service named.
    logger: {
      level: config.logLevel,
      base: { service: "ingest", pid: process.pid },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
    },
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, "stopping: draining requests and the publish queue");
    const timer = setTimeout(() => {
      app.log.error("shutdown timed out; exiting");
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    // Order matters: no new requests, in-flight ones answered and their batches committed
    // (the server's onClose drains the queue), and only then the bus and the database go.
    await app.close();
    await publisher.close();
    await bus.close();
    await closeDb(db);
    app.log.info("stopped");
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));

  await app.listen({ host: config.ingest.host, port: config.ingest.port });
  app.log.info(
    {
      engines: describeEngines(config),
      bus: bus.description,
      host: config.ingest.host,
      port: config.ingest.port,
    },
    "ingest listening",
  );
}

main().catch((error: unknown) => {
  console.error("ingest: failed to start", error);
  process.exit(1);
});
