import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { rejectionReasonOf } from "../rejections";
import type { IngestMetrics } from "./ingest-metrics";
import { PROMETHEUS_CONTENT_TYPE } from "./metrics";
import { openApiDocument } from "./openapi";

declare module "fastify" {
  interface FastifyInstance {
    /**
     * The server's metrics: count what your routes accept with `accepted`, refusals are counted
     * from the error answers, and `registry` takes new series (counter, gauge, histogram).
     */
    metrics: IngestMetrics;
  }
}

// Requests that matched no route are labelled as one series: the raw URL would make a series
// per scanned path (and could carry an api_key in its query).
const UNMATCHED = "(unmatched)";

// pino's numeric levels; a logger without a level (logging off) matches none.
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

function logIdOf(request: FastifyRequest): string | undefined {
  const params = request.params as Record<string, string | undefined> | undefined;
  return params?.logId ?? params?.projectId;
}

/**
 * /metrics, /openapi.json and the per-request bookkeeping: one metrics update and, when the
 * level allows, one log line per request. Successful requests log at debug (thousands a second
 * would cost more than they tell), refusals at info and failures at error.
 *
 * The log line names the route pattern, never the URL: the key may travel in the query string.
 */
export function operabilityRoutes(app: FastifyInstance, metrics: IngestMetrics): void {
  app.decorate("metrics", metrics);

  app.get("/metrics", async (_request, reply) =>
    reply.type(PROMETHEUS_CONTENT_TYPE).send(metrics.registry.render()),
  );
  app.get("/openapi.json", async (_request, reply) => reply.type("application/json").send(openApiDocument()));

  app.addHook("onResponse", (request: FastifyRequest, reply: FastifyReply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED;
    const status = reply.statusCode;
    const seconds = reply.elapsedTime / 1000;
    metrics.requests.inc({ route, status: String(status) });
    metrics.requestDuration.observe({ route }, seconds);
    const reason = rejectionReasonOf(request);
    if (reason !== undefined) metrics.rejected.inc({ reason });
    const level = status >= 500 ? "error" : status >= 400 ? "info" : "debug";
    // Checked first so a request at the default info level builds no log object at all.
    if (LEVELS[level]! >= (LEVELS[request.log.level] ?? Number.POSITIVE_INFINITY)) {
      request.log[level](
        {
          route,
          method: request.method,
          status,
          durationMs: Math.round(seconds * 100_000) / 100,
          logId: logIdOf(request),
          error: reason,
        },
        status >= 400 ? "request refused" : "request answered",
      );
    }
    done();
  });
}
