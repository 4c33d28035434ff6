import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { type AddressInfo, createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { promisify } from "node:util";
import { connect } from "amqplib";
import { describe, expect, it, onTestFinished } from "vitest";
import { describeBusContract, SkipSuite } from "../contract";
import { createBus } from "../index";
import {
  type Bus,
  type BusMessage,
  type BusOptions,
  type BusSubscriber,
  LockLostError,
  type ReceivedMessage,
} from "../types";
import { createRabbitMqBus, type RabbitMqBusOptions } from "./index";
import { topologyFor } from "./topology";

// Runs the bus contract and RabbitMQ-specific tests against a real broker
// (`eval "$(scripts/engines.sh)"` starts one and sets FAULTLINE_TEST_RABBITMQ_URL). Without one
// they are reported as skipped with the reason — except under CI, which starts the engines, so
// an unreachable broker there is a failure.

const url = process.env.FAULTLINE_TEST_RABBITMQ_URL;
const inCi = Boolean(process.env.CI);

/** Errors that mean "no broker there", as opposed to a broker that refused us. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

function unreachable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (typeof code === "string" && UNREACHABLE.has(code)) || /ETIMEDOUT|timed? ?out/i.test(String(error));
}

/** The reason to skip, or undefined when the broker answers; throws under CI instead of skipping. */
async function brokerSkipReason(): Promise<string | undefined> {
  let reason: string | undefined;
  if (!url) {
    reason = "FAULTLINE_TEST_RABBITMQ_URL is not set (scripts/engines.sh starts RabbitMQ and prints it)";
  } else {
    try {
      const probe = await connect(url, { timeout: 3_000 });
      await probe.close();
    } catch (error) {
      if (!unreachable(error)) throw error;
      reason = `RabbitMQ not reachable at ${new URL(url).host}: ${(error as Error).message}`;
    }
  }
  if (reason !== undefined && inCi) throw new Error(`RabbitMQ suite cannot run in CI: ${reason}`);
  return reason;
}

const skipReason = await brokerSkipReason();
if (skipReason !== undefined) console.warn(`[rabbitmq bus] SKIPPED: ${skipReason}`);

/** Deletes every broker object of the bus on `exchange`, on a connection of its own. */
async function deleteTopology(exchange: string, subscriptions: readonly string[]): Promise<void> {
  const model = await connect(url!);
  try {
    const channel = await model.createChannel();
    const topology = topologyFor(exchange);
    for (const subscription of subscriptions) {
      await channel.deleteQueue(topology.queue(subscription));
      await channel.deleteQueue(topology.deadLetterQueue(subscription));
    }
    await channel.deleteExchange(topology.exchange);
    await channel.deleteExchange(topology.deadLetterExchange);
  } finally {
    await model.close();
  }
}

function uniqueExchange(): string {
  return `faultline-test-${randomUUID().slice(0, 8)}`;
}

describeBusContract("rabbitmq", async (opts: BusOptions) => {
  if (skipReason !== undefined) throw new SkipSuite(skipReason);
  const exchange = uniqueExchange();
  const bus = await createRabbitMqBus({
    ...opts,
    url: url!,
    exchange,
    connectionName: `contract ${exchange}`,
  });
  return {
    bus,
    cleanup: async () => {
      await bus.close();
      await deleteTopology(exchange, opts.subscriptions);
    },
  };
});

function messages(count: number, bytes = 64): BusMessage[] {
  const run = randomUUID();
  return Array.from({ length: count }, (_, i) => ({
    id: `${run}-${i}`,
    type: "test.v1",
    body: Buffer.alloc(bytes, i % 256),
  }));
}

async function receiveCount(from: Bus | BusSubscriber, count: number): Promise<ReceivedMessage[]> {
  const sub = "receive" in from ? from : from.subscriber("s");
  const got: ReceivedMessage[] = [];
  const deadline = Date.now() + 5_000;
  while (got.length < count && Date.now() < deadline) {
    got.push(...(await sub.receive(count - got.length, { waitMs: 500 })));
  }
  return got;
}

/** Retries `fn` until it resolves or `ms` pass (for "works again once the broker is back"). */
async function eventually<T>(fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const run = promisify(execFile);

/** Closes, from the broker's side, every connection whose client-provided name is `name`. */
async function closeConnectionsNamed(name: string): Promise<number> {
  const { stdout } = await run("rabbitmqctl", [
    "list_connections",
    "-q",
    "--no-table-headers",
    "pid",
    "client_properties",
  ]);
  const pids = stdout
    .split("\n")
    .filter((line) => line.includes(`{"connection_name","${name}"}`))
    .map((line) => line.split("\t")[0]!);
  for (const pid of pids) await run("rabbitmqctl", ["close_connection", pid, "closed by the faultline test"]);
  return pids.length;
}

async function rabbitmqctlMissing(): Promise<string | undefined> {
  try {
    await run("rabbitmqctl", ["-q", "status"]);
    return undefined;
  } catch (error) {
    const reason = `rabbitmqctl cannot talk to the broker here (${(error as Error).message.split("\n")[0]})`;
    if (inCi) throw new Error(`RabbitMQ reconnect test cannot run in CI: ${reason}`);
    return reason;
  }
}

/**
 * A TCP relay in front of the broker that the test can cut: `stop` closes the listener and every
 * relayed socket, so the adapter sees exactly what a dead broker looks like; `start` listens on
 * the same port again.
 */
class CuttableRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe.skipIf(skipReason !== undefined)(
  `rabbitmq adapter${skipReason !== undefined ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    async function useBus(options: Partial<RabbitMqBusOptions> & BusOptions): Promise<Bus> {
      const exchange = options.exchange ?? uniqueExchange();
      const bus = await createRabbitMqBus({
        url: url!,
        exchange,
        connectionName: `test ${exchange}`,
        ...options,
      });
      onTestFinished(async () => {
        await bus.close();
        await deleteTopology(exchange, options.subscriptions);
      });
      return bus;
    }

    it("publish resolves once the broker holds every message: a separate connection finds them queued", async () => {
      const exchange = uniqueExchange();
      const bus = await useBus({ exchange, subscriptions: ["s"] });
      const sent = messages(300, 4096);
      await bus.publisher().publish(sent);

      const model = await connect(url!);
      onTestFinished(() => model.close());
      const channel = await model.createChannel();
      const queue = topologyFor(exchange).queue("s");
      expect((await channel.checkQueue(queue)).messageCount).toBe(300);
      const first = await channel.get(queue, { noAck: false });
      expect(first).not.toBe(false);
      if (first === false) return;
      expect(first.properties.messageId).toBe(sent[0]!.id);
      expect(first.properties.type).toBe("test.v1");
      expect(first.properties.deliveryMode).toBe(2);
      expect(Buffer.compare(first.content, Buffer.from(sent[0]!.body))).toBe(0);
    });

    it("the factory builds it from a rabbitmq BusConfig", async () => {
      const exchange = uniqueExchange();
      const bus = await createBus(
        { kind: "rabbitmq", url: url!, exchange, lockMs: 1_000, maxDeliveries: 2 },
        { subscriptions: ["s"], filters: {} },
      );
      onTestFinished(async () => {
        await bus.close();
        await deleteTopology(exchange, ["s"]);
      });
      expect(bus.description).toContain("rabbitmq (");
      expect(bus.description).toContain(exchange);
      const { password } = new URL(url!);
      if (password) expect(bus.description).not.toContain(`:${password}@`);
      const [sent] = messages(1);
      await bus.publisher().publish([sent!]);
      const [got] = await receiveCount(bus, 1);
      expect(got?.id).toBe(sent!.id);
    });

    it("a subscription the bus was not started with is refused", async () => {
      const bus = await useBus({ subscriptions: ["s"] });
      expect(() => bus.subscriber("typo")).toThrow(/unknown subscription "typo"/);
    });

    it("a queue declared with another maxDeliveries is a startup error that says so", async () => {
      const exchange = uniqueExchange();
      await useBus({ exchange, subscriptions: ["s"], maxDeliveries: 3 });
      await expect(
        createRabbitMqBus({ url: url!, exchange, subscriptions: ["s"], maxDeliveries: 5 }),
      ).rejects.toThrow(/exists with other arguments.*maxDeliveries 5/);
    });

    it("the broker routes by type: a filtered queue never holds another type", async () => {
      const exchange = uniqueExchange();
      const bus = await useBus({
        exchange,
        subscriptions: ["errors", "counts", "all"],
        filters: { errors: ["message.v1"], counts: ["burst-counts.v1"] },
      });
      const run = randomUUID();
      const types = ["message.v1", "burst-counts.v1", "message.v1", "nobody.v1"];
      await bus
        .publisher()
        .publish(types.map((type, i) => ({ id: `${run}-${i}`, type, body: Buffer.from(type) })));

      // Counted in the queues themselves: the filter is the broker's, not the receiver's.
      const model = await connect(url!);
      onTestFinished(() => model.close());
      const channel = await model.createChannel();
      const topology = topologyFor(exchange);
      const depth = async (sub: string) => (await channel.checkQueue(topology.queue(sub))).messageCount;
      expect([await depth("errors"), await depth("counts"), await depth("all")]).toEqual([2, 1, 4]);
    });

    it("filters changed at restart rebind the queues: a type another subscription names, or the catch-all, stops arriving", async () => {
      const exchange = uniqueExchange();
      const first = await createRabbitMqBus({
        url: url!,
        exchange,
        subscriptions: ["s", "t"],
        filters: { s: ["a.v1"], t: ["b.v1"] },
      });
      await first.close();
      const swapped = await useBus({
        exchange,
        subscriptions: ["s", "t", "u"],
        filters: { s: ["b.v1"], t: ["a.v1"] },
      });
      const run = randomUUID();
      const publish = (bus: Bus, types: string[]) =>
        bus
          .publisher()
          .publish(types.map((type, i) => ({ id: `${run}-${type}-${i}`, type, body: Buffer.alloc(1) })));
      const model = await connect(url!);
      onTestFinished(() => model.close());
      const channel = await model.createChannel();
      const topology = topologyFor(exchange);
      const depths = async () =>
        Promise.all(
          ["s", "t", "u"].map(async (sub) => (await channel.checkQueue(topology.queue(sub))).messageCount),
        );

      await publish(swapped, ["a.v1", "b.v1"]);
      // s and t each hold one message, not two: the bindings of their first filters are gone.
      expect(await depths()).toEqual([1, 1, 2]);
      const s = swapped.subscriber("s");
      const fromS = await receiveCount(s, 1);
      expect(fromS.map((m) => m.type)).toEqual(["b.v1"]);
      await s.complete(fromS);

      // u without a filter had the catch-all; given one, the catch-all goes.
      const narrowed = await createRabbitMqBus({
        url: url!,
        exchange,
        subscriptions: ["s", "t", "u"],
        filters: { s: ["b.v1"], t: ["a.v1"], u: ["b.v1"] },
      });
      onTestFinished(() => narrowed.close());
      await publish(narrowed, ["a.v1", "b.v1", "c.v1"]);
      expect(await depths()).toEqual([1, 2, 3]);
    });

    it("an exchange from before filters (fanout) is a startup error that says what to do", async () => {
      const exchange = uniqueExchange();
      const model = await connect(url!);
      onTestFinished(async () => {
        await model.close();
        await deleteTopology(exchange, ["s"]);
      });
      const channel = await model.createChannel();
      await channel.assertExchange(exchange, "fanout", { durable: true });
      await expect(createRabbitMqBus({ url: url!, exchange, subscriptions: ["s"] })).rejects.toThrow(
        new RegExp(`exchange "${exchange}" exists with another type than "topic".*delete the exchange once`),
      );
    });

    it("the broker dead-letters a last delivery whose receiver went away, and the reason says so", async () => {
      const exchange = uniqueExchange();
      const bus = await useBus({ exchange, subscriptions: ["s"], maxDeliveries: 2, lockMs: 30_000 });
      const [sent] = messages(1);
      await bus.publisher().publish([sent!]);
      const holder = bus.subscriber("s");
      const [first] = await holder.receive(1, { waitMs: 5_000 });
      expect(first?.deliveryCount).toBe(1);
      await holder.abandon([first!]);
      // Its last delivery goes to a second bus (another process, say) that stops without
      // settling it: the broker gets it back with nobody left to dead-letter it but itself.
      const other = await createRabbitMqBus({ url: url!, exchange, subscriptions: ["s"], maxDeliveries: 2 });
      const [last] = await other.subscriber("s").receive(1, { waitMs: 5_000 });
      expect(last?.deliveryCount).toBe(2);
      await other.close();

      const dead = await eventually(async () => {
        const found = await holder.peekDeadLetters(10);
        if (found.length === 0) throw new Error("not dead-lettered yet");
        return found;
      }, 5_000);
      expect(dead.map((d) => [d.id, d.type, d.deliveryCount])).toEqual([[sent!.id, "test.v1", 2]]);
      expect(dead[0]?.reason).toMatch(/delivery limit reached.*dead-lettered by the broker/);
      expect(Math.abs(dead[0]!.deadLetteredAt.getTime() - Date.now())).toBeLessThan(60_000);
      expect(await holder.receive(10, { waitMs: 300 })).toEqual([]);
    });

    it("after the broker closes the connection, locks are lost, the messages come back, and the next calls reconnect", async ({
      skip,
    }) => {
      const missing = await rabbitmqctlMissing();
      if (missing !== undefined) {
        // Reported as skipped with the reason, never as passed.
        console.warn(`[rabbitmq bus] reconnect test SKIPPED: ${missing}`);
        skip(missing);
      }
      const exchange = uniqueExchange();
      const connectionName = `reconnect ${exchange}`;
      const bus = await useBus({ exchange, connectionName, subscriptions: ["s"], lockMs: 30_000 });
      const publisher = bus.publisher();
      const [before, after] = messages(2);
      await publisher.publish([before!]);
      const sub = bus.subscriber("s");
      const held = await sub.receive(1, { waitMs: 5_000 });
      expect(held.map((m) => m.id)).toEqual([before!.id]);

      expect(await closeConnectionsNamed(connectionName)).toBe(1);
      // The close reaches the client asynchronously; once it has, the lock is gone.
      await eventually(async () => {
        await expect(sub.complete(held)).rejects.toBeInstanceOf(LockLostError);
      });
      await eventually(() => publisher.ping());
      await publisher.publish([after!]);
      const redelivered = await receiveCount(sub, 2);
      expect(redelivered.map((m) => [m.id, m.deliveryCount])).toEqual([
        [before!.id, 2],
        [after!.id, 1],
      ]);
      await sub.complete(redelivered);
    });

    it("while the broker is unreachable publish and ping reject, and both work again once it is back", async () => {
      const target = new URL(url!);
      const relay = new CuttableRelay({ host: target.hostname, port: Number(target.port || 5672) });
      await relay.start();
      onTestFinished(() => relay.stop());
      const viaRelay = new URL(url!);
      viaRelay.hostname = "127.0.0.1";
      viaRelay.port = String(relay.port);
      const bus = await useBus({ url: viaRelay.toString(), subscriptions: ["s"] });
      const publisher = bus.publisher();
      const [first, second] = messages(2);
      await publisher.publish([first!]);

      await relay.stop();
      await expect(publisher.ping()).rejects.toThrow();
      await expect(publisher.publish([second!])).rejects.toThrow();

      await relay.start();
      await eventually(() => publisher.ping());
      await publisher.publish([second!]);
      const got = await receiveCount(bus, 2);
      // The rejected attempt never reached the broker: each message arrives exactly once.
      expect(got.map((m) => m.id)).toEqual([first!.id, second!.id]);
    });

    it("a receiver in another connection competes for the same subscription", async () => {
      const exchange = uniqueExchange();
      const bus = await useBus({ exchange, subscriptions: ["s"], lockMs: 20_000 });
      const other = await createRabbitMqBus({ url: url!, exchange, subscriptions: ["s"], lockMs: 20_000 });
      onTestFinished(() => other.close());
      const sent = messages(400);
      await bus.publisher().publish(sent);
      const work = async (b: Bus) => {
        const sub = b.subscriber("s");
        const ids: string[] = [];
        for (;;) {
          const batch = await sub.receive(25, { waitMs: 300 });
          if (batch.length === 0) return ids;
          ids.push(...batch.map((m) => m.id));
          await sub.complete(batch);
        }
      };
      const [mine, theirs] = await Promise.all([work(bus), work(other)]);
      expect(mine.length).toBeGreaterThan(0);
      expect(theirs.length).toBeGreaterThan(0);
      const all = [...mine, ...theirs];
      expect(new Set(all).size).toBe(all.length);
      expect(all.sort()).toEqual(sent.map((m) => m.id).sort());
    });
  },
);
