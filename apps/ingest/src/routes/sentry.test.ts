import { readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { decodeMessage, normalizeSentryEvent, parseSentryEnvelope } from "@faultline/core";
import { getLog, getLogByProjectId } from "@faultline/db";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sentryDiscardedEvents, sentryItemCounts } from "../sentry/counts";
import { buildIngestServer } from "../server";
import { drainSubscription, openTestEnvironment, type TestEnvironment } from "../test-environment";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "..", "tests", "fixtures", "sentry");
const fixture = (name: string) => readFileSync(join(FIXTURES, name));
const MAX_BODY = 64 * 1024;

let env: TestEnvironment;
let app: FastifyInstance;
let projectId: number;
let otherProjectId: number;

beforeEach(async () => {
  env = await openTestEnvironment();
  projectId = (await getLog(env.db, env.log.logId))!.projectId;
  otherProjectId = (await getLog(env.db, env.otherLog.logId))!.projectId;
  app = buildIngestServer({
    publisher: env.bus.publisher(),
    findIngestKey: env.findIngestKey,
    findLogByProjectId: async (id) => {
      const log = await getLogByProjectId(env.db, id);
      return log ? { logId: log.id } : null;
    },
    limits: { maxBodyBytes: MAX_BODY },
  });
});

afterEach(async () => {
  await app.close();
  await env.close();
});

const auth = (key: string) => `Sentry sentry_version=7, sentry_client=test/1.0, sentry_key=${key}`;

function postEnvelope(
  body: string | Buffer,
  options: { path?: string; headers?: Record<string, string>; query?: string } = {},
) {
  return app.inject({
    method: "POST",
    url: `${options.path ?? `/api/${projectId}/envelope/`}${options.query ?? ""}`,
    headers: { "content-type": "application/x-sentry-envelope", ...options.headers },
    payload: body,
  });
}

async function published() {
  return (await drainSubscription(env.bus, "indexer")).map((m) => decodeMessage(m.body));
}

function eventEnvelope(event: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const payload = JSON.stringify(event);
  return `${JSON.stringify(header)}\n{"type":"event","length":${Buffer.byteLength(payload)}}\n${payload}\n`;
}

const EVENT_ID = "0f2d8e4c9b6a4d1e8f3a2b1c0d9e8f7a";
const event = {
  event_id: EVENT_ID,
  level: "error",
  exception: {
    values: [{ type: "RangeError", value: "too far", stacktrace: { frames: [{ function: "go" }] } }],
  },
};

describe("POST /api/:projectId/envelope/ with real SDK payloads", () => {
  for (const name of ["node-exception", "python-exception", "browser-exception", "python-message"]) {
    it(`${name}: 200 with the SDK's event id, and the mapped message is published`, async () => {
      const body = fixture(`${name}.envelope`);
      const envelope = parseSentryEnvelope(body);
      const item = envelope.items.find((i) => i.header.type === "event")!;
      const sent = JSON.parse(Buffer.from(item.payload).toString("utf8")) as { event_id: string };
      // As each SDK sends: node without a content type, python gzip-compressed, browser text/plain.
      const headers: Record<string, string> = name.startsWith("python")
        ? {
            "content-type": "application/x-sentry-envelope",
            "content-encoding": "gzip",
            "x-sentry-auth": auth(env.log.secret),
          }
        : name.startsWith("browser")
          ? { "content-type": "text/plain;charset=UTF-8" }
          : {};
      const res = await app.inject({
        method: "POST",
        url: `/api/${projectId}/envelope/${name.startsWith("python") ? "" : `?sentry_key=${env.log.secret}&sentry_version=7`}`,
        headers,
        payload: name.startsWith("python") ? gzipSync(body) : body,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ id: sent.event_id });
      const [message, ...more] = await published();
      expect(more).toEqual([]);
      const expected = JSON.parse(fixture(`${name}.expected.json`).toString("utf8"));
      expect(message).toEqual({
        ...expected,
        logId: env.log.logId,
        receivedAt: message!.receivedAt,
      });
    });
  }

  it("store: the python event as a store body", async () => {
    const res = await app.inject({
      method: "POST",
      url: `/api/${projectId}/store/`,
      headers: { "content-type": "application/json", "x-sentry-auth": auth(env.log.secret) },
      payload: fixture("python-exception.store.json"),
    });
    expect(res.statusCode, res.body).toBe(200);
    const [message] = await published();
    expect(message).toMatchObject({
      id: res.json<{ id: string }>().id,
      format: "sentry-store",
      title: "ValueError: order 7 references an unknown SKU",
      logId: env.log.logId,
    });
  });

  it("store without the trailing slash, and a transaction there is counted, not stored", async () => {
    const before = sentryItemCounts.transaction;
    const res = await app.inject({
      method: "POST",
      url: `/api/${projectId}/store?sentry_key=${env.log.secret}`,
      headers: { "content-type": "application/json" },
      payload: { event_id: EVENT_ID, type: "transaction", transaction: "GET /" },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: EVENT_ID });
    expect(sentryItemCounts.transaction).toBe(before + 1);
    expect(await published()).toEqual([]);
  });
});

