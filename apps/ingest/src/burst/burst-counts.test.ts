import type { BusMessage } from "@faultline/bus";
import { BURST_COUNTS_TYPE, type BurstCountsReport, decodeBurstCounts } from "@faultline/core";
import { describe, expect, it } from "vitest";
import { BurstCounts, BurstReporter, type ReportPublisher } from "./burst-counts";

const LOG = "0a6f3c1e-2b4d-4e8f-9a1b-3c5d7e9f1a2b";
const MINUTE = Date.UTC(2026, 10, 21, 10, 2);

/** Failure injection: a bus that refuses the first `failures` publishes, then takes everything. */
class FakeFlakyBus {
  calls = 0;
  readonly committed: BusMessage[] = [];
  constructor(private failures: number) {}
  readonly publish: ReportPublisher = async (messages) => {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error("injected: bus unavailable");
    }
    this.committed.push(...messages);
  };
  reports(): BurstCountsReport[] {
    return this.committed.map((m) => {
      expect(m.type).toBe(BURST_COUNTS_TYPE);
      const report = decodeBurstCounts(m.body);
      expect(m.id).toBe(report.id);
      return report;
    });
  }
}

function totals(reports: readonly BurstCountsReport[]) {
  let kept = 0;
  let dropped = 0;
  for (const r of reports) {
    for (const row of r.rows) {
      kept += row.kept;
      dropped += row.dropped;
    }
  }
  return { kept, dropped };
}

describe("burst counts", () => {
  it("adds up per log, minute and fingerprint, and take() empties them", () => {
    const counts = new BurstCounts();
    counts.add(LOG, MINUTE, "a", 1, 0);
    counts.add(LOG, MINUTE, "a", 0, 1);
    counts.add(LOG, MINUTE, "a", 1, 0);
    counts.add(LOG, MINUTE + 60_000, "a", 0, 1);
    counts.add(LOG, MINUTE, "b", 0, 0);
    expect(counts.take()).toEqual([
      { logId: LOG, minute: "2026-11-21T10:02:00.000Z", fingerprint: "a", kept: 2, dropped: 1 },
      { logId: LOG, minute: "2026-11-21T10:03:00.000Z", fingerprint: "a", kept: 0, dropped: 1 },
    ]);
    expect(counts.size).toBe(0);
  });
});

describe("burst reporter", () => {
  it("publishes the counts since the last flush as one burst-counts message", async () => {
    const counts = new BurstCounts();
    const bus = new FakeFlakyBus(0);
    const reporter = new BurstReporter(counts);
    await reporter.flush(bus.publish);
    expect(bus.calls).toBe(0);
    counts.add(LOG, MINUTE, "a", 5, 7);
    await reporter.flush(bus.publish);
    const [report, ...more] = bus.reports();
    expect(more).toEqual([]);
    expect(report!.rows).toEqual([
      { logId: LOG, minute: "2026-11-21T10:02:00.000Z", fingerprint: "a", kept: 5, dropped: 7 },
    ]);
    await reporter.flush(bus.publish);
    expect(bus.calls).toBe(1);
  });

  it("keeps a report the bus refused and sends it, unchanged, with the next flush", async () => {
    const counts = new BurstCounts();
    const bus = new FakeFlakyBus(2);
    const errors: string[][] = [];
    const reporter = new BurstReporter(counts, {
      onPublishError: (_error, reports) => errors.push(reports.map((r) => r.id)),
    });
    counts.add(LOG, MINUTE, "a", 3, 100);
    await reporter.flush(bus.publish);
    const first = reporter.pendingReports[0]!;
    expect(reporter.pendingReports).toHaveLength(1);

    counts.add(LOG, MINUTE, "a", 1, 50);
    await reporter.flush(bus.publish);
    expect(reporter.pendingReports).toHaveLength(2);
    expect(reporter.pendingReports[0]).toBe(first);

    await reporter.flush(bus.publish);
    expect(reporter.pendingReports).toHaveLength(0);
    const sent = bus.reports();
    // The refused report went out with its first id (the consumer dedupes by it), not merged.
    expect(sent.map((r) => r.id)).toEqual([first.id, expect.any(String)]);
    expect(sent[0]).toEqual(first);
    expect(totals(sent)).toEqual({ kept: 4, dropped: 150 });
    expect(errors).toEqual([[first.id], [first.id, sent[1]!.id]]);
  });

  it("splits many rows into several reports, each with its own id", async () => {
    const counts = new BurstCounts();
    const bus = new FakeFlakyBus(0);
    const reporter = new BurstReporter(counts, { maxRowsPerReport: 2 });
    for (let i = 0; i < 5; i++) counts.add(LOG, MINUTE, `fp-${i}`, 1, 1);
    await reporter.flush(bus.publish);
    const sent = bus.reports();
    expect(sent.map((r) => r.rows.length)).toEqual([2, 2, 1]);
    expect(new Set(sent.map((r) => r.id)).size).toBe(3);
    expect(totals(sent)).toEqual({ kept: 5, dropped: 5 });
  });

  it("concurrent flushes never send one report twice", async () => {
    const counts = new BurstCounts();
    const committed: string[] = [];
    const slowPublish: ReportPublisher = async (messages) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      committed.push(...messages.map((m) => m.id));
    };
    const reporter = new BurstReporter(counts);
    counts.add(LOG, MINUTE, "a", 1, 0);
    await Promise.all([reporter.flush(slowPublish), reporter.flush(slowPublish)]);
    expect(committed).toHaveLength(1);
  });

  it("flushes on its timer", async () => {
    const counts = new BurstCounts();
    const bus = new FakeFlakyBus(0);
    const reporter = new BurstReporter(counts, { intervalMs: 20 });
    reporter.start(bus.publish);
    counts.add(LOG, MINUTE, "a", 2, 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    reporter.stop();
    expect(totals(bus.reports())).toEqual({ kept: 2, dropped: 0 });
  });
});
