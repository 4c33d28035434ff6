import { describe, expect, it } from "vitest";
import { exceedsDepth, parseJsonBytes } from "./json-body";

const bytes = (s: string) => Buffer.from(s, "utf8");

describe("parseJsonBytes", () => {
  it("parses UTF-8 JSON, with or without a byte-order mark", () => {
    expect(parseJsonBytes(bytes('{"title":"Grüße ✓ \uFFFD"}'))).toEqual({
      kind: "parsed",
      value: { title: "Grüße ✓ \uFFFD" },
    });
    expect(parseJsonBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes('{"a":1}')]))).toEqual({
      kind: "parsed",
      value: { a: 1 },
    });
  });

  it.each([
    ["a lone continuation byte", [0x80]],
    ["an invalid start byte", [0xff, 0xfe]],
    ["an overlong encoding of /", [0xc0, 0xaf]],
    ["an encoded surrogate", [0xed, 0xa0, 0x80]],
    ["a truncated sequence", [0xe2, 0x82]],
  ])("refuses invalid UTF-8 (%s) instead of replacing it", (_name, bad) => {
    const body = Buffer.concat([bytes('{"title":"'), Buffer.from(bad), bytes('"}')]);
    expect(parseJsonBytes(body)).toMatchObject({ kind: "rejected", error: "invalid_utf8" });
  });

  it("refuses an empty or blank body", () => {
    expect(parseJsonBytes(Buffer.alloc(0))).toMatchObject({ error: "empty_body" });
    expect(parseJsonBytes(bytes(" \n\t"))).toMatchObject({ error: "empty_body" });
  });

  it("refuses nesting deeper than the cap, counting only brackets outside strings", () => {
    const nested = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    expect(parseJsonBytes(bytes(nested(64)), 64)).toMatchObject({ kind: "parsed" });
    expect(parseJsonBytes(bytes(nested(65)), 64)).toEqual({
      kind: "rejected",
      error: "too_deep",
      message: "the JSON is nested deeper than 64 levels",
    });
    // 200,000 levels: no recursion anywhere, so no stack overflow.
    expect(parseJsonBytes(bytes(nested(200_000)), 64)).toMatchObject({ error: "too_deep" });
    const inString = JSON.stringify({ title: `${"[".repeat(500)}\\"{{{` });
    expect(parseJsonBytes(bytes(inString), 2)).toMatchObject({ kind: "parsed" });
  });

  it("refuses invalid JSON and prototype-poisoning keys", () => {
    expect(parseJsonBytes(bytes("{ title: "))).toMatchObject({ error: "invalid_json" });
    expect(parseJsonBytes(bytes('{"title":"x","__proto__":{"admin":true}}'))).toMatchObject({
      error: "invalid_json",
      message: expect.stringContaining("__proto__"),
    });
    expect(parseJsonBytes(bytes('{"constructor":{"prototype":{"admin":true}}}'))).toMatchObject({
      error: "invalid_json",
    });
    expect(parseJsonBytes(bytes('{"title":"the constructor failed"}'))).toMatchObject({ kind: "parsed" });
  });
});

describe("exceedsDepth", () => {
  it("treats escaped quotes inside strings correctly", () => {
    expect(exceedsDepth('["\\\\", [[1]]]', 2)).toBe(true);
    expect(exceedsDepth('["\\"[[[[", 1]', 1)).toBe(false);
  });
});
