import type { Config } from "@faultline/config";
import { messagesEndpoint, sentryDsn } from "@faultline/core";
import type { Context } from "./context";

/** How SDKs reach a log with a key: the elmah.io v3 endpoint and the Sentry DSN. */
export function ingestDetails(config: Config, log: { id: string; projectId: number }, secret: string) {
  return {
    dsn: sentryDsn(config.publicIngestUrl, secret, log.projectId),
    endpoint: messagesEndpoint(config.publicIngestUrl, log.id),
  };
}

/** The key, where to send messages, and a curl command that posts one — shown once per key. */
export function printIngestDetails(
  ctx: Context,
  details: { logId: string; projectId: number; ingestKey: string; dsn: string; endpoint: string },
): void {
  const body = JSON.stringify({ title: "Hello from curl", severity: "Error" });
  ctx.line(`  log id      ${details.logId}`);
  ctx.line(`  project id  ${details.projectId}`);
  ctx.line(`  ingest key  ${details.ingestKey}   (shown once: only its hash is stored)`);
  ctx.line(`  endpoint    ${details.endpoint}`);
  ctx.line(`  Sentry DSN  ${details.dsn}`);
  ctx.line();
  ctx.line("Post a message:");
  ctx.line(
    `  curl -X POST '${details.endpoint}' -H 'api_key: ${details.ingestKey}' -H 'content-type: application/json' -d '${body}'`,
  );
}
