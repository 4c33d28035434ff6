import type { CanonicalMessage, MessageSummary, Severity } from "@faultline/core";

/** Exact-match filters on keyword fields. */
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
  /** Free text: words match anywhere in title, detail, type, source, url, …; all words must match. */
  text?: string;
  severities?: Severity[];
  filters?: FieldFilters;
  /** Inclusive lower bound on dateTime. */
  from?: Date;
  /** Exclusive upper bound on dateTime. */
  to?: Date;
  /** Page size, 1..200. Default 50. */
  limit?: number;
  /** From a previous page's nextCursor. */
  cursor?: string;
}

export interface SearchPage {
  /** Newest dateTime first. */
  items: MessageSummary[];
  /** Pass back for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * The search index: what the product's search features read. Every message is also archived,
 * so an index can always be rebuilt.
 */
export interface SearchIndex {
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
  /** Number of messages of a log, for dashboards and tests. */
  count(logId: string): Promise<number>;
  close(): Promise<void>;
}
