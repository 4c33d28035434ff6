import { BURST_COUNTS_TYPE } from "./burst";
import { type CanonicalMessage, canonicalMessageSchema } from "./message";

/** The one topic every message is published to. */
export const MESSAGES_TOPIC = "messages";

/**
 * One subscription per consumer kind; each gets its own copy of every message of the types it
 * handles (SUBSCRIPTION_FILTERS). Buses create these when they start, so that nothing published
 * before a consumer first ran is missed. The topic carries several message types (MESSAGE_TYPE,
 * BURST_COUNTS_TYPE); should a worker still get a type it does not handle, it completes it
 * unread.
 */
export const SUBSCRIPTIONS = ["indexer", "archiver", "stats"] as const;
export type SubscriptionName = (typeof SUBSCRIPTIONS)[number];

/** Bus message type for a canonical message. */
export const MESSAGE_TYPE = "message.v1";

/**
 * The message types each subscription receives, passed as `filters` to createBus by every
 * process that starts a bus (ingest and the consumers alike: the last bus to start sets the
 * filters). The bus then makes no copy of an error for stats nor of a burst report for the
 * indexer and archiver — a delivery row less per message at ingest's commit, and no consumer
 * fetching a message only to skip it. Declared after MESSAGE_TYPE, which it uses.
 */
export const SUBSCRIPTION_FILTERS: Readonly<Record<SubscriptionName, readonly string[]>> = {
  indexer: [MESSAGE_TYPE],
  archiver: [MESSAGE_TYPE],
  stats: [BURST_COUNTS_TYPE],
};

export function encodeMessage(m: CanonicalMessage): { id: string; type: string; body: Buffer } {
  return { id: m.id, type: MESSAGE_TYPE, body: Buffer.from(JSON.stringify(m)) };
}

/** Parses and validates a bus body; throws if it is not a canonical message. */
export function decodeMessage(body: Uint8Array): CanonicalMessage {
  return canonicalMessageSchema.parse(JSON.parse(Buffer.from(body).toString("utf8")));
}
