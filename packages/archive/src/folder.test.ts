import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { describeArchiveContract } from "./contract";
import { createFolderArchive } from "./folder";
import { createArchiveStore } from "./index";
import { compareKeys } from "./keys";
import type { ArchiveEntry } from "./types";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "faultline-archive-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeArchiveContract("folder", async () => {
  const dir = tempDir();
  const store = createFolderArchive({ dir: join(dir, "archive") });
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

async function collect(entries: AsyncIterable<ArchiveEntry>): Promise<string[]> {
  const keys: string[] = [];
  for await (const e of entries) keys.push(e.key);
  return keys;
}

describe("folder archive", () => {
  it("leaves no temporary files behind and never lists one left by a crash", async () => {
    const root = join(tempDir(), "archive");
    const store = createFolderArchive({ dir: root });
    await store.put("log/2026/batch.bin", new Uint8Array([1, 2, 3]));
    await store.put("log/2026/batch.bin", new Uint8Array([4]));
    expect(readdirSync(join(root, "log", "2026"))).toEqual(["batch.bin"]);
    // What a put interrupted between write and rename would leave.
    writeFileSync(join(root, "log", "2026", ".tmp-0123456789abcdef"), "partial");
    expect(await collect(store.list(""))).toEqual(["log/2026/batch.bin"]);
  });

  it("stores a key as the path of the same name below the folder", async () => {
    const root = join(tempDir(), "archive");
    const store = createFolderArchive({ dir: root });
    await store.put("a/b/c.txt", new TextEncoder().encode("hello"));
    expect(readdirSync(join(root, "a", "b"))).toEqual(["c.txt"]);
  });

  it("calls after close throw", async () => {
    const store = createFolderArchive({ dir: tempDir() });
    await store.close();
    await expect(store.get("a")).rejects.toThrow(/closed/);
  });

  it("createArchiveStore picks the folder and names an unknown kind and the known ones", async () => {
    const store = await createArchiveStore({ kind: "folder", dir: tempDir() });
    expect(store.description).toMatch(/^folder \(/);
    await expect(createArchiveStore({ kind: "s3" } as never)).rejects.toThrow(
      'unknown archive store "s3"; supported: "folder", "azure-blob"',
    );
  });
});

describe("compareKeys", () => {
  it("orders by code point, unlike plain string comparison", () => {
    const keys = ["💥", "\uffff", "b", "a/b", "a-b", "a", ""];
    expect([...keys].sort(compareKeys)).toEqual(["", "a", "a-b", "a/b", "b", "\uffff", "💥"]);
    expect(["💥", "\uffff"].sort()).toEqual(["💥", "\uffff"]);
  });
});
