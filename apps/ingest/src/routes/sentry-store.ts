import type { FastifyReply, FastifyRequest } from "fastify";
import { IngestRejection } from "../rejections";
import { countItem } from "../sentry/counts";
import { publishSentryEvents } from "../burst/sentry-burst";
import { convertSentryEvent, parseEventJson } from "../sentry/events";
import { type EarlyAuth, earlyAuthOf, type SentryRouteDeps } from "./sentry";
import { normalizeSentryEventId } from "@faultline/core";

/**
 * `POST /api/{projectId}/store/`: one event as the JSON body (the protocol before envelopes,
 * still sent by older SDKs). The key must come in X-Sentry-Auth or the query. Answers 200
 * `{ id }` with the event's id; a transaction sent here is accepted and counted, not stored.
 */
export function sentryStoreRoute(deps: SentryRouteDeps, early: WeakMap<FastifyRequest, EarlyAuth>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { auth } = earlyAuthOf(early, request);
    if (!auth) throw new Error("store route without authorization");
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new IngestRejection("BAD_REQUEST", "empty_body", "the body is empty; send the event as JSON");
    }
    if (body.length > deps.limits.maxEventBytes) {
      throw new IngestRejection(
        "PAYLOAD_TOO_LARGE",
        "payload_too_large",
        `the event is ${body.length} bytes, more than the limit of ${deps.limits.maxEventBytes}`,
      );
    }
    const event = parseEventJson(body, "the event");
    if (event.type === "transaction") {
      countItem("transaction");
      return reply.code(200).send({ id: normalizeSentryEventId(event.event_id) });
    }
    const { id, encoded, fingerprint } = convertSentryEvent(body, {
      logId: auth.logId,
      receivedAt: new Date(),
      format: "sentry-store",
      limits: deps.limits,
      what: "the event",
      event,
    });
    await publishSentryEvents(deps, reply, auth.logId, [{ encoded, fingerprint }]);
    countItem("event");
    return reply.code(200).send({ id });
  };
}
