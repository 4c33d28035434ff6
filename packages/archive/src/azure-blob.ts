import { BlobServiceClient, type StoragePipelineOptions } from "@azure/storage-blob";
import { compareKeys, keySegments, splitPrefix, validateKey } from "./keys";
import { type ArchiveEntry, ArchiveNotFoundError, type ArchiveStore } from "./types";

export interface AzureBlobArchiveOptions {
  /** A storage account connection string (account key or SAS), e.g. Azurite's development one. */
  connectionString: string;
  /** The container that holds the archive; created if missing. */
  container: string;
  /**
   * Blobs per List Blobs request. The service's own limit (5,000) when omitted; smaller values
   * exist so tests can cross page boundaries without writing thousands of blobs.
   */
  listPageSize?: number;
  /** Passed to the SDK's pipeline, e.g. `retryOptions` to fail faster than its defaults. */
  pipeline?: StoragePipelineOptions;
}

/**
 * The archive in Azure Blob Storage: one container, one block blob per key, the key used as the
 * blob name unchanged, so the container can be browsed and copied with Azure's own tools.
 *
 * - put uploads the whole blob (uploadData) and resolves once the service acknowledged it, which
 *   Azure does only after the data is stored durably; a blob already there is replaced.
 * - get reads a consistent version: it pins the ETag it saw first, so a put racing with it
 *   cannot mix two versions' bytes in one answer.
 * - list pages through List Blobs with the prefix and yields in key order (code point order,
 *   compareKeys); see toKeyOrder for why the service's order is not taken as is.
 *
 * Keys are checked with the shared rules before any request, so a key that works here works with
 * the folder store and the other way round. Blobs in the container whose names are not valid keys
 * (written by something else) are left out of listings, as get could not read them either.
 */
export async function createAzureBlobArchive(options: AzureBlobArchiveOptions): Promise<ArchiveStore> {
  const { connectionString, container, listPageSize } = options;
  const nameProblem = containerNameProblem(container);
  if (nameProblem !== null) {
    throw new Error(`invalid Azure blob container name ${JSON.stringify(container)}: ${nameProblem}`);
  }
  if (listPageSize !== undefined && !(Number.isInteger(listPageSize) && listPageSize >= 1)) {
    throw new Error(`listPageSize must be a positive integer, got ${listPageSize}`);
  }

  let service: BlobServiceClient;
  try {
    service = BlobServiceClient.fromConnectionString(connectionString, options.pipeline);
  } catch (error) {
    // The SDK's message never repeats the string, which holds the account key; neither do we.
    throw new Error(`the Azure storage connection string cannot be used: ${describeError(error)}`, {
      cause: error,
    });
  }
  const client = service.getContainerClient(container);
  // Only origin and path: a SAS connection string would otherwise put its token in log lines.
  const where = `${new URL(client.url).origin}${new URL(client.url).pathname}`;
  const description = `azure-blob (${where})`;

  try {
    // Creating it here rather than on the first put makes a wrong account, key or endpoint a
    // startup error instead of a failing consumer.
    await client.createIfNotExists();
  } catch (error) {
    throw new Error(`archive container ${where} could not be created or reached: ${describeError(error)}`, {
      cause: error,
    });
  }

  let closed = false;
  const open = () => {
    if (closed) throw new Error(`archive ${description} is closed`);
  };
  const failure = (operation: string, key: string, error: unknown) =>
    new Error(`archive ${description}: ${operation} ${JSON.stringify(key)} failed: ${describeError(error)}`, {
      cause: error,
    });

  return {
    description,

    async put(key, data) {
      open();
      validateKey(key);
      try {
        await client.getBlockBlobClient(key).uploadData(data, {
          blobHTTPHeaders: { blobContentType: contentType(key) },
        });
      } catch (error) {
        throw failure("put", key, error);
      }
    },

    async get(key) {
      open();
      validateKey(key);
      const blob = client.getBlockBlobClient(key);
      // A put between reading the properties and the bytes changes the ETag; the pinned read then
      // fails with 412 and is simply started again. Three tries cover any realistic race.
      for (let attempt = 1; ; attempt++) {
        try {
          const properties = await blob.getProperties();
          const size = properties.contentLength ?? 0;
          // downloadToBuffer treats a count of 0 as "up to the end" and would ask again.
          if (size === 0) return new Uint8Array(0);
          const bytes = await blob.downloadToBuffer(0, size, {
            conditions: properties.etag === undefined ? {} : { ifMatch: properties.etag },
          });
          return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        } catch (error) {
          const code = errorCode(error);
          if (code === "BlobNotFound")
            throw new ArchiveNotFoundError(`no archive entry ${JSON.stringify(key)}`);
          if (code === "ContainerNotFound") {
            throw new Error(`archive container ${where} no longer exists (deleted after start?)`, {
              cause: error,
            });
          }
          if (code === "ConditionNotMet" && attempt < 3) continue;
          throw failure("get", key, error);
        }
      }
    },

    async *list(prefix) {
      open();
      const servicePrefix = listablePrefix(prefix);
      if (servicePrefix === null) return;
      const pages = client
        .listBlobsFlat({ prefix: servicePrefix === "" ? undefined : servicePrefix })
        .byPage(listPageSize === undefined ? {} : { maxPageSize: listPageSize });
      async function* entries(): AsyncGenerator<ArchiveEntry> {
        try {
          for await (const page of pages) {
            for (const item of page.segment.blobItems) {
              // The service prefix may be a little shorter than the one asked for (see listablePrefix).
              if (!item.name.startsWith(prefix) || !isValidKey(item.name)) continue;
              yield { key: item.name, size: item.properties.contentLength ?? 0 };
            }
          }
        } catch (error) {
          throw new Error(
            `archive ${description}: list ${JSON.stringify(prefix)} failed: ${describeError(error)}`,
            {
              cause: error,
            },
          );
        }
      }
      yield* toKeyOrder(entries());
    },

    async close() {
      // The SDK holds no connection of its own to release: idle keep-alive sockets do not keep
      // the process alive. Closing only makes later calls fail loudly.
      closed = true;
    },
  };
}

