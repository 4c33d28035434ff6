import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { CanonicalMessage } from "@faultline/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFolderArchive } from "./folder";
import { archiveMessages, readArchivedMessages } from "./messages";
import type { ArchiveStore } from "./types";

function message(
  logId: string,
  receivedAt: string,
  fields: Partial<CanonicalMessage> = {},
): CanonicalMessage {
  return {
    id: randomUUID(),
    logId,
    receivedAt,
    format: "native",
    fingerprint: "fp",
    title: "Something failed",
    severity: "Error",
    dateTime: receivedAt,
    cookies: [],
    form: [],
    queryString: [],
    serverVariables: [],
    data: [],
    breadcrumbs: [],
    ...fields,
  };
}

async function readAll(store: ArchiveStore, prefix: string): Promise<CanonicalMessage[]> {
  const all: CanonicalMessage[] = [];
  for await (const m of readArchivedMessages(store, prefix)) all.push(m);
  return all;
}

async function listKeys(store: ArchiveStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const e of store.list(prefix)) keys.push(e.key);
  return keys;
}

const byId = (a: CanonicalMessage, b: CanonicalMessage) => a.id.localeCompare(b.id);

describe("archived messages", () => {
  let dir: string;
  let store: ArchiveStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "faultline-archive-messages-"));
    store = createFolderArchive({ dir });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads back exactly the messages written", async () => {
    const logId = randomUUID();
    const messages = [
      message(logId, "2026-11-21T13:05:00.000Z", {
        detail: "line one\nline two",
        data: [{ key: "k", value: "v" }],
      }),
      message(logId, "2026-11-21T13:59:59.999Z", { title: "ünïcode ✓ \u2028 separators" }),
    ];
    await archiveMessages(store, messages);
    expect((await readAll(store, `${logId}/`)).sort(byId)).toEqual([...messages].sort(byId));
  });

  it("groups messages by log and UTC hour of receivedAt", async () => {
    const a = randomUUID();
    const b = randomUUID();
    const keys = await archiveMessages(store, [
      message(a, "2026-11-21T13:00:00.000Z"),
      message(a, "2026-11-21T13:59:59.999Z"),
      message(a, "2026-11-21T14:00:00.000Z"),
      // 23:30 at UTC-02:00 is 01:30 UTC the next day.
      message(a, "2026-11-21T23:30:00.000-02:00"),
      message(b, "2026-11-21T13:30:00.000Z"),
    ]);
    expect(keys).toHaveLength(4);
    expect(keys.map((k) => k.slice(0, k.lastIndexOf("/") + 1))).toEqual(
      [`${a}/2026/11/21/13/`, `${a}/2026/11/21/14/`, `${a}/2026/11/22/01/`, `${b}/2026/11/21/13/`].sort(),
    );
    for (const key of keys) expect(key).toMatch(/\/[0-9a-f]{32}\.ndjson\.gz$/);
    const firstHour = keys.find((k) => k.startsWith(`${a}/2026/11/21/13/`))!;
    const lines = gunzipSync(await store.get(firstHour))
      .toString("utf8")
      .trim()
      .split("\n");
    expect(lines).toHaveLength(2);
    expect(await readAll(store, `${a}/2026/11/21/`)).toHaveLength(3);
    expect(await readAll(store, `${b}/`)).toHaveLength(1);
  });

  it("an identical redelivered batch overwrites its blob", async () => {
    const logId = randomUUID();
    const batch = [message(logId, "2026-11-21T13:01:00Z"), message(logId, "2026-11-21T13:02:00Z")];
    const first = await archiveMessages(store, batch);
    // Redelivered in another order, with a duplicate inside: the same set of ids.
    const second = await archiveMessages(store, [batch[1]!, batch[0]!, batch[1]!]);
    expect(second).toEqual(first);
    expect(await listKeys(store, `${logId}/`)).toEqual(first);
    expect(await readAll(store, `${logId}/`)).toHaveLength(2);
  });

  it("a redelivery in a different batch is read back once per message id", async () => {
    const logId = randomUUID();
    const [m1, m2, m3] = [1, 2, 3].map((i) => message(logId, `2026-11-21T13:0${i}:00Z`)) as [
      CanonicalMessage,
      CanonicalMessage,
      CanonicalMessage,
    ];
    await archiveMessages(store, [m1, m2]);
    await archiveMessages(store, [m2, m3]);
    expect(await listKeys(store, `${logId}/`)).toHaveLength(2);
    const read = await readAll(store, `${logId}/`);
    expect(read.map((m) => m.id).sort()).toEqual([m1.id, m2.id, m3.id].sort());
  });

  it("skips blobs that are not message batches", async () => {
    const logId = randomUUID();
    await archiveMessages(store, [message(logId, "2026-11-21T13:01:00Z")]);
    await store.put(`${logId}/2026/11/21/13/notes.txt`, new TextEncoder().encode("not ndjson"));
    expect(await readAll(store, `${logId}/`)).toHaveLength(1);
  });

  it("rejects a message whose receivedAt cannot be read", async () => {
    await expect(archiveMessages(store, [message(randomUUID(), "yesterday")])).rejects.toThrow(
      /unreadable receivedAt/,
    );
  });
});
