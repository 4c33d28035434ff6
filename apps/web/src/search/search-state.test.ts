import { describe, expect, it } from "vitest";
import {
  emptySearch,
  isFiltered,
  parseSearchState,
  searchBounds,
  serializeSearchState,
} from "./search-state";

const parse = (query: string) => parseSearchState(new URLSearchParams(query));

describe("search state in the URL", () => {
  it("round-trips a full search", () => {
    const state = {
      query: "timeout type:TaskCanceledException",
      severities: ["Error" as const, "Fatal" as const],
      range: "custom" as const,
      from: "2026-11-20T10:00:00.000Z",
      to: "2026-11-21T10:00:00.000Z",
      cursors: ["abc", "def"],
    };
    expect(parse(serializeSearchState(state))).toEqual(state);
  });

  it("leaves defaults out, so the plain search page has a plain URL", () => {
    expect(serializeSearchState(emptySearch)).toBe("");
    expect(parse("")).toEqual(emptySearch);
  });

  it("ignores what it does not understand instead of failing", () => {
    expect(parse("severity=Error,Loud,fatal&range=forever&from=yesterday")).toEqual({
      ...emptySearch,
      severities: ["Error"],
    });
  });

  it("orders severities lowest first whatever the URL's order", () => {
    expect(parse("severity=Fatal,Debug").severities).toEqual(["Debug", "Fatal"]);
  });

  it("keeps from/to only for the custom range", () => {
    expect(parse("range=24h&from=2026-01-01T00:00:00Z")).toMatchObject({ range: "24h", from: undefined });
  });

  it("tells a narrowed search from the plain list", () => {
    expect(isFiltered(emptySearch)).toBe(false);
    expect(isFiltered({ ...emptySearch, query: " x " })).toBe(true);
    expect(isFiltered({ ...emptySearch, range: "7d" })).toBe(true);
    expect(isFiltered({ ...emptySearch, cursors: ["abc"] })).toBe(false);
  });
});

describe("searchBounds", () => {
  const now = Date.UTC(2026, 10, 21, 12, 30, 45);

  it("is open-ended for all time", () => {
    expect(searchBounds(emptySearch, now)).toEqual({});
  });

  it("starts a preset at now minus its length, rounded to the minute, and leaves the end open", () => {
    expect(searchBounds({ ...emptySearch, range: "1h" }, now)).toEqual({
      from: new Date(Date.UTC(2026, 10, 21, 11, 30, 0)),
    });
    expect(searchBounds({ ...emptySearch, range: "7d" }, now).from).toEqual(
      new Date(Date.UTC(2026, 10, 14, 12, 30, 0)),
    );
  });

  it("stays the same within a minute, so the query is not refetched on every render", () => {
    const a = searchBounds({ ...emptySearch, range: "24h" }, now);
    const b = searchBounds({ ...emptySearch, range: "24h" }, now + 10_000);
    expect(a).toEqual(b);
  });

  it("uses the custom bounds as given", () => {
    const bounds = searchBounds({ ...emptySearch, range: "custom", from: "2026-11-01T00:00:00.000Z" }, now);
    expect(bounds).toEqual({ from: new Date("2026-11-01T00:00:00.000Z"), to: undefined });
  });
});
