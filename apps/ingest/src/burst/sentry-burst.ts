import type { BusMessage } from "@faultline/bus";
import type { FastifyReply } from "fastify";
import type { BatchingPublisher } from "../publishing/batching-publisher";
import { throwIfNotPublished } from "../sentry/events";
import { type BurstProtection, sentryRateLimitsHeader } from "./burst-protection";

/**
 * Publishes a Sentry request's events under burst protection: the kept ones are published
 * together (all or none, as before); when any was dropped the answer carries
 * X-Sentry-Rate-Limits, so the SDK pauses errors until the minute ends rather than retrying
 * into the limit. A request whose events were all dropped is answered 429.
 */
export async function publishSentryEvents(
  deps: { burst: BurstProtection; publisher: BatchingPublisher },
  reply: FastifyReply,
  logId: string,
  events: readonly { encoded: BusMessage; fingerprint: string }[],
): Promise<void> {
  const check = await deps.burst.check(
    logId,
    events.map((e) => e.fingerprint),
  );
  const kept = events.filter((_, i) => check.decisions[i]!.keep).map((e) => e.encoded);
  if (check.dropped > 0) {
    void reply.header("x-sentry-rate-limits", sentryRateLimitsHeader(check.retryAfterSeconds));
    void reply.header("retry-after", String(check.retryAfterSeconds));
  }
  if (kept.length === 0) {
    check.answered();
    throw check.rejection();
  }
  const outcome = await deps.publisher.publish(kept);
  if (outcome.kind === "accepted") check.answered();
  throwIfNotPublished(outcome);
}
