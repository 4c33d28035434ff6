import { join } from "node:path";
import {
  BURST_COUNTS_TYPE,
  type BurstCountsReport,
  encodeBurstCounts,
  encodeMessage,
  newMessageId,
} from "@faultline/core";
import { burstSummary, closeDb, type Db, openDb } from "@faultline/db";
import { migrateToLatest } from "@faultline/db/migrate";
import { afterEach, describe, expect, it } from "vitest";
import { statsPipeline } from "./burst-counts";
import { indexerPipeline } from "./indexer";
import { WorkerBatch } from "./pipeline";
import {
  LOG_ID,
  makeMessages,
  openTestEnvironment,
  runWorkerUntil,
  type TestEnvironment,
} from "./test-environment";

let env: TestEnvironment;
let db: Db | undefined;

afterEach(async () => {
  if (db) await closeDb(db);
  db = undefined;
  await env.close();
});

async function openStatsDb(): Promise<Db> {
  db = openDb({ kind: "sqlite", file: join(env.dataDir, "faultline.db") });
  await migrateToLatest(db);
  return db;
}

const PERIOD = { from: "2026-11-21T10:00:00.000Z", to: "2026-11-21T11:00:00.000Z" };

function report(kept: number, dropped: number, fingerprint = "fp-a"): BurstCountsReport {
  return {
    id: newMessageId(),
    createdAt: new Date().toISOString(),
    rows: [{ logId: LOG_ID, minute: "2026-11-21T10:02:00.000Z", fingerprint, kept, dropped }],
  };
}

describe("stats worker", () => {
  it("stores burst counts, applies a report published twice once, and is never handed a canonical message", async () => {
    env = await openTestEnvironment();
    const stats = await openStatsDb();
    const first = report(40, 1200);
    const second = report(3, 0, "fp-b");
    const publisher = env.bus.publisher();
    // The same report twice: what a publish that failed after the bus took it leads to.
    await publisher.publish([
      encodeBurstCounts(first),
      ...makeMessages(3).map(encodeMessage),
      encodeBurstCounts(first),
      encodeBurstCounts(second),
    ]);
    await publisher.close();
    const totals = await runWorkerUntil(
      {
        subscriber: env.bus.subscriber("stats"),
        pipeline: statsPipeline(stats),
        batchSize: 2,
        logger: env.logger,
      },
      (t) => t.completed >= 3,
    );
    // The three reports only: the stats subscription's filter kept the canonical messages out.
    expect(totals).toMatchObject({ received: 3, completed: 3, deadLettered: 0, abandoned: 0 });
    expect(await env.bus.subscriber("stats").receive(10)).toEqual([]);
    expect(await burstSummary(stats, LOG_ID, PERIOD)).toMatchObject({
      kept: 43,
      dropped: 1200,
      received: 1243,
      topFingerprints: [
        { fingerprint: "fp-a", kept: 40, dropped: 1200 },
        { fingerprint: "fp-b", kept: 3, dropped: 0 },
      ],
    });
  });

  it("a report redelivered after a worker died before completing it is not applied again", async () => {
    env = await openTestEnvironment({ FAULTLINE_BUS_LOCK_MS: "300" });
    const stats = await openStatsDb();
    const publisher = env.bus.publisher();
    await publisher.publish([encodeBurstCounts(report(5, 500))]);
    await publisher.close();

    // A worker that stored the counts and died before completing the message.
    const crashed = env.bus.subscriber("stats");
    const batch = new WorkerBatch(await crashed.receive(10));
    expect(batch.received.map((m) => m.type)).toEqual([BURST_COUNTS_TYPE]);
    for (const step of statsPipeline(stats)) await step.run(batch);
    await crashed.close();
    await new Promise((resolve) => setTimeout(resolve, 350));

    const totals = await runWorkerUntil(
      {
        subscriber: env.bus.subscriber("stats"),
        pipeline: statsPipeline(stats),
        batchSize: 10,
        logger: env.logger,
      },
      (t) => t.completed >= 1,
    );
    expect(totals).toMatchObject({ completed: 1, deadLettered: 0 });
    expect(await burstSummary(stats, LOG_ID, PERIOD)).toMatchObject({ kept: 5, dropped: 500 });
  });

  it("dead-letters a burst-counts report that does not decode", async () => {
    env = await openTestEnvironment();
    const stats = await openStatsDb();
    const publisher = env.bus.publisher();
    await publisher.publish([
      { id: "bad-report-1", type: BURST_COUNTS_TYPE, body: Buffer.from('{"rows":1}') },
    ]);
    await publisher.close();
    const subscriber = env.bus.subscriber("stats");
    await runWorkerUntil(
      { subscriber, pipeline: statsPipeline(stats), batchSize: 10, logger: env.logger },
      (t) => t.deadLettered >= 1,
    );
    const [dead] = await subscriber.peekDeadLetters(10);
    expect(dead).toMatchObject({
      id: "bad-report-1",
      reason: expect.stringMatching(/cannot decode the body/),
    });
  });
});

describe("workers and message types they do not handle", () => {
  it("the indexer completes burst-counts reports unread instead of dead-lettering them", async () => {
    // A bus without filters (say, Service Bus subscriptions provisioned without their rules):
    // the worker's own check is the defence in depth.
    env = await openTestEnvironment({}, {});
    const publisher = env.bus.publisher();
    await publisher.publish([encodeBurstCounts(report(1, 1)), ...makeMessages(4).map(encodeMessage)]);
    await publisher.close();
    const subscriber = env.bus.subscriber("indexer");
    const totals = await runWorkerUntil(
      { subscriber, pipeline: indexerPipeline(env.search), batchSize: 100, logger: env.logger },
      (t) => t.completed >= 5,
    );
    expect(totals).toMatchObject({ completed: 5, deadLettered: 0, abandoned: 0 });
    expect(await env.search.count(LOG_ID)).toBe(4);
    expect(await subscriber.peekDeadLetters(10)).toEqual([]);
  });
});
