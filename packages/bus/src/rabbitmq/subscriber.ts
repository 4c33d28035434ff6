import { randomUUID } from "node:crypto";
import type { Channel, ConsumeMessage, GetMessage, MessagePropertyHeaders } from "amqplib";
import {
  type BusSubscriber,
  type DeadLetter,
  LockLostError,
  type ReceivedMessage,
  type ReceiveOptions,
} from "../types";
import type { BrokerConnection } from "./connection";
import { publishConfirmed } from "./publisher";
import type { Topology } from "./topology";

/**
 * After the first message of a receive arrived, how long to wait for more before returning the
 * batch. The broker pushes what is available back to back, so a few milliseconds collect it.
 */
const GATHER_MS = 5;
/**
 * A receive without waitMs first asks the broker how many messages are ready; when some are, this
 * is how long it gives them to arrive (a competing receiver may take them first).
 */
const READY_GRACE_MS = 100;
/** basic.qos prefetch-count is a 16-bit field. */
const MAX_PREFETCH = 65_535;

/** Headers of a copy this adapter dead-lettered itself. */
const REASON_HEADER = "x-faultline-dead-letter-reason";
const DELIVERY_COUNT_HEADER = "x-faultline-delivery-count";
const DEAD_LETTERED_AT_HEADER = "x-faultline-dead-lettered-at";

export interface SubscriberContext {
  connection: BrokerConnection;
  topology: Topology;
  lockMs: number;
  maxDeliveries: number;
  publishTimeoutMs: number;
  busIsOpen: () => boolean;
  /** Called once when this subscriber closes, so that the bus stops tracking it. */
  onClosed: (subscriber: RabbitMqSubscriber) => void;
}

/** One delivery this subscriber holds: unacked on `channel` and locked until `expiresAt`. */
interface Lock {
  readonly channel: Channel;
  readonly delivery: ConsumeMessage;
  readonly received: ReceivedMessage;
  expiresAt: number;
  timer: NodeJS.Timeout;
}

interface ChannelState {
  promise: Promise<Channel>;
  closed: boolean;
}

/**
 * Deliveries so far: `x-delivery-count` is how many times a quorum queue got the message back
 * (0 on the first delivery, measured on RabbitMQ 3.10), so the count is that + 1. RabbitMQ 4.3
 * stops counting explicit returns (nack with requeue) there and adds `x-acquired-count` for every
 * hand-out instead; we prefer it when present, assuming it counts earlier acquisitions the same
 * way (not verified here: the broker available is 3.10).
 */
function deliveryCountOf(headers: MessagePropertyHeaders | undefined): number {
  const acquired = headers?.["x-acquired-count"];
  const delivered = headers?.["x-delivery-count"];
  const before = typeof acquired === "number" ? acquired : typeof delivered === "number" ? delivered : 0;
  return before + 1;
}

function stringHeader(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  return undefined;
}

/**
 * One receiver of one subscription, with its own channel: unacked deliveries belong to the
 * channel they came on, so each subscriber's locks are independent of every other's, and closing
 * one releases only its own messages.
 *
 * Receiving. Each `receive` opens a consumer with prefetch = max, collects what the broker
 * pushes (up to max; after the first message, until the stream pauses for GATHER_MS; or until
 * waitMs ends) and cancels it. Deliveries already on their way before the cancel-ok still count
 * (never more than max in all: the prefetch stops the broker there). RabbitMQ is built to send a
 * consumer's deliveries before its cancel-ok, and in our runs none ever came after; a stray that
 * did would be given back at once, costing it one delivery count (see currentChannel). Why not
 * the alternatives:
 * - A long-lived consumer with a local buffer holds prefetched messages that no caller has asked
 *   for: competing receivers cannot get them, and a quorum queue counts every return of one, so
 *   giving them back on close or on lock expiry would inflate delivery counts for messages
 *   nobody saw.
 * - basic.get is one Raft command per message on a quorum queue: measured here ~2 ms each
 *   (~500 messages/s) against ~5,000/s for consume-and-cancel in the same experiment.
 * The broker pushes to a waiting consumer, so a receive that waits costs nothing while idle.
 *
 * Locks. RabbitMQ has no lock timeout: an unacked message stays with its channel until it is
 * acked, nacked, or the channel closes (or the broker's consumer_timeout, 30 min by default,
 * closes the channel). The lock is therefore kept here: a timer per delivery nacks it with
 * requeue when lockMs passes, which makes the broker deliver it again with a higher count; a
 * settle with that token afterwards throws LockLostError. Differences from a broker-side lock:
 * - A process that hangs with a blocked event loop keeps its locks until the broker notices the
 *   dead connection (missed heartbeats, 60 s by default) or consumer_timeout fires.
 * - A lost connection releases every lock of its channels at once (the broker requeues them).
 * - Settling checks the deadline itself, so a timer that runs late (busy event loop) cannot let
 *   a settle succeed past its lock.
 *
 * Settling. complete = ack; abandon = nack with requeue, which the quorum queue counts. Acks
 * and nacks have no reply in AMQP 0-9-1, so complete resolves once the ack is sent; should the
 * connection die before the broker reads it, the message is delivered again (at-least-once).
 * The last allowed delivery (count = maxDeliveries) is never given back to the broker: abandoning it or
 * letting its lock expire dead-letters it here, with the reason, exactly like deadLetter does —
 * a copy is published to the dead-letter exchange with the reason, count and time in headers,
 * and once the broker confirmed the copy the original is acked. (A nack without requeue would
 * let the broker dead-letter it, but only with the reason "rejected", not ours.) A crash between
 * the confirm and the ack leaves the message both dead-lettered and redelivered, which
 * at-least-once delivery allows. If the consumer holding the last delivery dies, the broker's
 * x-delivery-limit dead-letters it with x-death reason "delivery_limit", which peekDeadLetters
 * turns into a readable reason.
 */
