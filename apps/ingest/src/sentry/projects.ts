/** What ingest needs to know about a project id (a log's numeric Sentry id). */
export interface ProjectInfo {
  logId: string;
}

/** Looks a numeric project id up in the database; null when no log has it. */
export type FindLogByProjectId = (projectId: number) => Promise<ProjectInfo | null>;

export interface ProjectCacheOptions {
  /** How long a found project is trusted (a deleted log keeps its answer at most this long). */
  ttlMs?: number;
  /** How long "no such project" is remembered, so a client posting to a wrong id costs little. */
  negativeTtlMs?: number;
  /** Entries kept at most; the oldest go first. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  info: ProjectInfo | null;
  expiresAt: number;
}

/**
 * Project id lookups, cached like ingest keys. Only the unhappy path needs them: a key names
 * its own project, so a request whose key matches the URL never asks; one whose key does not
 * asks whether the URL's project exists at all (404) or belongs to someone else (403).
 */
export class ProjectCache {
  readonly #find: FindLogByProjectId;
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<number, Entry>();
  readonly #lookups = new Map<number, Promise<ProjectInfo | null>>();

  constructor(find: FindLogByProjectId, options: ProjectCacheOptions = {}) {
    this.#find = find;
    this.#ttlMs = options.ttlMs ?? 10_000;
    this.#negativeTtlMs = options.negativeTtlMs ?? 2_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** The project's log, or null if no log has this project id (as of at most ttlMs ago). */
  lookup(projectId: number): Promise<ProjectInfo | null> {
    if (!Number.isSafeInteger(projectId) || projectId <= 0) return Promise.resolve(null);
    const hit = this.#entries.get(projectId);
    if (hit && hit.expiresAt > this.#now()) return Promise.resolve(hit.info);
    const pending = this.#lookups.get(projectId);
    if (pending) return pending;
    const lookup = this.#find(projectId).then(
      (info) => {
        this.#lookups.delete(projectId);
        this.#entries.delete(projectId);
        if (this.#entries.size >= this.#maxEntries) {
          const oldest = this.#entries.keys().next();
          if (!oldest.done) this.#entries.delete(oldest.value);
        }
        this.#entries.set(projectId, {
          info,
          expiresAt: this.#now() + (info ? this.#ttlMs : this.#negativeTtlMs),
        });
        return info;
      },
      (error: unknown) => {
        // Not cached: a database hiccup must not turn a real project into a 404 for a TTL.
        this.#lookups.delete(projectId);
        throw error;
      },
    );
    this.#lookups.set(projectId, lookup);
    return lookup;
  }
}
