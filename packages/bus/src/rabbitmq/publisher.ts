import type { ConfirmChannel, Options } from "amqplib";
import { MAX_TYPE_BYTES } from "../filters";
import type { BusMessage, BusPublisher } from "../types";
import type { BrokerConnection } from "./connection";
import type { Topology } from "./topology";

/** How long `ping` waits for the broker to answer before reporting it unreachable. */
const PING_TIMEOUT_MS = 5_000;

export interface Outgoing {
  content: Buffer;
  options: Options.Publish;
  /** This message's routing key, instead of the one given for the whole call. */
  routingKey?: string;
}

/** Rejects with `message` if `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The body as a Buffer without copying it (amqplib only takes Buffers). */
export function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** Resolves when the channel can take more frames, or when it closed (the publish then fails). */
function drainedOrClosed(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off("drain", done);
      channel.off("close", done);
      resolve();
    };
    channel.on("drain", done);
    channel.on("close", done);
  });
}

/**
 * Publishes every message and resolves once the broker confirmed all of them. A confirm means
 * the broker has taken responsibility: for a persistent message routed to quorum queues, a
 * majority of their replicas wrote it to disk. A nack (the broker could not take it), a channel
 * or connection closing, or no answer within `timeoutMs` rejects; some of the messages may then
 * have been accepted, which the BusPublisher contract allows (callers retry, consumers dedupe).
 */
export async function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  outgoing: readonly Outgoing[],
  timeoutMs: number,
): Promise<void> {
  const confirms: Promise<void>[] = [];
  for (const { content, options, routingKey: ownKey } of outgoing) {
    let settle!: (error: unknown) => void;
    const confirmed = new Promise<void>((resolve, reject) => {
      settle = (error) =>
        error == null ? resolve() : reject(error instanceof Error ? error : new Error(String(error)));
    });
    // Handled here so that a nack arriving while we wait for 'drain' is not reported as an
    // unhandled rejection; Promise.all below still sees it.
    confirmed.catch(() => {});
    confirms.push(confirmed);
    // Throws at once if the channel is already closed; the caller then sees that error.
    const hasRoom = channel.publish(exchange, ownKey ?? routingKey, content, options, (error) =>
      settle(error),
    );
    // amqplib would buffer without limit; waiting for 'drain' keeps a huge batch from doing so.
    if (!hasRoom) await drainedOrClosed(channel);
  }
  await withTimeout(
    Promise.all(confirms),
    timeoutMs,
    `rabbitmq bus: the broker did not confirm ${outgoing.length} message(s) within ${timeoutMs} ms`,
  );
}

/**
 * Publishes to the bus's topic exchange over the connection's shared confirm channel, with the
 * bus type as routing key, so the exchange copies each message only to the queues whose filter
 * takes its type (topology.ts). Every message is persistent (delivery mode 2) and carries the bus
 * message id as `message-id` (the idempotency key consumers dedupe by), the bus type as `type`,
 * and the publish time as `timestamp` — in seconds, as AMQP 0-9-1 defines it, so that tools show
 * it right. A message no queue is bound for is confirmed by the broker and dropped (it is not
 * published `mandatory`): BusOptions.filters' "accepted and stored nowhere".
 */
export class RabbitMqPublisher implements BusPublisher {
  private closed = false;

  constructor(
    private readonly connection: BrokerConnection,
    private readonly topology: Topology,
    private readonly publishTimeoutMs: number,
    private readonly busIsOpen: () => boolean,
  ) {}

  async publish(messages: readonly BusMessage[]): Promise<void> {
    this.assertOpen();
    for (const m of messages) {
      if (typeof m.id !== "string" || m.id === "") {
        throw new TypeError("bus message id must be a non-empty string");
      }
      if (typeof m.type !== "string") throw new TypeError(`bus message ${m.id}: type must be a string`);
      // The type is the routing key, an AMQP short string.
      if (Buffer.byteLength(m.type) > MAX_TYPE_BYTES) {
        throw new TypeError(`bus message ${m.id}: type is longer than ${MAX_TYPE_BYTES} bytes`);
      }
      if (!(m.body instanceof Uint8Array)) {
        throw new TypeError(`bus message ${m.id}: body must be a Uint8Array`);
      }
    }
    if (messages.length === 0) return;
    this.assertNotBlocked();
    const channel = await this.connection.confirmChannel();
    const timestamp = Math.floor(Date.now() / 1000);
    await publishConfirmed(
      channel,
      this.topology.exchange,
      "",
      messages.map((m) => ({
        routingKey: m.type,
        content: asBuffer(m.body),
        options: { persistent: true, messageId: m.id, type: m.type, timestamp },
      })),
      this.publishTimeoutMs,
    );
  }

  /**
   * Opens the connection if needed and asks the broker whether the exchange exists: a round trip
   * that fails when the broker is unreachable, refuses us, or lost the topology. A broker that
   * blocks publishers (memory or disk alarm) also fails it, since a publish would hang.
   */
  async ping(): Promise<void> {
    this.assertOpen();
    this.assertNotBlocked();
    await withTimeout(
      (async () => {
        const channel = await this.connection.confirmChannel();
        await channel.checkExchange(this.topology.exchange);
      })(),
      PING_TIMEOUT_MS,
      `rabbitmq bus: the broker did not answer within ${PING_TIMEOUT_MS} ms`,
    );
  }

  /** The connection belongs to the bus and is released by Bus.close. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed || !this.busIsOpen()) throw new Error("rabbitmq bus: the publisher is closed");
  }

  private assertNotBlocked(): void {
    const reason = this.connection.blocked;
    if (reason !== undefined) {
      throw new Error(`rabbitmq bus: the broker is not accepting messages (connection blocked: ${reason})`);
    }
  }
}
