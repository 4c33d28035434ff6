import { FaultlineError, type FaultlineErrorCode, HTTP_STATUS } from "@faultline/core";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/**
 * A FaultlineError with what an ingest client needs on top: a stable machine-readable `error`
 * string (clients branch on it, so it does not change with the wording of `message`) and, for
 * 429/503, how long to wait before retrying.
 */
export class IngestRejection extends FaultlineError {
  constructor(
    code: FaultlineErrorCode,
    readonly error: string,
    message: string,
    issues: readonly { path: string; message: string }[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message, issues);
  }
}

export interface ErrorBody {
  error: string;
  message: string;
  issues?: readonly { path: string; message: string }[];
}

// Fastify's own errors (body parsing, limits) carry an FST_ code; these are the ones a client
// can cause, given the stable names our clients see instead.
const FASTIFY_ERRORS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "bad_request",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
};

// The `error` code each refused request was answered with, for metrics and the request log.
const REASONS = new WeakMap<FastifyRequest, string>();

/** The `error` code sendError answered this request with, if it did. */
export function rejectionReasonOf(request: FastifyRequest): string | undefined {
  return REASONS.get(request);
}

/**
 * What a request arriving while the server drains is told. The load balancer sends the retry
 * elsewhere; an SDK talking to us directly waits and finds the restarted process.
 */
export function shuttingDown(): IngestRejection {
  return new IngestRejection("UNAVAILABLE", "shutting_down", "ingest is shutting down; retry shortly", [], 1);
}

/**
 * The one place where errors become HTTP answers: FaultlineError codes map through HTTP_STATUS,
 * Fastify's client errors keep their status, anything else is a 500 that is logged.
 */
export function sendError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  // Refused before the whole body arrived (a cap, a bad encoding): close the connection after
  // the answer, or Node would read and discard the rest of an upload of any size.
  if (!request.raw.complete) void reply.header("connection", "close");
  if (error instanceof FaultlineError) {
    const status = HTTP_STATUS[error.code];
    const body: ErrorBody = {
      error: error instanceof IngestRejection ? error.error : error.code.toLowerCase(),
      message: error.message,
    };
    if (error.issues.length > 0) body.issues = error.issues;
    const retryAfter =
      error instanceof IngestRejection && error.retryAfterSeconds !== undefined
        ? error.retryAfterSeconds
        : status === 503 || status === 429
          ? 1
          : undefined;
    if (retryAfter !== undefined) void reply.header("retry-after", String(retryAfter));
    REASONS.set(request, body.error);
    return reply.code(status).send(body);
  }
  const statusCode = "statusCode" in error ? error.statusCode : undefined;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    const code = "code" in error ? error.code : undefined;
    // Invalid JSON arrives as a SyntaxError with statusCode 400 and no FST_ code.
    const name =
      (code && FASTIFY_ERRORS[code]) ?? (error instanceof SyntaxError ? "invalid_json" : "bad_request");
    REASONS.set(request, name);
    return reply.code(statusCode).send({ error: name, message: error.message } satisfies ErrorBody);
  }
  request.log.error({ err: error }, "unexpected error");
  REASONS.set(request, "internal_error");
  return reply.code(500).send({ error: "internal_error", message: "internal error" } satisfies ErrorBody);
}
