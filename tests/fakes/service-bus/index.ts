import { once } from "node:events";
import { createRequire } from "node:module";
import type { AddressInfo, Socket } from "node:net";
import type * as Rhea from "rhea";
import {
  type AmqpMessage,
  FakeEntity,
  guidByteOrder,
  type Settlement,
  type StoredMessage,
  uuidToString,
} from "./entity";

/**
 * A FAKE Azure Service Bus namespace: a loopback AMQP 1.0 server, built on rhea's server side,
 * that speaks just enough of Service Bus for the real @azure/service-bus SDK (7.9.x) to drive the
 * Faultline adapter against it. It exists because a real Service Bus cannot run on this machine;
 * it is not a Service Bus and must never be mistaken for one. Everything is in memory.
 *
 * What it implements:
 * - Plain TCP on 127.0.0.1 and SASL ANONYMOUS: the SDK connects that way to a connection string
 *   with `UseDevelopmentEmulator=true` (the emulator's switch, honoured by @azure/core-amqp 4.x),
 *   using the port in `Endpoint=sb://127.0.0.1:{port}`.
 * - The `$cbs` put-token exchange: every token is accepted (status-code 202), nothing is checked.
 * - One topic and its subscriptions, each with a dead-letter queue
 *   (`{topic}/Subscriptions/{sub}/$DeadLetterQueue`), fixed at start; no admin (ATOM/REST) API.
 * - Sender links to the topic: single messages and the SDK's batches (message-format 0x80013700,
 *   one AMQP message whose data sections are the encoded messages); every subscription gets its
 *   own copy — or, for a subscription given a type filter at start (`filters`), only messages
 *   whose `subject` is one of its types, as the rule the adapter provisions
 *   (`sys.Label IN (…)`, see filterRule) would; a message no subscription takes is accepted and
 *   dropped, as by a topic without "filtering messages before publishing". The link advertises `maxMessageSize` (256 KiB, the Standard tier's limit) and a
 *   larger transfer is rejected with `amqp:link:message-size-exceeded`.
 * - Receiver links on a subscription or its dead-letter queue in peek-lock mode (unsettled,
 *   receiver-settles-second): credit-driven delivery, drain, 16-byte lock tokens as delivery tags
 *   (in .NET Guid byte order, as the service sends them), the annotations `x-opt-lock-token`,
 *   `x-opt-locked-until`, `x-opt-enqueued-time`, `x-opt-sequence-number`
 *   (`x-opt-deadletter-source` on dead letters), and the header's zero-based delivery-count.
 * - Settlement by disposition, answered with the final outcome: accepted → complete;
 *   released / modified → abandon (its message-annotations update the application properties);
 *   rejected (`com.microsoft:dead-letter`, DeadLetterReason / DeadLetterErrorDescription in the
 *   error info) → dead-letter. A lock that expired or was already settled is answered with
 *   `com.microsoft:message-lock-lost`.
 * - LockDuration and MaxDeliveryCount: a lock expires after `lockMs` and the message is
 *   delivered again; an abandon or an expiry counts a failed delivery, and at `maxDeliveries` the
 *   message moves to the dead-letter queue with reason "MaxDeliveryCountExceeded".
 * - `$management` request/response: `com.microsoft:renew-lock`, `com.microsoft:peek-message` and
 *   `com.microsoft:update-disposition` (the SDK settles through it when the receive link is gone).
 *
 * What it does not implement (the adapter does not use it): TLS, authorization of any kind,
 * sessions, deferral, scheduling, duplicate detection (message ids are stored, not compared),
 * rules as such (no SQL or correlation filters, no actions, no rule management: only the fixed
 * subject lists of `filters`), TTL and expiry, partitioning, transactions, auto-forwarding, receive-and-
 * delete mode, any other management operation (answered 501), persistence, and more than one
 * topic per fake. Its timings (lock expiry at `lockMs` to the millisecond) are tighter than a real
 * namespace's, whose LockDuration is at least 5 seconds.
 */
export interface FakeServiceBusOptions {
  topic: string;
  subscriptions: readonly string[];
  /** Every subscription's LockDuration. Default 30 s. */
  lockMs?: number;
  /** Every subscription's MaxDeliveryCount. Default 10. */
  maxDeliveries?: number;
  /** The topic's maximum message size, advertised on sender links. Default 256 KiB. */
  maxMessageSizeBytes?: number;
  /**
   * Per-subscription type filters, fixed at start (the fake has no rule management): a named
   * subscription gets only messages whose `subject` (the bus type) is listed; others get all.
   */
  filters?: Readonly<Record<string, readonly string[]>>;
}

