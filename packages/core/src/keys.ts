import { createHash, randomBytes } from "node:crypto";

/**
 * Ingest keys are 32 lowercase hex characters: Sentry SDKs accept only word characters as a
 * DSN's public key, and elmah.io clients send the same key as `api_key`. Only the SHA-256 of a
 * key is stored; the key itself is shown once, when it is created.
 */
export function newIngestKey(): string {
  return randomBytes(16).toString("hex");
}

export function hashIngestKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** The first characters, shown in lists so an owner can tell keys apart. */
export function ingestKeyPrefix(key: string): string {
  return key.slice(0, 6);
}

/** `http://{key}@host:3100/{projectId}` — the DSN a Sentry SDK is configured with. */
export function sentryDsn(publicIngestUrl: string, key: string, projectId: number): string {
  const url = new URL(publicIngestUrl);
  url.username = key;
  url.pathname = `${url.pathname.replace(/\/$/, "")}/${projectId}`;
  return url.toString();
}

/** The elmah.io v3 endpoint for one log. */
export function messagesEndpoint(publicIngestUrl: string, logId: string): string {
  return `${publicIngestUrl.replace(/\/$/, "")}/v3/messages/${logId}`;
}
