import { randomBytes, randomUUID } from "node:crypto";
import { BlobServiceClient } from "@azure/storage-blob";
import type { CanonicalMessage } from "@faultline/core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createAzureBlobArchive, toKeyOrder } from "./azure-blob";
import { type RunningAzurite, startAzurite } from "./azurite";
import { describeArchiveContract, describeContract } from "./contract";
import { createArchiveStore } from "./index";
import { compareKeys } from "./keys";
import { archiveMessages, readArchivedMessages } from "./messages";
import { type ArchiveEntry, ArchiveNotFoundError, type ArchiveStore } from "./types";

/**
 * Azurite runs inside the test process. It is started while the file is collected rather than in
 * a beforeAll, because whether it could start decides whether the suites are registered as
 * skipped (with the reason) — which has to be known before they are registered. On CI a missing
 * emulator is a failure, never a skip.
 */
async function start(): Promise<{ azurite: RunningAzurite } | { skipReason: string }> {
  try {
    return { azurite: await startAzurite() };
  } catch (error) {
    const reason = `Azurite could not be started in-process: ${error instanceof Error ? error.message : String(error)}`;
    if (process.env.CI)
      throw new Error(`${reason} (CI is set, so this fails instead of skipping)`, { cause: error });
    return { skipReason: reason };
  }
}
const started = await start();
const azurite = "azurite" in started ? started.azurite : undefined;
const skipReason = "skipReason" in started ? started.skipReason : undefined;
afterAll(async () => {
  await azurite?.stop();
});

function connectionString(): string {
  if (azurite === undefined) throw new Error("Azurite is not running");
  return azurite.connectionString;
}

/** A container name no other test uses, so every store starts empty. */
const freshContainer = () => `test-${randomBytes(8).toString("hex")}`;

async function deleteContainer(container: string): Promise<void> {
  await BlobServiceClient.fromConnectionString(connectionString())
    .getContainerClient(container)
    .deleteIfExists();
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describeArchiveContract(
  "azure-blob (Azurite)",
  async () => {
    const container = freshContainer();
    const store = await createAzureBlobArchive({ connectionString: connectionString(), container });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await deleteContainer(container);
      },
    };
  },
  { skipReason },
);

