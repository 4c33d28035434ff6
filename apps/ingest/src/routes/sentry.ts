import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { IngestKeyCache } from "../auth/ingest-keys";
import type { BurstProtection } from "../burst/burst-protection";
import { boundedBodyParser } from "../limits/decompress";
import type { BatchingPublisher } from "../publishing/batching-publisher";
import { IngestRejection } from "../rejections";
import { authorizeSentry, parseProjectId, sentryKeyOf } from "../sentry/auth";
import type { SentryLimits } from "../sentry/events";
import type { ProjectCache } from "../sentry/projects";
import { sentryEnvelopeRoute } from "./sentry-envelope";
import { sentryStoreRoute } from "./sentry-store";

export interface SentryRouteDeps {
  keys: IngestKeyCache;
  projects?: ProjectCache;
  publisher: BatchingPublisher;
  limits: SentryLimits;
  burst: BurstProtection;
}

/** What the request's headers or query already established, before the body is read. */
export interface EarlyAuth {
  projectId: number;
  /** Set when the key came in X-Sentry-Auth or the query; the envelope's dsn is read later. */
  auth?: { logId: string; keyId: string };
}

/**
 * Content types the SDKs send: envelopes as application/x-sentry-envelope, store bodies as
 * application/json, and browser SDKs text/plain for both (a "simple" CORS request needs no
 * preflight). Anything else is answered 415 before the body is read.
 */
const CONTENT_TYPES = ["application/x-sentry-envelope", "application/json", "text/plain"];

// Browsers post from any origin; the key in the URL is public by design (it is in the page),
// so no credentials are involved and `*` is right. The SDKs read these answer headers.
const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "x-sentry-error, x-sentry-rate-limits, retry-after",
};
const PREFLIGHT_HEADERS = {
  ...CORS_HEADERS,
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers":
    "content-type, content-encoding, x-sentry-auth, authorization, x-requested-with, accept, origin, sentry-trace, baggage",
  "access-control-max-age": "86400",
};

/**
 * The Sentry protocol: `POST /api/{projectId}/envelope/` and `POST /api/{projectId}/store/`
 * (with or without the trailing slash), their CORS preflights, and body parsing that decodes
 * gzip, deflate and br under both size caps. Register inside its own scope: it replaces the
 * scope's body parsers.
 */
export function sentryRoutes(scope: FastifyInstance, deps: SentryRouteDeps): void {
  const { limits } = deps;
  const early = new WeakMap<FastifyRequest, EarlyAuth>();

  const readBytes = boundedBodyParser(() => ({
    maxCompressedBytes: limits.maxEnvelopeBytes,
    maxDecompressedBytes: limits.maxEnvelopeBytes,
  }));
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(CONTENT_TYPES, readBytes);
  // @sentry/node (11.x) posts envelopes without any Content-Type; Fastify hands such a body to
  // the catch-all parser, which therefore reads it and refuses every other type.
  scope.addContentTypeParser("*", async (request: FastifyRequest, payload: Readable) => {
    if (request.headers["content-type"] === undefined) return readBytes(request, payload);
    throw new IngestRejection(
      "UNSUPPORTED_MEDIA_TYPE",
      "unsupported_media_type",
      `content type "${request.headers["content-type"]}" is not accepted; send ${CONTENT_TYPES.join(", ")}`,
    );
  });
  // Error answers too must carry the CORS headers, or a browser SDK cannot read why it failed.
  scope.addHook("onRequest", async (_request, reply) => {
    void reply.headers(CORS_HEADERS);
  });

  /**
   * Runs before the body is read (cheap checks first): the project id's shape and, when the
   * key is in a header or the query, the key. The store route needs it there; the envelope
   * route may still find it in the envelope header's dsn.
   */
  const authorizeEarly =
    (keyRequired: boolean) =>
    async (request: FastifyRequest): Promise<void> => {
      const raw = (request.params as { projectId: string }).projectId;
      const projectId = parseProjectId(raw);
      if (projectId === null) {
        throw new IngestRejection(
          "NOT_FOUND",
          "project_not_found",
          `no project "${raw}" (a project id is a positive number, the last part of the DSN)`,
        );
      }
      const secret = sentryKeyOf(request);
      const state: EarlyAuth = { projectId };
      if (secret || keyRequired) state.auth = await authorizeSentry(deps, request, secret, projectId);
      early.set(request, state);
    };

  const preflight = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.code(204).headers(PREFLIGHT_HEADERS).send();

  for (const path of ["/api/:projectId/envelope/", "/api/:projectId/envelope"]) {
    scope.options(path, preflight);
    scope.post(
      path,
      { onRequest: authorizeEarly(false), bodyLimit: limits.maxEnvelopeBytes },
      sentryEnvelopeRoute(deps, early),
    );
  }
  for (const path of ["/api/:projectId/store/", "/api/:projectId/store"]) {
    scope.options(path, preflight);
    scope.post(
      path,
      { onRequest: authorizeEarly(true), bodyLimit: limits.maxEnvelopeBytes },
      sentryStoreRoute(deps, early),
    );
  }
}

/** The early auth state of a request that passed authorizeEarly. */
export function earlyAuthOf(early: WeakMap<FastifyRequest, EarlyAuth>, request: FastifyRequest): EarlyAuth {
  const state = early.get(request);
  if (!state) throw new Error("sentry route ran without its onRequest hook");
  return state;
}
