import { describe, expect, it } from "vitest";
import { newMessageId } from "./ids";
import { messageIdSchema } from "./message";
import { hashIngestKey, newIngestKey, sentryDsn } from "./keys";

describe("newMessageId", () => {
  it("is a version 7 UUID that sorts by creation time", () => {
    const ids = Array.from({ length: 2000 }, (_, i) => newMessageId(1_700_000_000_000 + Math.floor(i / 100)));
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(messageIdSchema.safeParse(ids[0]).success).toBe(true);
  });
});

describe("ingest keys", () => {
  it("are 32 hex characters, which Sentry SDKs accept as a DSN public key", () => {
    const key = newIngestKey();
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(hashIngestKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashIngestKey(key)).not.toBe(hashIngestKey(newIngestKey()));
  });

  it("build a DSN with the key as user and the numeric project id as path", () => {
    expect(sentryDsn("http://localhost:3100", "abc123", 7)).toBe("http://abc123@localhost:3100/7");
    expect(sentryDsn("https://ingest.example.com/base/", "k", 12)).toBe(
      "https://k@ingest.example.com/base/12",
    );
  });
});