describeContract("azure-blob archive (Azurite)", skipReason, () => {
  const containers: string[] = [];
  const stores: ArchiveStore[] = [];
  async function open(
    options: { listPageSize?: number } = {},
  ): Promise<{ store: ArchiveStore; container: string }> {
    const container = freshContainer();
    containers.push(container);
    const store = await createAzureBlobArchive({
      connectionString: connectionString(),
      container,
      ...options,
    });
    stores.push(store);
    return { store, container };
  }
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const container of containers.splice(0)) await deleteContainer(container);
  });

  it("creates its container and stores a key as the blob of the same name, gzip labelled as such", async () => {
    const { store, container } = await open();
    await store.put("log/2026/11/21/13/batch.ndjson.gz", new Uint8Array([0x1f, 0x8b, 0]));
    await store.put("log/notes.bin", new Uint8Array([1]));
    const blobs = BlobServiceClient.fromConnectionString(connectionString()).getContainerClient(container);
    const listed = await collect(blobs.listBlobsFlat());
    expect(listed.map((b) => [b.name, b.properties.contentType, b.properties.contentLength])).toEqual([
      ["log/2026/11/21/13/batch.ndjson.gz", "application/gzip", 3],
      ["log/notes.bin", "application/octet-stream", 1],
    ]);
    expect(store.description).toBe(`azure-blob (${blobs.url})`);
  });

  it("opening an existing container keeps what it holds", async () => {
    const { store, container } = await open();
    await store.put("kept/a.bin", new Uint8Array([7]));
    const again = await createAzureBlobArchive({ connectionString: connectionString(), container });
    stores.push(again);
    expect(Array.from(await again.get("kept/a.bin"))).toEqual([7]);
  });

  it("get of a missing key throws ArchiveNotFoundError naming the key", async () => {
    const { store } = await open();
    await expect(store.get("log/2026/missing.ndjson.gz")).rejects.toThrow(ArchiveNotFoundError);
    await expect(store.get("log/2026/missing.ndjson.gz")).rejects.toThrow(/"log\/2026\/missing\.ndjson\.gz"/);
  });

  it("get after the container was deleted says so instead of 'not found'", async () => {
    const { store, container } = await open();
    await deleteContainer(container);
    const error = await store.get("a/b.bin").catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ArchiveNotFoundError);
    expect(String(error)).toMatch(/no longer exists/);
  });

  it("lists across many pages in key order, re-ordering what Azurite sorts by UTF-16 unit", async () => {
    const { store, container } = await open({ listPageSize: 2 });
    // Azurite itself pages at this size: without following continuation tokens the adapter
    // would see only the first two.
    const direct = BlobServiceClient.fromConnectionString(connectionString()).getContainerClient(container);
    const keys = [
      ...Array.from({ length: 9 }, (_, i) => `p/${String(i).padStart(2, "0")}.bin`),
      "p/x/\ue000.bin",
      "p/x/💥.bin",
      "p/x/😀/a.bin",
      "p/x/\ufffd.bin",
      "p/y.bin",
    ];
    for (const key of [...keys].reverse()) await store.put(key, new TextEncoder().encode(key));
    const firstPage = (await direct.listBlobsFlat({ prefix: "p/" }).byPage({ maxPageSize: 2 }).next()).value;
    expect(firstPage?.segment.blobItems).toHaveLength(2);
    expect(firstPage?.continuationToken).toBeTruthy();
    // Azurite's own order puts astral characters first; the store must not.
    const raw = (await collect(direct.listBlobsFlat({ prefix: "p/x/" }))).map((b) => b.name);
    expect(raw.indexOf("p/x/💥.bin")).toBeLessThan(raw.indexOf("p/x/\ue000.bin"));

    const listed = await collect(store.list("p/"));
    expect(listed.map((e) => e.key)).toEqual([...keys].sort(compareKeys));
    expect(listed.every((e) => e.size === new TextEncoder().encode(e.key).byteLength)).toBe(true);
    // A prefix that ends inside a surrogate pair still finds the emoji.
    expect((await collect(store.list("p/x/\ud83d"))).map((e) => e.key)).toEqual([
      "p/x/💥.bin",
      "p/x/😀/a.bin",
    ]);
  });

  it("lists more than one service page at the default page size (5,000)", { timeout: 120_000 }, async () => {
    const { store } = await open();
    const count = 5_003;
    const keys = Array.from({ length: count }, (_, i) => `many/${String(i).padStart(5, "0")}`);
    const tiny = new Uint8Array([1]);
    // 32 at a time: quick against Azurite without queueing thousands of requests at once.
    for (let i = 0; i < keys.length; i += 32)
      await Promise.all(keys.slice(i, i + 32).map((k) => store.put(k, tiny)));
    const listed = await collect(store.list("many/"));
    expect(listed).toHaveLength(count);
    expect(listed.map((e) => e.key)).toEqual(keys);
  });

  it("leaves blobs whose names are not valid keys out of listings", async () => {
    const { store, container } = await open();
    const direct = BlobServiceClient.fromConnectionString(connectionString()).getContainerClient(container);
    await direct.getBlockBlobClient("v/.hidden").uploadData(Buffer.from("x"));
    await direct.getBlockBlobClient("v//double").uploadData(Buffer.from("x"));
    await store.put("v/ok.bin", new Uint8Array([1]));
    expect((await collect(store.list("v/"))).map((e) => e.key)).toEqual(["v/ok.bin"]);
  });

  it("archived messages read back exactly, once per id", async () => {
    const { store } = await open();
    const logId = randomUUID();
    const message = (receivedAt: string, title: string): CanonicalMessage => ({
      id: randomUUID(),
      logId,
      receivedAt,
      format: "native",
      fingerprint: "fp",
      title,
      severity: "Error",
      dateTime: receivedAt,
      cookies: [],
      form: [],
      queryString: [],
      serverVariables: [],
      data: [{ key: "k", value: "v" }],
      breadcrumbs: [],
    });
    const m1 = message("2026-11-21T13:05:00.000Z", "first ✓");
    const m2 = message("2026-11-21T13:59:59.999Z", "second\nline");
    const m3 = message("2026-11-21T14:00:00.000Z", "next hour");
    const keys = await archiveMessages(store, [m1, m2, m3]);
    expect(keys).toHaveLength(2);
    // A redelivery composed differently: m2 then sits in two blobs and is still read once.
    await archiveMessages(store, [m2]);
    const read = await collect(readArchivedMessages(store, `${logId}/`));
    const byId = (a: CanonicalMessage, b: CanonicalMessage) => a.id.localeCompare(b.id);
    expect(read.sort(byId)).toEqual([m1, m2, m3].sort(byId));
    expect(await collect(readArchivedMessages(store, `${logId}/2026/11/21/14/`))).toEqual([m3]);
  });

  it("createArchiveStore opens the Azure store for kind azure-blob", async () => {
    const container = freshContainer();
    containers.push(container);
    const store = await createArchiveStore({
      kind: "azure-blob",
      connectionString: connectionString(),
      container,
    });
    stores.push(store);
    expect(store.description).toMatch(
      new RegExp(`^azure-blob \\(http://127\\.0\\.0\\.1:\\d+/devstoreaccount1/${container}\\)$`),
    );
    await store.put("f/x.bin", new Uint8Array([5]));
    expect(Array.from(await store.get("f/x.bin"))).toEqual([5]);
  });

  it("a bad container name or an unreachable service is a startup error that says which", async () => {
    await expect(
      createAzureBlobArchive({ connectionString: connectionString(), container: "Bad_Name" }),
    ).rejects.toThrow(/invalid Azure blob container name "Bad_Name"/);
    // A port nothing listens on; no retries, so the refusal surfaces at once.
    const refused = connectionString().replace(/127\.0\.0\.1:\d+/, "127.0.0.1:1");
    const error = await createAzureBlobArchive({
      connectionString: refused,
      container: freshContainer(),
      pipeline: { retryOptions: { maxTries: 1 } },
    }).catch((e: unknown) => e);
    expect(String(error)).toMatch(
      /archive container http:\/\/127\.0\.0\.1:1\/devstoreaccount1\/test-[0-9a-f]+ could not be created or reached/,
    );
    expect(String(error)).not.toContain("AccountKey");
    await expect(
      createAzureBlobArchive({ connectionString: "nonsense", container: "archive" }),
    ).rejects.toThrow(/connection string cannot be used/);
  });

  it("calls after close throw", async () => {
    const { store } = await open();
    await store.close();
    await expect(store.put("a/b.bin", new Uint8Array(1))).rejects.toThrow(/closed/);
    await expect(store.get("a/b.bin")).rejects.toThrow(/closed/);
    await expect(collect(store.list(""))).rejects.toThrow(/closed/);
  });
});

