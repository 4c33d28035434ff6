import {
  isServiceBusError,
  type RetryOptions,
  RetryMode,
  ServiceBusAdministrationClient,
  ServiceBusClient,
  type ServiceBusMessage,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSender,
} from "@azure/service-bus";
import { createHash } from "node:crypto";
import Long from "long";
import { subscriptionFilters } from "../filters";
import {
  type Bus,
  type BusMessage,
  type BusOptions,
  type BusPublisher,
  type BusSubscriber,
  type ClaimCheckStore,
  type DeadLetter,
  LockLostError,
  type ReceivedMessage,
  type ReceiveOptions,
} from "../types";

/**
 * Where bodies too large for the bus go. An ArchiveStore (`@faultline/archive`) fits; only these
 * two methods are used, so the bus does not depend on the archive package.
 */

export interface ServiceBusBusOptions extends BusOptions {
  /** A namespace's connection string (or an emulator's, with `UseDevelopmentEmulator=true`). */
  connectionString: string;
  /** The topic every message is published to; each subscription name is a consumer kind. */
  topic: string;
  /**
   * Bodies above `thresholdBytes` (default 192 KiB, under the Standard tier's 256 KiB message
   * limit, leaving room for properties and batch framing) are written to `store` under
   * `claims/{id}`; the bus message then carries only the key, in the application property
   * `faultline-claim-check`, and receivers load the body from the store. Claims are not deleted
   * when a message is completed (other subscriptions still need them): the archive's retention
   * removes them.
   */
  claimCheck?: { store: ClaimCheckStore; thresholdBytes?: number };
  /**
   * Create the topic and any missing subscription at start, and set each subscription's rule to
   * its filter, with the administration client (HTTPS, needs a Manage claim; Service Bus
   * emulators and the test fake do not offer it). Off by default: production entities are
   * provisioned by infrastructure, with LockDuration, MaxDeliveryCount and the rules that
   * implement `filters` set there — see `filterRule` for the rule to create; without it a
   * subscription gets every type (Service Bus's `$Default` rule).
   */
  provision?: boolean;
  /** The SDK's retry policy; the default gives up on an unreachable namespace within seconds. */
  retryOptions?: RetryOptions;
}

/** Application property holding the claim-check key of a body kept in the claim-check store. */
export const CLAIM_CHECK_PROPERTY = "faultline-claim-check";
/** Application properties the adapter sets when it abandons or dead-letters (see peekDeadLetters). */
const ABANDON_REASON_PROPERTY = "faultline-abandon-reason";
const ABANDONED_AT_PROPERTY = "faultline-abandoned-at";
const DEAD_LETTERED_AT_PROPERTY = "faultline-dead-lettered-at";
/** The reason Service Bus gives a message it moved to the dead-letter queue itself. */
const MAX_DELIVERY_COUNT_EXCEEDED = "MaxDeliveryCountExceeded";

const DEFAULT_CLAIM_THRESHOLD_BYTES = 192 * 1024;
/** Service Bus caps DeadLetterReason and DeadLetterErrorDescription at 4096 characters. */
const MAX_REASON_LENGTH = 4096;
/** Service Bus's shortest LockDuration. */
const MIN_LOCK_MS = 5_000;
const PING_TIMEOUT_MS = 5_000;
/** A lock this long past its expiry is certainly lost: forget the message. */
const FORGET_AFTER_EXPIRY_MS = 60_000;

const DEFAULT_RETRY: RetryOptions = {
  maxRetries: 3,
  retryDelayInMs: 500,
  maxRetryDelayInMs: 4_000,
  mode: RetryMode.Exponential,
  timeoutInMs: 30_000,
};

