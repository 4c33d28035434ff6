import type { BusMessage } from "@faultline/bus";
import {
  type DiscardedEvents,
  discardedEventsOf,
  FaultlineError,
  normalizeSentryEventId,
  parseSentryEnvelope,
  type SentryEnvelope,
} from "@faultline/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { IngestRejection } from "../rejections";
import { publishSentryEvents } from "../burst/sentry-burst";
import { authorizeSentry, keyFromEnvelopeDsn } from "../sentry/auth";
import { countDiscarded, countItem } from "../sentry/counts";
import { convertSentryEvent, parseEventJson } from "../sentry/events";
import { type EarlyAuth, earlyAuthOf, type SentryRouteDeps } from "./sentry";

/**
 * `POST /api/{projectId}/envelope/`: every `event` item becomes a canonical message, published
 * together (all or none, so a retry after a 503 resends exactly what was not stored). Other
 * item types are accepted and counted (sentryItemCounts); a client_report's discarded_events
 * are summed per reason and category and logged. Answers 200 `{ id }` with the event's id
 * (the SDK's own, so a resent event is the same message to every id-keyed consumer).
 */
export function sentryEnvelopeRoute(deps: SentryRouteDeps, early: WeakMap<FastifyRequest, EarlyAuth>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const state = earlyAuthOf(early, request);
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new IngestRejection("BAD_REQUEST", "empty_body", "the body is empty; send a Sentry envelope");
    }
    let envelope: SentryEnvelope;
    try {
      envelope = parseSentryEnvelope(body, deps.limits.maxItems);
    } catch (error) {
      if (error instanceof FaultlineError) {
        throw new IngestRejection("BAD_REQUEST", "invalid_envelope", error.message);
      }
      throw error;
    }
    const auth =
      state.auth ??
      (await authorizeSentry(deps, request, keyFromEnvelopeDsn(envelope.header.dsn), state.projectId));

    const receivedAt = new Date();
    const events: { encoded: BusMessage; fingerprint: string }[] = [];
    const ids: string[] = [];
    const discarded: DiscardedEvents[] = [];
    envelope.items.forEach((item, index) => {
      const payload = Buffer.from(item.payload.buffer, item.payload.byteOffset, item.payload.byteLength);
      const what = `item ${index + 1} (${item.header.type})`;
      if (item.header.type === "event") {
        const { id, encoded, fingerprint } = convertSentryEvent(payload, {
          logId: auth.logId,
          receivedAt,
          format: "sentry-envelope",
          fallbackEventId: envelope.header.event_id,
          limits: deps.limits,
          what,
        });
        ids.push(id);
        events.push({ encoded, fingerprint });
      } else if (item.header.type === "client_report") {
        // A report that cannot be read is the SDK's bookkeeping, not the customer's error:
        // it must not cost the events of the same envelope.
        try {
          discarded.push(...discardedEventsOf(parseEventJson(payload, what)));
        } catch (error) {
          request.log.debug({ err: error }, "unreadable sentry client report ignored");
        }
      }
    });

    if (events.length > 0) await publishSentryEvents(deps, reply, auth.logId, events);

    // Counted once the request is accepted: a 503 that the SDK retries is not counted twice.
    for (const item of envelope.items) countItem(item.header.type);
    if (discarded.length > 0) {
      for (const d of discarded) countDiscarded(d.reason, d.category, d.quantity);
      request.log.info(
        { logId: auth.logId, discarded },
        "sentry client report: events the SDK discarded before sending",
      );
    }
    const id = ids[0] ?? normalizeSentryEventId(envelope.header.event_id);
    return reply.code(200).send(id ? { id } : {});
  };
}
