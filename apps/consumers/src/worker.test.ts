import type { CanonicalMessage } from "@faultline/core";
import { afterEach, describe, expect, it } from "vitest";
import { archiverPipeline } from "./archiver";
import { indexerPipeline } from "./indexer";
import { decode, type Pipeline, type PipelineStep, WorkerBatch } from "./pipeline";
import {
  archivedIds,
  LOG_ID,
  makeMessages,
  openTestEnvironment,
  publish,
  runWorkerUntil,
  type TestEnvironment,
} from "./test-environment";

let env: TestEnvironment;

afterEach(async () => {
  await env.close();
});

/** Records the ids each pipeline run saw, to prove who handled what. */
function recordingStep(seen: string[]): PipelineStep {
  return {
    name: "record",
    run(batch) {
      for (const m of batch.messages) seen.push(m.id);
    },
  };
}

/** Failure injection: a store that fails its first `failures` calls, like one briefly down. */
function fakeFlakyStep(failures: number): PipelineStep & { calls: number } {
  return {
    name: "flaky-store",
    calls: 0,
    run() {
      this.calls++;
      if (this.calls <= failures) throw new Error(`injected: store unavailable (call ${this.calls})`);
    },
  };
}

describe("indexer worker", () => {
  it("indexes every published message exactly once", async () => {
    env = await openTestEnvironment();
    const messages = makeMessages(300);
    await publish(env.bus, messages);
    const totals = await runWorkerUntil(
      {
        subscriber: env.bus.subscriber("indexer"),
        pipeline: indexerPipeline(env.search),
        batchSize: 64,
        logger: env.logger,
      },
      (t) => t.completed >= 300,
    );
    expect(totals).toMatchObject({ completed: 300, deadLettered: 0, abandoned: 0 });
    expect(await env.search.count(LOG_ID)).toBe(300);
    const stored = await env.search.get(LOG_ID, messages[123]!.id);
    expect(stored?.title).toBe(messages[123]!.title);
    expect(await env.bus.subscriber("indexer").receive(10)).toHaveLength(0);
  });

  it("a batch redelivered after a crash does not duplicate anything", async () => {
    env = await openTestEnvironment({ FAULTLINE_BUS_LOCK_MS: "300" });
    const messages = makeMessages(40);
    await publish(env.bus, messages);
    // A worker that indexed and archived the batch, then died before completing it.
    for (const [subscription, pipeline] of [
      ["indexer", indexerPipeline(env.search)],
      ["archiver", archiverPipeline(env.archive)],
    ] as const) {
      const crashed = env.bus.subscriber(subscription);
      const batch = new WorkerBatch(await crashed.receive(100));
      expect(batch.received).toHaveLength(40);
      for (const step of pipeline) await step.run(batch);
      await crashed.close();
    }
    const blobsBefore = (await archivedIds(env.archive)).all.length;
    await new Promise((resolve) => setTimeout(resolve, 350));

    const redelivered: number[] = [];
    for (const [subscription, pipeline] of [
      ["indexer", indexerPipeline(env.search)],
      ["archiver", archiverPipeline(env.archive)],
    ] as const) {
      await runWorkerUntil(
        {
          subscriber: env.bus.subscriber(subscription),
          pipeline: [
            decode,
            {
              name: "delivery",
              run: (b) => void redelivered.push(...b.received.map((r) => r.deliveryCount)),
            },
            ...pipeline.slice(1),
          ],
          batchSize: 100,
          logger: env.logger,
        },
        (t) => t.completed >= 40,
      );
    }
    expect(new Set(redelivered)).toEqual(new Set([2]));
    expect(await env.search.count(LOG_ID)).toBe(40);
    const archived = await archivedIds(env.archive);
    expect(archived.all).toHaveLength(40);
    expect(blobsBefore).toBe(40);
    expect(archived.distinct).toEqual(new Set(messages.map((m) => m.id)));
  });

  it("dead-letters a poison message with the reason and handles the rest of its batch", async () => {
    env = await openTestEnvironment();
    const messages = makeMessages(5);
    const publisher = env.bus.publisher();
    await publisher.publish([
      { id: messages[0]!.id, type: "message.v1", body: Buffer.from(JSON.stringify(messages[0])) },
      { id: "poison-not-json", type: "message.v1", body: Buffer.from("{ this is not json") },
      {
        id: "poison-no-title",
        type: "message.v1",
        body: Buffer.from(JSON.stringify({ ...messages[1], title: "" })),
      },
      ...messages
        .slice(1)
        .map((m) => ({ id: m.id, type: "message.v1", body: Buffer.from(JSON.stringify(m)) })),
    ]);
    await publisher.close();
    const subscriber = env.bus.subscriber("indexer");
    const totals = await runWorkerUntil(
      { subscriber, pipeline: indexerPipeline(env.search), batchSize: 100, logger: env.logger },
      (t) => t.completed + t.deadLettered >= 7,
    );
    expect(totals).toMatchObject({ batches: 1, completed: 5, deadLettered: 2, abandoned: 0 });
    expect(await env.search.count(LOG_ID)).toBe(5);

    const dead = await subscriber.peekDeadLetters(10);
    expect(dead.map((d) => d.id).sort()).toEqual(["poison-no-title", "poison-not-json"]);
    expect(dead.find((d) => d.id === "poison-no-title")?.reason).toMatch(/cannot decode the body: title/);
    expect(dead.find((d) => d.id === "poison-not-json")?.reason).toMatch(/cannot decode the body: .*JSON/);
    const logged = env.lines.filter((l) => l.msg === "dead-lettering a message that cannot be handled");
    expect(logged.map((l) => l.id).sort()).toEqual(["poison-no-title", "poison-not-json"]);
  });
});