/**
 * The bus on Azure Service Bus: one topic, one subscription per consumer kind, every subscription
 * gets a copy of every message its rules accept (that is Service Bus's own topic semantics).
 *
 * Filters (BusOptions.filters) are subscription rules, evaluated by Service Bus when a message is
 * published, so a filtered-out copy is never stored: the bus type travels as `subject`
 * (`sys.Label` to a SQL filter), and a filtered subscription has the one rule `filterRule` gives
 * instead of `$Default` (which accepts everything). With `provision: true` the adapter sets the
 * rules; otherwise infrastructure must, and the adapter cannot check (that needs Manage rights),
 * so a subscription provisioned without the rule receives every type. A message no rule accepts
 * is accepted by the topic and dropped — unless the topic has "filtering messages before
 * publishing" enabled, which makes such a send fail; leave it off.
 *
 * How the Bus guarantees map onto Service Bus:
 * - publish → batches built with createMessageBatch/tryAddMessage (split into as many batches as
 *   the link's maximum message size needs, sent in order) and sendMessages, which resolves once
 *   the broker accepted the batch. Each message's `messageId` is the Faultline id, so a topic
 *   with duplicate detection drops a retried publish; its type travels as `subject`.
 * - receive → a peek-lock receiver per subscriber (receiveMessages with maxWaitTimeInMs); the
 *   lock token is Service Bus's; `deliveryCount` is the SDK's (zero-based, the AMQP header) + 1;
 *   `enqueuedAt` is `enqueuedTimeUtc`.
 * - complete / abandon / deadLetter → completeMessage / abandonMessage / deadLetterMessage with
 *   `deadLetterReason`; renewLocks → renewMessageLock. The SDK's MessageLockLost (or a delivery
 *   already settled) becomes LockLostError, after every other message of the call was settled.
 * - `lockMs` and `maxDeliveries` are properties of the Service Bus subscription (LockDuration,
 *   MaxDeliveryCount), not of the client: the adapter only uses them when it provisions
 *   (`provision: true`), raising lockMs to Service Bus's minimum of 5 s. Lock expiry, redelivery
 *   and dead-lettering after MaxDeliveryCount (reason "MaxDeliveryCountExceeded") are done by
 *   Service Bus.
 * - peekDeadLetters → peekMessages on a receiver of the subscription's dead-letter sub-queue,
 *   always from the first sequence number (the SDK's own peek cursor would move on).
 * - A lost connection: publish and ping reject once the SDK's retries are spent.
 */
export async function createServiceBusBus(options: ServiceBusBusOptions): Promise<Bus> {
  const endpoint = /Endpoint=sb:\/\/([^;/]+)/i.exec(options.connectionString)?.[1];
  if (!endpoint) throw new Error("the Service Bus connection string has no Endpoint=sb://…");
  // Validated even when infrastructure owns the rules: a typo is a startup error everywhere.
  const filters = subscriptionFilters("azure-service-bus bus", options);
  if (options.provision) await provision(options, filters);

  const client = new ServiceBusClient(options.connectionString, {
    retryOptions: { ...DEFAULT_RETRY, ...options.retryOptions },
  });
  const claimCheck = options.claimCheck && {
    store: options.claimCheck.store,
    thresholdBytes: options.claimCheck.thresholdBytes ?? DEFAULT_CLAIM_THRESHOLD_BYTES,
  };
  const open = new Set<{ close(): Promise<void> }>();
  let closed = false;
  const track = <T extends { close(): Promise<void> }>(item: T): T => {
    if (closed) throw new Error("the bus is closed");
    open.add(item);
    return item;
  };

  return {
    description: `azure-service-bus (${endpoint}, topic ${options.topic})`,
    publisher: () => track(new Publisher(client.createSender(options.topic), claimCheck)),
    subscriber(subscription) {
      if (!options.subscriptions.includes(subscription)) {
        throw new Error(
          `unknown subscription ${JSON.stringify(subscription)}; this bus has ${options.subscriptions.map((s) => JSON.stringify(s)).join(", ")}`,
        );
      }
      return track(new Subscriber(client, options.topic, subscription, claimCheck?.store));
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...open].map((item) => item.close()));
      await client.close();
    },
  };
}

/**
 * Deletes a topic and its subscriptions with the administration client (needs a Manage claim);
 * for tests and tooling that provisioned a topic of their own.
 */
export async function deleteServiceBusTopic(connectionString: string, topic: string): Promise<void> {
  const admin = new ServiceBusAdministrationClient(connectionString);
  if (await admin.topicExists(topic)) await admin.deleteTopic(topic);
}

/** The rule Service Bus gives a new subscription: a TrueFilter, accepting every message. */
const DEFAULT_RULE = "$Default";

/**
 * The one subscription rule that implements a filter: a SQL filter on the message's subject
 * (`sys.Label`), where the adapter puts the bus type; `undefined` (no filter) is Service Bus's
 * own `$Default` rule. One rule rather than one per type so a message never matches twice. The
 * name is derived from the expression, so that a changed filter is a new rule: provisioning
 * adds it before removing the old one, and the subscription is never without a rule. For
 * infrastructure templates (Bicep, Terraform) that provision the rules themselves.
 */
