import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidArchiveKeyError } from "./keys";
import { type ArchiveEntry, ArchiveNotFoundError, type ArchiveStore } from "./types";

/**
 * A contract suite that may not be able to reach its engine. With a reason, the suite is
 * registered as skipped — every test shows up as skipped, the title and a warning carry the
 * reason — so a missing engine can never pass as green. Adapter test files find the reason
 * before registering, e.g. with a top-level `await probe()` that returns a string or undefined.
 */
export function describeContract(title: string, skipReason: string | undefined, body: () => void): void {
  if (skipReason === undefined) {
    describe(title, body);
    return;
  }
  console.warn(`[contract] ${title}: SKIPPED — ${skipReason}`);
  describe.skip(`${title} (skipped: ${skipReason})`, body);
}

export interface ArchiveContractTarget {
  store: ArchiveStore;
  /** Closes the store and removes what the test wrote. */
  cleanup(): Promise<void>;
}

export interface ArchiveContractOptions {
  /** Why the engine cannot be reached; the suite is then reported as skipped with it. */
  skipReason?: string;
}

async function collect(entries: AsyncIterable<ArchiveEntry>): Promise<ArchiveEntry[]> {
  const all: ArchiveEntry[] = [];
  for await (const e of entries) all.push(e);
  return all;
}

const bytes = (text: string) => new TextEncoder().encode(text);

/**
 * The behaviour every ArchiveStore must have, written against the interface only. makeStore is
 * called before each test and must give an empty store.
 */
export function describeArchiveContract(
  name: string,
  makeStore: () => Promise<ArchiveContractTarget>,
  options: ArchiveContractOptions = {},
): void {
  describeContract(`ArchiveStore contract: ${name}`, options.skipReason, () => {
    let target: ArchiveContractTarget;
    let store: ArchiveStore;
    beforeEach(async () => {
      target = await makeStore();
      store = target.store;
    });
    afterEach(async () => {
      await target.cleanup();
    });
    const keys = async (prefix: string) => (await collect(store.list(prefix))).map((e) => e.key);

    it("get returns exactly the bytes put, binary and empty", async () => {
      const binary = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) % 256);
      await store.put("log/2026/11/21/13/batch.bin", binary);
      await store.put("log/empty.bin", new Uint8Array(0));
      expect(Buffer.from(await store.get("log/2026/11/21/13/batch.bin")).equals(Buffer.from(binary))).toBe(
        true,
      );
      expect((await store.get("log/empty.bin")).byteLength).toBe(0);
    });

    it("put replaces a blob already there", async () => {
      await store.put("a/b.txt", bytes("first version, longer"));
      await store.put("a/b.txt", bytes("second"));
      expect(new TextDecoder().decode(await store.get("a/b.txt"))).toBe("second");
      expect(await collect(store.list("a/"))).toEqual([{ key: "a/b.txt", size: 6 }]);
    });

    it("list yields the entries under a prefix in key order, with their sizes", async () => {
      const written = [
        "a/b/d.bin",
        "b/x.bin",
        "a/b-c.bin",
        "a/b.bin",
        "a/a.bin",
        "a/b/c.bin",
        "a/b0.bin",
        "ab.bin",
      ];
      for (const [i, key] of written.entries()) await store.put(key, new Uint8Array(i + 1));
      expect(await keys("a/")).toEqual([
        "a/a.bin",
        "a/b-c.bin",
        "a/b.bin",
        "a/b/c.bin",
        "a/b/d.bin",
        "a/b0.bin",
      ]);
      // A prefix need not end at a '/'.
      expect(await keys("a/b")).toEqual(["a/b-c.bin", "a/b.bin", "a/b/c.bin", "a/b/d.bin", "a/b0.bin"]);
      expect(await keys("a")).toEqual([
        "a/a.bin",
        "a/b-c.bin",
        "a/b.bin",
        "a/b/c.bin",
        "a/b/d.bin",
        "a/b0.bin",
        "ab.bin",
      ]);
      expect(await keys("")).toEqual([...written].sort());
      expect(await collect(store.list("a/b/"))).toEqual([
        { key: "a/b/c.bin", size: 6 },
        { key: "a/b/d.bin", size: 1 },
      ]);
    });

    it("list of a missing prefix is empty", async () => {
      await store.put("present/x.bin", bytes("x"));
      expect(await keys("absent/")).toEqual([]);
      expect(await keys("present/y")).toEqual([]);
      expect(await keys("present/x.bin/")).toEqual([]);
      expect(await keys("../")).toEqual([]);
    });

    it("get of a missing key throws ArchiveNotFoundError", async () => {
      await store.put("dir/file.bin", bytes("x"));
      await expect(store.get("dir/other.bin")).rejects.toThrow(ArchiveNotFoundError);
      await expect(store.get("nowhere/file.bin")).rejects.toThrow(ArchiveNotFoundError);
      // "dir" is only a prefix of a key, not a blob.
      await expect(store.get("dir")).rejects.toThrow(ArchiveNotFoundError);
      await expect(store.get("dir/file.bin/more")).rejects.toThrow(ArchiveNotFoundError);
    });

    it("keys with unusual but valid characters work", async () => {
      const unusual = [
        "odd/with space and ümlaut/日本語.bin",
        "odd/emoji-💥/x=1&y=2;#%+,@!~'()[]{}$.bin",
        "odd/\ufffd-high-bmp.bin",
        "odd/trailing.dots..",
      ];
      for (const key of unusual) await store.put(key, bytes(key));
      for (const key of unusual) expect(new TextDecoder().decode(await store.get(key))).toBe(key);
      // Key order is code point (UTF-8 byte) order: U+FFFD after ASCII, and an astral character
      // (a surrogate pair in UTF-16) after U+FFFD, where plain string `<` would put it before.
      expect(await keys("odd/")).toEqual([
        "odd/emoji-💥/x=1&y=2;#%+,@!~'()[]{}$.bin",
        "odd/trailing.dots..",
        "odd/with space and ümlaut/日本語.bin",
        "odd/\ufffd-high-bmp.bin",
      ]);
      await store.put("astral/\ufffd.bin", bytes("bmp"));
      await store.put("astral/💥.bin", bytes("astral"));
      expect(await keys("astral/")).toEqual(["astral/\ufffd.bin", "astral/💥.bin"]);
    });

    it("invalid keys are rejected with InvalidArchiveKeyError", async () => {
      const invalid = [
        "",
        "/abs.bin",
        "a//b.bin",
        "a/../b.bin",
        "..",
        "a/./b",
        "a/",
        "a\\b",
        "a/\u0000b",
        "a/\uffffb",
        "a/\ud800b",
        ".hidden",
        "x".repeat(1025),
      ];
      for (const key of invalid) {
        await expect(store.put(key, bytes("x")), JSON.stringify(key)).rejects.toThrow(InvalidArchiveKeyError);
        await expect(store.get(key), JSON.stringify(key)).rejects.toThrow(InvalidArchiveKeyError);
      }
      expect(await keys("")).toEqual([]);
    });
  });
}
