/**
 * Looks up a log's burst limit in the database: messages per minute, null for no limit (also
 * for a log that no longer exists: its key stops working on its own).
 */
export type FindBurstLimit = (logId: string) => Promise<number | null>;

export interface BurstLimitCacheOptions {
  /** How long a limit is trusted; a change on the settings page takes effect within this. */
  ttlMs?: number;
  /** Logs remembered at most; the oldest go first. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  limit: number | null;
  expiresAt: number;
}

/**
 * Burst limits for the hot path, like the key cache: answers from memory for ttlMs and shares
 * one database lookup between concurrent requests of the same log. Only logs whose key was
 * accepted get here, so the entries are bounded by real logs, not by what clients send.
 */
export class BurstLimitCache {
  readonly #find: FindBurstLimit;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #lookups = new Map<string, Promise<number | null>>();

  constructor(find: FindBurstLimit, options: BurstLimitCacheOptions = {}) {
    this.#find = find;
    this.#ttlMs = options.ttlMs ?? 10_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The log's limit as of at most ttlMs ago. When the database cannot answer, a limit known
   * before is used a while longer (a database hiccup must not lift every limit, nor refuse
   * every message); with none known, the lookup's error is thrown.
   */
  lookup(logId: string): Promise<number | null> {
    const hit = this.#entries.get(logId);
    if (hit && hit.expiresAt > this.#now()) return Promise.resolve(hit.limit);
    const pending = this.#lookups.get(logId);
    if (pending) return pending;
    const lookup = this.#find(logId).then(
      (limit) => {
        this.#lookups.delete(logId);
        this.#remember(logId, limit);
        return limit;
      },
      (error: unknown) => {
        this.#lookups.delete(logId);
        if (hit) return hit.limit;
        throw error;
      },
    );
    this.#lookups.set(logId, lookup);
    return lookup;
  }

  #remember(logId: string, limit: number | null): void {
    this.#entries.delete(logId);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(logId, { limit, expiresAt: this.#now() + this.#ttlMs });
  }
}