/**
 * Re-orders a listing into key order (compareKeys: code point order) while holding back as few
 * entries as possible.
 *
 * Azure documents listings as "alphabetical"; Azurite (3.37) sorts and pages by JavaScript string
 * comparison, i.e. by UTF-16 code unit, which differs from code point order in one place only: a
 * character from U+E000..U+FFFF sorts after an astral character (a surrogate pair) by code point
 * but before it by code unit. This accepts either order. An entry is yielded once no later entry
 * can still sort before it: with the source in code unit order, a later name can overtake one
 * only if both share everything before the entry's first surrogate and the later name has a
 * U+E000..U+FFFF character there. So an entry without surrogates — every key the archive itself
 * writes — goes straight through, and one with surrogates waits only while the listing is still
 * inside names that share its part before the first surrogate.
 */
export async function* toKeyOrder(entries: AsyncIterable<ArchiveEntry>): AsyncGenerator<ArchiveEntry> {
  // Sorted by compareKeys; almost always empty or one entry.
  const held: ArchiveEntry[] = [];
  for await (const entry of entries) {
    let at = held.length;
    while (at > 0 && compareKeys(held[at - 1]!.key, entry.key) > 0) at--;
    held.splice(at, 0, entry);
    while (held.length > 0 && !canBeOvertaken(held[0]!.key, entry.key)) yield held.shift()!;
  }
  yield* held;
}

/** Whether a name listed after `last` could still sort before `key` in key order. */
function canBeOvertaken(key: string, last: string): boolean {
  const surrogate = key.search(/[\ud800-\udfff]/);
  return surrogate !== -1 && last.startsWith(key.slice(0, surrogate));
}

/**
 * The prefix to send to the service, or null if no valid key starts with the prefix. A prefix may
 * end in the first half of a surrogate pair (a UTF-16 prefix of an emoji); that half has no
 * UTF-8 form to send, so it is left off and the caller filters by the full prefix.
 */
function listablePrefix(prefix: string): string | null {
  if (splitPrefix(prefix) === null) return null;
  const trimmed = /[\ud800-\udbff]$/.test(prefix) ? prefix.slice(0, -1) : prefix;
  return /\p{Cs}/u.test(trimmed) ? null : trimmed;
}

function isValidKey(name: string): boolean {
  try {
    keySegments(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Gzip archives are labelled as such so Azure's tools and browsers download them as files. Not
 * `Content-Encoding: gzip`: HTTP clients would then unpack them on the fly and a download would no
 * longer be the bytes that were put.
 */
function contentType(key: string): string {
  return key.endsWith(".gz") ? "application/gzip" : "application/octet-stream";
}

/** Why a container name breaks Azure's rules, or null if it follows them. */
function containerNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return "it must be 3 to 63 characters long";
  if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$/.test(name)) {
    return "it may hold only lowercase letters, digits and single hyphens, and must start and end with a letter or digit";
  }
  return null;
}

/** The storage error code (BlobNotFound, …): in the body, or only in a header for HEAD requests. */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, details } = error as { code?: unknown; details?: { errorCode?: unknown } };
  if (typeof code === "string") return code;
  return typeof details?.errorCode === "string" ? details.errorCode : undefined;
}

/** A one-line reason; the SDK's errors for HEAD requests and bad connection strings are often bare. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { statusCode?: unknown }).statusCode;
  const parts = [
    typeof status === "number" ? `HTTP ${status}` : undefined,
    errorCode(error),
    error.message.split("\n")[0] || undefined,
  ].filter((p) => p !== undefined);
  return parts.length > 0 ? [...new Set(parts)].join(" ") : error.name;
}
