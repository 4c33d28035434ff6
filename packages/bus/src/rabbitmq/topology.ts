import type { Channel } from "amqplib";

/**
 * The broker objects of one bus, all derived from the exchange name so that two buses (say,
 * production and a test run) on one broker never share anything:
 *
 * - `<exchange>`: durable fanout exchange, the topic. Fanout because every subscription gets
 *   every message; routing keys are not used.
 * - `<exchange>.<subscription>`: one durable quorum queue per subscription, bound to it.
 * - `<exchange>.dead-letter`: durable direct exchange, the dead-letter exchange of every
 *   subscription queue, routing by subscription name.
 * - `<exchange>.<subscription>.dead-letter`: the subscription's dead-letter queue (see
 *   `declareTopology` for why it is a classic queue).
 */
export interface Topology {
  exchange: string;
  deadLetterExchange: string;
  queue(subscription: string): string;
  deadLetterQueue(subscription: string): string;
}

export function topologyFor(exchange: string): Topology {
  return {
    exchange,
    deadLetterExchange: `${exchange}.dead-letter`,
    queue: (subscription) => `${exchange}.${subscription}`,
    deadLetterQueue: (subscription) => `${exchange}.${subscription}.dead-letter`,
  };
}

/** AMQP 0-9-1 names are short strings: at most 255 bytes. */
const MAX_NAME_BYTES = 255;

export function validateNames(exchange: string, subscriptions: readonly string[]): void {
  if (typeof exchange !== "string" || exchange.trim() === "") {
    throw new Error("rabbitmq bus: `exchange` is required");
  }
  if (exchange.startsWith("amq.")) {
    throw new Error(
      `rabbitmq bus: exchange names starting with "amq." are reserved by the broker (got "${exchange}")`,
    );
  }
  const topology = topologyFor(exchange);
  for (const name of subscriptions) {
    if (typeof name !== "string" || name.trim() === "") {
      throw new Error("rabbitmq bus: subscription names must be non-empty strings");
    }
    const longest = topology.deadLetterQueue(name);
    if (Buffer.byteLength(longest) > MAX_NAME_BYTES) {
      throw new Error(`rabbitmq bus: queue name "${longest}" is longer than ${MAX_NAME_BYTES} bytes`);
    }
  }
}

/**
 * Declares (idempotently) the exchanges and, for each subscription, its queue and dead-letter
 * queue. Every declaration is durable: they survive a broker restart, and persistent messages in
 * them do too.
 *
 * The subscription queue is a quorum queue because quorum queues count deliveries: every return
 * of an unacked message (a nack with requeue, or its channel closing) increments the message's
 * `x-delivery-count` header, and with `x-delivery-limit` the broker dead-letters a message that
 * was returned more than `limit` times. Measured on RabbitMQ 3.10: with limit L a message is
 * delivered L + 1 times, so L = maxDeliveries − 1 (0 is accepted and means "one delivery").
 * The adapter settles the last delivery itself (see the subscriber) so that the reason is kept;
 * the broker's limit is the safety net for a consumer that died holding its last delivery.
 *
 * Dead-lettering uses the at-least-once strategy (RabbitMQ 3.10+, quorum source queues only):
 * the broker moves a message with publisher confirms internally and keeps it until the target
 * queue has it, instead of dropping it if the target is unavailable. That strategy requires the
 * `reject-publish` overflow mode, which only matters with a length limit — we set none.
 *
 * The dead-letter queue is a classic queue: dead letters are read by peeking (get, then return),
 * and a classic queue puts a returned message back in its original position, while a quorum
 * queue (measured on 3.10) serves returned messages ahead of the rest in the order returned, so
 * a partial peek would rotate the queue. Dead letters need no delivery counting.
 *
 * Queue arguments cannot change after declaration: redeclaring with another maxDeliveries fails
 * with PRECONDITION_FAILED, which `declareTopology` turns into an error that says what to do.
 */
export async function declareTopology(
  channel: Channel,
  topology: Topology,
  subscriptions: readonly string[],
  maxDeliveries: number,
): Promise<void> {
  await channel.assertExchange(topology.exchange, "fanout", { durable: true });
  await channel.assertExchange(topology.deadLetterExchange, "direct", { durable: true });
  for (const subscription of subscriptions) {
    const deadLetterQueue = topology.deadLetterQueue(subscription);
    // The dead-letter queue first, so that nothing dead-lettered in between has nowhere to go.
    await channel.assertQueue(deadLetterQueue, {
      durable: true,
      arguments: { "x-queue-type": "classic" },
    });
    await channel.bindQueue(deadLetterQueue, topology.deadLetterExchange, subscription);
    const queue = topology.queue(subscription);
    try {
      await channel.assertQueue(queue, {
        durable: true,
        arguments: {
          "x-queue-type": "quorum",
          "x-delivery-limit": maxDeliveries - 1,
          "x-dead-letter-exchange": topology.deadLetterExchange,
          "x-dead-letter-routing-key": subscription,
          "x-dead-letter-strategy": "at-least-once",
          "x-overflow": "reject-publish",
        },
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === 406) {
        throw new Error(
          `rabbitmq bus: queue "${queue}" exists with other arguments than this bus declares (x-delivery-limit ${maxDeliveries - 1} for maxDeliveries ${maxDeliveries}, quorum, at-least-once dead-lettering); queue arguments cannot change, so drain and delete the queue or keep the old setting. Broker said: ${(error as Error).message}`,
          { cause: error },
        );
      }
      throw error;
    }
    await channel.bindQueue(queue, topology.exchange, "");
  }
}
