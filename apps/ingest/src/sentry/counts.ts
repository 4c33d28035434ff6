/**
 * Item types an SDK sends in envelopes. Counting by the type as sent would let a client grow the
 * counter table (and the metrics output) without bound, so anything not on this list counts as
 * "other".
 */
export const KNOWN_ITEM_TYPES = [
  "event",
  "transaction",
  "session",
  "sessions",
  "client_report",
  "attachment",
  "user_report",
  "feedback",
  "profile",
  "profile_chunk",
  "replay_event",
  "replay_recording",
  "replay_video",
  "check_in",
  "statsd",
  "metric_meta",
  "span",
  "otel_span",
  "log",
  "otel_log",
  "trace_metric",
  "security",
  "nel",
  "other",
] as const;
export type SentryItemType = (typeof KNOWN_ITEM_TYPES)[number];

const KNOWN = new Set<string>(KNOWN_ITEM_TYPES);

/**
 * Envelope items received on the Sentry routes since the process started, per item type
 * (`event` counts event items published; the others are accepted and only counted). Store
 * bodies count as `event` (or `transaction`). Read by the metrics endpoint.
 */
export const sentryItemCounts: Record<SentryItemType, number> = Object.fromEntries(
  KNOWN_ITEM_TYPES.map((t) => [t, 0]),
) as Record<SentryItemType, number>;

export function countItem(type: string): SentryItemType {
  const key = (KNOWN.has(type) ? type : "other") as SentryItemType;
  sentryItemCounts[key] += 1;
  return key;
}

/** At most this many reason/category pairs are tracked; later new pairs count as other/other. */
const MAX_DISCARD_KEYS = 200;
const WORD = /^[a-z0-9_.-]{1,64}$/i;

/**
 * What SDKs report they dropped before sending (client_report `discarded_events`), summed per
 * `reason` and `category` since the process started, keyed `reason/category` (e.g.
 * `queue_overflow/error`, `sample_rate/transaction`). Read by the metrics endpoint.
 */
export const sentryDiscardedEvents = new Map<
  string,
  { reason: string; category: string; quantity: number }
>();

export function countDiscarded(reason: string, category: string, quantity: number): void {
  let r = WORD.test(reason) ? reason : "other";
  let c = WORD.test(category) ? category : "other";
  let key = `${r}/${c}`;
  if (!sentryDiscardedEvents.has(key) && sentryDiscardedEvents.size >= MAX_DISCARD_KEYS) {
    r = "other";
    c = "other";
    key = "other/other";
  }
  const entry = sentryDiscardedEvents.get(key);
  if (entry) entry.quantity += quantity;
  else sentryDiscardedEvents.set(key, { reason: r, category: c, quantity });
}
