import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  type Bus,
  type BusMessage,
  type BusOptions,
  type BusSubscriber,
  LockLostError,
  type ReceivedMessage,
} from "./types";

/**
 * The bus contract: one vitest suite, written against the Bus interface only, that every adapter
 * (the SQLite file today; RabbitMQ and Azure Service Bus later) must pass.
 *
 * Usage, in an adapter's test file:
 *
 *   describeBusContract("rabbitmq", async (opts) => {
 *     const url = "amqp://localhost:5672";
 *     if (!(await canConnect(url))) throw new SkipSuite(`RabbitMQ not reachable at ${url}`);
 *     const bus = createRabbitBus({ url, topic: `contract-${randomUUID()}`, ...opts });
 *     return { bus, cleanup: async () => { await bus.close(); await deleteTopic(...); } };
 *   });
 *
 * `makeBus` is called once per test and must return a bus on a fresh, empty topic whose
 * subscriptions are exactly `opts.subscriptions`, honouring `opts.lockMs`, `opts.maxDeliveries`
 * and `opts.filters` (where the engine's infrastructure holds the filters, as Service Bus's rules
 * do, `makeBus` provisions them); `cleanup` closes it and removes whatever it created.
 *
 * Skipping: before registering the tests, the suite calls `makeBus` once as a probe. If the probe
 * throws a `SkipSuite`, every test is registered with `describe.skip` under a title that carries
 * the reason, and the reason is printed with console.warn — the run reports them as skipped,
 * never as passed. Any other error fails the suite. A `SkipSuite` thrown later (the engine went
 * away mid-run) fails that test: only "could not reach the engine at all" is a reason to skip.
 */
export type MakeBus = (opts: BusOptions) => Promise<{ bus: Bus; cleanup(): Promise<void> }>;

/** Thrown by `makeBus` when its engine cannot be reached; the suite is then reported as skipped. */
export class SkipSuite extends Error {
  override readonly name = "SkipSuite";
  constructor(readonly reason: string) {
    super(reason);
  }
}

function isSkipSuite(error: unknown): error is SkipSuite {
  // By name too: a suite and its adapter may load two copies of this module (e.g. a built dist
  // next to the sources), and instanceof would then miss.
  return error instanceof SkipSuite || (error instanceof Error && error.name === "SkipSuite");
}

/**
 * Calls `makeBus` once to find out whether its engine is reachable. Resolves with the skip
 * reason, or undefined when the engine answered; rethrows every other failure.
 */
export async function probeBusEngine(makeBus: MakeBus): Promise<string | undefined> {
  let made: Awaited<ReturnType<MakeBus>>;
  try {
    made = await makeBus({ subscriptions: ["contract-probe"] });
  } catch (error) {
    if (isSkipSuite(error)) return (error as SkipSuite).reason ?? error.message;
    throw error;
  }
  try {
    await made.bus.publisher().ping();
  } finally {
    await made.cleanup();
  }
  return undefined;
}

/** Registers the bus contract suite for one adapter; see the module comment. */
export function describeBusContract(name: string, makeBus: MakeBus): void {
  describe(`bus contract: ${name}`, async () => {
    const skipReason = await probeBusEngine(makeBus);
    if (skipReason !== undefined) {
      console.warn(`[bus contract] SKIPPED "${name}": ${skipReason}`);
      describe.skip(`skipped: ${skipReason}`, () => defineContractTests(makeBus));
      return;
    }
    defineContractTests(makeBus);
  });
}

// Timing: lock-expiry tests use short locks; tests that assert a message stays hidden use longer
// ones so that a busy machine cannot make a lock expire before the assertion runs.
const SHORT_LOCK_MS = 500;
const HIDING_LOCK_MS = 3_000;
/** Past a lock's expiry by this much, a remote broker has had time to notice. */
const EXPIRY_SLACK_MS = 300;
/** How long to wait for a message that should be (or become) available. */
const ARRIVAL_WAIT_MS = 5_000;
const TEST_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (body: Uint8Array) => Buffer.from(body).toString("utf8");

