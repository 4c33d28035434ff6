import { describe, expect, it } from "vitest";
import { ProjectCache } from "./projects";

describe("ProjectCache", () => {
  it("answers from memory within the TTL and remembers unknown projects for the shorter TTL", async () => {
    let now = 0;
    const asked: number[] = [];
    const cache = new ProjectCache(
      async (id) => {
        asked.push(id);
        return id === 1 ? { logId: "log-1" } : null;
      },
      { ttlMs: 1000, negativeTtlMs: 100, now: () => now },
    );
    expect(await cache.lookup(1)).toEqual({ logId: "log-1" });
    expect(await cache.lookup(2)).toBeNull();
    now = 99;
    await cache.lookup(1);
    await cache.lookup(2);
    expect(asked).toEqual([1, 2]);
    now = 101;
    await cache.lookup(2);
    await cache.lookup(1);
    expect(asked).toEqual([1, 2, 2]);
  });

  it("shares one lookup between concurrent requests, never caches a failure, ignores non-ids", async () => {
    let calls = 0;
    let fail = true;
    const cache = new ProjectCache(async () => {
      calls++;
      if (fail) throw new Error("db down");
      return { logId: "x" };
    });
    const both = await Promise.allSettled([cache.lookup(5), cache.lookup(5)]);
    expect(both.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toBe(1);
    fail = false;
    expect(await cache.lookup(5)).toEqual({ logId: "x" });
    expect(await cache.lookup(0)).toBeNull();
    expect(await cache.lookup(1.5)).toBeNull();
    expect(calls).toBe(2);
  });

  it("keeps at most maxEntries, dropping the oldest", async () => {
    const asked: number[] = [];
    const cache = new ProjectCache(
      async (id) => {
        asked.push(id);
        return null;
      },
      { maxEntries: 2 },
    );
    for (const id of [1, 2, 3, 1]) await cache.lookup(id);
    expect(asked).toEqual([1, 2, 3, 1]);
  });
});
