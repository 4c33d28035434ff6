import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFolderArchive } from "@faultline/archive/folder";
import type { Bus, BusMessage, BusOptions, ReceivedMessage } from "@faultline/bus";
import {
  createServiceBusBus,
  deleteServiceBusTopic,
  filterRule,
  type ServiceBusBusOptions,
} from "@faultline/bus/azure-service-bus";
import { describeBusContract, SkipSuite } from "@faultline/bus/contract";
import { describe, expect, it, onTestFinished } from "vitest";
import { type FakeServiceBus, startFakeServiceBus } from "../fakes/service-bus";

// The Azure Service Bus adapter, driven through the real @azure/service-bus SDK, against the
// loopback FAKE namespace in tests/fakes/service-bus (a real Service Bus cannot run here) and,
// when SERVICEBUS_CONNECTION_STRING names one, against a live namespace.

async function startFake(
  opts: BusOptions,
  topic = `contract-${randomUUID()}`,
): Promise<FakeServiceBus & { topic: string }> {
  const fake = await startFakeServiceBus({
    topic,
    subscriptions: opts.subscriptions,
    lockMs: opts.lockMs ?? 30_000,
    maxDeliveries: opts.maxDeliveries ?? 10,
    // Service Bus filters are subscription rules, provisioned with the topic; the fake has no
    // admin API, so they are given to it at start.
    filters: opts.filters,
  });
  return Object.assign(fake, { topic });
}

describeBusContract("azure-service-bus (fake)", async (opts) => {
  const fake = await startFake(opts);
  const bus = await createServiceBusBus({
    connectionString: fake.connectionString,
    topic: fake.topic,
    ...opts,
  });
  return {
    bus,
    cleanup: async () => {
      await bus.close();
      await fake.close();
    },
  };
});

describeBusContract("azure-service-bus (live namespace)", async (opts) => {
  const connectionString = process.env.SERVICEBUS_CONNECTION_STRING;
  if (!connectionString) {
    throw new SkipSuite(
      "SERVICEBUS_CONNECTION_STRING is not set, so there is no live Service Bus namespace to run against",
    );
  }
  // A topic of its own per test, provisioned with the test's LockDuration and MaxDeliveryCount.
  const topic = `faultline-contract-${randomUUID()}`;
  const bus = await createServiceBusBus({ connectionString, topic, provision: true, ...opts });
  return {
    bus,
    cleanup: async () => {
      await bus.close();
      await deleteServiceBusTopic(connectionString, topic);
    },
  };
});

