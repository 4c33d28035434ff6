import { describe, expect, it } from "vitest";
import { parseSearchText } from "./search-text";

describe("parseSearchText", () => {
  it("leaves plain words as free text", () => {
    expect(parseSearchText("  NullReference   in checkout ")).toEqual({
      text: "NullReference in checkout",
      severities: [],
      filters: {},
    });
  });

  it("reads severity filters case-insensitively, also as a comma list", () => {
    expect(parseSearchText("severity:error SEVERITY:Fatal,warning severity:ERROR boom")).toEqual({
      text: "boom",
      severities: ["Error", "Fatal", "Warning"],
      filters: {},
    });
  });

  it('reads field:value and field:"quoted value" for the filter fields', () => {
    expect(
      parseSearchText('hostname:web-01 user:"Ana Lima" CorrelationId:abc-1 timeout statusCode:503'),
    ).toEqual({
      text: "timeout",
      severities: [],
      filters: { hostname: "web-01", user: "Ana Lima", correlationId: "abc-1", statusCode: 503 },
    });
  });

  it("keeps unknown fields, invalid values and quoted phrases as free text", () => {
    expect(parseSearchText('foo:bar statusCode:abc severity:loud "exact phrase" url:/x type:')).toEqual({
      text: 'foo:bar statusCode:abc severity:loud "exact phrase" url:/x type:',
      severities: [],
      filters: {},
    });
  });

  it("lets a repeated field keep its last value", () => {
    expect(parseSearchText("type:A type:B").filters).toEqual({ type: "B" });
  });

  it("accepts an unterminated quote as running to the end", () => {
    expect(parseSearchText('application:"my shop').filters).toEqual({ application: "my shop" });
    expect(parseSearchText('"half open').text).toBe('"half open');
  });

  it("returns nothing for empty input", () => {
    expect(parseSearchText("")).toEqual({ text: "", severities: [], filters: {} });
  });
});