describe("authentication", () => {
  it("takes the key from X-Sentry-Auth, the sentry_key query parameter or the envelope's dsn", async () => {
    const viaHeader = await postEnvelope(eventEnvelope(event), {
      headers: { "x-sentry-auth": auth(env.log.secret) },
    });
    const viaQuery = await postEnvelope(eventEnvelope({ ...event, event_id: undefined }), {
      query: `?sentry_key=${env.log.secret}`,
      path: `/api/${projectId}/envelope`,
    });
    const viaDsn = await postEnvelope(
      eventEnvelope(
        { ...event, event_id: undefined },
        { dsn: `http://${env.log.secret}@ingest:3100/${projectId}` },
      ),
    );
    expect([viaHeader.statusCode, viaQuery.statusCode, viaDsn.statusCode]).toEqual([200, 200, 200]);
    expect(viaHeader.json()).toEqual({ id: EVENT_ID });
    const messages = await published();
    expect(messages).toHaveLength(3);
    expect(messages.every((m) => m.logId === env.log.logId)).toBe(true);
  });

  it("401 without a key or with an unknown one, 403 for another log's key, 404 for an unknown project", async () => {
    const missing = await postEnvelope(eventEnvelope(event));
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ error: "missing_sentry_key" });
    const unknown = await postEnvelope(eventEnvelope(event), {
      headers: { "x-sentry-auth": auth("f".repeat(32)) },
    });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toMatchObject({ error: "invalid_sentry_key" });
    const other = await postEnvelope(eventEnvelope(event), { query: `?sentry_key=${env.otherLog.secret}` });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ error: "wrong_project" });
    const noProject = await postEnvelope(eventEnvelope(event), {
      path: "/api/999999/envelope/",
      query: `?sentry_key=${env.log.secret}`,
    });
    expect(noProject.statusCode).toBe(404);
    expect(noProject.json()).toMatchObject({ error: "project_not_found" });
    const notNumeric = await postEnvelope(eventEnvelope(event), {
      path: `/api/${env.log.logId}/envelope/`,
      query: `?sentry_key=${env.log.secret}`,
    });
    expect(notNumeric.statusCode).toBe(404);
    const storeMissing = await app.inject({
      method: "POST",
      url: `/api/${projectId}/store/`,
      headers: { "content-type": "application/json" },
      payload: event,
    });
    expect(storeMissing.statusCode).toBe(401);
    // The other log's key works for its own project.
    const own = await postEnvelope(eventEnvelope(event), {
      path: `/api/${otherProjectId}/envelope/`,
      query: `?sentry_key=${env.otherLog.secret}`,
    });
    expect(own.statusCode).toBe(200);
    const messages = await published();
    expect(messages.map((m) => m.logId)).toEqual([env.otherLog.logId]);
  });
});

