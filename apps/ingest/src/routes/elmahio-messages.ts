import type { BusMessage } from "@faultline/bus";
import { encodeMessage, FaultlineError, newMessageId, normalizeElmahMessage } from "@faultline/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { authorizeForLog, type IngestKeyCache } from "../auth/ingest-keys";
import type { BurstProtection } from "../burst/burst-protection";
import type { BatchingPublisher, PublishOutcome } from "../publishing/batching-publisher";
import { IngestRejection } from "../rejections";

export interface ElmahioLimits {
  /** Largest body of a single message, and largest encoded message inside a bulk request. */
  maxBodyBytes: number;
  /** Largest body of a bulk request. */
  maxBulkBodyBytes: number;
  /** Most messages in one bulk request. */
  maxBulkItems: number;
}

export interface ElmahioRouteDeps {
  keys: IngestKeyCache;
  publisher: BatchingPublisher;
  limits: ElmahioLimits;
  burst: BurstProtection;
}

type Issue = { path: string; message: string };

/** One bulk item's answer, in the order the messages were sent. */
export type BulkItemResult =
  | { id: string; location: string; statusCode: 201 }
  | { statusCode: 400 | 413; error: string; message: string; issues: Issue[] }
  | { statusCode: 429; error: "burst_limited"; message: string };

type Conversion =
  | { kind: "valid"; id: string; encoded: BusMessage; fingerprint: string }
  | { kind: "invalid"; status: 400 | 413; error: string; message: string; issues: Issue[] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface LogParams {
  logId: string;
}

/** The elmah.io v3 API: `POST /v3/messages/{logId}` and `POST /v3/messages/{logId}/_bulk`. */
export function elmahioMessagesRoutes(app: FastifyInstance, deps: ElmahioRouteDeps): void {
  const { keys, publisher, limits, burst } = deps;
  const { accepted, rejected } = app.metrics;

  // Runs before the body is read, so a request without a valid key costs neither the upload
  // nor a JSON parse: the cheap checks come first.
  async function authorize(request: FastifyRequest<{ Params: LogParams }>): Promise<void> {
    const logId = request.params.logId;
    if (!UUID.test(logId)) {
      throw new IngestRejection(
        "NOT_FOUND",
        "log_not_found",
        `no log with id "${logId}" (a log id is a UUID)`,
      );
    }
    let auth: Awaited<ReturnType<typeof authorizeForLog>>;
    try {
      auth = await authorizeForLog(keys, apiKeyOf(request), logId.toLowerCase());
    } catch (error) {
      // The database is down or busy: a passing condition, so the SDK is told to retry, and a
      // valid key is never answered "unknown".
      request.log.error({ err: error }, "ingest key lookup failed");
      throw new IngestRejection(
        "UNAVAILABLE",
        "auth_unavailable",
        "cannot check the ingest key now; retry shortly",
      );
    }
    if (auth.kind === "rejected") throw new IngestRejection(auth.code, auth.error, auth.message);
  }

  app.post<{ Params: LogParams }>(
    "/v3/messages/:logId",
    { onRequest: authorize, bodyLimit: limits.maxBodyBytes },
    async (request, reply) => {
      const logId = request.params.logId.toLowerCase();
      const converted = convert(request.body, logId, new Date(), limits.maxBodyBytes);
      if (converted.kind === "invalid") {
        const code = converted.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST";
        throw new IngestRejection(code, converted.error, converted.message, converted.issues);
      }
      const check = await burst.check(logId, [converted.fingerprint]);
      if (check.dropped > 0) {
        check.answered();
        throw check.rejection();
      }
      const outcome = await publisher.publish([converted.encoded]);
      // Counted only once the bus committed it; a 503 is sent again and counted then.
      if (outcome.kind === "accepted") check.answered();
      throwIfRejected(outcome);
      accepted.inc({ route: "/v3/messages/:logId" });
      const location = locationOf(logId, converted.id);
      return reply.code(201).header("location", location).send({ id: converted.id });
    },
  );

  app.post<{ Params: LogParams }>(
    "/v3/messages/:logId/_bulk",
    { onRequest: authorize, bodyLimit: limits.maxBulkBodyBytes },
    async (request, reply) => {
      const logId = request.params.logId.toLowerCase();
      const body = request.body;
      if (!Array.isArray(body) || body.length === 0 || body.length > limits.maxBulkItems) {
        throw new IngestRejection(
          "BAD_REQUEST",
          "invalid_bulk",
          `the body must be a JSON array of 1 to ${limits.maxBulkItems} elmah.io v3 messages`,
        );
      }
      const receivedAt = new Date();
      const conversions = body.map((item) => convert(item, logId, receivedAt, limits.maxBodyBytes));
      const valid = conversions.filter((c) => c.kind === "valid");
      if (valid.length === 0) {
        // Nothing to accept: one 400 whose issues name each message by its index, so a client
        // that checks only the status does not think its batch was stored.
        const issues = conversions.flatMap((c, i) =>
          c.kind === "invalid"
            ? c.issues.length > 0
              ? c.issues.map((issue) => ({
                  path: `[${i}]${issue.path ? `.${issue.path}` : ""}`,
                  message: issue.message,
                }))
              : [{ path: `[${i}]`, message: c.message }]
            : [],
        );
        throw new IngestRejection(
          "BAD_REQUEST",
          "invalid_message",
          "no message in the batch is valid",
          issues,
        );
      }
      // Burst protection decides item by item; a request of only dropped items is one 429.
      const check = await burst.check(
        logId,
        valid.map((c) => c.fingerprint),
      );
      const dropped = new Set(valid.filter((_, i) => !check.decisions[i]!.keep));
      const kept = valid.filter((c) => !dropped.has(c)).map((c) => c.encoded);
      if (kept.length === 0) {
        check.answered();
        throw check.rejection();
      }
      // All kept messages of a request travel in one batch: either all are committed or the
      // whole request is answered 503, so the client never has to work out what to resend.
      const outcome = await publisher.publish(kept);
      if (outcome.kind === "accepted") check.answered();
      throwIfRejected(outcome);
      accepted.inc({ route: "/v3/messages/:logId/_bulk" }, kept.length);
      // Refused items inside an accepted batch are counted here; whole refusals by the error handler.
      for (const c of conversions) if (c.kind === "invalid") rejected.inc({ reason: c.error });
      if (dropped.size > 0) {
        rejected.inc({ reason: "burst_limited" }, dropped.size);
        void reply.header("retry-after", String(check.retryAfterSeconds));
      }
      const burstLimited = dropped.size > 0 ? check.rejection().message : "";
      const results: BulkItemResult[] = conversions.map((c) =>
        c.kind === "invalid"
          ? { statusCode: c.status, error: c.error, message: c.message, issues: c.issues }
          : dropped.has(c)
            ? { statusCode: 429, error: "burst_limited", message: burstLimited }
            : { id: c.id, location: locationOf(logId, c.id), statusCode: 201 },
      );
      return reply.code(201).send(results);
    },
  );
}

function apiKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers.api_key;
  if (typeof header === "string" && header.length > 0) return header;
  const query = (request.query as Record<string, unknown> | undefined)?.api_key;
  return typeof query === "string" && query.length > 0 ? query : undefined;
}