export function filterRule(types: readonly string[] | undefined): { name: string; sqlExpression: string } {
  if (types === undefined) return { name: DEFAULT_RULE, sqlExpression: "1=1" };
  // A SQL string literal doubles its quotes; `1=0` because `IN ()` is not valid SQL.
  const sqlExpression =
    types.length === 0
      ? "1=0"
      : `sys.Label IN (${[...types]
          .sort()
          .map((type) => `'${type.replaceAll("'", "''")}'`)
          .join(", ")})`;
  // Rule names are at most 50 characters.
  const hash = createHash("sha256").update(sqlExpression).digest("hex").slice(0, 16);
  return { name: `faultline-types-${hash}`, sqlExpression };
}

/**
 * Creates the topic (with duplicate detection) and the missing subscriptions, and gives each
 * subscription exactly the rule of its filter. Several processes may provision at once: each
 * step tolerates finding the work done (a rule created meanwhile, one already deleted).
 */
async function provision(
  options: ServiceBusBusOptions,
  filters: ReadonlyMap<string, readonly string[] | undefined>,
): Promise<void> {
  const admin = new ServiceBusAdministrationClient(options.connectionString);
  if (!(await admin.topicExists(options.topic))) {
    await admin.createTopic(options.topic, {
      requiresDuplicateDetection: true,
      duplicateDetectionHistoryTimeWindow: "PT10M",
    });
  }
  const lockSeconds = Math.max(MIN_LOCK_MS, options.lockMs ?? 30_000) / 1000;
  for (const [subscription, types] of filters) {
    const rule = filterRule(types);
    if (!(await admin.subscriptionExists(options.topic, subscription))) {
      await admin.createSubscription(options.topic, subscription, {
        lockDuration: `PT${lockSeconds}S`,
        maxDeliveryCount: options.maxDeliveries ?? 10,
        defaultRuleOptions: { name: rule.name, filter: { sqlExpression: rule.sqlExpression } },
      });
      continue;
    }
    const existing: string[] = [];
    for await (const found of admin.listRules(options.topic, subscription)) existing.push(found.name);
    // The wanted rule first, then the others go: in between a message may match twice, which
    // at-least-once delivery allows; never matching nothing, which would lose it.
    if (!existing.includes(rule.name)) {
      await admin
        .createRule(options.topic, subscription, rule.name, { sqlExpression: rule.sqlExpression })
        .catch(ignoreStatus(409));
    }
    for (const name of existing) {
      if (name !== rule.name)
        await admin.deleteRule(options.topic, subscription, name).catch(ignoreStatus(404));
    }
  }
}

/** For provisioning steps another process may have done first: ignore that HTTP status. */
function ignoreStatus(status: number): (error: unknown) => void {
  return (error) => {
    if ((error as { statusCode?: unknown }).statusCode !== status) throw error;
  };
}

class Publisher implements BusPublisher {
  private closed = false;

  constructor(
    private readonly sender: ServiceBusSender,
    private readonly claimCheck: { store: ClaimCheckStore; thresholdBytes: number } | undefined,
  ) {}

  async publish(messages: readonly BusMessage[]): Promise<void> {
    if (this.closed) throw new Error("the publisher is closed");
    if (messages.length === 0) return;
    // Claim-check bodies are stored first: a pointer must never reach a consumer before its body.
    const outgoing = await Promise.all(messages.map((message) => this.toServiceBus(message)));
    let batch = await this.sender.createMessageBatch();
    for (const message of outgoing) {
      if (batch.tryAddMessage(message)) continue;
      if (batch.count > 0) {
        await this.sender.sendMessages(batch);
        batch = await this.sender.createMessageBatch();
        if (batch.tryAddMessage(message)) continue;
      }
      throw new Error(
        `message ${String(message.messageId)} does not fit in one Service Bus message of at most ${batch.maxSizeInBytes} bytes` +
          (this.claimCheck ? "" : " (configure a claim-check store for large bodies)"),
      );
    }
    if (batch.count > 0) await this.sender.sendMessages(batch);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error("the publisher is closed");
    // Opens the sender link if it is not open (a round trip to the namespace), else is local.
    await this.sender.createMessageBatch({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.sender.close();
  }

  private async toServiceBus(message: BusMessage): Promise<ServiceBusMessage> {
    const body = Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength);
    const out: ServiceBusMessage = {
      messageId: message.id,
      subject: message.type,
      contentType: "application/octet-stream",
      body,
    };
    if (this.claimCheck && body.byteLength > this.claimCheck.thresholdBytes) {
      const key = `claims/${message.id}`;
      await this.claimCheck.store.put(key, body);
      out.body = Buffer.alloc(0);
      out.applicationProperties = { [CLAIM_CHECK_PROPERTY]: key };
    }
    return out;
  }
}

class Subscriber implements BusSubscriber {
  private readonly receiver: ServiceBusReceiver;
  private deadLetterReceiver: ServiceBusReceiver | undefined;
  /** The SDK's messages behind the locks this subscriber holds, by lock token. */
  private readonly held = new Map<string, ServiceBusReceivedMessage>();
  /** The SDK allows one receiveMessages at a time per receiver: later calls queue here. */
  private receiving: Promise<unknown> = Promise.resolve();
  private readonly stop = new AbortController();
  private closed = false;

  constructor(
    private readonly client: ServiceBusClient,
    private readonly topic: string,
    readonly subscription: string,
    private readonly claims: ClaimCheckStore | undefined,
  ) {
    this.receiver = client.createReceiver(topic, subscription, {
      receiveMode: "peekLock",
      skipParsingBodyAsJson: true,
      // The SDK would otherwise renew every lock in the background for five minutes, and a hung
      // consumer would keep its messages hidden: locks here expire unless renewLocks is called.
      maxAutoLockRenewalDurationInMs: 0,
    });
  }

  receive(max: number, options?: ReceiveOptions): Promise<ReceivedMessage[]> {
    this.assertOpen();
    const run = this.receiving.then(() => this.receiveNow(max, options?.waitMs ?? 0));
    this.receiving = run.catch(() => {});
    return run;
  }

  private async receiveNow(max: number, waitMs: number): Promise<ReceivedMessage[]> {
    if (this.closed) return [];
    this.forgetExpired();
    let messages: ServiceBusReceivedMessage[];
    try {
      messages = await this.receiver.receiveMessages(max, {
        maxWaitTimeInMs: Math.max(0, waitMs),
        abortSignal: this.stop.signal,
      });
    } catch (error) {
      if (this.closed) return [];
      throw error;
    }
    const received: ReceivedMessage[] = [];
    for (const message of messages) {
      const lockToken = message.lockToken;
      if (!lockToken)
        throw new Error("Service Bus delivered a message without a lock token (not peek-lock?)");
      let body: Uint8Array;
      try {
        body = await this.bodyOf(message);
      } catch (error) {
        // The body is not in the claim-check store (yet, or any more): let Service Bus count the
        // attempt and redeliver, so a store outage ends in the dead-letter queue, not a lost message.
        // If even the abandon fails, the lock runs out and Service Bus redelivers all the same.
        await this.receiver
          .abandonMessage(message, {
            [ABANDON_REASON_PROPERTY]: limit(`claim-check body could not be loaded: ${String(error)}`),
            [ABANDONED_AT_PROPERTY]: Date.now(),
          })
          .catch(() => {});
        continue;
      }
      this.held.set(lockToken, message);
      received.push({
        id: String(message.messageId),
        type: message.subject ?? "",
        body,
        lockToken,
        deliveryCount: (message.deliveryCount ?? 0) + 1,
        enqueuedAt: message.enqueuedTimeUtc ?? new Date(),
      });
    }
    return received;
  }

  complete(messages: readonly ReceivedMessage[]): Promise<void> {
    return this.settle(messages, true, (m) => this.receiver.completeMessage(m));
  }

  abandon(messages: readonly ReceivedMessage[], reason?: string): Promise<void> {
    // Service Bus keeps no abandon reason; the properties carry it to the dead-letter queue.
    const properties = {
      [ABANDON_REASON_PROPERTY]: limit(reason ?? "abandoned"),
      [ABANDONED_AT_PROPERTY]: Date.now(),
    };
    return this.settle(messages, true, (m) => this.receiver.abandonMessage(m, properties));
  }

  deadLetter(messages: readonly ReceivedMessage[], reason: string): Promise<void> {
    const options = {
      deadLetterReason: limit(reason),
      deadLetterErrorDescription: limit(reason),
      [DEAD_LETTERED_AT_PROPERTY]: Date.now(),
    };
    return this.settle(messages, true, (m) => this.receiver.deadLetterMessage(m, options));
  }

  renewLocks(messages: readonly ReceivedMessage[]): Promise<void> {
    return this.settle(messages, false, async (m) => {
      await this.receiver.renewMessageLock(m);
    });
  }

  async peekDeadLetters(max: number): Promise<DeadLetter[]> {
    this.assertOpen();
    this.deadLetterReceiver ??= this.client.createReceiver(this.topic, this.subscription, {
      subQueueType: "deadLetter",
      receiveMode: "peekLock",
      skipParsingBodyAsJson: true,
    });
    const peeked = await this.deadLetterReceiver.peekMessages(max, { fromSequenceNumber: Long.ONE });
    const dead: DeadLetter[] = [];
    for (const message of peeked) {
      const properties = message.applicationProperties ?? {};
      const movedByService = message.deadLetterReason === MAX_DELIVERY_COUNT_EXCEEDED;
      const abandonReason = properties[ABANDON_REASON_PROPERTY];
      // Service Bus's own reason, with the last abandon's reason when that is what pushed it over
      // MaxDeliveryCount (or its description, e.g. "…after 10 delivery attempts", when a lock
      // expired); a receiver's dead-letter reason as given.
      const detail = movedByService
        ? abandonReason !== undefined
          ? String(abandonReason)
          : message.deadLetterErrorDescription
        : undefined;
      const at =
        properties[DEAD_LETTERED_AT_PROPERTY] ??
        (movedByService ? properties[ABANDONED_AT_PROPERTY] : undefined) ??
        message.enqueuedTimeUtc?.getTime();
      dead.push({
        id: String(message.messageId),
        type: message.subject ?? "",
        body: await this.bodyOf(message),
        reason: [message.deadLetterReason, detail].filter(Boolean).join(": ") || "dead-lettered",
        // Service Bus counts failed deliveries on the wire: one it moved itself failed as often
        // as it was delivered; one a receiver dead-lettered was in its last delivery, uncounted.
        deliveryCount: (message.deliveryCount ?? 0) + (movedByService ? 0 : 1),
        // Service Bus records no time of dead-lettering; the adapter's own stamp, else the last
        // abandon that pushed it over MaxDeliveryCount, else (a lock that expired) its enqueue time.
        deadLetteredAt: new Date(Number(at ?? Date.now())),
      });
    }
    return dead;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    this.held.clear();
    await Promise.allSettled([this.receiver.close(), this.deadLetterReceiver?.close()]);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`the subscriber of ${JSON.stringify(this.subscription)} is closed`);
  }

  private async bodyOf(message: ServiceBusReceivedMessage): Promise<Uint8Array> {
    const claim = message.applicationProperties?.[CLAIM_CHECK_PROPERTY];
    if (claim !== undefined) {
      if (!this.claims)
        throw new Error(`message ${String(message.messageId)} has a claim check but no store is configured`);
      return this.claims.get(String(claim));
    }
    const body: unknown = message.body;
    if (body instanceof Uint8Array) return body;
    if (body === null || body === undefined) return new Uint8Array(0);
    // Another producer's non-binary body: the bytes it would have had as JSON.
    return Buffer.from(JSON.stringify(body));
  }

  /**
   * Applies `operation` to every message whose lock this subscriber holds, all of them even when
   * some fail; then rejects with LockLostError naming the messages whose lock was lost.
   */
  private async settle(
    messages: readonly ReceivedMessage[],
    releasesLock: boolean,
    operation: (message: ServiceBusReceivedMessage) => Promise<void>,
  ): Promise<void> {
    this.assertOpen();
    const lost: string[] = [];
    const failures: unknown[] = [];
    await Promise.all(
      messages.map(async (message) => {
        const held = this.held.get(message.lockToken);
        if (!held) {
          lost.push(message.id);
          return;
        }
        try {
          await operation(held);
          if (releasesLock) this.held.delete(message.lockToken);
        } catch (error) {
          if (!isLockLost(error)) {
            failures.push(error);
            return;
          }
          this.held.delete(message.lockToken);
          lost.push(message.id);
        }
      }),
    );
    if (failures.length > 0) throw failures[0];
    if (lost.length > 0) {
      throw new LockLostError(`lock lost (expired or already settled) for message(s) ${lost.join(", ")}`);
    }
  }

  private forgetExpired(): void {
    const cutoff = Date.now() - FORGET_AFTER_EXPIRY_MS;
    for (const [token, message] of this.held) {
      if (message.lockedUntilUtc && message.lockedUntilUtc.getTime() < cutoff) this.held.delete(token);
    }
  }
}

function isLockLost(error: unknown): boolean {
  if (isServiceBusError(error)) return error.code === "MessageLockLost";
  // The SDK refuses, before asking the broker, to settle a delivery the broker already settled.
  return error instanceof Error && /already settled|has either been deleted/i.test(error.message);
}

function limit(text: string): string {
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text;
}
