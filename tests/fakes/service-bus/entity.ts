import { randomBytes } from "node:crypto";

/** A decoded AMQP message as rhea represents it (properties flattened onto the object). */
export type AmqpMessage = Record<string, unknown> & {
  application_properties?: Record<string, unknown>;
  message_annotations?: Record<string, unknown>;
};

/** One message in one entity (a subscription or its dead-letter queue) of the fake. */
export interface StoredMessage {
  /** Per entity, from 1, in arrival order: what `x-opt-sequence-number` and peek use. */
  readonly sequenceNumber: number;
  readonly enqueuedAt: Date;
  /** The message as published; the broker's `x-opt-*` annotations are added per delivery. */
  readonly message: AmqpMessage;
  /**
   * Failed deliveries so far (abandoned, or the lock expired): the AMQP header's delivery-count,
   * which is 0 on a first delivery. Service Bus puts this zero-based count on the wire.
   */
  deliveryCount: number;
  /** Set on dead letters: the entity the message came from (`x-opt-deadletter-source`). */
  readonly deadLetterSource?: string;
  lock?: { readonly token: string; until: number; timer: NodeJS.Timeout };
}

export type Settlement =
  | { kind: "complete" }
  | { kind: "abandon"; properties?: Record<string, unknown> }
  | { kind: "deadLetter"; reason?: string; description?: string; properties?: Record<string, unknown> };

export interface EntitySettings {
  /** The subscription's LockDuration. */
  lockMs: number;
  /** The subscription's MaxDeliveryCount; Infinity for a dead-letter queue. */
  maxDeliveries: number;
}

/**
 * A queue with Service Bus peek-lock semantics, with no AMQP in it: lock the oldest unlocked
 * message, settle by lock token, renew, let locks expire, count failed deliveries and move a
 * message to the dead-letter queue when it reaches MaxDeliveryCount.
 */
export class FakeEntity {
  private readonly messages: StoredMessage[] = [];
  private readonly locked = new Map<string, StoredMessage>();
  private nextSequenceNumber = 1;
  /** Called whenever a message becomes available, so that waiting receivers get it. */
  onAvailable: () => void = () => {};

  constructor(
    readonly path: string,
    private readonly settings: EntitySettings,
    private readonly deadLetterQueue?: FakeEntity,
  ) {}

  enqueue(
    message: AmqpMessage,
    from?: { deliveryCount: number; enqueuedAt: Date; deadLetterSource: string },
  ): void {
    this.messages.push({
      sequenceNumber: this.nextSequenceNumber++,
      enqueuedAt: from?.enqueuedAt ?? new Date(),
      message,
      deliveryCount: from?.deliveryCount ?? 0,
      ...(from ? { deadLetterSource: from.deadLetterSource } : {}),
    });
    this.onAvailable();
  }

  /**
   * Locks the oldest available message for LockDuration. The lock token is a random UUID; the
   * caller gets its 16 bytes too, to build the delivery tag from.
   */
  lockNext(): { stored: StoredMessage; token: string; tokenBytes: Buffer } | undefined {
    const stored = this.messages.find((m) => m.lock === undefined);
    if (!stored) return undefined;
    const tokenBytes = randomBytes(16);
    const token = uuidToString(tokenBytes);
    const timer = setTimeout(() => this.expire(token), this.settings.lockMs);
    stored.lock = { token, until: Date.now() + this.settings.lockMs, timer };
    this.locked.set(token, stored);
    return { stored, token, tokenBytes };
  }

  /** Settles the message holding this lock; false when the lock is lost (expired or settled). */
  settle(token: string, settlement: Settlement): boolean {
    const stored = this.holder(token);
    if (!stored) return false;
    this.unlock(stored);
    switch (settlement.kind) {
      case "complete":
        this.remove(stored);
        return true;
      case "abandon":
        Object.assign(appProperties(stored.message), settlement.properties ?? {});
        this.failedDelivery(stored);
        return true;
      case "deadLetter":
        Object.assign(appProperties(stored.message), settlement.properties ?? {});
        this.moveToDeadLetters(stored, settlement.reason, settlement.description);
        return true;
    }
  }