describe("azure-service-bus adapter (against the fake)", () => {
  async function setUp(
    extra: Partial<ServiceBusBusOptions> = {},
  ): Promise<{ bus: Bus; fake: FakeServiceBus }> {
    const fake = await startFake({ subscriptions: ["s"] });
    const bus = await createServiceBusBus({
      connectionString: fake.connectionString,
      topic: fake.topic,
      subscriptions: ["s", ...(extra.subscriptions ?? [])],
      ...extra,
    });
    onTestFinished(async () => {
      await bus.close();
      await fake.close();
    });
    return { bus, fake };
  }

  async function receiveAll(bus: Bus, subscription: string, count: number): Promise<ReceivedMessage[]> {
    const sub = bus.subscriber(subscription);
    const got: ReceivedMessage[] = [];
    const deadline = Date.now() + 10_000;
    while (got.length < count && Date.now() < deadline) {
      got.push(...(await sub.receive(100, { waitMs: 1_000 })));
    }
    await sub.complete(got);
    return got;
  }

  it("a 400 KB body travels as a claim check: the body goes to the archive, the bus message stays small", async () => {
    const dir = await mkdtemp(join(tmpdir(), "faultline-claims-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const store = createFolderArchive({ dir });
    const { bus, fake } = await setUp({ claimCheck: { store } });

    const large: BusMessage = { id: randomUUID(), type: "message.v1", body: randomBytes(400_000) };
    const small: BusMessage = { id: randomUUID(), type: "message.v1", body: Buffer.from("small") };
    await bus.publisher().publish([large, small]);

    // The archive holds the large body under claims/{id}, and nothing for the small one.
    expect(Buffer.from(await store.get(`claims/${large.id}`))).toEqual(Buffer.from(large.body));
    await expect(store.get(`claims/${small.id}`)).rejects.toThrow();
    // What crossed the bus was one small batch, far below the 256 KiB message limit.
    expect(fake.stats.messages).toBe(2);
    expect(fake.stats.largestTransferBytes).toBeLessThan(4_096);

    const got = await receiveAll(bus, "s", 2);
    expect(got.map((m) => m.id)).toEqual([large.id, small.id]);
    expect(Buffer.from(got[0]!.body)).toEqual(Buffer.from(large.body));
    expect(Buffer.from(got[1]!.body).toString()).toBe("small");
  });

  it("a body at the claim-check threshold still travels on the bus", async () => {
    const dir = await mkdtemp(join(tmpdir(), "faultline-claims-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const store = createFolderArchive({ dir });
    const { bus, fake } = await setUp({ claimCheck: { store, thresholdBytes: 100_000 } });
    const message: BusMessage = { id: randomUUID(), type: "message.v1", body: randomBytes(100_000) };
    await bus.publisher().publish([message]);
    await expect(store.get(`claims/${message.id}`)).rejects.toThrow();
    expect(fake.stats.largestTransferBytes).toBeGreaterThan(100_000);
    const [got] = await receiveAll(bus, "s", 1);
    expect(Buffer.from(got!.body)).toEqual(Buffer.from(message.body));
  });

  it("without a claim-check store, a body over the message limit is refused before anything is sent", async () => {
    const { bus, fake } = await setUp();
    const message: BusMessage = { id: randomUUID(), type: "message.v1", body: randomBytes(400_000) };
    await expect(bus.publisher().publish([message])).rejects.toThrow(/does not fit/);
    expect(fake.stats.transfers).toBe(0);
  });

  it("a publish larger than one Service Bus message is split into batches, in order", async () => {
    const { bus, fake } = await setUp();
    const run = randomUUID();
    const sent: BusMessage[] = Array.from({ length: 600 }, (_, i) => ({
      id: `${run}-${i}`,
      type: "message.v1",
      body: randomBytes(1_024),
    }));
    await bus.publisher().publish(sent);
    // 600 KiB of bodies cannot go in fewer than three 256 KiB batches.
    expect(fake.stats.transfers).toBeGreaterThanOrEqual(3);
    expect(fake.stats.messages).toBe(600);
    expect(fake.stats.largestTransferBytes).toBeLessThanOrEqual(256 * 1024);
    const got = await receiveAll(bus, "s", 600);
    expect(got.map((m) => m.id)).toEqual(sent.map((m) => m.id));
  });

  it("a lost connection makes ping and publish reject", async () => {
    const { bus, fake } = await setUp({
      retryOptions: { maxRetries: 1, retryDelayInMs: 100, maxRetryDelayInMs: 200, timeoutInMs: 3_000 },
    });
    const publisher = bus.publisher();
    await publisher.ping();
    await publisher.publish([{ id: randomUUID(), type: "message.v1", body: Buffer.from("before") }]);
    await fake.close();
    // The client learns of the dropped socket on its next turn of the event loop.
    await expect
      .poll(
        () =>
          publisher.ping().then(
            () => "resolved",
            () => "rejected",
          ),
        { timeout: 10_000 },
      )
      .toBe("rejected");
    await expect(
      publisher.publish([{ id: randomUUID(), type: "message.v1", body: Buffer.from("after") }]),
    ).rejects.toThrow();
  });

  it("filters naming a subscription the bus was not given are a startup error", async () => {
    const fake = await startFake({ subscriptions: ["s"] });
    onTestFinished(() => fake.close());
    await expect(
      createServiceBusBus({
        connectionString: fake.connectionString,
        topic: fake.topic,
        subscriptions: ["s"],
        filters: { typo: ["message.v1"] },
      }),
    ).rejects.toThrow(/filters name subscription "typo", which is not in subscriptions/);
  });

  it("the rule provisioned for a filter selects the subject, and changes name when the filter does", () => {
    expect(filterRule(undefined)).toEqual({ name: "$Default", sqlExpression: "1=1" });
    const rule = filterRule(["message.v1", "it's.v1"]);
    expect(rule.sqlExpression).toBe("sys.Label IN ('it''s.v1', 'message.v1')");
    expect(rule.name).toMatch(/^faultline-types-[0-9a-f]{16}$/);
    // Rule names are at most 50 characters.
    expect(rule.name.length).toBeLessThanOrEqual(50);
    expect(filterRule(["it's.v1", "message.v1"])).toEqual(rule);
    expect(filterRule(["message.v1"]).name).not.toBe(rule.name);
    expect(filterRule([]).sqlExpression).toBe("1=0");
  });

  it("a subscriber of a subscription the bus was not given is refused", async () => {
    const { bus } = await setUp();
    expect(() => bus.subscriber("nope")).toThrow(/unknown subscription "nope"/);
  });
});