/** What went over the topic's sender links, for tests of batching and the claim check. */
export interface FakeServiceBusStats {
  /** Transfers accepted on the topic (one per batch). */
  transfers: number;
  /** Messages accepted on the topic (a batch counts each message in it). */
  messages: number;
  /** The largest accepted transfer's encoded size. */
  largestTransferBytes: number;
}

export interface FakeServiceBus {
  /** `Endpoint=sb://127.0.0.1:{port};…;UseDevelopmentEmulator=true` */
  readonly connectionString: string;
  readonly stats: FakeServiceBusStats;
  /** Stops listening and drops every connection at once, as a lost network would. */
  close(): Promise<void>;
}

const BATCH_FORMAT = 0x80013700;
const STANDARD_TIER_MAX_MESSAGE_BYTES = 256 * 1024;
const LOCK_LOST = "com.microsoft:message-lock-lost";
const LOCK_LOST_TEXT =
  "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.";

const rhea = createRequire(import.meta.url)("rhea") as typeof Rhea;

/** rhea's outcome constructors exist at runtime but are missing from its typings. */
interface Outcome {
  described(): unknown;
}
const outcomes = rhea.message as unknown as {
  accepted(): Outcome;
  released(): Outcome;
  modified(fields: { undeliverable_here?: boolean }): Outcome;
  rejected(fields: { error?: { condition: string; description: string } }): Outcome;
};

/** The parts of rhea's Sender this fake reaches into to answer drain requests exactly. */
interface SenderFlowState {
  credit: number;
  delivery_count: number;
  _draining: boolean;
  _drained: boolean;
  _get_drain(): boolean;
  local: { attach: { snd_settle_mode?: number; rcv_settle_mode?: number; max_message_size?: number } };
}

interface Consumer {
  readonly sender: Rhea.Sender;
  readonly entity: FakeEntity;
  /** Deliveries handed to rhea on this link, sent or still queued (rhea counts only sent ones). */
  sent: number;
}

const entityKey = (path: string) => path.replace(/^\/+/, "").toLowerCase();
const isManagement = (address: string) => address.toLowerCase().endsWith("/$management");

