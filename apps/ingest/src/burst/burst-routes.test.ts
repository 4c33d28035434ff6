import { randomBytes } from "node:crypto";
import { BURST_COUNTS_TYPE, decodeBurstCounts } from "@faultline/core";
import { getLog, updateLogSettings } from "@faultline/db";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildIngestServer, type IngestServerDeps } from "../server";
import { drainSubscription, openTestEnvironment, type TestEnvironment } from "../test-environment";
import { SAMPLE_FIRST } from "./burst-guard";

let env: TestEnvironment;
let app: FastifyInstance;
// 10:02:15 UTC: 45 s left in the minute.
let clock = Date.UTC(2026, 10, 21, 10, 2, 15);

function build(overrides: Partial<IngestServerDeps> = {}): FastifyInstance {
  return buildIngestServer({
    publisher: env.bus.publisher(),
    findIngestKey: env.findIngestKey,
    findBurstLimit: async (logId) => (await getLog(env.db, logId))?.burstLimitPerMinute ?? null,
    burst: { now: () => clock, limitCache: { ttlMs: 10_000, now: () => clock } },
    limits: { maxBodyBytes: 64 * 1024 },
    ...overrides,
  });
}

beforeEach(async () => {
  env = await openTestEnvironment();
  clock = Date.UTC(2026, 10, 21, 10, 2, 15);
  await updateLogSettings(env.db, env.log.logId, { burstLimitPerMinute: 3 });
  app = build();
});

afterEach(async () => {
  await app.close();
  await env.close();
});

function post(logId: string, secret: string, title: string) {
  return app.inject({
    method: "POST",
    url: `/v3/messages/${logId}`,
    headers: { "content-type": "application/json", api_key: secret },
    payload: JSON.stringify({ title, type: "System.TimeoutException" }),
  });
}

/** Closes the server (its last counts go out) and sums every burst-counts report on the bus. */
async function reportedCounts() {
  await app.close();
  const reports = (await drainSubscription(env.bus, "stats", BURST_COUNTS_TYPE)).map((m) =>
    decodeBurstCounts(m.body),
  );
  const byLog = new Map<string, { kept: number; dropped: number }>();
  for (const row of reports.flatMap((r) => r.rows)) {
    expect(row.minute).toBe("2026-11-21T10:02:00.000Z");
    const sum = byLog.get(row.logId) ?? { kept: 0, dropped: 0 };
    sum.kept += row.kept;
    sum.dropped += row.dropped;
    byLog.set(row.logId, sum);
  }
  return byLog;
}

