import { describe, expect, it } from "vitest";
import { keyFromEnvelopeDsn, parseProjectId } from "./auth";

describe("sentry auth helpers", () => {
  it("accepts positive integer project ids only", () => {
    expect(parseProjectId("42")).toBe(42);
    expect(["0", "-1", "1.5", "abc", "01", "9".repeat(20), ""].map(parseProjectId)).toEqual(
      Array(7).fill(null),
    );
  });

  it("takes the public key from an envelope header's dsn", () => {
    expect(keyFromEnvelopeDsn("http://abc123@localhost:3100/7")).toBe("abc123");
    expect(keyFromEnvelopeDsn("http://localhost:3100/7")).toBeUndefined();
    expect(keyFromEnvelopeDsn(42)).toBeUndefined();
  });
});
