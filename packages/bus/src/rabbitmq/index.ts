import { subscriptionFilters } from "../filters";
import type { Bus, BusOptions } from "../types";
import { BrokerConnection } from "./connection";
import { RabbitMqPublisher } from "./publisher";
import { RabbitMqSubscriber } from "./subscriber";
import { declareTopology, topologyFor, validateNames } from "./topology";

/**
 * The bus on RabbitMQ (AMQP 0-9-1, through amqplib), for self-hosting.
 *
 * How the Bus guarantees map onto the broker (details where each is implemented):
 * - Topic and subscriptions: a durable topic exchange, messages routed by their type; one
 *   durable quorum queue per subscription, bound by the types of its filter (or by the catch-all
 *   `#` without one), so each gets its own copy of what it takes (topology.ts).
 * - Publish resolves once the broker confirmed every message (publisher confirms); messages are
 *   persistent and carry the bus id as message-id (publisher.ts).
 * - Peek-lock: a delivery is unacked on the subscriber's channel; the lock timeout is a timer in
 *   this process, since RabbitMQ has none (subscriber.ts).
 * - Delivery count: the quorum queue's x-delivery-count header + 1.
 * - Dead-lettering after maxDeliveries: the adapter dead-letters the last delivery itself so the
 *   reason is kept; the queue's x-delivery-limit covers a receiver that died holding it.
 * - Connection loss: calls in flight fail (publish rejects, so ingest answers 503; ping fails),
 *   every lock of the lost connection is gone (the broker requeues those messages), and the next
 *   call opens a new connection (connection.ts).
 */

const DEFAULT_LOCK_MS = 30_000;
const DEFAULT_MAX_DELIVERIES = 10;
/** A publish the broker has not confirmed by then fails, so that ingest can answer 503. */
const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;

export interface RabbitMqBusOptions extends BusOptions {
  /** amqp:// or amqps:// URL, with credentials and vhost; `?heartbeat=` etc. are honoured. */
  url: string;
  /** Name of the bus's exchange; its queues are named after it (see topology.ts). */
  exchange: string;
  /** Shown in the broker's connection list, to tell processes apart. Default "faultline bus (pid N)". */
  connectionName?: string;
  /** How long publish waits for the broker's confirms. Default 10 s. */
  publishTimeoutMs?: number;
}

function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`rabbitmq bus: ${name} must be an integer of at least ${min}, got ${value}`);
  }
  return value;
}

/** The URL without its password, for log lines. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/**
 * Connects, declares (idempotently) the exchanges, the queues of `options.subscriptions` and
 * their bindings per `options.filters`, and returns the bus. Rejects if the broker cannot be
 * reached, refuses the credentials, has a queue of this bus declared with other arguments (e.g.
 * another maxDeliveries), or has its exchange declared as another type (a fanout exchange from
 * before filters) — a startup error rather than a bus that fails later.
 *
 * `subscriber(name)` accepts only the subscriptions listed in the options: a synchronous call
 * cannot ask the broker, and every process names the subscriptions it uses at start anyway.
 */
export async function createRabbitMqBus(options: RabbitMqBusOptions): Promise<Bus> {
  const lockMs = positiveInteger("lockMs", options.lockMs ?? DEFAULT_LOCK_MS, 1);
  const maxDeliveries = positiveInteger("maxDeliveries", options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES, 1);
  const publishTimeoutMs = positiveInteger(
    "publishTimeoutMs",
    options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
    1,
  );
  if (typeof options.url !== "string" || !/^amqps?:\/\//.test(options.url)) {
    throw new Error("rabbitmq bus: `url` must be an amqp:// or amqps:// URL");
  }
  validateNames(options.exchange, options.subscriptions);
  const filters = subscriptionFilters("rabbitmq bus", options);
  const subscriptions = [...filters.keys()];
  const topology = topologyFor(options.exchange);
  const connection = new BrokerConnection(
    options.url,
    options.connectionName ?? `faultline bus (pid ${process.pid})`,
    (channel) => declareTopology(channel, topology, filters, maxDeliveries),
  );
  await connection.current();

  let closed = false;
  const busIsOpen = () => !closed;
  const subscribers = new Set<RabbitMqSubscriber>();
  const assertOpen = () => {
    if (closed) throw new Error("rabbitmq bus: the bus is closed");
  };

  return {
    description: `rabbitmq (${redact(options.url)}, exchange "${options.exchange}")`,
    publisher() {
      assertOpen();
      return new RabbitMqPublisher(connection, topology, publishTimeoutMs, busIsOpen);
    },
    subscriber(subscription) {
      assertOpen();
      if (!subscriptions.includes(subscription)) {
        throw new Error(
          `rabbitmq bus: unknown subscription "${subscription}"; subscriptions are declared from BusOptions.subscriptions when a bus starts (known: ${subscriptions.map((s) => `"${s}"`).join(", ") || "none"})`,
        );
      }
      const subscriber = new RabbitMqSubscriber(
        {
          connection,
          topology,
          lockMs,
          maxDeliveries,
          publishTimeoutMs,
          busIsOpen,
          onClosed: (closedOne) => subscribers.delete(closedOne),
        },
        subscription,
      );
      subscribers.add(subscriber);
      return subscriber;
    },
    async close() {
      if (closed) return;
      // Subscribers first: each closes its channel, handing unsettled messages back.
      await Promise.all([...subscribers].map((subscriber) => subscriber.close()));
      closed = true;
      subscribers.clear();
      await connection.close();
    },
  };
}