export class RabbitMqSubscriber implements BusSubscriber {
  private readonly id = randomUUID();
  private readonly locks = new Map<string, Lock>();
  /** Consumer tags of receives in progress; a delivery for any other tag is a stray. */
  private readonly activeTags = new Set<string>();
  private channelState: ChannelState | undefined;
  private readonly closedChannels = new WeakSet<Channel>();
  private lockSeq = 0;
  private consumerSeq = 0;
  private closed = false;
  /** Receives run one at a time: prefetch is set per consumer by the basic.qos before it. */
  private receiving: Promise<unknown> = Promise.resolve();
  /** Ends the wait of the receive in progress, so that close need not wait for its waitMs. */
  private wake: (() => void) | undefined;

  constructor(
    private readonly ctx: SubscriberContext,
    readonly subscription: string,
  ) {}

  async receive(max: number, options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    this.assertOpen();
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`receive: max must be a positive integer, got ${max}`);
    const waitMs = Math.max(0, options.waitMs ?? 0);
    const run = this.receiving.then(() => this.receiveNow(Math.min(max, MAX_PREFETCH), waitMs));
    this.receiving = run.catch(() => {});
    return run;
  }

  async complete(messages: readonly ReceivedMessage[]): Promise<void> {
    this.assertOpen();
    const { held, lost } = this.claim(messages);
    for (const lock of held) {
      if (!this.settle(lock, (channel) => channel.ack(lock.delivery))) lost.push(lock.received.id);
    }
    this.throwIfLost("complete", lost);
  }

  async abandon(messages: readonly ReceivedMessage[], reason?: string): Promise<void> {
    this.assertOpen();
    const { held, lost } = this.claim(messages);
    const last: { lock: Lock; reason: string }[] = [];
    for (const lock of held) {
      const count = lock.received.deliveryCount;
      if (count >= this.ctx.maxDeliveries) {
        const why = `abandoned after ${count} deliveries (max deliveries ${this.ctx.maxDeliveries})`;
        last.push({ lock, reason: reason ? `${why}: ${reason}` : why });
      } else if (!this.settle(lock, (channel) => channel.nack(lock.delivery, false, true))) {
        lost.push(lock.received.id);
      }
    }
    if (last.length > 0) lost.push(...(await this.moveToDeadLetters(last)));
    this.throwIfLost("abandon", lost);
  }

  async deadLetter(messages: readonly ReceivedMessage[], reason: string): Promise<void> {
    this.assertOpen();
    const { held, lost } = this.claim(messages);
    if (held.length > 0) lost.push(...(await this.moveToDeadLetters(held.map((lock) => ({ lock, reason })))));
    this.throwIfLost("dead-letter", lost);
  }

  async renewLocks(messages: readonly ReceivedMessage[]): Promise<void> {
    this.assertOpen();
    const lost: string[] = [];
    const now = Date.now();
    for (const m of messages) {
      const lock = this.locks.get(m.lockToken);
      if (!lock || now >= lock.expiresAt) {
        if (lock) this.expire(m.lockToken);
        lost.push(m.id);
        continue;
      }
      clearTimeout(lock.timer);
      lock.expiresAt = now + this.ctx.lockMs;
      lock.timer = this.startTimer(m.lockToken);
    }
    this.throwIfLost("renew the lock of", lost);
  }

  /**
   * Reads the dead-letter queue on a channel of its own: basic.get up to `max` messages without
   * acking them, then closes the channel, which gives every one back; the dead-letter queue is a
   * classic queue, which puts them back in their original places. Two peeks at the same moment
   * each see only the messages the other is not holding.
   *
   * The reason, count and time come from this adapter's headers when it dead-lettered the
   * message itself. When the broker did (x-death reason "delivery_limit": the consumer holding
   * the last delivery went away), the count is maxDeliveries — the queue's x-delivery-limit is
   * maxDeliveries − 1 and the broker acts when a return exceeds it — and the time is x-death's
   * (whole seconds). For any other broker reason (an operator rejected it by hand) the count is
   * not known and is 0.
   */
  async peekDeadLetters(max: number): Promise<DeadLetter[]> {
    this.assertOpen();
    if (!Number.isInteger(max) || max < 1) return [];
    const session = await this.ctx.connection.current();
    const channel = await session.model.createChannel();
    channel.on("error", () => {}); // a failed get rejects below
    try {
      const queue = this.ctx.topology.deadLetterQueue(this.subscription);
      const dead: DeadLetter[] = [];
      while (dead.length < max) {
        const message = await channel.get(queue, { noAck: false });
        if (message === false) break;
        dead.push(this.toDeadLetter(message));
        if (message.fields.messageCount === 0) break;
      }
      return dead;
    } finally {
      await channel.close().catch(() => {});
    }
  }

  /**
   * Ends a waiting receive (it resolves empty) and closes the channel, which hands every
   * unsettled message back to the broker like an abandon (each such return counts as a delivery).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ctx.onClosed(this);
    this.wake?.();
    await this.receiving;
    for (const lock of this.locks.values()) clearTimeout(lock.timer);
    this.locks.clear();
    const state = this.channelState;
    this.channelState = undefined;
    if (state && !state.closed) {
      const channel = await state.promise.catch(() => undefined);
      await channel?.close().catch(() => {});
    }
  }

  private async receiveNow(max: number, waitMs: number): Promise<ReceivedMessage[]> {
    if (this.closed) return [];
    const channel = await this.currentChannel();
    const queue = this.ctx.topology.queue(this.subscription);
    let wait = waitMs;
    if (wait === 0) {
      // Without a wait we must not linger on an empty queue, and a consumer cannot tell "empty"
      // from "not pushed yet"; the ready count can.
      const { messageCount } = await channel.checkQueue(queue);
      if (messageCount === 0) return [];
      wait = READY_GRACE_MS;
    }
    const deliveries = await this.consumeUpTo(channel, queue, max, wait);
    // Closed while we waited: the channel's close hands them back.
    if (this.closed) return [];
    return deliveries.map((delivery) => this.lock(channel, delivery));
  }

  private async consumeUpTo(
    channel: Channel,
    queue: string,
    max: number,
    waitMs: number,
  ): Promise<ConsumeMessage[]> {
    const got: ConsumeMessage[] = [];
    const consumerTag = `${this.id}.${++this.consumerSeq}`;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let gather: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    let channelClosed = false;
    const onClose = () => {
      channelClosed = true;
      finish();
    };
    channel.on("close", onClose);
    this.activeTags.add(consumerTag);
    try {
      await channel.prefetch(max);
      await channel.consume(
        queue,
        (delivery) => {
          // null: the broker cancelled the consumer (the queue was deleted).
          if (delivery === null) return finish();
          got.push(delivery);
          if (got.length >= max) return finish();
          clearTimeout(gather);
          gather = setTimeout(finish, GATHER_MS);
        },
        { consumerTag, noAck: false },
      );
      deadline = setTimeout(finish, waitMs);
      this.wake = finish;
      if (this.closed) finish();
      await finished;
      clearTimeout(deadline);
      clearTimeout(gather);
      this.wake = undefined;
      if (channelClosed)
        throw new Error("rabbitmq bus: the connection to the broker was lost while receiving");
      // Deliveries sent before the cancel-ok still reach the callback above; at most max in all,
      // since the prefetch stops the broker there.
      await channel.cancel(consumerTag);
      return got;
    } finally {
      clearTimeout(deadline);
      clearTimeout(gather);
      channel.off("close", onClose);
      this.activeTags.delete(consumerTag);
    }
  }

  private async currentChannel(): Promise<Channel> {
    const existing = this.channelState;
    if (existing && !existing.closed) return existing.promise;
    const state: ChannelState = { closed: false, promise: Promise.resolve(undefined as unknown as Channel) };
    state.promise = (async () => {
      const session = await this.ctx.connection.current();
      const channel = await session.model.createChannel();
      const onClosed = () => {
        if (state.closed) return;
        state.closed = true;
        this.closedChannels.add(channel);
        this.dropLocksOf(channel);
      };
      channel.on("close", onClosed);
      // A channel error (say, an ack for a tag the broker no longer knows) closes the channel;
      // the close handler does the rest. Without a listener it would crash the process.
      channel.on("error", () => {});
      session.onLost(onClosed);
      // Defensive: should a delivery ever arrive for a consumer we already cancelled, give it
      // back at once instead of letting it sit unacked on the channel. amqplib then throws
      // "Unknown consumer" from its own listener, which 'handler-error' catches.
      channel.prependListener("delivery", (delivery: ConsumeMessage) => {
        if (!this.activeTags.has(delivery.fields.consumerTag)) {
          try {
            channel.nack(delivery, false, true);
          } catch {
            // The channel is closing: the broker takes the message back anyway.
          }
        }
      });
      channel.on("handler-error", (error: Error) => {
        if (!error.message.startsWith("Unknown consumer")) channel.close().catch(() => {});
      });
      return channel;
    })();
    state.promise.catch(() => {
      state.closed = true;
    });
    this.channelState = state;
    return state.promise;
  }

  private lock(channel: Channel, delivery: ConsumeMessage): ReceivedMessage {
    const lockToken = `${this.id}:${++this.lockSeq}`;
    const { properties } = delivery;
    const received: ReceivedMessage = {
      id: typeof properties.messageId === "string" ? properties.messageId : "",
      type: typeof properties.type === "string" ? properties.type : "",
      body: delivery.content,
      lockToken,
      deliveryCount: deliveryCountOf(properties.headers),
      // Stamped by our publisher (RabbitMQ 3.10 does not stamp messages itself), in seconds.
      enqueuedAt:
        typeof properties.timestamp === "number" ? new Date(properties.timestamp * 1000) : new Date(),
    };
    this.locks.set(lockToken, {
      channel,
      delivery,
      received,
      expiresAt: Date.now() + this.ctx.lockMs,
      timer: this.startTimer(lockToken),
    });
    return received;
  }

  private startTimer(lockToken: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.expire(lockToken), this.ctx.lockMs);
    // A lock alone should not keep a process alive that has nothing else to do.
    timer.unref();
    return timer;
  }

  /** The lock ran out: give the message back, or dead-letter it if this was its last delivery. */
  private expire(lockToken: string): void {
    const lock = this.locks.get(lockToken);
    if (!lock) return;
    this.locks.delete(lockToken);
    clearTimeout(lock.timer);
    const count = lock.received.deliveryCount;
    if (count >= this.ctx.maxDeliveries) {
      const reason = `lock expired after ${count} deliveries (max deliveries ${this.ctx.maxDeliveries})`;
      // moveToDeadLetters gives it back itself if the copy cannot be published; the broker's
      // delivery limit then dead-letters it on that return.
      this.moveToDeadLetters([{ lock, reason }]).catch(() => {});
    } else {
      this.release(lock);
    }
  }

  private release(lock: Lock): void {
    this.settle(lock, (channel) => channel.nack(lock.delivery, false, true));
  }

  /**
   * Takes the locks of `messages` out of the table (so their timers cannot fire while they are
   * being settled); the ids of those whose lock is gone or past its deadline come back as lost.
   */
  private claim(messages: readonly ReceivedMessage[]): { held: Lock[]; lost: string[] } {
    const held: Lock[] = [];
    const lost: string[] = [];
    const now = Date.now();
    for (const m of messages) {
      const lock = this.locks.get(m.lockToken);
      if (!lock || now >= lock.expiresAt) {
        if (lock) this.expire(m.lockToken);
        lost.push(m.id);
        continue;
      }
      this.locks.delete(m.lockToken);
      clearTimeout(lock.timer);
      held.push(lock);
    }
    return { held, lost };
  }

  /**
   * Runs an ack or nack; false if the channel is gone, in which case the broker has already
   * taken the message back and the lock is lost. (amqplib throws on a closed channel; the set
   * also covers the moment between the close and its event.)
   */
  private settle(lock: Lock, action: (channel: Channel) => void): boolean {
    if (this.closedChannels.has(lock.channel)) return false;
    try {
      action(lock.channel);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Publishes a copy of each message to the dead-letter exchange (routing key = subscription)
   * with the reason, then acks the originals once the broker confirmed the copies. Returns the
   * ids whose original could not be acked (the channel is gone: it will be delivered again).
   */
  private async moveToDeadLetters(items: readonly { lock: Lock; reason: string }[]): Promise<string[]> {
    const now = Date.now();
    try {
      const confirmChannel = await this.ctx.connection.confirmChannel();
      await publishConfirmed(
        confirmChannel,
        this.ctx.topology.deadLetterExchange,
        this.subscription,
        items.map(({ lock, reason }) => ({
          content: lock.delivery.content,
          options: {
            persistent: true,
            messageId: lock.received.id,
            type: lock.received.type,
            timestamp: Math.floor(lock.received.enqueuedAt.getTime() / 1000),
            headers: {
              [REASON_HEADER]: reason,
              [DELIVERY_COUNT_HEADER]: lock.received.deliveryCount,
              [DEAD_LETTERED_AT_HEADER]: now,
            },
          },
        })),
        this.ctx.publishTimeoutMs,
      );
    } catch (error) {
      // Not dead-lettered: give them back so that they are not stuck until the channel closes.
      for (const { lock } of items) this.release(lock);
      throw error;
    }
    const lost: string[] = [];
    for (const { lock } of items) {
      if (!this.settle(lock, (channel) => channel.ack(lock.delivery))) lost.push(lock.received.id);
    }
    return lost;
  }

  private toDeadLetter(message: GetMessage): DeadLetter {
    const { properties } = message;
    const headers = properties.headers ?? {};
    const base = {
      id: typeof properties.messageId === "string" ? properties.messageId : "",
      type: typeof properties.type === "string" ? properties.type : "",
      body: message.content,
    };
    const ownReason = stringHeader(headers[REASON_HEADER]);
    if (ownReason !== undefined) {
      const count = headers[DELIVERY_COUNT_HEADER];
      const at = headers[DEAD_LETTERED_AT_HEADER];
      return {
        ...base,
        reason: ownReason,
        deliveryCount: typeof count === "number" ? count : 0,
        deadLetteredAt: new Date(typeof at === "number" ? at : 0),
      };
    }
    const death = Array.isArray(headers["x-death"]) ? headers["x-death"][0] : undefined;
    const brokerReason = stringHeader(headers["x-first-death-reason"]) ?? death?.reason ?? "unknown";
    const seconds = death?.time?.value;
    const atLimit = brokerReason === "delivery_limit";
    return {
      ...base,
      reason: atLimit
        ? `delivery limit reached: ${this.ctx.maxDeliveries} deliveries without being settled (the receiver holding the last one stopped or lost its connection); dead-lettered by the broker`
        : `dead-lettered by the broker (${brokerReason})`,
      deliveryCount: atLimit ? this.ctx.maxDeliveries : 0,
      deadLetteredAt: new Date(typeof seconds === "number" ? seconds * 1000 : 0),
    };
  }

  /** Forgets the locks of a channel that closed: the broker has taken those messages back. */
  private dropLocksOf(channel: Channel): void {
    for (const [token, lock] of this.locks) {
      if (lock.channel !== channel) continue;
      clearTimeout(lock.timer);
      this.locks.delete(token);
    }
  }

  private assertOpen(): void {
    if (this.closed || !this.ctx.busIsOpen()) {
      throw new Error(`rabbitmq bus: the subscriber of "${this.subscription}" is closed`);
    }
  }

  /**
   * The messages whose lock still held were settled; only the lost ones are reported, so a batch
   * consumer does not redo work another receiver may already be doing.
   */
  private throwIfLost(action: string, lostIds: string[]): void {
    if (lostIds.length === 0) return;
    const shown = lostIds.slice(0, 10).join(", ") + (lostIds.length > 10 ? ", …" : "");
    throw new LockLostError(
      `cannot ${action} ${lostIds.length} message(s) of subscription "${this.subscription}": the lock expired or was released (${shown})`,
    );
  }
}
