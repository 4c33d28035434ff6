/** A stored blob's name and size. */
export interface ArchiveEntry {
  key: string;
  size: number;
}

/**
 * Blob storage for the archive: every message is kept here as well as in the search index, so
 * the index can always be rebuilt. Keys are '/'-separated paths such as
 * `{logId}/2026/11/21/13/{batch}.ndjson.gz`.
 */
export interface ArchiveStore {
  readonly description: string;
  /** Stores the blob durably (fsynced or acknowledged) under the key, replacing one there already. */
  put(key: string, data: Uint8Array): Promise<void>;
  /** The blob's bytes; throws ArchiveNotFoundError if there is none. */
  get(key: string): Promise<Uint8Array>;
  /** Every entry whose key starts with the prefix, in key order. */
  list(prefix: string): AsyncIterable<ArchiveEntry>;
  close(): Promise<void>;
}

export class ArchiveNotFoundError extends Error {
  override readonly name = "ArchiveNotFoundError";
}
