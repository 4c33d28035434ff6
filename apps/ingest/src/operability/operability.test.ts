import { connect } from "node:net";
import { MESSAGE_TYPE } from "@faultline/core";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildIngestServer, type IngestServerDeps } from "../server";
import { drainSubscription, openTestEnvironment, type TestEnvironment } from "../test-environment";
import { registeredRoutes, toOpenApiPath } from "./openapi";

let env: TestEnvironment;
let app: FastifyInstance;

/** The canonical messages waiting on the indexer's subscription (burst counts travel there too). */
async function messagesOnBus() {
  return (await drainSubscription(env.bus, "indexer")).filter((m) => m.type === MESSAGE_TYPE);
}

function build(overrides: Partial<IngestServerDeps> = {}): FastifyInstance {
  return buildIngestServer({
    publisher: env.bus.publisher(),
    findIngestKey: env.findIngestKey,
    limits: { maxBodyBytes: 64 * 1024 },
    ...overrides,
  });
}

beforeEach(async () => {
  env = await openTestEnvironment();
  app = build();
});

afterEach(async () => {
  await app.close();
  await env.close();
});

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: "POST",
    url,
    headers: { "content-type": "application/json", ...headers },
    payload: JSON.stringify(body),
  });
}

/** One sample's value from the exposition text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  it("moves the counters with the requests answered", async () => {
    const before = (await app.inject({ method: "GET", url: "/metrics" })).body;
    expect(
      sample(before, 'faultline_ingest_accepted_messages_total{route="/v3/messages/:logId"}'),
    ).toBeUndefined();
    expect(sample(before, "faultline_ingest_publish_queue_messages")).toBe(0);

    const key = { api_key: env.log.secret };
    expect((await post(`/v3/messages/${env.log.logId}`, { title: "one" }, key)).statusCode).toBe(201);
    expect((await post(`/v3/messages/${env.log.logId}`, { title: "two" }, key)).statusCode).toBe(201);
    const bulk = await post(`/v3/messages/${env.log.logId}/_bulk`, [{ title: "three" }, { title: "" }], key);
    expect(bulk.statusCode).toBe(201);
    expect((await post(`/v3/messages/${env.log.logId}`, { severity: "Error" }, key)).statusCode).toBe(400);
    expect((await post(`/v3/messages/${env.log.logId}`, { title: "x" })).statusCode).toBe(401);
    expect((await app.inject({ method: "GET", url: "/nowhere?api_key=secret" })).statusCode).toBe(404);

    const res = await app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = res.body;
    expect(sample(text, 'faultline_ingest_accepted_messages_total{route="/v3/messages/:logId"}')).toBe(2);
    expect(sample(text, 'faultline_ingest_accepted_messages_total{route="/v3/messages/:logId/_bulk"}')).toBe(
      1,
    );
    // One refused request and one refused bulk item.
    expect(sample(text, 'faultline_ingest_rejected_total{reason="invalid_message"}')).toBe(2);
    expect(sample(text, 'faultline_ingest_rejected_total{reason="missing_api_key"}')).toBe(1);
    expect(sample(text, 'faultline_ingest_rejected_total{reason="not_found"}')).toBe(1);
    expect(
      sample(text, 'faultline_ingest_http_requests_total{route="/v3/messages/:logId",status="201"}'),
    ).toBe(2);
    expect(sample(text, 'faultline_ingest_http_requests_total{route="(unmatched)",status="404"}')).toBe(1);
    expect(sample(text, 'faultline_ingest_publish_batches_total{outcome="ok"}')).toBe(3);
    expect(sample(text, "faultline_ingest_published_messages_total")).toBe(3);
    expect(sample(text, "faultline_ingest_publish_duration_seconds_count")).toBe(3);
    expect(sample(text, 'faultline_ingest_publish_duration_seconds_bucket{le="+Inf"}')).toBe(3);
    expect(sample(text, 'nodejs_heap_size_bytes{kind="used"}')).toBeGreaterThan(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    // The unmatched URL carried a key in its query; it must not become a label.
    expect(text).not.toContain("secret");
  });

  it("lets other parts of ingest add their own series", async () => {
    const dropped = app.metrics.registry.counter("faultline_test_dropped_total", "Test.", ["log"]);
    dropped.inc({ log: "a" }, 5);
    const text = (await app.inject({ method: "GET", url: "/metrics" })).body;
    expect(sample(text, 'faultline_test_dropped_total{log="a"}')).toBe(5);
  });
});

describe("GET /openapi.json", () => {
  it("describes every route Fastify serves, so the document cannot drift", async () => {
    await app.ready();
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    }>();
    expect(doc.openapi).toBe("3.1.0");
    // HEAD routes are the ones Fastify adds for every GET.
    const routes = registeredRoutes(app).filter((r) => r.method !== "HEAD");
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(["POST /v3/messages/:logId", "GET /metrics", "GET /openapi.json"]),
    );
    const missing = routes.filter((r) => !doc.paths[toOpenApiPath(r.url)]?.[r.method.toLowerCase()]);
    expect(missing).toEqual([]);
  });

  it("carries the message schema generated from core's validation", async () => {
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json<{
      components: { schemas: { ElmahMessage: { properties: Record<string, { maxLength?: number }> } } };
    }>();
    const message = doc.components.schemas.ElmahMessage;
    expect(message.properties.title?.maxLength).toBe(4096);
    expect(message.properties.detail?.maxLength).toBe(128 * 1024);
    expect(Object.keys(message.properties)).toEqual(
      expect.arrayContaining(["breadcrumbs", "serverVariables"]),
    );
  });
});

describe("request logs", () => {
  it("log route, status, duration and log id for each request, and never the key", async () => {
    await app.close();
    const lines: string[] = [];
    app = build({ logger: { level: "debug", stream: { write: (line: string) => lines.push(line) } } });
    const url = `/v3/messages/${env.log.logId}`;
    expect((await post(`${url}?api_key=${env.log.secret}`, { title: "query key" })).statusCode).toBe(201);
    expect((await post(url, { title: "header key" }, { api_key: env.log.secret })).statusCode).toBe(201);
    expect((await post(url, { title: "" }, { api_key: env.log.secret })).statusCode).toBe(400);
    expect((await post(url, { title: "x" }, { api_key: `${env.log.secret}0` })).statusCode).toBe(401);

    const requests = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === "request answered" || l.msg === "request refused");
    expect(requests.map((l) => [l.status, l.level])).toEqual([
      [201, 20],
      [201, 20],
      [400, 30],
      [401, 30],
    ]);
    for (const line of requests) {
      expect(line).toMatchObject({
        route: "/v3/messages/:logId",
        method: "POST",
        logId: env.log.logId,
        reqId: expect.any(String),
        durationMs: expect.any(Number),
      });
    }
    expect(requests[2]).toMatchObject({ error: "invalid_message" });
    expect(lines.join("\n")).not.toContain(env.log.secret);
  });
});

describe("shutdown", () => {
  it("answers a request that arrives while draining with ingest's 503 and Retry-After", async () => {
    const address = new URL(await app.listen({ host: "127.0.0.1", port: 0 }));
    // A request whose head is still arriving keeps its connection through close(), as a request
    // on a busy keep-alive connection would.
    const socket = connect(Number(address.port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(`POST /v3/messages/${env.log.logId} HTTP/1.1\r\nHost: x\r\n`);
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("utf8");
    });
    const ended = new Promise((resolve) => socket.once("close", resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = app.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const body = JSON.stringify({ title: "too late" });
    socket.end(
      `content-type: application/json\r\napi_key: ${env.log.secret}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    await ended;
    await closed;
    const [head, payload] = received.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 503/);
    expect(head).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(head).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(payload!)).toEqual({
      error: "shutting_down",
      message: "ingest is shutting down; retry shortly",
    });
    expect(await messagesOnBus()).toHaveLength(0);
  });
});
