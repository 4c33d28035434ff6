/**
 * Throughput of the RabbitMQ bus for error-sized messages against a real broker. Run from
 * packages/bus:
 *   FAULTLINE_TEST_RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672 \
 *     node --import tsx src/rabbitmq/bench.ts [messages=20000] [bodyBytes=4096] [batch=500]
 *
 * 1. publish only: batches of `batch` to an exchange with two subscriptions (indexer, archiver),
 *    each batch awaited until the broker confirmed it, as ingest publishes.
 * 2. receive + complete, one subscription at a time, in this process.
 * The exchange and its queues are created with a random name and deleted at the end.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { connect } from "amqplib";
import type { BusMessage } from "../types";
import { createRabbitMqBus } from "./index";
import { topologyFor } from "./topology";

const url = process.env.FAULTLINE_TEST_RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const count = Number(process.argv[2] ?? 20_000);
const bodyBytes = Number(process.argv[3] ?? 4_096);
const batch = Number(process.argv[4] ?? 500);
const subscriptions = ["indexer", "archiver"];
const exchange = `faultline-bench-${randomUUID().slice(0, 8)}`;

function makeMessages(): BusMessage[] {
  // Text-like bodies (base64), as JSON would be.
  return Array.from({ length: count }, () => ({
    id: randomUUID(),
    type: "message.v1",
    body: Buffer.from(
      randomBytes(Math.ceil((bodyBytes * 3) / 4))
        .toString("base64")
        .slice(0, bodyBytes),
    ),
  }));
}

const rate = (n: number, ms: number) => `${Math.round((n * 1000) / ms).toLocaleString("en")} msg/s`;

async function main(): Promise<void> {
  const bus = await createRabbitMqBus({ url, exchange, subscriptions, lockMs: 60_000 });
  try {
    const messages = makeMessages();
    const publisher = bus.publisher();
    let started = performance.now();
    for (let i = 0; i < messages.length; i += batch) await publisher.publish(messages.slice(i, i + batch));
    console.log(
      `publish          ${count} × ${bodyBytes} B, batches of ${batch}: ${rate(count, performance.now() - started)}`,
    );
    for (const name of subscriptions) {
      const sub = bus.subscriber(name);
      started = performance.now();
      let done = 0;
      for (;;) {
        const got = await sub.receive(batch, { waitMs: 200 });
        if (got.length === 0) break;
        await sub.complete(got);
        done += got.length;
      }
      console.log(
        `receive+complete ${name}, batches of ${batch}: ${rate(done, performance.now() - started)} (${done} messages)`,
      );
    }
  } finally {
    await bus.close();
    const model = await connect(url);
    const channel = await model.createChannel();
    const topology = topologyFor(exchange);
    for (const name of subscriptions) {
      await channel.deleteQueue(topology.queue(name));
      await channel.deleteQueue(topology.deadLetterQueue(name));
    }
    await channel.deleteExchange(topology.exchange);
    await channel.deleteExchange(topology.deadLetterExchange);
    await model.close();
  }
}

await main();
