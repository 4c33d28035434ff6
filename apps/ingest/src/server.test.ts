import { decodeMessage } from "@faultline/core";
import { join } from "node:path";
import { closeDb, findActiveIngestKey, openDb, revokeIngestKey } from "@faultline/db";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildIngestServer, type IngestServerDeps } from "./server";
import { drainSubscription, openTestEnvironment, type TestEnvironment } from "./test-environment";

const MAX_BODY = 16 * 1024;

let env: TestEnvironment;
let app: FastifyInstance;
let clock: number;

function build(overrides: Partial<IngestServerDeps> = {}): FastifyInstance {
  return buildIngestServer({
    publisher: env.bus.publisher(),
    findIngestKey: env.findIngestKey,
    keyCache: { ttlMs: 10_000, negativeTtlMs: 1_000, now: () => clock },
    limits: { maxBodyBytes: MAX_BODY, maxBulkItems: 10 },
    ...overrides,
  });
}

beforeEach(async () => {
  env = await openTestEnvironment();
  clock = Date.now();
  app = build();
});

afterEach(async () => {
  await app.close();
  await env.close();
});

const errorMessage = {
  title: "Object reference not set to an instance of an object",
  type: "System.NullReferenceException",
  detail: "System.NullReferenceException: boom\n   at Shop.Cart.Add(Item item) in Cart.cs:line 42",
  serverVariables: [
    { key: "URL", value: "/cart/add" },
    { key: "QUERY_STRING", value: "id=7" },
    { key: "REQUEST_METHOD", value: "POST" },
  ],
};

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: "POST",
    url: path,
    headers: { "content-type": "application/json", ...headers },
    payload: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("POST /v3/messages/:logId", () => {
  it("answers 201 with the id and a Location, and the normalized message is on every subscription", async () => {
    const res = await post(`/v3/messages/${env.log.logId}`, errorMessage, { api_key: env.log.secret });
    expect(res.statusCode).toBe(201);
    const { id } = res.json<{ id: string }>();
    expect(res.headers.location).toBe(`/v3/messages/${env.log.logId}/${id}`);

    for (const subscription of ["indexer", "archiver"]) {
      const received = await drainSubscription(env.bus, subscription);
      expect(received.map((r) => r.id)).toEqual([id]);
      const m = decodeMessage(received[0]!.body);
      expect(m).toMatchObject({
        id,
        logId: env.log.logId,
        format: "elmahio-v3",
        title: errorMessage.title,
        severity: "Information",
        url: "/cart/add?id=7",
        method: "POST",
      });
      expect(m.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it("takes the key from the api_key query parameter too", async () => {
    const res = await post(`/v3/messages/${env.log.logId}?api_key=${env.log.secret}`, {
      title: "from query",
    });
    expect(res.statusCode).toBe(201);
    expect((await drainSubscription(env.bus, "indexer")).map((r) => decodeMessage(r.body).title)).toEqual([
      "from query",
    ]);
  });

  it("answers 401 without a key and for an unknown key", async () => {
    const missing = await post(`/v3/messages/${env.log.logId}`, { title: "x" });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({ error: "missing_api_key", message: expect.stringContaining("api_key") });

    const unknown = await post(`/v3/messages/${env.log.logId}`, { title: "x" }, { api_key: "0".repeat(32) });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual({ error: "invalid_api_key", message: "unknown or revoked ingest key" });
  });

  it("answers 403 for the key of another log", async () => {
    const res = await post(`/v3/messages/${env.log.logId}`, { title: "x" }, { api_key: env.otherLog.secret });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: "wrong_log" });
    expect(await drainSubscription(env.bus, "indexer")).toHaveLength(0);
  });

  it("answers 404 for a log id that is not a UUID", async () => {
    const res = await post("/v3/messages/not-a-log", { title: "x" }, { api_key: env.log.secret });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: "log_not_found" });
  });

  it("answers 413 with a JSON body for a body over the limit", async () => {
    const res = await post(
      `/v3/messages/${env.log.logId}`,
      { title: "big", detail: "x".repeat(MAX_BODY) },
      { api_key: env.log.secret },
    );
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: "payload_too_large", message: expect.any(String) });
  });

  it("answers 400 for invalid JSON and 415 for another content type", async () => {
    const invalid = await post(`/v3/messages/${env.log.logId}`, "{ title: ", { api_key: env.log.secret });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toEqual({ error: "invalid_json", message: expect.any(String) });

    const text = await post(`/v3/messages/${env.log.logId}`, "title=x", {
      api_key: env.log.secret,
      "content-type": "text/plain",
    });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toEqual({ error: "unsupported_media_type", message: expect.any(String) });
  });

  it("answers 400 naming every invalid field", async () => {
    const res = await post(
      `/v3/messages/${env.log.logId}`,
      { severity: "Catastrophic", statusCode: 99.5, cookies: [{ value: "no key" }] },
      { api_key: env.log.secret },
    );
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: string; message: string; issues: { path: string }[] }>();
    expect(body.error).toBe("invalid_message");
    expect(body.issues.map((i) => i.path).sort()).toEqual([
      "cookies[0].key",
      "severity",
      "statusCode",
      "title",
    ]);
    expect(await drainSubscription(env.bus, "indexer")).toHaveLength(0);
  });

  it("rejects a revoked key once the cache entry expires, not before", async () => {
    const url = `/v3/messages/${env.log.logId}`;
    expect((await post(url, { title: "before" }, { api_key: env.log.secret })).statusCode).toBe(201);
    await revokeIngestKey(env.db, env.log.logId, env.log.keyId);

    clock += 9_000;
    expect((await post(url, { title: "cached" }, { api_key: env.log.secret })).statusCode).toBe(201);
    clock += 1_001;
    const after = await post(url, { title: "after" }, { api_key: env.log.secret });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ error: "invalid_api_key" });
  });

  it("answers 503 with Retry-After when the bus cannot commit, and nothing counts as accepted", async () => {
    const publisher = env.bus.publisher();
    await app.close();
    app = build({ publisher });
    // A closed publisher refuses to publish: the same failure a bus that went away produces.
    await publisher.close();
    const res = await post(`/v3/messages/${env.log.logId}`, errorMessage, { api_key: env.log.secret });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
    expect(res.json()).toMatchObject({ error: "bus_unavailable" });
    expect(await drainSubscription(env.bus, "indexer")).toHaveLength(0);

    const ready = await app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ error: "bus_unavailable" });
  });
  it("answers 503 auth_unavailable when the key cannot be looked up, rather than 401", async () => {
    // A real database file without tables: every lookup fails the way a broken database does.
    const broken = openDb({ kind: "sqlite", file: join(env.config.dataDir, "empty.db") });
    await app.close();
    app = build({ findIngestKey: (secret) => findActiveIngestKey(broken, secret) });
    const res = await post(`/v3/messages/${env.log.logId}`, { title: "x" }, { api_key: env.log.secret });
    await closeDb(broken);
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
    expect(res.json()).toMatchObject({ error: "auth_unavailable" });
  });
});

