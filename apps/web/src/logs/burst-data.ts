/** One minute of burst counts, as logs.burstSummary answers them. */
export interface MinuteCounts {
  minute: string;
  kept: number;
  dropped: number;
}

/** One bar of the chart: a run of whole minutes [start, end), in ms. */
export interface BurstBar {
  start: number;
  end: number;
  kept: number;
  dropped: number;
}

const MINUTE_MS = 60_000;

/**
 * The period as bars of whole minutes, minutes without counts included (as zero), so time runs
 * evenly along the axis. A long period is grouped into buckets of several minutes so there are
 * at most `maxBars` bars: a day is 1440 minutes, far more than a chart can show one by one.
 */
export function burstBars(
  perMinute: readonly MinuteCounts[],
  from: string,
  to: string,
  maxBars = 120,
): { bars: BurstBar[]; bucketMinutes: number } {
  const first = Math.floor(Date.parse(from) / MINUTE_MS) * MINUTE_MS;
  const end = Math.ceil(Date.parse(to) / MINUTE_MS) * MINUTE_MS;
  const minutes = Math.max(1, Math.round((end - first) / MINUTE_MS));
  const bucketMinutes = Math.max(1, Math.ceil(minutes / maxBars));
  const bucketMs = bucketMinutes * MINUTE_MS;
  const count = Math.ceil(minutes / bucketMinutes);
  const bars: BurstBar[] = Array.from({ length: count }, (_, i) => ({
    start: first + i * bucketMs,
    end: Math.min(end, first + (i + 1) * bucketMs),
    kept: 0,
    dropped: 0,
  }));
  for (const m of perMinute) {
    const index = Math.floor((Date.parse(m.minute) - first) / bucketMs);
    const bar = bars[index];
    if (!bar) continue;
    bar.kept += m.kept;
    bar.dropped += m.dropped;
  }
  return { bars, bucketMinutes };
}

/** A round number at or above `value` (1, 2, 5 × 10ⁿ), for the top of the y axis. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

const number = new Intl.NumberFormat("en-US");
export const formatCount = (n: number) => number.format(n);

/**
 * "Burst protection kept 1,032 of 48,211 messages between 10:02 and 10:07", or null when nothing
 * was dropped. The end is the end of the last minute with counts.
 */
export function burstSentence(
  summary: {
    kept: number;
    dropped: number;
    received: number;
    firstMinute: string | null;
    lastMinute: string | null;
  },
  formatTime: (ms: number) => string,
): string | null {
  if (summary.dropped === 0 || !summary.firstMinute || !summary.lastMinute) return null;
  const start = formatTime(Date.parse(summary.firstMinute));
  const end = formatTime(Date.parse(summary.lastMinute) + MINUTE_MS);
  return `Burst protection kept ${formatCount(summary.kept)} of ${formatCount(summary.received)} messages between ${start} and ${end}`;
}
