/**
 * The bus is publish/subscribe: one topic, one subscription per consumer kind, every
 * subscription gets its own copy of every message published after it was created — or, when the
 * subscription has a type filter (BusOptions.filters), of every such message of those types.
 *
 * Delivery is at-least-once with peek-lock semantics:
 * - `receive` locks up to N messages for `lockMs`; while the lock holds no other receiver of the
 *   same subscription gets them (competing consumers).
 * - `complete` removes them for good; `abandon` makes them available again at once.
 * - A lock that expires (the receiver crashed or hung) makes the message available again.
 * - Every lock counts as a delivery; a message whose delivery count reaches `maxDeliveries` and
 *   is abandoned or whose lock expires is moved to the subscription's dead-letter queue.
 * Consumers must therefore be idempotent by message id.
 */
export interface BusMessage {
  /** The message id assigned at ingest; the idempotency key for every consumer. */
  id: string;
  /** What the body holds, e.g. "message.v1". */
  type: string;
  body: Uint8Array;
}

export interface ReceivedMessage extends BusMessage {
  /** Opaque token of this delivery's lock; settle with it. */
  readonly lockToken: string;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  readonly enqueuedAt: Date;
}

export interface DeadLetter extends BusMessage {
  readonly deliveryCount: number;
  readonly reason: string;
  readonly deadLetteredAt: Date;
}

/** What ingest needs, and nothing more. */
export interface BusPublisher {
  /**
   * Publishes the messages to the topic. Resolves only once the bus has durably accepted every
   * one of them (committed to disk, or acknowledged by the broker); rejects if it could not, in
   * which case none, some or all may have been accepted — callers retry, consumers dedupe by id.
   */
  publish(messages: readonly BusMessage[]): Promise<void>;
  /** Cheap check that the bus can take messages now (for /readyz). */
  ping(): Promise<void>;
  /** Releases connections; publishing after close throws. */
  close(): Promise<void>;
}

export interface ReceiveOptions {
  /** How long to wait for at least one message before resolving with an empty array. Default 0. */
  waitMs?: number;
}

/**
 * One consumer's view of one subscription.
 *
 * Settling (complete, abandon, deadLetter, renewLocks) needs the lock of the delivery being
 * settled. A message whose lock expired or was released is not settled; the call still settles
 * every other message passed with it, then rejects with LockLostError naming the lost ones.
 */
export interface BusSubscriber {
  /** The subscription this subscriber receives from. */
  readonly subscription: string;
  /**
   * Locks and returns up to `max` available messages, oldest first. With `waitMs`, waits until
   * at least one is available or the time is up; never resolves with more than `max`.
   */
  receive(max: number, options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Removes the messages for good. Settling with an expired lock throws LockLostError. */
  complete(messages: readonly ReceivedMessage[]): Promise<void>;
  /** Releases the locks so the messages are delivered again (or dead-lettered at maxDeliveries). */
  abandon(messages: readonly ReceivedMessage[], reason?: string): Promise<void>;
  /** Moves the messages to the dead-letter queue at once. */
  deadLetter(messages: readonly ReceivedMessage[], reason: string): Promise<void>;
  /** Extends the locks by another lockMs, for batches that take long. */
  renewLocks(messages: readonly ReceivedMessage[]): Promise<void>;
  /** Reads (without removing) up to `max` messages of the dead-letter queue, oldest first. */
  peekDeadLetters(max: number): Promise<DeadLetter[]>;
  /** Stops this subscriber: a receive still waiting resolves empty, later calls throw. */
  close(): Promise<void>;
}

export interface Bus {
  /** Adapter name for the startup log line, e.g. "sqlite (/data/bus.db)". */
  readonly description: string;
  /** A publisher for the topic; cheap, processes usually take one at start. */
  publisher(): BusPublisher;
  /**
   * A subscriber of an existing subscription (throws for an unknown one). Several subscribers of
   * the same subscription, in one process or many, compete for its messages.
   */
  subscriber(subscription: string): BusSubscriber;
  /** Closes every publisher and subscriber taken from this bus and releases its connections. */
  close(): Promise<void>;
}

export interface BusOptions {
  /** Subscriptions to create on start. */
  subscriptions: readonly string[];
  /**
   * Per-subscription message-type filters: subscription name → the `BusMessage.type`s it
   * receives. A subscription not named here receives every type; one named with `[]` receives
   * nothing. Only subscriptions listed in `subscriptions` may be named.
   *
   * Guarantees:
   * - A message published while a subscription's filter is in place reaches that subscription
   *   only if its type is in the filter: a subscription with a filter never receives another type
   *   (the filter is applied by the bus where the copy is made, so the copy is never stored).
   * - A message whose type no subscription accepts is still accepted by publish (it resolves, as
   *   for any other message) and stored nowhere: there is nobody to deliver it to, so it is gone,
   *   exactly like a message published to a topic without subscriptions. Not an error, so that a
   *   producer can publish a type before its consumer exists.
   * - The options a bus starts with are the subscription's filter from then on: every process
   *   that starts a bus (publishers included) must pass the same filters — share one constant —
   *   or the last one to start wins. Changing a filter applies to messages published after the
   *   change; copies already made stay and are delivered.
   * - Where the engine holds the filters, the guarantee is as good as what it holds: Service Bus
   *   applies subscription rules that infrastructure provisions (the adapter does only with
   *   `provision: true`); RabbitMQ cannot list bindings, so the binding of a type that no filter
   *   names any more stays until an operator removes it (rabbitmq/topology.ts). Consumers should
   *   therefore still complete types they do not handle.
   *
   * Types are non-empty strings of at most 255 bytes (RabbitMQ routes by them) without `*` or
   * `#` (wildcards to RabbitMQ); every adapter rejects others at start.
   */
  filters?: Readonly<Record<string, readonly string[]>>;
  /** How long a receive lock holds. Default 30 s. */
  lockMs?: number;
  /** Deliveries before dead-lettering. Default 10. */
  maxDeliveries?: number;
}

/** Thrown when settling a message whose lock has expired (it may already be with another receiver). */
export class LockLostError extends Error {
  override readonly name = "LockLostError";
}

/**
 * Blob storage for claim checks: a body larger than the bus allows is stored here and the bus
 * carries its key. The archive store fits this shape.
 */
export interface ClaimCheckStore {
  /** Stores the bytes durably under the key (replacing what is there: a retried publish is fine). */
  put(key: string, data: Uint8Array): Promise<void>;
  /** The bytes stored under the key; throws if there are none. */
  get(key: string): Promise<Uint8Array>;
}
