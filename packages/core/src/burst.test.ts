import { describe, expect, it } from "vitest";
import { BURST_COUNTS_TYPE, decodeBurstCounts, encodeBurstCounts, minuteKey, minuteStart } from "./burst";
import { newMessageId } from "./ids";

describe("burst counts on the bus", () => {
  it("windows are UTC minutes", () => {
    const t = Date.UTC(2026, 10, 21, 10, 2, 59, 999);
    expect(minuteStart(t)).toBe(Date.UTC(2026, 10, 21, 10, 2));
    expect(minuteKey(t)).toBe("2026-11-21T10:02:00.000Z");
    expect(minuteKey(t + 1)).toBe("2026-11-21T10:03:00.000Z");
  });

  it("a report survives encoding, keyed by its id", () => {
    const report = {
      id: newMessageId(),
      createdAt: "2026-11-21T10:02:05.000Z",
      rows: [
        {
          logId: "0a6f3c1e-2b4d-4e8f-9a1b-3c5d7e9f1a2b",
          minute: "2026-11-21T10:02:00.000Z",
          fingerprint: "0123456789abcdef0123456789abcdef",
          kept: 53,
          dropped: 1947,
        },
      ],
    };
    const encoded = encodeBurstCounts(report);
    expect(encoded).toMatchObject({ id: report.id, type: BURST_COUNTS_TYPE });
    expect(decodeBurstCounts(encoded.body)).toEqual(report);
  });

  it("refuses a report with a minute that is not a whole UTC minute or a negative count", () => {
    const row = { logId: "0a6f3c1e-2b4d-4e8f-9a1b-3c5d7e9f1a2b", fingerprint: "fp", kept: 1, dropped: 0 };
    const body = (r: object) =>
      Buffer.from(JSON.stringify({ id: newMessageId(), createdAt: "x", rows: [r] }));
    expect(() => decodeBurstCounts(body({ ...row, minute: "2026-11-21T10:02:30.000Z" }))).toThrow(/minute/);
    expect(() => decodeBurstCounts(body({ ...row, minute: "2026-11-21T10:02:00.000Z", kept: -1 }))).toThrow();
  });
});
