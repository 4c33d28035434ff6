import { describe, expect, it } from "vitest";
import { BurstGuard, OTHER_FINGERPRINT, SAMPLE_EVERY, SAMPLE_FIRST } from "./burst-guard";

const LOG = "0a6f3c1e-2b4d-4e8f-9a1b-3c5d7e9f1a2b";
const OTHER_LOG = "1b7a4d2f-3c5e-4f90-8b2c-4d6e8fa02b3c";
// 10:02:30 UTC: mid-minute, so a few seconds either way stay in the same window.
const T = Date.UTC(2026, 10, 21, 10, 2, 30);

function keptOf(guard: BurstGuard, limit: number | null, fingerprints: string[], now = T, log = LOG) {
  return fingerprints.map((fp) => guard.decide(log, limit, fp, now).keep);
}

describe("burst guard", () => {
  it("keeps every message up to the limit, and all of them without a limit", () => {
    const guard = new BurstGuard();
    const fps = Array.from({ length: 50 }, (_, i) => `fp-${i % 2}`);
    expect(keptOf(guard, 50, fps)).toEqual(Array(50).fill(true));
    expect(keptOf(new BurstGuard(), null, Array(5000).fill("fp"))).toEqual(Array(5000).fill(true));
  });

  it("over the limit keeps the first few of each fingerprint and 1 in K of the rest", () => {
    expect(SAMPLE_FIRST).toBe(3);
    expect(SAMPLE_EVERY).toBe(100);
    const guard = new BurstGuard();
    // Limit 1: the first message is within it; the 2nd and 3rd of "a" are its first three.
    const kept = keptOf(guard, 1, Array(1000).fill("a"));
    const keptAt = kept.flatMap((k, i) => (k ? [i] : []));
    // The rest starts at index 3: its 1st, 101st, … (indexes 3, 103, …, 903) are kept.
    expect(keptAt).toEqual([0, 1, 2, ...Array.from({ length: 10 }, (_, i) => 3 + i * 100)]);
    // A new fingerprint in the same minute still gets its first three through.
    expect(keptOf(guard, 1, ["b", "b", "b", "b"])).toEqual([true, true, true, false]);
  });

  it("keeps at most limit + F × fingerprints + ceil(rest / K) per minute", () => {
    const guard = new BurstGuard();
    const fingerprints = ["a", "b", "c", "d"];
    const sent = 2000;
    const limit = 50;
    const fps = Array.from({ length: sent }, (_, i) => fingerprints[(i * 7) % 4]!);
    const kept = keptOf(guard, limit, fps).filter(Boolean).length;
    const rest = sent - limit;
    expect(kept).toBeGreaterThanOrEqual(limit);
    expect(kept).toBeLessThanOrEqual(
      limit + SAMPLE_FIRST * fingerprints.length + Math.ceil(rest / SAMPLE_EVERY),
    );
    // The first three of each fingerprint came within the limit, so only the 1-in-K sample adds.
    expect(kept).toBe(limit + Math.ceil(rest / SAMPLE_EVERY));
  });

  it("opens a fresh window when the UTC minute changes", () => {
    const guard = new BurstGuard({ sampleFirst: 0, sampleEvery: 1_000_000 });
    expect(keptOf(guard, 2, ["a", "a", "a", "a"], T)).toEqual([true, true, true, false]);
    // 29.999 s later is still 10:02; one millisecond more is 10:03.
    expect(keptOf(guard, 2, ["a"], T + 29_999)).toEqual([false]);
    expect(keptOf(guard, 2, ["a", "a", "a", "a"], T + 30_000)).toEqual([true, true, true, false]);
    const next = guard.decide(LOG, 2, "a", T + 30_000);
    expect(new Date(next.minute).toISOString()).toBe("2026-11-21T10:03:00.000Z");
  });

  it("a clock that steps back stays in the later window", () => {
    const guard = new BurstGuard({ sampleFirst: 0, sampleEvery: 1_000_000 });
    keptOf(guard, 1, ["a", "a"], T + 60_000);
    const back = guard.decide(LOG, 1, "a", T);
    expect(back.keep).toBe(false);
    expect(new Date(back.minute).toISOString()).toBe("2026-11-21T10:03:00.000Z");
  });

  it("one log's flood does not touch another log's window", () => {
    const guard = new BurstGuard();
    keptOf(guard, 10, Array(500).fill("a"));
    expect(keptOf(guard, 10, Array(10).fill("a"), T, OTHER_LOG)).toEqual(Array(10).fill(true));
  });

  it("fingerprints past the per-window cap share one bucket", () => {
    const guard = new BurstGuard({ maxFingerprintsPerWindow: 2 });
    const labels = ["a", "b", "c", "d", "a"].map((fp) => guard.decide(LOG, null, fp, T).fingerprint);
    expect(labels).toEqual(["a", "b", OTHER_FINGERPRINT, OTHER_FINGERPRINT, "a"]);
  });

  it("sweep forgets the windows of past minutes", () => {
    const guard = new BurstGuard();
    guard.decide(LOG, 5, "a", T);
    guard.decide(OTHER_LOG, 5, "a", T + 60_000);
    expect(guard.trackedLogs).toBe(2);
    guard.sweep(T + 60_000);
    expect(guard.trackedLogs).toBe(1);
  });
});