  /** Extends the lock by LockDuration from now; undefined when the lock is lost. */
  renew(token: string): Date | undefined {
    const stored = this.holder(token);
    if (!stored?.lock) return undefined;
    clearTimeout(stored.lock.timer);
    stored.lock.until = Date.now() + this.settings.lockMs;
    stored.lock.timer = setTimeout(() => this.expire(token), this.settings.lockMs);
    return new Date(stored.lock.until);
  }

  /** Up to `count` messages from `fromSequenceNumber` on, locked or not, without touching them. */
  peek(fromSequenceNumber: number, count: number): StoredMessage[] {
    return this.messages.filter((m) => m.sequenceNumber >= fromSequenceNumber).slice(0, count);
  }

  close(): void {
    for (const stored of this.locked.values()) if (stored.lock) clearTimeout(stored.lock.timer);
    this.locked.clear();
  }

  private holder(token: string): StoredMessage | undefined {
    const stored = this.locked.get(token);
    // The timer may not have fired yet on a busy event loop: the lock's time is what counts.
    if (!stored?.lock || stored.lock.until <= Date.now()) return undefined;
    return stored;
  }

  private expire(token: string): void {
    const stored = this.locked.get(token);
    if (!stored) return;
    this.unlock(stored);
    this.failedDelivery(stored);
  }

  private unlock(stored: StoredMessage): void {
    if (!stored.lock) return;
    clearTimeout(stored.lock.timer);
    this.locked.delete(stored.lock.token);
    stored.lock = undefined;
  }

  /** An abandon or an expired lock: count it, then dead-letter at MaxDeliveryCount or redeliver. */
  private failedDelivery(stored: StoredMessage): void {
    stored.deliveryCount++;
    if (stored.deliveryCount >= this.settings.maxDeliveries) {
      this.moveToDeadLetters(
        stored,
        "MaxDeliveryCountExceeded",
        `Message could not be consumed after ${stored.deliveryCount} delivery attempts.`,
      );
    } else {
      this.onAvailable();
    }
  }

  private moveToDeadLetters(stored: StoredMessage, reason?: string, description?: string): void {
    if (!this.deadLetterQueue) {
      // A dead-letter queue has no dead-letter queue of its own: the message stays where it is.
      this.onAvailable();
      return;
    }
    this.remove(stored);
    const properties = appProperties(stored.message);
    if (reason !== undefined) properties.DeadLetterReason = reason;
    if (description !== undefined) properties.DeadLetterErrorDescription = description;
    this.deadLetterQueue.enqueue(stored.message, {
      deliveryCount: stored.deliveryCount,
      enqueuedAt: stored.enqueuedAt,
      deadLetterSource: this.path,
    });
  }

  private remove(stored: StoredMessage): void {
    const index = this.messages.indexOf(stored);
    if (index >= 0) this.messages.splice(index, 1);
  }
}

function appProperties(message: AmqpMessage): Record<string, unknown> {
  message.application_properties ??= {};
  return message.application_properties;
}

/** The textual form rhea and the SDK use for a 16-byte UUID. */
export function uuidToString(bytes: Buffer): string {
  const hex = bytes.toString("hex");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}

/**
 * Service Bus sends lock tokens as delivery tags in .NET Guid byte order (the first three groups
 * little-endian); the SDK swaps them back before printing the token. The swap is its own inverse.
 */
export function guidByteOrder(bytes: Buffer): Buffer {
  return Buffer.from([
    bytes[3]!,
    bytes[2]!,
    bytes[1]!,
    bytes[0]!,
    bytes[5]!,
    bytes[4]!,
    bytes[7]!,
    bytes[6]!,
    ...bytes.subarray(8, 16),
  ]);
}