describe("burst protection on the elmah.io routes", () => {
  it("over the limit answers 429 burst_limited with Retry-After until the minute ends", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push((await post(env.log.logId, env.log.secret, "Timeout")).statusCode);
    // 3 within the limit, then the 1st of the 1-in-100 sample; the first three of the
    // fingerprint were already among the 3.
    expect(statuses).toEqual([201, 201, 201, 201, 429, 429, 429, 429, 429, 429]);

    const res = await post(env.log.logId, env.log.secret, "Timeout");
    expect(res.statusCode).toBe(429);
    expect(res.headers["retry-after"]).toBe("45");
    expect(res.json()).toEqual({
      error: "burst_limited",
      message: expect.stringContaining("limit 3/min for this log; sampled"),
    });

    // Another error in the same minute still gets its first few through.
    const other = [];
    for (let i = 0; i < SAMPLE_FIRST + 1; i++)
      other.push((await post(env.log.logId, env.log.secret, "Deadlock")).statusCode);
    expect(other).toEqual([201, 201, 201, 429]);

    const metrics = (await app.inject({ method: "GET", url: "/metrics" })).body;
    expect(metrics).toContain(`faultline_ingest_burst_dropped_total{log="${env.log.logId}"} 8`);
    expect(metrics).toMatch(/^faultline_ingest_burst_kept_total 7$/m);

    expect((await drainSubscription(env.bus, "indexer")).length).toBe(7);
    expect(await reportedCounts()).toEqual(new Map([[env.log.logId, { kept: 7, dropped: 8 }]]));
  });

  it("another log is not affected by one log's flood", async () => {
    for (let i = 0; i < 20; i++) await post(env.log.logId, env.log.secret, "Timeout");
    const statuses = [];
    for (let i = 0; i < 20; i++)
      statuses.push((await post(env.otherLog.logId, env.otherLog.secret, "Timeout")).statusCode);
    expect(statuses).toEqual(Array(20).fill(201));
    const counts = await reportedCounts();
    expect(counts.get(env.otherLog.logId)).toEqual({ kept: 20, dropped: 0 });
    expect(counts.get(env.log.logId)).toEqual({ kept: 4, dropped: 16 });
  });

  it("_bulk decides item by item: kept items are stored, dropped ones answered 429 in their result", async () => {
    const res = await app.inject({
      method: "POST",
      url: `/v3/messages/${env.log.logId}/_bulk`,
      headers: { "content-type": "application/json", api_key: env.log.secret },
      payload: JSON.stringify([...Array(6).fill({ title: "Timeout" }), { severity: "Error" }]),
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers["retry-after"]).toBe("45");
    const results = res.json<{ statusCode: number; error?: string; id?: string }[]>();
    expect(results.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 429, 429, 400]);
    expect(results[4]).toMatchObject({ error: "burst_limited" });
    const stored = (await drainSubscription(env.bus, "indexer")).map((m) => m.id);
    expect(stored.sort()).toEqual(
      results
        .slice(0, 4)
        .map((r) => r.id)
        .sort(),
    );

    // A batch with nothing kept is one 429.
    const none = await app.inject({
      method: "POST",
      url: `/v3/messages/${env.log.logId}/_bulk`,
      headers: { "content-type": "application/json", api_key: env.log.secret },
      payload: JSON.stringify(Array(3).fill({ title: "Timeout" })),
    });
    expect(none.statusCode).toBe(429);
    expect(none.json()).toMatchObject({ error: "burst_limited" });
    expect(await reportedCounts()).toEqual(new Map([[env.log.logId, { kept: 4, dropped: 5 }]]));
  });

  it("a message the bus could not take (503) is counted neither kept nor dropped", async () => {
    await app.close();
    app = build({ batching: { maxQueuedMessages: 0 } });
    expect((await post(env.log.logId, env.log.secret, "Timeout")).statusCode).toBe(503);
    expect(await reportedCounts()).toEqual(new Map());
  });

  it("a changed limit takes effect once the cached one expires", async () => {
    for (let i = 0; i < 10; i++) await post(env.log.logId, env.log.secret, "Timeout");
    await updateLogSettings(env.db, env.log.logId, { burstLimitPerMinute: null });
    expect((await post(env.log.logId, env.log.secret, "Timeout")).statusCode).toBe(429);
    clock += 10_001;
    expect((await post(env.log.logId, env.log.secret, "Timeout")).statusCode).toBe(201);
  });
});

describe("burst protection on the Sentry routes", () => {
  it("answers 429 with Retry-After and X-Sentry-Rate-Limits for the rest of the minute", async () => {
    const projectId = (await getLog(env.db, env.log.logId))!.projectId;
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof app.inject>> | undefined;
    for (let i = 0; i < 6; i++) {
      last = await app.inject({
        method: "POST",
        url: `/api/${projectId}/store/?sentry_key=${env.log.secret}`,
        headers: { "content-type": "application/json" },
        payload: JSON.stringify({
          event_id: randomBytes(16).toString("hex"),
          level: "error",
          exception: { values: [{ type: "RangeError", value: "too far" }] },
        }),
      });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(last!.headers["retry-after"]).toBe("45");
    expect(last!.headers["x-sentry-rate-limits"]).toBe("45:error;default:project:burst_limited");
    expect(last!.json()).toMatchObject({ error: "burst_limited" });

    const envelope = (id: string) =>
      `{"event_id":"${id}"}\n{"type":"event"}\n${JSON.stringify({ event_id: id, message: "too far" })}\n`;
    const res = await app.inject({
      method: "POST",
      url: `/api/${projectId}/envelope/?sentry_key=${env.log.secret}`,
      headers: { "content-type": "application/x-sentry-envelope" },
      payload: envelope(randomBytes(16).toString("hex")),
    });
    // A new fingerprint: among its first three, kept.
    expect(res.statusCode).toBe(200);
    expect(await reportedCounts()).toEqual(new Map([[env.log.logId, { kept: 5, dropped: 2 }]]));
  });
});