export async function startFakeServiceBus(options: FakeServiceBusOptions): Promise<FakeServiceBus> {
  const lockMs = options.lockMs ?? 30_000;
  const maxDeliveries = options.maxDeliveries ?? 10;
  const maxMessageSize = options.maxMessageSizeBytes ?? STANDARD_TIER_MAX_MESSAGE_BYTES;
  const stats: FakeServiceBusStats = { transfers: 0, messages: 0, largestTransferBytes: 0 };

  const entities = new Map<string, FakeEntity>();
  const subscriptions: { entity: FakeEntity; subjects: ReadonlySet<string> | undefined }[] = [];
  for (const name of Object.keys(options.filters ?? {})) {
    if (!options.subscriptions.includes(name))
      throw new Error(`fake: filter for unknown subscription ${name}`);
  }
  for (const name of options.subscriptions) {
    const path = `${options.topic}/Subscriptions/${name}`;
    const deadLetters = new FakeEntity(`${path}/$DeadLetterQueue`, { lockMs, maxDeliveries: Infinity });
    const subscription = new FakeEntity(path, { lockMs, maxDeliveries }, deadLetters);
    for (const entity of [subscription, deadLetters]) {
      entities.set(entityKey(entity.path), entity);
      entity.onAvailable = () => pump(entity);
    }
    const types = options.filters?.[name];
    subscriptions.push({ entity: subscription, subjects: types && new Set(types) });
  }

  const consumers = new Map<FakeEntity, Consumer[]>();
  const consumerOf = new WeakMap<Rhea.Sender, Consumer>();
  const lockOf = new WeakMap<Rhea.Delivery, { entity: FakeEntity; token: string }>();
  /** Per connection: the links that carry `$cbs` and `$management` replies, by reply-to address. */
  const replyLinks = new WeakMap<Rhea.Connection, Map<string, Rhea.Sender>>();

  /** Sends available messages to the entity's receivers, as far as their credit goes. */
  function pump(entity: FakeEntity): void {
    const list = (consumers.get(entity) ?? []).filter((c) => c.sender.is_open());
    consumers.set(entity, list);
    let progress = true;
    while (progress) {
      progress = false;
      for (const consumer of list) {
        if (creditLeft(consumer) <= 0) continue;
        const locked = entity.lockNext();
        if (!locked) return;
        const until = locked.stored.lock?.until ?? Date.now();
        const delivery = consumer.sender.send(
          toWire(locked.stored, {
            "x-opt-lock-token": rhea.types.wrap_uuid(locked.tokenBytes),
            "x-opt-locked-until": new Date(until),
          }) as unknown as Rhea.Message,
          guidByteOrder(locked.tokenBytes),
        );
        consumer.sent++;
        lockOf.set(delivery, { entity, token: locked.token });
        progress = true;
      }
    }
  }

  function creditLeft(consumer: Consumer): number {
    const state = consumer.sender as unknown as SenderFlowState;
    return state.credit + state.delivery_count - consumer.sent;
  }

  const container = rhea.create_container({ id: "faultline-fake-service-bus" });
  container.sasl_server_mechanisms.enable_anonymous();

  // A receiver link of the client: the fake sends on it.
  container.on("sender_open", (context: Rhea.EventContext) => {
    const sender = context.sender;
    if (!sender) return;
    const address = sender.source?.address ?? "";
    sender.set_source({ address });
    sender.set_target({ address: sender.target?.address ?? "" });
    const state = sender as unknown as SenderFlowState;
    if (address === "$cbs" || isManagement(address)) {
      state.local.attach.snd_settle_mode = 1; // replies go pre-settled
      const links = replyLinks.get(context.connection) ?? new Map<string, Rhea.Sender>();
      // The SDK's reply-to is the link's target address ($management) or its name ($cbs).
      links.set(sender.name, sender);
      if (sender.target?.address) links.set(sender.target.address, sender);
      replyLinks.set(context.connection, links);
      return;
    }
    const entity = entities.get(entityKey(address));
    if (!entity) {
      sender.close({
        condition: "amqp:not-found",
        description: `The messaging entity '${address}' could not be found (fake).`,
      });
      return;
    }
    state.local.attach.snd_settle_mode = sender.snd_settle_mode;
    state.local.attach.rcv_settle_mode = sender.rcv_settle_mode;
    const consumer: Consumer = { sender, entity, sent: 0 };
    // rhea answers a drain request only while credit is left; the SDK waits for the answer even
    // when the last of the credit went to messages already on their way, so answer it always.
    state._get_drain = () => {
      if (!state._draining || !state._drained) return false;
      consumer.sent += state.credit;
      state.delivery_count += state.credit;
      state.credit = 0;
      state._draining = false;
      return true;
    };
    consumerOf.set(sender, consumer);
    consumers.set(entity, [...(consumers.get(entity) ?? []), consumer]);
  });

  container.on("sender_flow", (context: Rhea.EventContext) => {
    const consumer = context.sender && consumerOf.get(context.sender);
    if (!consumer) return;
    pump(consumer.entity);
    const state = consumer.sender as unknown as SenderFlowState;
    if (state._draining) consumer.sender.set_drained(true);
  });

  // A sender link of the client: the fake receives on it.
  container.on("receiver_open", (context: Rhea.EventContext) => {
    const receiver = context.receiver;
    if (!receiver) return;
    const address = receiver.target?.address ?? "";
    receiver.set_target({ address });
    receiver.set_source({ address: receiver.source?.address ?? "" });
    if (address === "$cbs" || isManagement(address)) return;
    if (entityKey(address) !== entityKey(options.topic)) {
      receiver.close({
        condition: "amqp:not-found",
        description: `The messaging entity '${address}' could not be found (fake).`,
      });
      return;
    }
    (receiver as unknown as SenderFlowState).local.attach.max_message_size = maxMessageSize;
  });

  container.on("message", (context: Rhea.EventContext) => {
    const { receiver, delivery } = context;
    if (!receiver || !delivery) return;
    const address = receiver.target?.address ?? "";
    const format = (context as { format?: number }).format ?? 0;
    if (address === "$cbs") {
      delivery.accept();
      const request = context.message as unknown as AmqpMessage;
      reply(context.connection, request, { "status-code": 202, "status-description": "Accepted" });
    } else if (isManagement(address)) {
      delivery.accept();
      manage(
        context.connection,
        address.slice(0, -"/$management".length),
        context.message as unknown as AmqpMessage,
      );
    } else {
      const published = decodePublished(context.message, format);
      if (published.bytes > maxMessageSize) {
        delivery.reject({
          condition: "amqp:link:message-size-exceeded",
          description: `The message of ${published.bytes} bytes exceeds the limit of ${maxMessageSize} bytes (fake).`,
        });
        return;
      }
      for (const message of published.messages) {
        for (const { entity: subscription, subjects } of subscriptions) {
          if (subjects && !subjects.has(String(message.subject ?? ""))) continue;
          subscription.enqueue({
            ...message,
            application_properties: { ...(message.application_properties ?? {}) },
            message_annotations: { ...(message.message_annotations ?? {}) },
          });
        }
      }
      stats.transfers++;
      stats.messages += published.messages.length;
      stats.largestTransferBytes = Math.max(stats.largestTransferBytes, published.bytes);
      delivery.accept();
    }
  });

  for (const event of ["accepted", "released", "modified", "rejected"] as const) {
    container.on(event, (context: Rhea.EventContext) => {
      const delivery = context.delivery;
      const lock = delivery && lockOf.get(delivery);
      if (!delivery || !lock) return;
      lockOf.delete(delivery);
      const state = (delivery.remote_state ?? {}) as Record<string, unknown>;
      const settlement = settlementOf(event, state);
      let answer: Outcome;
      if (settlement === undefined) {
        answer = outcomes.rejected({
          error: {
            condition: "amqp:not-implemented",
            description: "Deferral is not implemented by the fake.",
          },
        });
      } else if (!lock.entity.settle(lock.token, settlement)) {
        answer = outcomes.rejected({ error: { condition: LOCK_LOST, description: LOCK_LOST_TEXT } });
      } else {
        answer = echo(event);
      }
      delivery.update(true, answer.described());
      // The sender forgets a delivery once it has settled it; rhea would otherwise keep it until
      // the client settles too, which a receiver in "second" mode never tells the sender.
      (delivery as { remote_settled: boolean }).remote_settled = true;
    });
  }

  // Without listeners rhea would log or throw for these; the fake has nothing to add.
  container.on("disconnected", () => {});
  container.on("error", () => {});

  function reply(
    connection: Rhea.Connection,
    request: AmqpMessage,
    properties: Record<string, unknown>,
    body?: unknown,
  ) {
    const link = replyLinks.get(connection)?.get(String(request.reply_to ?? ""));
    if (!link?.is_open()) return;
    link.send({
      correlation_id: request.message_id,
      application_properties: properties,
      body,
    } as Rhea.Message);
  }

  function manage(connection: Rhea.Connection, entityPath: string, request: AmqpMessage) {
    const ok = (statusCode: number, body?: unknown) => reply(connection, request, { statusCode }, body);
    const fail = (statusCode: number, errorCondition: string, statusDescription: string) =>
      reply(connection, request, { statusCode, errorCondition, statusDescription });
    const entity = entities.get(entityKey(entityPath));
    if (!entity) return fail(404, "com.microsoft:entity-not-found", `No entity '${entityPath}' (fake).`);
    const operation = request.application_properties?.operation;
    const body = (request.body ?? {}) as Record<string, unknown>;
    switch (operation) {
      case "com.microsoft:renew-lock": {
        const expirations: Date[] = [];
        for (const token of lockTokens(body["lock-tokens"])) {
          const until = entity.renew(token);
          if (!until) return fail(410, LOCK_LOST, LOCK_LOST_TEXT);
          expirations.push(until);
        }
        return ok(200, { expirations });
      }
      case "com.microsoft:peek-message": {
        const from = toNumber(body["from-sequence-number"]);
        const count = toNumber(body["message-count"]);
        const peeked = entity.peek(from, count);
        if (peeked.length === 0) return ok(204);
        return ok(200, {
          messages: peeked.map((stored) => ({ message: rhea.message.encode(toWire(stored)) })),
        });
      }
      case "com.microsoft:update-disposition": {
        const settlement = settlementOfStatus(body);
        if (!settlement) return fail(501, "amqp:not-implemented", "Deferral is not implemented by the fake.");
        let lost = false;
        for (const token of lockTokens(body["lock-tokens"])) lost = !entity.settle(token, settlement) || lost;
        return lost ? fail(410, LOCK_LOST, LOCK_LOST_TEXT) : ok(200);
      }
      default:
        return fail(
          501,
          "amqp:not-implemented",
          `Operation ${String(operation)} is not implemented by the fake.`,
        );
    }
  }

  const server = container.listen({
    port: 0,
    host: "127.0.0.1",
    // The fake settles and accepts explicitly, and tells abandon (modified) from released.
    autoaccept: false,
    autosettle: false,
    treat_modified_as_released: false,
    // Deliveries whose lock expired stay unsettled on their link (as with Service Bus) and hold a
    // slot of rhea's per-session buffer until the link closes: give it room.
    session_buffer_size: 65_536,
  } as Rhea.ServerConnectionOptions);
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  let closed = false;

  return {
    connectionString: `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=fake;SharedAccessKey=fake;UseDevelopmentEmulator=true`,
    stats,
    async close() {
      if (closed) return;
      closed = true;
      for (const socket of sockets) socket.destroy();
      for (const entity of entities.values()) entity.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      container.removeAllListeners();
    },
  };
}

