import { type CanonicalMessage, canonicalMessageSchema } from "./message";

/** The one topic every message is published to. */
export const MESSAGES_TOPIC = "messages";

/**
 * One subscription per consumer kind; each gets its own copy of every message. Buses create
 * these when they start, so that nothing published before a consumer first ran is missed.
 * The topic carries several message types (MESSAGE_TYPE, BURST_COUNTS_TYPE); each worker
 * handles its own and completes the others unread.
 */
export const SUBSCRIPTIONS = ["indexer", "archiver", "stats"] as const;
export type SubscriptionName = (typeof SUBSCRIPTIONS)[number];

/** Bus message type for a canonical message. */
export const MESSAGE_TYPE = "message.v1";

export function encodeMessage(m: CanonicalMessage): { id: string; type: string; body: Buffer } {
  return { id: m.id, type: MESSAGE_TYPE, body: Buffer.from(JSON.stringify(m)) };
}

/** Parses and validates a bus body; throws if it is not a canonical message. */
export function decodeMessage(body: Uint8Array): CanonicalMessage {
  return canonicalMessageSchema.parse(JSON.parse(Buffer.from(body).toString("utf8")));
}
