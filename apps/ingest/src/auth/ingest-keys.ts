/** What ingest needs to know about an active key. */
export interface IngestKeyInfo {
  keyId: string;
  logId: string;
  projectId: number;
}

/** Looks a key up in the database; null when no active key has that secret. */
export type FindIngestKey = (secret: string) => Promise<IngestKeyInfo | null>;

export interface IngestKeyCacheOptions {
  /** How long a found key is trusted; a revoked key keeps working at most this long. */
  ttlMs?: number;
  /**
   * How long "no such key" is remembered. Short, so a key created a moment ago starts working
   * soon, but long enough that a client hammering with a wrong key costs one lookup per period.
   */
  negativeTtlMs?: number;
  /** Entries kept at most; the oldest go first, so a flood of random keys cannot grow memory. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  info: IngestKeyInfo | null;
  expiresAt: number;
}

// Keys are 32 hex characters today; anything far longer is not a key and never reaches the db.
const MAX_KEY_LENGTH = 256;

/**
 * Key lookups for the hot path: answers from memory for ttlMs, and shares one database lookup
 * between concurrent requests carrying the same key.
 */
export class IngestKeyCache {
  readonly #find: FindIngestKey;
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #lookups = new Map<string, Promise<IngestKeyInfo | null>>();

  constructor(find: FindIngestKey, options: IngestKeyCacheOptions = {}) {
    this.#find = find;
    this.#ttlMs = options.ttlMs ?? 10_000;
    this.#negativeTtlMs = options.negativeTtlMs ?? 2_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** The key's log, or null if it is unknown or revoked (as of at most ttlMs ago). */
  lookup(secret: string): Promise<IngestKeyInfo | null> {
    if (secret.length === 0 || secret.length > MAX_KEY_LENGTH) return Promise.resolve(null);
    const hit = this.#entries.get(secret);
    if (hit && hit.expiresAt > this.#now()) return Promise.resolve(hit.info);
    const pending = this.#lookups.get(secret);
    if (pending) return pending;
    const lookup = this.#find(secret).then(
      (info) => {
        this.#lookups.delete(secret);
        this.#remember(secret, info);
        return info;
      },
      (error: unknown) => {
        // Not cached: a database hiccup must not lock a valid key out for a whole TTL.
        this.#lookups.delete(secret);
        throw error;
      },
    );
    this.#lookups.set(secret, lookup);
    return lookup;
  }

  #remember(secret: string, info: IngestKeyInfo | null): void {
    this.#entries.delete(secret);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(secret, {
      info,
      expiresAt: this.#now() + (info ? this.#ttlMs : this.#negativeTtlMs),
    });
  }
}

export type Authorization =
  | { kind: "authorized"; key: IngestKeyInfo }
  | { kind: "rejected"; code: "UNAUTHORIZED" | "FORBIDDEN"; error: string; message: string };

/**
 * Checks that the request's key is active and belongs to the log it posts to. A key of another
 * log is told so (403) rather than "unknown" (401): the client has a valid key, just the wrong
 * log id in its configuration, and the answer should say which to fix.
 */
export async function authorizeForLog(
  keys: IngestKeyCache,
  secret: string | undefined,
  logId: string,
): Promise<Authorization> {
  if (!secret) {
    return {
      kind: "rejected",
      code: "UNAUTHORIZED",
      error: "missing_api_key",
      message: "send the log's ingest key in the api_key header or query parameter",
    };
  }
  const key = await keys.lookup(secret);
  if (!key) {
    return {
      kind: "rejected",
      code: "UNAUTHORIZED",
      error: "invalid_api_key",
      message: "unknown or revoked ingest key",
    };
  }
  if (key.logId !== logId) {
    return {
      kind: "rejected",
      code: "FORBIDDEN",
      error: "wrong_log",
      message: `this ingest key belongs to another log, not ${logId}`,
    };
  }
  return { kind: "authorized", key };
}
