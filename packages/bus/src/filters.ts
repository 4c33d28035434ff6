import type { BusOptions } from "./types";

/** The longest filter type: RabbitMQ routes by type, and a routing key is at most 255 bytes. */
export const MAX_TYPE_BYTES = 255;

/**
 * Checks `options.filters` against the rules in BusOptions.filters and returns the filter of
 * each subscription (undefined: every type), so that every adapter rejects the same mistakes
 * at start rather than routing them somehow. `adapter` prefixes the error messages.
 */
export function subscriptionFilters(
  adapter: string,
  options: Pick<BusOptions, "subscriptions" | "filters">,
): Map<string, readonly string[] | undefined> {
  const filters = options.filters ?? {};
  if (typeof filters !== "object" || filters === null || Array.isArray(filters)) {
    throw new Error(`${adapter}: filters must map subscription names to lists of message types`);
  }
  for (const name of Object.keys(filters)) {
    if (!options.subscriptions.includes(name)) {
      // A filter for a subscription this bus does not create is almost certainly a typo, and
      // applying none would deliver everything to the one that was meant.
      throw new Error(
        `${adapter}: filters name subscription ${JSON.stringify(name)}, which is not in subscriptions (${options.subscriptions.map((s) => JSON.stringify(s)).join(", ") || "none"})`,
      );
    }
  }
  const result = new Map<string, readonly string[] | undefined>();
  for (const name of options.subscriptions) {
    const types = Object.hasOwn(filters, name) ? filters[name] : undefined;
    if (types === undefined) {
      result.set(name, undefined);
      continue;
    }
    if (!Array.isArray(types)) {
      throw new Error(
        `${adapter}: the filter of subscription ${JSON.stringify(name)} must be a list of types`,
      );
    }
    for (const type of types) {
      if (typeof type !== "string" || type === "" || Buffer.byteLength(type) > MAX_TYPE_BYTES) {
        throw new Error(
          `${adapter}: the filter of subscription ${JSON.stringify(name)} has type ${JSON.stringify(type)}; types are non-empty strings of at most ${MAX_TYPE_BYTES} bytes`,
        );
      }
      if (/[*#]/.test(type)) {
        throw new Error(
          `${adapter}: the filter of subscription ${JSON.stringify(name)} has type ${JSON.stringify(type)}; "*" and "#" are not allowed (they are wildcards in RabbitMQ's routing)`,
        );
      }
    }
    result.set(name, [...new Set(types)].sort());
  }
  return result;
}
