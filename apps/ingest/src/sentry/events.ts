import type { BusMessage } from "@faultline/bus";
import { encodeMessage, FaultlineError, normalizeSentryEvent } from "@faultline/core";
import { parseJsonBytes } from "../limits/json-body";
import type { PublishOutcome } from "../publishing/batching-publisher";
import { IngestRejection } from "../rejections";

export interface SentryLimits {
  /** Largest request body, on the wire and after decompression (an envelope with all its items). */
  maxEnvelopeBytes: number;
  /** Largest single event (an envelope's event item or a store body), decompressed. */
  maxEventBytes: number;
  /** Largest canonical message on the bus: the mapped fields plus the raw event. */
  maxMessageBytes: number;
  /** Most items in one envelope (SDKs send one event plus a few small items). */
  maxItems: number;
}

/**
 * Defaults from the single-message cap (256 KB unless configured): an event may be as large
 * as an elmah.io message; an envelope holds it plus attachments and other items up to four
 * times that; the canonical message carries the raw event beside the mapped fields, so it may
 * be about twice the event and gets the same four-fold room.
 */
export function sentryLimitsFor(maxBodyBytes: number): SentryLimits {
  return {
    maxEnvelopeBytes: maxBodyBytes * 4,
    maxEventBytes: maxBodyBytes,
    maxMessageBytes: maxBodyBytes * 4,
    maxItems: 100,
  };
}

/** A JSON object from an item payload or store body, or the 4xx that says why not. */
export function parseEventJson(bytes: Buffer, what: string): Record<string, unknown> {
  const parsed = parseJsonBytes(bytes);
  if (parsed.kind === "rejected") {
    throw new IngestRejection("BAD_REQUEST", parsed.error, `${what}: ${parsed.message}`);
  }
  const value = parsed.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new IngestRejection("BAD_REQUEST", "invalid_event", `${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * One Sentry event to the bus message that carries its canonical message. Everything the SDK
 * can get wrong is an IngestRejection (400/413), so the whole request is answered with it.
 */
export function convertSentryEvent(
  payload: Buffer,
  options: {
    logId: string;
    receivedAt: Date;
    format: "sentry-envelope" | "sentry-store";
    fallbackEventId?: unknown;
    limits: SentryLimits;
    what: string;
    /** The payload already parsed (by a caller that had to look inside first). */
    event?: Record<string, unknown>;
  },
): { id: string; encoded: BusMessage; fingerprint: string } {
  const { limits, what } = options;
  if (payload.length > limits.maxEventBytes) {
    throw new IngestRejection(
      "PAYLOAD_TOO_LARGE",
      "payload_too_large",
      `${what} is ${payload.length} bytes, more than the limit of ${limits.maxEventBytes}`,
    );
  }
  const event = options.event ?? parseEventJson(payload, what);
  let encoded: BusMessage;
  let fingerprint: string;
  try {
    const message = normalizeSentryEvent(event, {
      logId: options.logId,
      receivedAt: options.receivedAt,
      format: options.format,
      raw: payload.toString("utf8"),
      fallbackEventId: options.fallbackEventId,
    });
    encoded = encodeMessage(message);
    fingerprint = message.fingerprint;
  } catch (error) {
    if (error instanceof FaultlineError && error.code === "BAD_REQUEST") {
      throw new IngestRejection("BAD_REQUEST", "invalid_event", `${what}: ${error.message}`, error.issues);
    }
    throw error;
  }
  if (encoded.body.byteLength > limits.maxMessageBytes) {
    throw new IngestRejection(
      "PAYLOAD_TOO_LARGE",
      "payload_too_large",
      `${what} maps to a message larger than ${limits.maxMessageBytes} bytes`,
    );
  }
  return { id: encoded.id, encoded, fingerprint };
}

/** A publish the bus refused, as the 503 (with Retry-After) the SDK retries on. */
export function throwIfNotPublished(outcome: PublishOutcome): void {
  if (outcome.kind === "accepted") return;
  const [error, message] =
    outcome.reason === "overloaded"
      ? ["overloaded", "ingest is busy; retry shortly"]
      : outcome.reason === "closed"
        ? ["shutting_down", "ingest is shutting down; retry shortly"]
        : ["bus_unavailable", "the message bus could not store the event; retry shortly"];
  throw new IngestRejection("UNAVAILABLE", error, message, [], outcome.retryAfterSeconds);
}