/** The message as it goes on the wire: as published, plus the broker's view of it. */
function toWire(stored: StoredMessage, extra: Record<string, unknown> = {}): AmqpMessage {
  return {
    ...stored.message,
    delivery_count: stored.deliveryCount,
    message_annotations: {
      ...(stored.message.message_annotations ?? {}),
      "x-opt-sequence-number": rhea.types.wrap_long(stored.sequenceNumber),
      "x-opt-enqueued-time": stored.enqueuedAt,
      ...(stored.deadLetterSource ? { "x-opt-deadletter-source": stored.deadLetterSource } : {}),
      ...extra,
    },
  };
}

/** One published transfer: a single message (format 0) or an SDK batch of encoded messages. */
function decodePublished(payload: unknown, format: number): { messages: AmqpMessage[]; bytes: number } {
  if (format === BATCH_FORMAT) {
    const raw = payload as Buffer;
    const envelope = rhea.message.decode(raw) as AmqpMessage & {
      body?: { multiple?: boolean; content?: unknown };
    };
    const sections = envelope.body?.multiple
      ? (envelope.body.content as Buffer[])
      : envelope.body?.content
        ? [envelope.body.content as Buffer]
        : [];
    return {
      messages: sections.map((section) => rhea.message.decode(section) as AmqpMessage),
      bytes: raw.length,
    };
  }
  const message = payload as AmqpMessage;
  return { messages: [message], bytes: rhea.message.encode(message).length };
}