describe("POST /v3/messages/:logId/_bulk", () => {
  it("answers one result per message in order and publishes the valid ones", async () => {
    const res = await post(
      `/v3/messages/${env.log.logId}/_bulk`,
      [{ title: "first" }, { severity: "Error" }, { title: "third", severity: "Fatal" }],
      { api_key: env.log.secret },
    );
    expect(res.statusCode).toBe(201);
    const results = res.json<Record<string, unknown>[]>();
    expect(results).toHaveLength(3);
    expect(results[0]).toMatchObject({ statusCode: 201, id: expect.any(String) });
    expect(results[0]!.location).toBe(`/v3/messages/${env.log.logId}/${results[0]!.id}`);
    expect(results[1]).toMatchObject({
      statusCode: 400,
      error: "invalid_message",
      issues: [{ path: "title", message: "is required" }],
    });
    expect(results[2]).toMatchObject({ statusCode: 201 });

    const onBus = (await drainSubscription(env.bus, "archiver")).map((r) => decodeMessage(r.body));
    expect(onBus.map((m) => [m.id, m.title, m.severity])).toEqual([
      [results[0]!.id, "first", "Information"],
      [results[2]!.id, "third", "Fatal"],
    ]);
  });

  it("answers 503 overloaded with Retry-After when the publish queue is full, storing none of the batch", async () => {
    await app.close();
    app = build({ batching: { maxQueuedMessages: 2, retryAfterSeconds: 3 } });
    const res = await post(
      `/v3/messages/${env.log.logId}/_bulk`,
      [{ title: "one" }, { title: "two" }, { title: "three" }],
      { api_key: env.log.secret },
    );
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("3");
    expect(res.json()).toMatchObject({ error: "overloaded" });
    expect(await drainSubscription(env.bus, "indexer")).toHaveLength(0);
    const fits = await post(`/v3/messages/${env.log.logId}/_bulk`, [{ title: "one" }, { title: "two" }], {
      api_key: env.log.secret,
    });
    expect(fits.statusCode).toBe(201);
  });

  it("answers 400 naming each message's fields when none is valid", async () => {
    const res = await post(`/v3/messages/${env.log.logId}/_bulk`, [{ title: "" }, 42], {
      api_key: env.log.secret,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: "invalid_message",
      issues: [{ path: "[0].title" }, { path: "[1]", message: expect.stringContaining("JSON object") }],
    });
  });

  it("answers 400 for a body that is not an array of 1 to maxBulkItems messages", async () => {
    for (const body of [{ title: "not an array" }, [], Array.from({ length: 11 }, () => ({ title: "x" }))]) {
      const res = await post(`/v3/messages/${env.log.logId}/_bulk`, body, { api_key: env.log.secret });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: "invalid_bulk" });
    }
    expect(await drainSubscription(env.bus, "indexer")).toHaveLength(0);
  });

  it("answers 413 for a message over the single-message limit inside a bulk", async () => {
    const res = await post(
      `/v3/messages/${env.log.logId}/_bulk`,
      [{ title: "small" }, { title: "big", detail: "x".repeat(MAX_BODY) }],
      { api_key: env.log.secret },
    );
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject([{ statusCode: 201 }, { statusCode: 413, error: "payload_too_large" }]);
  });
});