function locationOf(logId: string, id: string): string {
  return `/v3/messages/${logId}/${id}`;
}

/** Validation failures are expected input, so they come back as values rather than exceptions. */
function convert(body: unknown, logId: string, receivedAt: Date, maxBytes: number): Conversion {
  const id = newMessageId(receivedAt.getTime());
  try {
    const message = normalizeElmahMessage(body, { id, logId, receivedAt });
    const encoded = encodeMessage(message);
    if (encoded.body.byteLength > maxBytes) {
      return {
        kind: "invalid",
        status: 413,
        error: "payload_too_large",
        message: `the message is larger than ${maxBytes} bytes`,
        issues: [],
      };
    }
    return { kind: "valid", id, encoded, fingerprint: message.fingerprint };
  } catch (error) {
    if (error instanceof FaultlineError && error.code === "BAD_REQUEST") {
      return {
        kind: "invalid",
        status: 400,
        error: "invalid_message",
        message: error.message,
        issues: [...error.issues],
      };
    }
    throw error;
  }
}

function throwIfRejected(outcome: PublishOutcome): void {
  if (outcome.kind === "accepted") return;
  const message =
    outcome.reason === "overloaded"
      ? "ingest is busy; retry shortly"
      : outcome.reason === "closed"
        ? "ingest is shutting down; retry shortly"
        : "the message bus could not store the message; retry shortly";
  const error =
    outcome.reason === "overloaded"
      ? "overloaded"
      : outcome.reason === "closed"
        ? "shutting_down"
        : "bus_unavailable";
  throw new IngestRejection("UNAVAILABLE", error, message, [], outcome.retryAfterSeconds);
}
