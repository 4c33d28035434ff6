import type { BusPublisher } from "@faultline/bus";
import { DEFAULT_BURST_LIMIT_PER_MINUTE } from "@faultline/db";
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from "fastify";
import { type FindIngestKey, IngestKeyCache, type IngestKeyCacheOptions } from "./auth/ingest-keys";
import type { BurstLimitCacheOptions, FindBurstLimit } from "./burst/burst-limits";
import { BurstProtection } from "./burst/burst-protection";
import { BatchingPublisher, type BatchingPublisherOptions } from "./publishing/batching-publisher";
import {
  applyServerLimits,
  clientErrorHandler,
  DEFAULT_HTTP_LIMITS,
  fastifyHttpOptions,
  type HttpLimits,
} from "./limits/http-limits";
import { DEFAULT_MAX_JSON_DEPTH, useBoundedJsonBodies } from "./limits/json-body";
import { createIngestMetrics, instrumentPublisher } from "./operability/ingest-metrics";
import { operabilityRoutes } from "./operability/operability";
import { trackRoutes } from "./operability/openapi";
import { IngestRejection, sendError, shuttingDown } from "./rejections";
import { type ElmahioLimits, elmahioMessagesRoutes } from "./routes/elmahio-messages";
import { healthRoutes } from "./routes/health";
import { sentryRoutes } from "./routes/sentry";
import { sentryLimitsFor } from "./sentry/events";
import { type FindLogByProjectId, ProjectCache, type ProjectCacheOptions } from "./sentry/projects";

export interface IngestServerDeps {
  /** The bus; ingest only ever publishes. */
  publisher: BusPublisher;
  /** Tuning of the micro-batching in front of the bus. */
  batching?: BatchingPublisherOptions;
  /** Database lookup of an ingest key; answers are cached (see keyCache). */
  findIngestKey: FindIngestKey;
  keyCache?: IngestKeyCacheOptions;
  /**
   * Database lookup of a Sentry project id, to tell a wrong DSN's unknown project (404) from a
   * key of another project (403). Without it both are answered 403.
   */
  findLogByProjectId?: FindLogByProjectId;
  projectCache?: ProjectCacheOptions;
  limits: { maxBodyBytes: number; maxJsonDepth?: number } & Partial<Omit<ElmahioLimits, "maxBodyBytes">>;
  /** Connection-level limits (header size, timeouts, connections); see limits/http-limits.ts. */
  http?: Partial<HttpLimits>;
  /**
   * Database lookup of a log's burst limit (null: no limit); answers are cached (burst.limitCache).
   * Without it every log has the limit a new log gets, DEFAULT_BURST_LIMIT_PER_MINUTE.
   */
  findBurstLimit?: FindBurstLimit;
  burst?: { limitCache?: BurstLimitCacheOptions; reportIntervalMs?: number; now?: () => number };
  /** Fastify's logger option: false in tests, `{ level }` in the service. */
  logger?: FastifyServerOptions["logger"];
}

/** Most messages in one `_bulk` request. */
export const DEFAULT_MAX_BULK_ITEMS = 1000;
/**
 * A bulk body may hold up to 16 messages' worth of the single-message cap (4 MB at the default
 * 256 KB): enough for a full batch of realistic 3–5 KB messages, small enough that a handful
 * of bulk requests cannot exhaust memory.
 */
export const BULK_BODY_FACTOR = 16;

/**
 * The ingest HTTP service, without listening: tests inject requests or listen on port 0.
 * Closing the server stops new requests, waits for those in flight and drains the publish
 * queue; it does not close the bus publisher, which the caller owns.
 */
