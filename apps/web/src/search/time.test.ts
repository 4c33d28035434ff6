import { describe, expect, it } from "vitest";
import { formatRelative, toDateTimeLocal } from "./time";

describe("formatRelative", () => {
  const now = Date.UTC(2026, 10, 21, 12, 0, 0);
  const ago = (ms: number) => new Date(now - ms).toISOString();

  it.each([
    [2_000, "just now"],
    [-3_000, "just now"],
    [42_000, "42s ago"],
    [5 * 60_000, "5m ago"],
    [3 * 3_600_000, "3h ago"],
    [2 * 86_400_000, "2d ago"],
  ])("%i ms ago reads %s", (ms, text) => {
    expect(formatRelative(ago(ms), now)).toBe(text);
  });

  it("writes the date for anything older than a month", () => {
    expect(formatRelative(ago(45 * 86_400_000), now)).toMatch(/2026/);
  });

  it("shows an unreadable date as it came", () => {
    expect(formatRelative("not a date", now)).toBe("not a date");
  });
});

describe("toDateTimeLocal", () => {
  it("writes local time to the minute, as datetime-local inputs expect", () => {
    expect(toDateTimeLocal(new Date(2026, 0, 5, 7, 3, 59))).toBe("2026-01-05T07:03");
  });
});
