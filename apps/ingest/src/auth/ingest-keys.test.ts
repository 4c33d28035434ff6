import { revokeIngestKey } from "@faultline/db";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, type TestEnvironment } from "../test-environment";
import { authorizeForLog, IngestKeyCache } from "./ingest-keys";

let env: TestEnvironment;
let clock: number;
let dbLookups: number;

beforeEach(async () => {
  env = await openTestEnvironment();
  clock = 1_000_000;
  dbLookups = 0;
});

afterEach(async () => {
  await env.close();
});

function cache(options: { ttlMs?: number; negativeTtlMs?: number; maxEntries?: number } = {}) {
  return new IngestKeyCache(
    (secret) => {
      dbLookups++;
      return env.findIngestKey(secret);
    },
    { now: () => clock, ...options },
  );
}

describe("IngestKeyCache", () => {
  it("answers from memory within the TTL and asks the database again after it", async () => {
    const keys = cache({ ttlMs: 10_000 });
    expect(await keys.lookup(env.log.secret)).toMatchObject({ logId: env.log.logId, keyId: env.log.keyId });
    clock += 9_999;
    await keys.lookup(env.log.secret);
    expect(dbLookups).toBe(1);
    clock += 1;
    await revokeIngestKey(env.db, env.log.logId, env.log.keyId);
    expect(await keys.lookup(env.log.secret)).toBeNull();
    expect(dbLookups).toBe(2);
  });

  it("remembers unknown keys briefly, so a flood of one bad key costs one lookup per period", async () => {
    const keys = cache({ negativeTtlMs: 2_000 });
    for (let i = 0; i < 100; i++) expect(await keys.lookup("f".repeat(32))).toBeNull();
    expect(dbLookups).toBe(1);
    clock += 2_000;
    await keys.lookup("f".repeat(32));
    expect(dbLookups).toBe(2);
  });

  it("shares one database lookup between concurrent requests with the same key", async () => {
    const keys = cache();
    const answers = await Promise.all(Array.from({ length: 50 }, () => keys.lookup(env.log.secret)));
    expect(new Set(answers.map((a) => a?.logId))).toEqual(new Set([env.log.logId]));
    expect(dbLookups).toBe(1);
  });

  it("keeps at most maxEntries keys, dropping the oldest", async () => {
    const keys = cache({ maxEntries: 2 });
    await keys.lookup(env.log.secret);
    await keys.lookup("a".repeat(32));
    await keys.lookup("b".repeat(32));
    expect(dbLookups).toBe(3);
    await keys.lookup(env.log.secret);
    expect(dbLookups).toBe(4);
  });

  it("does not ask the database about something far too long to be a key", async () => {
    const keys = cache();
    expect(await keys.lookup("k".repeat(10_000))).toBeNull();
    expect(dbLookups).toBe(0);
  });
});

describe("authorizeForLog", () => {
  it("authorizes the log's own key and tells a missing, unknown and wrong-log key apart", async () => {
    const keys = cache();
    expect(await authorizeForLog(keys, env.log.secret, env.log.logId)).toMatchObject({ kind: "authorized" });
    expect(await authorizeForLog(keys, undefined, env.log.logId)).toMatchObject({
      code: "UNAUTHORIZED",
      error: "missing_api_key",
    });
    expect(await authorizeForLog(keys, "0".repeat(32), env.log.logId)).toMatchObject({
      code: "UNAUTHORIZED",
      error: "invalid_api_key",
    });
    expect(await authorizeForLog(keys, env.otherLog.secret, env.log.logId)).toMatchObject({
      code: "FORBIDDEN",
      error: "wrong_log",
    });
  });
});