describe("bodies", () => {
  const key = () => ({ "x-sentry-auth": auth(env.log.secret) });

  it("decodes gzip, deflate and br", async () => {
    const body = Buffer.from(eventEnvelope({ ...event, event_id: undefined }));
    for (const [encoding, compressed] of [
      ["gzip", gzipSync(body)],
      ["deflate", deflateSync(body)],
      ["br", brotliCompressSync(body)],
    ] as const) {
      const res = await postEnvelope(compressed, { headers: { ...key(), "content-encoding": encoding } });
      expect(res.statusCode, `${encoding}: ${res.body}`).toBe(200);
    }
    expect((await published()).map((m) => m.title)).toEqual(Array(3).fill("RangeError: too far"));
  });

  it("a compressed body that inflates past the cap is 413; an unknown encoding 415", async () => {
    const bomb = gzipSync(Buffer.alloc(MAX_BODY * 8, 0x20));
    const res = await postEnvelope(bomb, { headers: { ...key(), "content-encoding": "gzip" } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: "payload_too_large" });
    const zstd = await postEnvelope("{}", { headers: { ...key(), "content-encoding": "zstd" } });
    expect(zstd.statusCode).toBe(415);
  });

  it("accepts the envelope, JSON and text/plain content types and no content type; refuses others", async () => {
    for (const type of ["application/x-sentry-envelope", "application/json", "text/plain;charset=UTF-8"]) {
      const res = await postEnvelope(eventEnvelope(event), { headers: { ...key(), "content-type": type } });
      expect(res.statusCode, type).toBe(200);
    }
    const none = await app.inject({
      method: "POST",
      url: `/api/${projectId}/envelope/?sentry_key=${env.log.secret}`,
      payload: eventEnvelope(event),
    });
    expect(none.statusCode, none.body).toBe(200);
    const png = await postEnvelope(eventEnvelope(event), {
      headers: { ...key(), "content-type": "image/png" },
    });
    expect(png.statusCode).toBe(415);
    expect(png.json()).toMatchObject({ error: "unsupported_media_type" });
  });

  it("a truncated or garbled envelope is a 400 that says what is wrong", async () => {
    const truncated = await postEnvelope(`{}\n{"type":"event","length":500}\n{"event_id":`, {
      headers: key(),
    });
    expect(truncated.statusCode).toBe(400);
    expect(truncated.json()).toEqual({
      error: "invalid_envelope",
      message: "invalid envelope: item 1 (event) is truncated: its header says 500 bytes, 12 follow",
    });
    const garbled = await postEnvelope("hello\nworld", { headers: key() });
    expect(garbled.statusCode).toBe(400);
    expect(garbled.json<{ message: string }>().message).toMatch(/envelope header .* not valid JSON/);
    const badEvent = await postEnvelope('{}\n{"type":"event"}\n[1,2]\n', { headers: key() });
    expect(badEvent.statusCode).toBe(400);
    expect(badEvent.json()).toMatchObject({ error: "invalid_event" });
    const badId = await postEnvelope(eventEnvelope({ ...event, event_id: "nope" }), { headers: key() });
    expect(badId.statusCode).toBe(400);
    expect(await published()).toEqual([]);
  });

  it("an event over the single-event cap is 413", async () => {
    const big = eventEnvelope({ ...event, extra: { blob: "x".repeat(MAX_BODY + 1) } });
    const res = await postEnvelope(big, { headers: key() });
    expect(res.statusCode).toBe(413);
    expect(await published()).toEqual([]);
  });
});

