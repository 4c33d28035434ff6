import { describe, expect, it } from "vitest";
import { burstBars, burstSentence, niceCeiling } from "./burst-data";

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

describe("burst chart data", () => {
  it("gives every minute of the period a bar, zero where nothing was counted", () => {
    const { bars, bucketMinutes } = burstBars(
      [{ minute: "2026-11-21T10:02:00.000Z", kept: 5, dropped: 7 }],
      "2026-11-21T10:00:00.000Z",
      "2026-11-21T10:05:00.000Z",
    );
    expect(bucketMinutes).toBe(1);
    expect(bars.map((b) => [hhmm(b.start), b.kept, b.dropped])).toEqual([
      ["10:00", 0, 0],
      ["10:01", 0, 0],
      ["10:02", 5, 7],
      ["10:03", 0, 0],
      ["10:04", 0, 0],
    ]);
  });

  it("groups a long period into buckets of several minutes, keeping every count", () => {
    const perMinute = Array.from({ length: 1440 }, (_, i) => ({
      minute: new Date(Date.UTC(2026, 10, 21) + i * 60_000).toISOString(),
      kept: 1,
      dropped: 2,
    }));
    const { bars, bucketMinutes } = burstBars(
      perMinute,
      "2026-11-21T00:00:00.000Z",
      "2026-11-22T00:00:00.000Z",
    );
    expect(bucketMinutes).toBe(12);
    expect(bars).toHaveLength(120);
    expect(bars.reduce((s, b) => s + b.kept, 0)).toBe(1440);
    expect(bars.reduce((s, b) => s + b.dropped, 0)).toBe(2880);
  });

  it("rounds the axis up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 1, 3, 7, 12, 480, 5000, 5001].map(niceCeiling)).toEqual([1, 1, 5, 10, 20, 500, 5000, 10000]);
  });

  it("says what was kept of what was received, only when something was dropped", () => {
    const summary = {
      kept: 1032,
      dropped: 47179,
      received: 48211,
      firstMinute: "2026-11-21T10:02:00.000Z",
      lastMinute: "2026-11-21T10:06:00.000Z",
    };
    expect(burstSentence(summary, hhmm)).toBe(
      "Burst protection kept 1,032 of 48,211 messages between 10:02 and 10:07",
    );
    expect(burstSentence({ ...summary, dropped: 0, received: 1032 }, hhmm)).toBeNull();
  });
});
