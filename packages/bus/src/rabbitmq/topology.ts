import type { Channel } from "amqplib";

/**
 * The broker objects of one bus, all derived from the exchange name so that two buses (say,
 * production and a test run) on one broker never share anything:
 *
 * - `<exchange>`: durable topic exchange, the topic. Messages are published with their bus type
 *   as routing key (`message.v1`), so the broker copies a message only to the queues bound for
 *   its type: a subscription with a filter (BusOptions.filters) has one binding per type, the
 *   binding key being the type itself (types contain no `*` or `#`, so a binding key matches
 *   exactly that type); one without a filter has the catch-all binding `#`. A topic exchange
 *   rather than a headers exchange (match on a header) because routing on the key needs no extra
 *   header and is the broker's fast path; rather than a direct exchange because direct has no
 *   catch-all. A queue bound both by `#` and by a type gets one copy, not two.
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

/** The binding of a subscription without a filter: every routing key, i.e. every type. */
export const CATCH_ALL = "#";

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
 * The same goes for the exchange's type: an exchange declared `fanout` (by a bus from before
 * filters) must be deleted once; the queues keep their messages and are bound anew.
 *
 * Filters are bindings, so a start applies the filters it was given: it binds each filtered
 * queue by its types first, then removes the bindings that would let other types in — the
 * catch-all, and every type another subscription's filter names (the types a previous filter
 * can plausibly have had). AMQP 0-9-1 cannot list bindings, so a binding for a type that no
 * filter names any more stays until an operator removes it (management UI, or
 * `rabbitmqadmin delete binding …`); consumers complete types they do not handle, so such a
 * leftover costs queue space, not correctness of the consumer. Messages already queued stay.
 */
export async function declareTopology(
  channel: Channel,
  topology: Topology,
  filters: ReadonlyMap<string, readonly string[] | undefined>,
  maxDeliveries: number,
): Promise<void> {
  try {
    await channel.assertExchange(topology.exchange, "topic", { durable: true });
  } catch (error) {
    if ((error as { code?: unknown }).code === 406) {
      throw new Error(
        `rabbitmq bus: exchange "${topology.exchange}" exists with another type than "topic" (a bus from before subscription filters declared it "fanout"); exchange types cannot change, so delete the exchange once (management UI, or \`rabbitmqadmin delete exchange name=${topology.exchange}\`) and start again — its queues and their messages stay, and the bus binds them to the new exchange. Broker said: ${(error as Error).message}`,
        { cause: error },
      );
    }
    throw error;
  }
  await channel.assertExchange(topology.deadLetterExchange, "direct", { durable: true });
  const namedTypes = new Set([...filters.values()].flatMap((types) => types ?? []));
  for (const [subscription, types] of filters) {
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
    if (types === undefined) {
      await channel.bindQueue(queue, topology.exchange, CATCH_ALL);
      continue;
    }
    // Wanted bindings first, so that no type the filter takes goes unrouted in between.
    for (const type of types) await channel.bindQueue(queue, topology.exchange, type);
    // Unbinding a binding that does not exist is a no-op for the broker.
    await channel.unbindQueue(queue, topology.exchange, CATCH_ALL);
    for (const type of namedTypes) {
      if (!types.includes(type)) await channel.unbindQueue(queue, topology.exchange, type);
    }
  }
}
