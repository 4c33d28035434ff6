import { parseSentryAuthHeader, parseSentryDsn } from "@faultline/core";
import type { FastifyRequest } from "fastify";
import type { IngestKeyCache } from "../auth/ingest-keys";
import { IngestRejection } from "../rejections";
import type { ProjectCache } from "./projects";

/** Project ids are positive integers; anything else in the URL is not a project of ours. */
export function parseProjectId(raw: string): number | null {
  if (!/^[1-9]\d{0,14}$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : null;
}

/**
 * The DSN's public key as the SDK sent it outside the body: the `X-Sentry-Auth` header
 * (`Sentry sentry_key=…, sentry_version=7, …`; server SDKs) or the `sentry_key` query parameter
 * (browser SDKs, which cannot set headers without a CORS preflight). The envelope header's
 * `dsn` is the third place, read once the body is (see keyFromEnvelopeDsn).
 */
export function sentryKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers["x-sentry-auth"];
  if (typeof header === "string" && header.length > 0) {
    const key = parseSentryAuthHeader(header).sentry_key;
    if (key) return key;
  }
  // Some older clients send the auth in `Authorization: Sentry sentry_key=…`.
  const authorization = request.headers.authorization;
  if (typeof authorization === "string" && /^sentry\s/i.test(authorization)) {
    const key = parseSentryAuthHeader(authorization).sentry_key;
    if (key) return key;
  }
  const query = (request.query as Record<string, unknown> | undefined)?.sentry_key;
  return typeof query === "string" && query.length > 0 ? query : undefined;
}

/** The public key of the envelope header's `dsn`, if it has a usable one. */
export function keyFromEnvelopeDsn(dsn: unknown): string | undefined {
  return typeof dsn === "string" ? parseSentryDsn(dsn)?.publicKey : undefined;
}

export interface SentryAuthDeps {
  keys: IngestKeyCache;
  /** Absent: a key of another project is answered 403 without telling whether the URL's exists. */
  projects?: ProjectCache;
}

const MISSING_KEY = new IngestRejection(
  "UNAUTHORIZED",
  "missing_sentry_key",
  "send the DSN's public key: X-Sentry-Auth: Sentry sentry_key=…, the sentry_key query parameter, or the envelope header's dsn",
);

/**
 * The log a request may post to: its key must be active and belong to the URL's project. 401
 * for a missing or unknown key, 404 when no log has the project id, 403 when the key belongs to
 * another project (a valid key, a wrong DSN: the answer says which part to fix). A database
 * failure is a 503, so the SDK retries instead of dropping the event as unauthorized.
 */
export async function authorizeSentry(
  deps: SentryAuthDeps,
  request: FastifyRequest,
  secret: string | undefined,
  projectId: number,
): Promise<{ logId: string; keyId: string }> {
  if (!secret) throw MISSING_KEY;
  try {
    const key = await deps.keys.lookup(secret);
    if (!key) {
      throw new IngestRejection(
        "UNAUTHORIZED",
        "invalid_sentry_key",
        "unknown or revoked key (the DSN's public key)",
      );
    }
    if (key.projectId === projectId) return { logId: key.logId, keyId: key.keyId };
    const project = deps.projects ? await deps.projects.lookup(projectId) : undefined;
    if (project === null) {
      throw new IngestRejection("NOT_FOUND", "project_not_found", `no project with id ${projectId}`);
    }
    throw new IngestRejection(
      "FORBIDDEN",
      "wrong_project",
      `this key belongs to another project, not ${projectId}; check the DSN`,
    );
  } catch (error) {
    if (error instanceof IngestRejection) throw error;
    request.log.error({ err: error }, "sentry key lookup failed");
    throw new IngestRejection("UNAVAILABLE", "auth_unavailable", "cannot check the key now; retry shortly");
  }
}
