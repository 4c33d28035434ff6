import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gunzip as gunzipCallback, gzip as gzipCallback } from "node:zlib";
import type { CanonicalMessage } from "@faultline/core";
import type { ArchiveStore } from "./types";

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

export const BATCH_SUFFIX = ".ndjson.gz";

/** `{logId}/{yyyy}/{MM}/{dd}/{HH}/` of the message's receivedAt, in UTC. */
export function hourFolder(message: CanonicalMessage): string {
  const at = new Date(message.receivedAt);
  if (Number.isNaN(at.getTime())) {
    throw new Error(
      `message ${message.id} has an unreadable receivedAt ${JSON.stringify(message.receivedAt)}`,
    );
  }
  const two = (n: number) => String(n).padStart(2, "0");
  return `${message.logId}/${at.getUTCFullYear()}/${two(at.getUTCMonth() + 1)}/${two(at.getUTCDate())}/${two(at.getUTCHours())}/`;
}

/**
 * Writes the messages to the archive as gzipped NDJSON, one blob per log and hour of receivedAt:
 * `{logId}/{yyyy}/{MM}/{dd}/{HH}/{batch}.ndjson.gz`. The batch name is a hash of the sorted
 * message ids, so a redelivered identical batch overwrites its own blob instead of adding one.
 * A redelivery that is composed differently writes a new blob and a message can then sit in two
 * blobs; readArchivedMessages drops the second copy, which together makes the archive
 * idempotent by message id. Resolves with the keys written, once every blob is durable.
 */
export async function archiveMessages(
  store: ArchiveStore,
  messages: readonly CanonicalMessage[],
): Promise<string[]> {
  const groups = new Map<string, Map<string, CanonicalMessage>>();
  for (const m of messages) {
    const folder = hourFolder(m);
    let group = groups.get(folder);
    if (!group) {
      group = new Map();
      groups.set(folder, group);
    }
    // The same id twice in one batch is one message delivered twice: keep the first.
    if (!group.has(m.id)) group.set(m.id, m);
  }
  const written = await Promise.all(
    [...groups].map(async ([folder, group]) => {
      const ids = [...group.keys()].sort();
      // 128 bits of SHA-256: distinct id sets never share a name in practice.
      const batch = createHash("sha256").update(ids.join("\n")).digest("hex").slice(0, 32);
      const ndjson = ids.map((id) => `${JSON.stringify(group.get(id))}\n`).join("");
      const key = `${folder}${batch}${BATCH_SUFFIX}`;
      await store.put(key, await gzip(ndjson));
      return key;
    }),
  );
  return written.sort();
}

/**
 * Every archived message under the prefix (e.g. `{logId}/` or `{logId}/2026/11/`), each id at
 * most once, in key order of the blobs (roughly receivedAt order, hour by hour; not sorted
 * within an hour). Copies left by redeliveries are dropped by id; as a message's receivedAt —
 * and so its hour folder — never changes, ids are remembered per hour folder only, which keeps
 * memory bounded by the busiest hour rather than the whole archive.
 */
export async function* readArchivedMessages(
  store: ArchiveStore,
  prefix: string,
): AsyncIterable<CanonicalMessage> {
  let folder: string | undefined;
  let seen = new Set<string>();
  for await (const entry of store.list(prefix)) {
    if (!entry.key.endsWith(BATCH_SUFFIX)) continue;
    const entryFolder = entry.key.slice(0, entry.key.lastIndexOf("/") + 1);
    if (entryFolder !== folder) {
      folder = entryFolder;
      seen = new Set();
    }
    const text = (await gunzip(await store.get(entry.key))).toString("utf8");
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const message = JSON.parse(line) as CanonicalMessage;
      if (seen.has(message.id)) continue;
      seen.add(message.id);
      yield message;
    }
  }
}
