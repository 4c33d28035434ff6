import type { CanonicalMessage, MessageSummary, Severity } from "@faultline/core";

/**
 * Exact-match filters on keyword fields: the value must equal the message's field exactly
 * (case-sensitive, whole value); all given filters must hold.
 */
export interface FieldFilters {
  type?: string;
  source?: string;
  hostname?: string;
  application?: string;
  user?: string;
  version?: string;
  statusCode?: number;
  method?: string;
  fingerprint?: string;
  category?: string;
  correlationId?: string;
}

export const FILTER_FIELDS = [
  "type",
  "source",
  "hostname",
  "application",
  "user",
  "version",
  "statusCode",
  "method",
  "fingerprint",
  "category",
  "correlationId",
] as const satisfies readonly (keyof FieldFilters)[];

export interface SearchQuery {
  logId: string;
  /**
   * Free text: words match anywhere in title, detail, type, source, url, hostname, application,
   * user, version, category, code, correlationId and the structured exceptions; all words must
   * match. Matching is by word, case- and accent-insensitive; punctuation separates words
   * (`System.Foo` is the words system and foo; whether they must be adjacent is up to the
   * engine); a word ending in `*` (2+ characters before it, not in quotes) matches as a prefix,
   * which can be slower than whole words when the prefix is common. Any input is accepted: characters an engine would read as syntax are taken
   * literally or ignored, never an error. Filters are not parsed from it (see parseSearchText).
   */
  text?: string;
  /** Any of these severities; none or empty means all. */
  severities?: Severity[];
  filters?: FieldFilters;
  /** Inclusive lower bound on dateTime. */
  from?: Date;
  /** Exclusive upper bound on dateTime. */
  to?: Date;
  /** Page size, 1..200 (RangeError otherwise). Default 50. */
  limit?: number;
  /**
   * From a previous page's nextCursor, with the same query otherwise; messages indexed since
   * then with an older dateTime may show up on later pages, newer ones only on a new first page.
   * An unreadable cursor throws InvalidCursorError.
   */
  cursor?: string;
}

export interface SearchPage {
  /** Newest dateTime first; messages with the same dateTime in a stable order. */
  items: MessageSummary[];
  /** Pass back for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * The search index: what the product's search features read. Every message is also archived,
 * so an index can always be rebuilt.
 *
 * Several processes may use one index at once (the indexer writes, the web site reads); what one
 * has indexed is visible to the others once its index() has resolved.
 */
export interface SearchIndex {
  /** Names the engine and where it lives, for the startup log line. */
  readonly description: string;
  /**
   * Indexes the messages. Idempotent by message id: a message already present is left as it is,
   * so redelivered batches never create duplicates. Resolves once the messages are searchable.
   */
  index(messages: readonly CanonicalMessage[]): Promise<void>;
  /** One page of matches, newest first; stays fast however many messages match. */
  search(query: SearchQuery): Promise<SearchPage>;
  /** The whole message, or null if the log has no message with that id. */
  get(logId: string, id: string): Promise<CanonicalMessage | null>;
  /** Exact number of messages of a log, for dashboards and tests. */
  count(logId: string): Promise<number>;
  /** Releases the engine's resources; calling anything else afterwards throws. Idempotent. */
  close(): Promise<void>;
}