export function buildIngestServer(deps: IngestServerDeps): FastifyInstance {
  const limits: ElmahioLimits = {
    maxBodyBytes: deps.limits.maxBodyBytes,
    maxBulkBodyBytes: deps.limits.maxBulkBodyBytes ?? deps.limits.maxBodyBytes * BULK_BODY_FACTOR,
    maxBulkItems: deps.limits.maxBulkItems ?? DEFAULT_MAX_BULK_ITEMS,
  };
  const http: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...deps.http };
  // The queue-depth gauge reads the publisher, created below; it is only read at scrape time.
  const metrics = createIngestMetrics({ queuedMessages: () => publisher.heldMessages });
  const app = Fastify({
    logger: deps.logger ?? false,
    ...fastifyHttpOptions(http),
    clientErrorHandler: clientErrorHandler(http, (reason) => metrics.rejected.inc({ reason })),
    bodyLimit: limits.maxBodyBytes,
    // One log line per request would cost more than the request at thousands per second;
    // rejections worth knowing about are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    // Requests arriving while we drain get ingest's own 503 (with Retry-After), from the hook below.
    return503OnClosing: false,
  });
  applyServerLimits(app.server, http);
  metrics.trackConnections(app.server);
  trackRoutes(app);
  const publisher = new BatchingPublisher(instrumentPublisher(deps.publisher, metrics), {
    ...deps.batching,
    onPublishError:
      deps.batching?.onPublishError ??
      ((error, messages) =>
        app.log.error({ err: error, messages }, "publishing a batch failed; answered 503")),
  });
  const keys = new IngestKeyCache(deps.findIngestKey, deps.keyCache);
  const burst = new BurstProtection({
    findLimit: deps.findBurstLimit ?? (async () => DEFAULT_BURST_LIMIT_PER_MINUTE),
    limitCache: deps.burst?.limitCache,
    reportIntervalMs: deps.burst?.reportIntervalMs,
    now: deps.burst?.now,
    metrics: metrics.registry,
    onReportError: (error, reports) =>
      app.log.warn({ err: error, reports: reports.length }, "reporting burst counts failed; retrying later"),
  });
  // Reports go through the batching publisher like any message (a full queue refuses them, and
  // they wait for the next flush rather than push messages out).
  burst.start(async (reports) => {
    const outcome = await publisher.publish(reports);
    if (outcome.kind !== "accepted") throw new Error(`the bus did not take the report (${outcome.reason})`);
  });

  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new IngestRejection(
        "NOT_FOUND",
        "not_found",
        `no route ${request.method} ${request.url.split("?")[0]}`,
      ),
      request,
      reply,
    ),
  );

  healthRoutes(app, { publisher });
  operabilityRoutes(app, metrics);
  // Each wire format gets its own encapsulated scope, so its body parsers stay its own (the
  // Sentry routes will need text/plain, which browser SDKs send to avoid a CORS preflight).
  void app.register(async (scope) => {
    // elmah.io clients send application/json; anything else is answered 415 rather than parsed
    // as a string and failing validation with a confusing message.
    scope.removeContentTypeParser("text/plain");
    // Decodes gzip/deflate/br under both size caps, refuses invalid UTF-8 and deep nesting.
    useBoundedJsonBodies(scope, { maxDepth: deps.limits.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH });
    elmahioMessagesRoutes(scope, { keys, publisher, limits, burst });
  });
  void app.register(async (scope) => {
    const projects = deps.findLogByProjectId
      ? new ProjectCache(deps.findLogByProjectId, deps.projectCache)
      : undefined;
    sentryRoutes(scope, {
      keys,
      projects,
      publisher,
      limits: sentryLimitsFor(limits.maxBodyBytes),
      burst,
    });
  });

  // Requests in flight when close() begins are answered, but their keep-alive connections would
  // then sit idle until the client's or our keep-alive timeout, holding close() up for as long.
  // Telling those clients "Connection: close" ends each connection with its last answer.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onRequest", (_request, _reply, done) => done(closing ? shuttingDown() : undefined));
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) void reply.header("connection", "close");
    done(null, payload);
  });
  app.addHook("onClose", async () => {
    await publisher.drain();
    // Every request is answered and counted now; the last counts go straight to the bus, as the
    // batching publisher refuses new messages once drained. The caller closes the bus after this.
    const unsent = await burst.close((reports) => deps.publisher.publish(reports));
    if (unsent.length > 0) {
      // Nowhere durable is left to keep them: the log line is the record of what was not counted.
      app.log.error({ reports: unsent }, "burst counts could not be reported before stopping");
    }
    metrics.stop();
  });
  return app;
}
