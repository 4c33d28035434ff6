import type { BusConfig } from "@faultline/config";
import { createSqliteBus } from "./sqlite";
import type { Bus } from "./types";

export * from "./types";

/**
 * Creates the bus chosen by configuration. Call it once at process start and log
 * `bus.description`, so the adapter in use is never a guess.
 *
 * Each kind is a case of an exhaustive switch: adding a kind to BusConfig without handling it here
 * is a compile error, and a kind that slipped past validation (say, a typo in a config file read
 * without the schema) is a startup error rather than a silent fallback to the embedded bus.
 */
export function createBus(config: BusConfig, options: { subscriptions: readonly string[] }): Bus {
  switch (config.kind) {
    case "sqlite":
      return createSqliteBus({
        file: config.file,
        lockMs: config.lockMs,
        maxDeliveries: config.maxDeliveries,
        subscriptions: options.subscriptions,
      });
    // "rabbitmq" and "azure-service-bus" join here once BusConfig knows them.
    default: {
      const unknownKind: never = config.kind;
      throw new Error(`unknown bus kind ${JSON.stringify(unknownKind)}; known kinds: "sqlite"`);
    }
  }
}