describe("items we do not store", () => {
  it("are accepted and counted; client_report discards are summed per reason and category", async () => {
    const before = { ...sentryItemCounts };
    const discardedBefore = sentryDiscardedEvents.get("queue_overflow/error")?.quantity ?? 0;
    const report = JSON.stringify({
      timestamp: 1_795_000_000,
      discarded_events: [
        { reason: "queue_overflow", category: "error", quantity: 4 },
        { reason: "queue_overflow", category: "error", quantity: 2 },
      ],
    });
    const attachment = "binary\nstuff";
    const body = [
      JSON.stringify({ event_id: EVENT_ID }),
      '{"type":"session"}',
      '{"sid":"a","status":"ok"}',
      `{"type":"client_report","length":${report.length}}`,
      report,
      `{"type":"attachment","length":${attachment.length},"filename":"a.txt"}`,
      attachment,
      '{"type":"transaction"}',
      '{"type":"transaction","spans":[]}',
      '{"type":"replay_recording"}',
      "{}",
      '{"type":"something_new"}',
      "{}",
      "",
    ].join("\n");
    const res = await postEnvelope(body, { query: `?sentry_key=${env.log.secret}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ id: EVENT_ID });
    expect(await published()).toEqual([]);
    expect(sentryItemCounts.session).toBe(before.session + 1);
    expect(sentryItemCounts.client_report).toBe(before.client_report + 1);
    expect(sentryItemCounts.attachment).toBe(before.attachment + 1);
    expect(sentryItemCounts.transaction).toBe(before.transaction + 1);
    expect(sentryItemCounts.replay_recording).toBe(before.replay_recording + 1);
    expect(sentryItemCounts.other).toBe(before.other + 1);
    expect(sentryItemCounts.event).toBe(before.event);
    expect(sentryDiscardedEvents.get("queue_overflow/error")?.quantity).toBe(discardedBefore + 6);
  });

  it("resending the same event answers the same id (consumers deduplicate by it)", async () => {
    const first = await postEnvelope(eventEnvelope(event), { query: `?sentry_key=${env.log.secret}` });
    const again = await postEnvelope(eventEnvelope(event), { query: `?sentry_key=${env.log.secret}` });
    expect([first.json(), again.json()]).toEqual([{ id: EVENT_ID }, { id: EVENT_ID }]);
    expect((await published()).map((m) => m.id)).toEqual([EVENT_ID, EVENT_ID]);
  });
});

describe("CORS", () => {
  it("answers the preflight with the methods and headers browser SDKs use", async () => {
    for (const path of [`/api/${projectId}/envelope/`, `/api/${projectId}/store`]) {
      const res = await app.inject({
        method: "OPTIONS",
        url: path,
        headers: {
          origin: "https://shop.example.com",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,x-sentry-auth",
        },
      });
      expect(res.statusCode).toBe(204);
      expect(res.headers["access-control-allow-origin"]).toBe("*");
      expect(res.headers["access-control-allow-methods"]).toContain("POST");
      expect(String(res.headers["access-control-allow-headers"])).toMatch(/content-type.*x-sentry-auth/);
    }
  });

  it("every answer, errors included, carries Access-Control-Allow-Origin", async () => {
    const ok = await postEnvelope(eventEnvelope(event), {
      query: `?sentry_key=${env.log.secret}`,
      headers: { origin: "https://shop.example.com", "content-type": "text/plain;charset=UTF-8" },
    });
    const denied = await postEnvelope(eventEnvelope(event), {
      headers: { origin: "https://shop.example.com" },
    });
    expect(ok.statusCode).toBe(200);
    expect(denied.statusCode).toBe(401);
    expect(ok.headers["access-control-allow-origin"]).toBe("*");
    expect(denied.headers["access-control-allow-origin"]).toBe("*");
    expect(String(ok.headers["access-control-expose-headers"])).toContain("x-sentry-rate-limits");
  });
});

describe("mapping in ingest equals the core mapping", () => {
  it("a store body's message is normalizeSentryEvent of it", async () => {
    const res = await app.inject({
      method: "POST",
      url: `/api/${projectId}/store/?sentry_key=${env.log.secret}`,
      headers: { "content-type": "application/json" },
      payload: event,
    });
    expect(res.statusCode).toBe(200);
    const [message] = await published();
    expect(message).toEqual(
      normalizeSentryEvent(event, {
        logId: env.log.logId,
        receivedAt: new Date(message!.receivedAt),
        format: "sentry-store",
        raw: JSON.stringify(event),
      }),
    );
  });
});