function settlementOf(
  event: "accepted" | "released" | "modified" | "rejected",
  state: Record<string, unknown>,
) {
  switch (event) {
    case "accepted":
      return { kind: "complete" } satisfies Settlement;
    case "released":
      return { kind: "abandon" } satisfies Settlement;
    case "modified":
      if (state.undeliverable_here) return undefined; // the SDK's deferral
      return { kind: "abandon", properties: asRecord(state.message_annotations) } satisfies Settlement;
    case "rejected": {
      const { DeadLetterReason, DeadLetterErrorDescription, ...properties } = asRecord(
        (state.error as { info?: unknown } | undefined)?.info,
      );
      return {
        kind: "deadLetter",
        reason: optionalString(DeadLetterReason),
        description: optionalString(DeadLetterErrorDescription),
        properties,
      } satisfies Settlement;
    }
  }
}

function settlementOfStatus(body: Record<string, unknown>): Settlement | undefined {
  const properties = asRecord(body["properties-to-modify"]);
  switch (body["disposition-status"]) {
    case "completed":
      return { kind: "complete" };
    case "abandoned":
      return { kind: "abandon", properties };
    case "suspended":
      return {
        kind: "deadLetter",
        reason: optionalString(body["deadletter-reason"]),
        description: optionalString(body["deadletter-description"]),
        properties,
      };
    default:
      return undefined;
  }
}

function echo(event: "accepted" | "released" | "modified" | "rejected"): Outcome {
  switch (event) {
    case "accepted":
      return outcomes.accepted();
    case "released":
      return outcomes.released();
    case "modified":
      return outcomes.modified({ undeliverable_here: false });
    case "rejected":
      return outcomes.rejected({});
  }
}

function lockTokens(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((token) => (Buffer.isBuffer(token) ? uuidToString(token) : String(token).toLowerCase()));
}

function toNumber(value: unknown): number {
  if (Buffer.isBuffer(value)) return Number(value.readBigInt64BE(0));
  return Number(value);
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" ? { ...(value as Record<string, unknown>) } : {};
}

function optionalString(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}