describe("health and unknown routes", () => {
  it("answers /healthz and /readyz while the bus is reachable", async () => {
    expect((await app.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ status: "ok" });
    const ready = await app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready" });
  });

  it("answers 404 with a JSON body for an unknown route", async () => {
    const res = await app.inject({ method: "GET", url: "/v2/messages" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: "not_found", message: "no route GET /v2/messages" });
  });
});

describe("over real HTTP", () => {
  it("accepts 500 concurrent posts and puts each on the bus exactly once", async () => {
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    const responses = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        fetch(`${address}/v3/messages/${env.log.logId}`, {
          method: "POST",
          headers: { "content-type": "application/json", api_key: env.log.secret },
          body: JSON.stringify({ ...errorMessage, title: `concurrent ${i}` }),
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(500).fill(201));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    expect(new Set(ids).size).toBe(500);

    const onBus = await drainSubscription(env.bus, "indexer");
    expect(onBus).toHaveLength(500);
    expect(new Set(onBus.map((r) => r.id))).toEqual(new Set(ids));
    const titles = onBus.map((r) => decodeMessage(r.body).title);
    expect(new Set(titles).size).toBe(500);
  });

  it("on close, answers the requests in flight and commits their messages before it stops", async () => {
    // Hold the first key lookup so that all requests are in flight when close() begins.
    await app.close();
    let releaseLookup = () => {};
    const lookupStarted = new Promise<void>((started) => {
      const held = new Promise<void>((release) => {
        releaseLookup = release;
      });
      app = build({
        findIngestKey: async (secret) => {
          started();
          await held;
          return env.findIngestKey(secret);
        },
      });
    });
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    const pending = Array.from({ length: 50 }, (_, i) =>
      fetch(`${address}/v3/messages/${env.log.logId}`, {
        method: "POST",
        headers: { "content-type": "application/json", api_key: env.log.secret },
        body: JSON.stringify({ title: `closing ${i}` }),
      }),
    );
    await lookupStarted;
    // Give the other requests time to arrive; they join the held lookup.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = app.close();
    releaseLookup();
    await closed;
    const responses = await Promise.all(pending);
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    const onBus = (await drainSubscription(env.bus, "indexer")).map((r) => r.id);
    expect(onBus.sort()).toEqual(ids.sort());
  });
});