describe("failures", () => {
  it("retries after a transient store failure and then succeeds", async () => {
    env = await openTestEnvironment();
    await publish(env.bus, makeMessages(20));
    // Fails the batch and the first message retried on its own; that one comes back from the bus.
    const flaky = fakeFlakyStep(2);
    const pipeline: Pipeline = [decode, flaky, ...indexerPipeline(env.search).slice(1)];
    const totals = await runWorkerUntil(
      { subscriber: env.bus.subscriber("indexer"), pipeline, batchSize: 50, logger: env.logger },
      (t) => t.completed >= 20,
    );
    expect(totals).toMatchObject({ completed: 20, abandoned: 1, deadLettered: 0 });
    expect(await env.search.count(LOG_ID)).toBe(20);
    const failure = env.lines.find((l) => l.msg === "batch failed; retrying its messages one by one");
    expect(failure).toMatchObject({
      step: "flaky-store",
      error: { message: expect.stringContaining("injected") },
    });
    expect(failure?.messages).toHaveLength(20);
  });

  it("when the store is down, abandons the batch with one log line and succeeds after it is back", async () => {
    env = await openTestEnvironment();
    await publish(env.bus, makeMessages(3));
    // Down for the batch and each of its three messages tried alone.
    const down = fakeFlakyStep(4);
    const totals = await runWorkerUntil(
      {
        subscriber: env.bus.subscriber("indexer"),
        pipeline: [decode, down, ...indexerPipeline(env.search).slice(1)],
        batchSize: 10,
        logger: env.logger,
      },
      (t) => t.completed >= 3,
    );
    expect(totals).toMatchObject({ completed: 3, abandoned: 3, deadLettered: 0 });
    const abandoned = env.lines.filter((l) => l.msg === "abandoning messages for redelivery");
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]!.messages).toHaveLength(3);
    expect(await env.search.count(LOG_ID)).toBe(3);
  });

  it("a message the store keeps refusing is dead-lettered after maxDeliveries; its batch is not", async () => {
    env = await openTestEnvironment({ FAULTLINE_BUS_MAX_DELIVERIES: "3" });
    const messages = makeMessages(10);
    const refused = messages[4]!.id;
    await publish(env.bus, messages);
    const refusing: PipelineStep = {
      name: "picky-store",
      run(batch) {
        if (batch.messages.some((m) => m.id === refused)) throw new Error("injected: field too long");
      },
    };
    const subscriber = env.bus.subscriber("indexer");
    const totals = await runWorkerUntil(
      {
        subscriber,
        pipeline: [decode, refusing, ...indexerPipeline(env.search).slice(1)],
        batchSize: 50,
        logger: env.logger,
      },
      (t) => t.completed >= 9 && t.abandoned >= 3,
    );
    expect(totals.completed).toBe(9);
    expect(await env.search.count(LOG_ID)).toBe(9);
    // The third abandon reaches maxDeliveries: the bus moves it to the dead-letter queue.
    const dead = await subscriber.peekDeadLetters(10);
    expect(dead.map((d) => [d.id, d.deliveryCount])).toEqual([[refused, 3]]);
    expect(dead[0]!.reason).toMatch(/field too long/);
    const abandoned = env.lines.filter((l) => l.msg === "abandoning messages for redelivery");
    expect(abandoned.map((l) => l.messages)).toEqual(
      [1, 2, 3].map((n) => [{ id: refused, deliveryCount: n }]),
    );
  });

  it("renews the locks of a batch that runs longer than the lock", async () => {
    env = await openTestEnvironment({ FAULTLINE_BUS_LOCK_MS: "300" });
    await publish(env.bus, makeMessages(5));
    const rival = env.bus.subscriber("indexer");
    let rivalGot = -1;
    const slow: PipelineStep = {
      name: "slow",
      async run() {
        await new Promise((resolve) => setTimeout(resolve, 450));
        // Past the 300 ms lock: without renewal the rival would get the whole batch now.
        rivalGot = (await rival.receive(10)).length;
        await new Promise((resolve) => setTimeout(resolve, 250));
      },
    };
    const totals = await runWorkerUntil(
      {
        subscriber: env.bus.subscriber("indexer"),
        pipeline: [decode, slow, ...indexerPipeline(env.search).slice(1)],
        batchSize: 10,
        logger: env.logger,
        renewLocksEveryMs: 100,
      },
      (t) => t.completed >= 5,
    );
    expect(rivalGot).toBe(0);
    expect(totals).toMatchObject({ completed: 5, abandoned: 0 });
    expect(env.lines.filter((l) => String(l.msg).startsWith("lock lost"))).toHaveLength(0);
  });
});

