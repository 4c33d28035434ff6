import type { Server, ServerOptions } from "node:http";
import type { Socket } from "node:net";
import type { ErrorBody } from "../rejections";

/**
 * Connection-level limits, below anything a route sees. Each one bounds what a client can hold
 * without sending a complete request: memory for headers, time for a trickling upload, sockets.
 */
export interface HttpLimits {
  /**
   * Largest request head (request line and headers). Node's default of 16 KB, set on purpose:
   * an SDK sends well under 2 KB (the Sentry auth header is the largest), and a flood of
   * headers is refused with 431 before any of it reaches a route.
   */
  maxHeaderBytes: number;
  /** Time to receive the request head; slowloris clients trickling headers are cut off. */
  headersTimeoutMs: number;
  /** Time to receive the whole request, head and body. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; more are closed as they arrive (Node counts them for us). */
  maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxHeaderBytes: 16 * 1024,
  // Headers are tiny; 10 s covers a client on a very bad mobile link.
  headersTimeoutMs: 10_000,
  // The largest accepted body (a 4 MB bulk) arrives in 30 s at about 1 Mbit/s; slower clients
  // should send smaller batches rather than hold a connection longer.
  requestTimeoutMs: 30_000,
  // Longer than the 60 s idle timeout of common load balancers, so that the balancer closes an
  // idle connection first and never reuses one we are closing (which shows up as sporadic 502s).
  keepAliveTimeoutMs: 65_000,
  // Each connection costs a file descriptor and a few KB; stay well below usual ulimits.
  maxConnections: 8192,
};

/** The Fastify options that carry these limits into Node's HTTP server. */
export function fastifyHttpOptions(limits: HttpLimits): {
  requestTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      maxHeaderSize: limits.maxHeaderBytes,
      // Node checks headers and request timeouts on this interval (30 s by default), so a
      // 10 s timeout could otherwise take up to 40 s to fire.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
  };
}

/** The limits Fastify has no option for, set on the server it created. */
export function applyServerLimits(server: Server, limits: HttpLimits): void {
  server.headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  server.maxConnections = limits.maxConnections;
}

const CLIENT_ERRORS: Record<string, { status: number; reason: string; body: ErrorBody }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: "Request Header Fields Too Large",
    body: { error: "headers_too_large", message: "the request headers are larger than the limit" },
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: "Request Timeout",
    body: { error: "request_timeout", message: "the request was not received in time" },
  },
};
const MALFORMED = {
  status: 400,
  reason: "Bad Request",
  body: { error: "malformed_request", message: "the request is not valid HTTP/1.1" } satisfies ErrorBody,
};

/**
 * Answers errors Node's HTTP parser raises before Fastify sees a request (header floods,
 * timeouts, malformed requests) with ingest's `{ error, message }` body instead of Fastify's,
 * and reports each to onRejected (metrics).
 */
export function clientErrorHandler(
  limits: HttpLimits,
  onRejected: (error: string) => void,
): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    // A reset connection has nobody left to answer (and is not the client misbehaving).
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    const known = (error.code && CLIENT_ERRORS[error.code]) || MALFORMED;
    const body =
      known.status === 431
        ? { ...known.body, message: `the request headers are larger than ${limits.maxHeaderBytes} bytes` }
        : known.status === 408
          ? {
              ...known.body,
              message: `the request was not received within ${limits.requestTimeoutMs} ms (headers within ${limits.headersTimeoutMs} ms)`,
            }
          : known.body;
    onRejected(body.error);
    if (socket.writable) {
      const json = JSON.stringify(body);
      socket.write(
        `HTTP/1.1 ${known.status} ${known.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
      );
    }
    socket.destroy();
  };
}
