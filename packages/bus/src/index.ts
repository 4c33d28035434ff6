import type { BusConfig } from "@faultline/config";
import type { Bus, BusOptions, ClaimCheckStore } from "./types";

export * from "./types";

/** Every kind createBus knows, for the error about one it does not. */
const KNOWN_KINDS = ["sqlite", "rabbitmq", "azure-service-bus"] as const;

/**
 * Creates the bus chosen by configuration. Call it once at process start and log
 * `bus.description`, so the adapter in use is never a guess.
 *
 * Each kind is a case of an exhaustive switch: adding a kind to BusConfig without handling it here
 * is a compile error, and a kind that slipped past validation (say, a typo in a config file read
 * without the schema) is a startup error rather than a silent fallback to the embedded bus.
 *
 * Each adapter is imported only in its case, so a process loads only the client library of the
 * engine it uses (no native SQLite module on RabbitMQ, no amqplib on the embedded bus).
 */
export async function createBus(
  config: BusConfig,
  options: {
    subscriptions: readonly string[];
    /**
     * Per-subscription message-type filters (see BusOptions.filters). Every process passes the
     * same ones: the last bus to start sets them on the SQLite file and the RabbitMQ bindings.
     * Required (pass `{}` for none) because a process that forgot them would reset every
     * subscription to "every type" when it starts.
     */
    filters: NonNullable<BusOptions["filters"]>;
    /**
     * Where bodies too large for the bus travel (Azure Service Bus's 256 KiB Standard tier): the
     * archive store. Buses without a size limit that matters here ignore it.
     */
    claimCheck?: ClaimCheckStore;
  },
): Promise<Bus> {
  switch (config.kind) {
    case "sqlite": {
      const { createSqliteBus } = await import("./sqlite");
      return createSqliteBus({
        file: config.file,
        lockMs: config.lockMs,
        maxDeliveries: config.maxDeliveries,
        subscriptions: options.subscriptions,
        filters: options.filters,
      });
    }
    case "rabbitmq": {
      const { createRabbitMqBus } = await import("./rabbitmq");
      return createRabbitMqBus({
        url: config.url,
        exchange: config.exchange,
        lockMs: config.lockMs,
        maxDeliveries: config.maxDeliveries,
        subscriptions: options.subscriptions,
        filters: options.filters,
      });
    }
    case "azure-service-bus": {
      // The topic and its subscriptions are provisioned by infrastructure (LockDuration,
      // MaxDeliveryCount and the subscription rules that implement `filters` live there);
      // lockMs, maxDeliveries and filters only shape what the adapter provisions, if it does.
      const { createServiceBusBus } = await import("./azure-service-bus");
      return createServiceBusBus({
        connectionString: config.connectionString,
        topic: config.topic,
        lockMs: config.lockMs,
        maxDeliveries: config.maxDeliveries,
        subscriptions: options.subscriptions,
        filters: options.filters,
        claimCheck: options.claimCheck ? { store: options.claimCheck } : undefined,
      });
    }
    default: {
      const unknownKind: never = config;
      throw new Error(
        `unknown bus kind ${JSON.stringify((unknownKind as { kind?: unknown }).kind)}; known kinds: ${KNOWN_KINDS.map((k) => `"${k}"`).join(", ")}`,
      );
    }
  }
}