describe("competing consumers", () => {
  it("two workers on one subscription share the work without duplicates", async () => {
    env = await openTestEnvironment();
    const messages = makeMessages(400);
    await publish(env.bus, messages);
    const seenA: string[] = [];
    const seenB: string[] = [];
    const pipelineFor = (seen: string[]): Pipeline => [
      decode,
      recordingStep(seen),
      ...archiverPipeline(env.archive).slice(1),
    ];
    let completed = 0;
    const run = (seen: string[]) =>
      runWorkerUntil(
        {
          subscriber: env.bus.subscriber("archiver"),
          pipeline: pipelineFor(seen),
          batchSize: 16,
          logger: env.logger,
          onBatch: (s) => {
            completed += s.completed;
          },
        },
        // Each stops once the pair together has done everything.
        () => completed >= 400,
      );
    await Promise.all([run(seenA), run(seenB)]);
    expect(completed).toBe(400);
    expect(seenA.length).toBeGreaterThan(0);
    expect(seenB.length).toBeGreaterThan(0);
    const all = [...seenA, ...seenB];
    expect(all).toHaveLength(400);
    expect(new Set(all)).toEqual(new Set(messages.map((m: CanonicalMessage) => m.id)));
    expect((await archivedIds(env.archive)).all).toHaveLength(400);
  });
});