function defineContractTests(makeBus: MakeBus): void {
  async function useBus(opts: BusOptions): Promise<Bus> {
    const { bus, cleanup } = await makeBus(opts);
    onTestFinished(cleanup);
    return bus;
  }

  /** Messages with ids unique to this run, numbered so order can be checked. */
  function messages(count: number, from = 0): BusMessage[] {
    const run = randomUUID();
    return Array.from({ length: count }, (_, i) => ({
      id: `${run}-${from + i}`,
      type: "contract.v1",
      body: Buffer.from(JSON.stringify({ n: from + i })),
    }));
  }

  /** Receives until `count` messages arrived or the wait ran out. */
  async function receiveCount(sub: BusSubscriber, count: number, max = 100): Promise<ReceivedMessage[]> {
    const got: ReceivedMessage[] = [];
    const deadline = Date.now() + ARRIVAL_WAIT_MS;
    while (got.length < count && Date.now() < deadline) {
      got.push(...(await sub.receive(Math.min(max, count - got.length), { waitMs: deadline - Date.now() })));
    }
    return got;
  }

  /** A short look: is anything available right now (or within a moment)? */
  const receiveNow = (sub: BusSubscriber, max = 100) => sub.receive(max, { waitMs: 200 });

  it(
    "a published message is received with its id, type, body and a first delivery count",
    async () => {
      const bus = await useBus({ subscriptions: ["s"] });
      const binary = Buffer.concat([Buffer.from([0, 1, 2, 255, 0]), randomBytes(4096)]);
      const sent: BusMessage = { id: randomUUID(), type: "message.v1", body: binary };
      const before = Date.now();
      await bus.publisher().publish([sent]);
      const after = Date.now();

      const [got, ...rest] = await receiveCount(bus.subscriber("s"), 1);
      expect(rest).toEqual([]);
      expect(got?.id).toBe(sent.id);
      expect(got?.type).toBe("message.v1");
      expect(Buffer.from(got?.body ?? [])).toEqual(binary);
      expect(got?.deliveryCount).toBe(1);
      expect(got?.lockToken).toEqual(expect.any(String));
      // Remote brokers stamp with their own clock: allow a little skew.
      expect(got?.enqueuedAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
      expect(got?.enqueuedAt.getTime()).toBeLessThanOrEqual(after + 5_000);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "every subscription gets its own copy",
    async () => {
      const bus = await useBus({ subscriptions: ["indexer", "archiver"] });
      const sent = messages(3);
      await bus.publisher().publish(sent);

      const indexer = bus.subscriber("indexer");
      const archiver = bus.subscriber("archiver");
      const toIndex = await receiveCount(indexer, 3);
      expect(toIndex.map((m) => m.id)).toEqual(sent.map((m) => m.id));
      // Settling one subscription's copies leaves the other's untouched.
      await indexer.complete(toIndex);
      const toArchive = await receiveCount(archiver, 3);
      expect(toArchive.map((m) => m.id)).toEqual(sent.map((m) => m.id));
      expect(toArchive.map((m) => text(m.body))).toEqual(sent.map((m) => text(m.body)));
      expect(toArchive.every((m) => m.deliveryCount === 1)).toBe(true);
      expect(await receiveNow(indexer)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "receive returns at most max messages, oldest first",
    async () => {
      const bus = await useBus({ subscriptions: ["s"] });
      const sent = messages(10);
      const publisher = bus.publisher();
      // Two publish calls: order holds across calls, not only within one batch.
      await publisher.publish(sent.slice(0, 6));
      await publisher.publish(sent.slice(6));

      const sub = bus.subscriber("s");
      const order: string[] = [];
      const deadline = Date.now() + ARRIVAL_WAIT_MS;
      while (order.length < sent.length && Date.now() < deadline) {
        const batch = await sub.receive(4, { waitMs: 1_000 });
        expect(batch.length).toBeLessThanOrEqual(4);
        order.push(...batch.map((m) => m.id));
        await sub.complete(batch);
      }
      expect(order).toEqual(sent.map((m) => m.id));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "receive on an empty subscription resolves with no messages",
    async () => {
      const bus = await useBus({ subscriptions: ["s"] });
      expect(await bus.subscriber("s").receive(10)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "receive with waitMs resolves as soon as a message arrives",
    async () => {
      const bus = await useBus({ subscriptions: ["s"] });
      const sub = bus.subscriber("s");
      const [sent] = messages(1);
      const started = Date.now();
      const waiting = sub.receive(10, { waitMs: 10_000 });
      await sleep(300);
      await bus.publisher().publish([sent!]);
      const got = await waiting;
      const elapsed = Date.now() - started;
      expect(got.map((m) => m.id)).toEqual([sent!.id]);
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(3_000);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "receive with waitMs resolves empty once the wait is over",
    async () => {
      const bus = await useBus({ subscriptions: ["s"] });
      const started = Date.now();
      expect(await bus.subscriber("s").receive(10, { waitMs: 500 })).toEqual([]);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(5_000);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a locked message is not delivered to a competing receiver",
    async () => {
      const bus = await useBus({ subscriptions: ["s"], lockMs: HIDING_LOCK_MS });
      await bus.publisher().publish(messages(1));
      const first = bus.subscriber("s");
      const competitor = bus.subscriber("s");
      expect(await receiveCount(first, 1)).toHaveLength(1);
      expect(await competitor.receive(10, { waitMs: 500 })).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "competing receivers share a backlog without ever getting the same message",
    async () => {
      const bus = await useBus({ subscriptions: ["s"], lockMs: 20_000 });
      const sent = messages(300);
      await bus.publisher().publish(sent);
      const seen: string[][] = [[], []];
      const work = async (sub: BusSubscriber, into: string[]) => {
        for (;;) {
          const batch = await sub.receive(7, { waitMs: 300 });
          if (batch.length === 0) return;
          into.push(...batch.map((m) => m.id));
          // Yield between receive and complete so the receivers really interleave.
          await sleep(1);
          await sub.complete(batch);
        }
      };
      await Promise.all([work(bus.subscriber("s"), seen[0]!), work(bus.subscriber("s"), seen[1]!)]);
      const all = [...seen[0]!, ...seen[1]!];
      expect(new Set(all).size).toBe(all.length);
      expect(all.sort()).toEqual(sent.map((m) => m.id).sort());
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "completed message is never delivered again",
    async () => {
      const bus = await useBus({ subscriptions: ["s"], lockMs: SHORT_LOCK_MS });
      await bus.publisher().publish(messages(2));
      const sub = bus.subscriber("s");
      const got = await receiveCount(sub, 2);
      await sub.complete(got);
      // Even once the lock would have expired.
      await sleep(SHORT_LOCK_MS + EXPIRY_SLACK_MS);
      expect(await sub.receive(10, { waitMs: 500 })).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "abandoned message is redelivered with a higher delivery count",
    async () => {
      const bus = await useBus({ subscriptions: ["s"], lockMs: HIDING_LOCK_MS });
      const [sent] = messages(1);
      await bus.publisher().publish([sent!]);
      const sub = bus.subscriber("s");
      const [first] = await receiveCount(sub, 1);
      await sub.abandon([first!], "try again");

      // At once, well before the lock would have expired.
      const [second] = await receiveCount(bus.subscriber("s"), 1);
      expect(second?.id).toBe(sent!.id);
      expect(text(second!.body)).toBe(text(sent!.body));
      expect(second?.deliveryCount).toBe(2);
      expect(second?.lockToken).not.toBe(first?.lockToken);
      // The first delivery's lock is gone for good.
      await expect(sub.complete([first!])).rejects.toBeInstanceOf(LockLostError);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a message whose lock expires is redelivered",
    async () => {
      const bus = await useBus({ subscriptions: ["s"], lockMs: SHORT_LOCK_MS });
      const [sent] = messages(1);
      await bus.publisher().publish([sent!]);
      const sub = bus.subscriber("s");
      const [first] = await receiveCount(sub, 1);
      expect(first?.deliveryCount).toBe(1);

      await sleep(SHORT_LOCK_MS + EXPIRY_SLACK_MS);
      const [again] = await receiveCount(sub, 1);
      expect(again?.id).toBe(sent!.id);
      expect(again?.deliveryCount).toBe(2);
      await sub.complete([again!]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "settling after the lock expired throws LockLostError",
    async () => {
      const bus = await useBus({ subscriptions: ["s"], lockMs: SHORT_LOCK_MS });
      await bus.publisher().publish(messages(3));
      const slow = bus.subscriber("s");
      const [a, b, c] = await receiveCount(slow, 3);
      await sleep(SHORT_LOCK_MS + EXPIRY_SLACK_MS);

      await expect(slow.complete([a!])).rejects.toBeInstanceOf(LockLostError);
      await expect(slow.abandon([b!])).rejects.toBeInstanceOf(LockLostError);
      await expect(slow.renewLocks([c!])).rejects.toBeInstanceOf(LockLostError);

      // Nothing was settled by the failed attempts, and whoever holds the message now can.
      const other = bus.subscriber("s");
      const redelivered = await receiveCount(other, 3);
      expect(redelivered.map((m) => m.id).sort()).toEqual([a!.id, b!.id, c!.id].sort());
      await expect(slow.complete([a!])).rejects.toBeInstanceOf(LockLostError);
      await other.complete(redelivered);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a batch with one lost lock settles the others and throws LockLostError",
    async () => {
      const bus = await useBus({ subscriptions: ["s"], lockMs: SHORT_LOCK_MS });
      const [lateOne, freshOne] = messages(2);
      const sub = bus.subscriber("s");
      await bus.publisher().publish([lateOne!]);
      const [late] = await receiveCount(sub, 1);
      await sleep(SHORT_LOCK_MS + EXPIRY_SLACK_MS);
      await bus.publisher().publish([freshOne!]);
      // The expired message is available again, so it comes first; take both.
      const both = await receiveCount(sub, 2);
      const fresh = both.find((m) => m.id === freshOne!.id);
      await sub.abandon(both.filter((m) => m !== fresh));

      await expect(sub.complete([late!, fresh!])).rejects.toBeInstanceOf(LockLostError);
      // The fresh one was completed; the late one is still there to be processed.
      const left = await receiveCount(sub, 1);
      expect(left.map((m) => m.id)).toEqual([lateOne!.id]);
      expect(await receiveNow(sub)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "renewing a lock keeps the message hidden",
    async () => {
      const lockMs = 2_000;
      const bus = await useBus({ subscriptions: ["s"], lockMs });
      await bus.publisher().publish(messages(1));
      const holder = bus.subscriber("s");
      const got = await receiveCount(holder, 1);
      await sleep(1_000);
      await holder.renewLocks(got);
      // Past the first lock's expiry, well inside the renewed one.
      await sleep(lockMs - 1_000 + EXPIRY_SLACK_MS);
      expect(await bus.subscriber("s").receive(10)).toEqual([]);
      await holder.complete(got);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "after max deliveries it is dead-lettered with the reason",
    async () => {
      const bus = await useBus({ subscriptions: ["s"], lockMs: HIDING_LOCK_MS, maxDeliveries: 3 });
      const [sent] = messages(1);
      await bus.publisher().publish([sent!]);
      const sub = bus.subscriber("s");
      for (let delivery = 1; delivery <= 3; delivery++) {
        const [got] = await receiveCount(sub, 1);
        expect(got?.deliveryCount).toBe(delivery);
        await sub.abandon([got!], `handler failed: boom ${delivery}`);
      }
      expect(await receiveNow(sub)).toEqual([]);

      const [dead, ...more] = await sub.peekDeadLetters(10);
      expect(more).toEqual([]);
      expect(dead?.id).toBe(sent!.id);
      expect(dead?.type).toBe(sent!.type);
      expect(text(dead!.body)).toBe(text(sent!.body));
      expect(dead?.deliveryCount).toBe(3);
      expect(dead?.reason).toContain("boom 3");
      expect(dead?.deadLetteredAt).toBeInstanceOf(Date);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a message whose lock expires at max deliveries is dead-lettered",
    async () => {
      const bus = await useBus({ subscriptions: ["s"], lockMs: SHORT_LOCK_MS, maxDeliveries: 2 });
      const [sent] = messages(1);
      await bus.publisher().publish([sent!]);
      const sub = bus.subscriber("s");
      for (let delivery = 1; delivery <= 2; delivery++) {
        const [got] = await receiveCount(sub, 1);
        expect(got?.deliveryCount).toBe(delivery);
        await sleep(SHORT_LOCK_MS + EXPIRY_SLACK_MS);
      }
      expect(await receiveNow(sub)).toEqual([]);

      // A broker may move it in the background: give it a moment.
      let dead = await sub.peekDeadLetters(10);
      const deadline = Date.now() + ARRIVAL_WAIT_MS;
      while (dead.length === 0 && Date.now() < deadline) {
        await sleep(100);
        dead = await sub.peekDeadLetters(10);
      }
      expect(dead.map((d) => d.id)).toEqual([sent!.id]);
      expect(dead[0]?.deliveryCount).toBe(2);
      expect(dead[0]?.reason).not.toBe("");
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a dead-lettered message keeps its reason and is not delivered again",
    async () => {
      const bus = await useBus({ subscriptions: ["s", "other"], lockMs: SHORT_LOCK_MS });
      const [sent] = messages(1);
      await bus.publisher().publish([sent!]);
      const sub = bus.subscriber("s");
      const got = await receiveCount(sub, 1);
      await sub.deadLetter(got, "cannot parse the body");

      await sleep(SHORT_LOCK_MS + EXPIRY_SLACK_MS);
      expect(await receiveNow(sub)).toEqual([]);
      const dead = await sub.peekDeadLetters(10);
      expect(dead.map((d) => [d.id, d.reason, d.deliveryCount])).toEqual([
        [sent!.id, "cannot parse the body", 1],
      ]);
      // The other subscription's copy is neither dead-lettered nor gone.
      const other = bus.subscriber("other");
      expect(await other.peekDeadLetters(10)).toEqual([]);
      expect((await receiveCount(other, 1)).map((m) => m.id)).toEqual([sent!.id]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "peeking dead letters leaves them in place, oldest first",
    async () => {
      const bus = await useBus({ subscriptions: ["s"], lockMs: HIDING_LOCK_MS });
      const sent = messages(3);
      await bus.publisher().publish(sent);
      const sub = bus.subscriber("s");
      const got = await receiveCount(sub, 3);
      for (const m of got) await sub.deadLetter([m], `reason ${m.id}`);

      const ids = sent.map((m) => m.id);
      expect((await sub.peekDeadLetters(10)).map((d) => d.id)).toEqual(ids);
      expect((await sub.peekDeadLetters(10)).map((d) => d.id)).toEqual(ids);
      expect((await sub.peekDeadLetters(2)).map((d) => d.id)).toEqual(ids.slice(0, 2));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a batch of 2,000 messages is delivered exactly once when completed",
    async () => {
      const bus = await useBus({ subscriptions: ["s"], lockMs: 30_000 });
      const sent = messages(2_000);
      await bus.publisher().publish(sent);

      const sub = bus.subscriber("s");
      const times = new Map<string, number>();
      const deadline = Date.now() + 20_000;
      while (times.size < sent.length && Date.now() < deadline) {
        const batch = await sub.receive(100, { waitMs: 1_000 });
        for (const m of batch) {
          times.set(m.id, (times.get(m.id) ?? 0) + 1);
          expect(m.deliveryCount).toBe(1);
        }
        await sub.complete(batch);
      }
      expect(await receiveNow(sub)).toEqual([]);
      expect([...times.keys()].sort()).toEqual(sent.map((m) => m.id).sort());
      expect([...times.values()].every((n) => n === 1)).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  /** Messages of the given types, in this order, with ids unique to this run. */
  function typed(types: readonly string[]): BusMessage[] {
    const run = randomUUID();
    return types.map((type, i) => ({ id: `${run}-${i}-${type}`, type, body: Buffer.from(`${type} #${i}`) }));
  }

  /** Receives and completes until nothing more arrives; returns what arrived, in order. */
  async function drainAll(sub: BusSubscriber): Promise<ReceivedMessage[]> {
    const got: ReceivedMessage[] = [];
    for (;;) {
      const batch = await sub.receive(100, { waitMs: 500 });
      if (batch.length === 0) return got;
      got.push(...batch);
      await sub.complete(batch);
    }
  }

  const idsOf = (list: readonly BusMessage[]) => list.map((m) => m.id);

  it(
    "a subscription with a type filter receives only those types",
    async () => {
      const bus = await useBus({
        subscriptions: ["errors", "counts"],
        filters: { errors: ["message.v1"], counts: ["burst-counts.v1", "other.v1"] },
      });
      const sent = typed([
        "message.v1",
        "burst-counts.v1",
        "message.v1",
        "other.v1",
        "unheard.v1",
        "message.v1",
      ]);
      await bus.publisher().publish(sent);

      const errors = await drainAll(bus.subscriber("errors"));
      expect(idsOf(errors)).toEqual(idsOf(sent.filter((m) => m.type === "message.v1")));
      expect(errors.map((m) => text(m.body))).toEqual(["message.v1 #0", "message.v1 #2", "message.v1 #5"]);
      const counts = await drainAll(bus.subscriber("counts"));
      expect(idsOf(counts)).toEqual(
        idsOf(sent.filter((m) => ["burst-counts.v1", "other.v1"].includes(m.type))),
      );
      expect(counts.map((m) => m.type)).toEqual(["burst-counts.v1", "other.v1"]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a subscription without a filter receives every type, next to filtered ones",
    async () => {
      const bus = await useBus({
        subscriptions: ["errors", "everything"],
        filters: { errors: ["message.v1"] },
      });
      const sent = typed(["message.v1", "burst-counts.v1", "unheard.v1", "message.v1"]);
      await bus.publisher().publish(sent);

      const everything = await drainAll(bus.subscriber("everything"));
      expect(idsOf(everything)).toEqual(idsOf(sent));
      expect(everything.map((m) => m.type)).toEqual(sent.map((m) => m.type));
      expect(everything.every((m) => m.deliveryCount === 1)).toBe(true);
      const errors = await drainAll(bus.subscriber("errors"));
      expect(idsOf(errors)).toEqual([sent[0]!.id, sent[3]!.id]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a message no filter accepts is still published, and delivered nowhere",
    async () => {
      const bus = await useBus({
        subscriptions: ["errors", "counts"],
        filters: { errors: ["message.v1"], counts: ["burst-counts.v1"] },
      });
      const publisher = bus.publisher();
      const [orphan, wanted] = typed(["nobody.v1", "message.v1"]);
      // Alone, so that nothing else in the call could make it resolve.
      await expect(publisher.publish([orphan!])).resolves.toBeUndefined();
      await publisher.publish([wanted!]);

      expect(idsOf(await drainAll(bus.subscriber("errors")))).toEqual([wanted!.id]);
      expect(await drainAll(bus.subscriber("counts"))).toEqual([]);
      for (const name of ["errors", "counts"])
        expect(await bus.subscriber(name).peekDeadLetters(10)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a subscription whose filter lists no types receives nothing",
    async () => {
      const bus = await useBus({ subscriptions: ["quiet", "s"], filters: { quiet: [] } });
      const sent = typed(["message.v1", "burst-counts.v1"]);
      await bus.publisher().publish(sent);
      expect(idsOf(await drainAll(bus.subscriber("s")))).toEqual(idsOf(sent));
      expect(await receiveNow(bus.subscriber("quiet"))).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a filtered subscription keeps the rest of the contract: abandon, redelivery, dead-lettering",
    async () => {
      const bus = await useBus({
        subscriptions: ["counts"],
        filters: { counts: ["burst-counts.v1"] },
        lockMs: HIDING_LOCK_MS,
        maxDeliveries: 2,
      });
      const sent = typed(["message.v1", "burst-counts.v1"]);
      await bus.publisher().publish(sent);
      const sub = bus.subscriber("counts");
      const [first, ...rest] = await receiveCount(sub, 1);
      expect(rest).toEqual([]);
      expect(first?.id).toBe(sent[1]!.id);
      await sub.abandon([first!], "boom 1");
      const [second] = await receiveCount(sub, 1);
      expect([second?.id, second?.deliveryCount]).toEqual([sent[1]!.id, 2]);
      await sub.abandon([second!], "boom 2");
      expect(await receiveNow(sub)).toEqual([]);
      const dead = await sub.peekDeadLetters(10);
      expect(dead.map((d) => [d.id, d.type])).toEqual([[sent[1]!.id, "burst-counts.v1"]]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "settling an empty list does nothing",
    async () => {
      const bus = await useBus({ subscriptions: ["s"] });
      const sub = bus.subscriber("s");
      await expect(sub.complete([])).resolves.toBeUndefined();
      await expect(sub.abandon([])).resolves.toBeUndefined();
      await expect(sub.renewLocks([])).resolves.toBeUndefined();
      await expect(bus.publisher().publish([])).resolves.toBeUndefined();
      expect(await sub.receive(10)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "ping resolves while the bus is up, and publishing after close throws",
    async () => {
      const bus = await useBus({ subscriptions: ["s"] });
      const publisher = bus.publisher();
      await expect(publisher.ping()).resolves.toBeUndefined();
      await publisher.close();
      await expect(publisher.publish(messages(1))).rejects.toThrow();
    },
    TEST_TIMEOUT_MS,
  );
}