describe("toKeyOrder", () => {
  /** JavaScript's default string order: by UTF-16 code unit, as Azurite lists. */
  const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const entries = (keys: string[]): AsyncIterable<ArchiveEntry> =>
    (async function* () {
      for (const key of keys) yield { key, size: 0 };
    })();

  it("turns UTF-16 order and code point order alike into code point order", async () => {
    // Characters around the one place the two orders differ.
    const alphabet = ["a", "/", "\ud7ff", "\ue000", "\ufffd", "💥", "😀", "𐀀"];
    // A fixed-seed generator, so a failure can be replayed; its high bits, as the low bits of a
    // power-of-two LCG repeat quickly.
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 16;
    };
    for (let round = 0; round < 200; round++) {
      const keys = new Set<string>();
      const size = 1 + (next() % 12);
      while (keys.size < size) {
        let key = "";
        const length = 1 + (next() % 4);
        for (let i = 0; i < length; i++) key += alphabet[next() % alphabet.length];
        keys.add(key);
      }
      const expected = [...keys].sort(compareKeys);
      const fromUtf16 = (await collect(toKeyOrder(entries([...keys].sort(byCodeUnit))))).map((e) => e.key);
      expect(fromUtf16).toEqual(expected);
      const fromCodePoints = (await collect(toKeyOrder(entries(expected)))).map((e) => e.key);
      expect(fromCodePoints).toEqual(expected);
    }
  });

  it("passes keys without surrogates straight through, holding nothing back", async () => {
    const seen: string[] = [];
    async function* source(): AsyncGenerator<ArchiveEntry> {
      for (const key of ["a/1", "a/2", "a/3"]) {
        seen.push(key);
        yield { key, size: 0 };
      }
    }
    const order = toKeyOrder(source());
    expect((await order.next()).value?.key).toBe("a/1");
    expect(seen).toEqual(["a/1"]);
  });
});
