import type { BusMessage } from "@faultline/bus";
import { type BurstCountRow, type BurstCountsReport, encodeBurstCounts, newMessageId } from "@faultline/core";

/**
 * Kept and dropped messages per log, minute and fingerprint since the last report. Exact by
 * construction: a message is added as kept only once the bus committed it, as dropped only once
 * it was answered 429, and rows leave only inside a report that the bus committed.
 */
export class BurstCounts {
  readonly #rows = new Map<string, BurstCountRow>();

  add(logId: string, minuteMs: number, fingerprint: string, kept: number, dropped: number): void {
    if (kept === 0 && dropped === 0) return;
    const key = `${logId}\u0001${minuteMs}\u0001${fingerprint}`;
    const row = this.#rows.get(key);
    if (row) {
      row.kept += kept;
      row.dropped += dropped;
    } else {
      const minute = new Date(minuteMs).toISOString();
      this.#rows.set(key, { logId, minute, fingerprint, kept, dropped });
    }
  }

  /** Distinct log/minute/fingerprint rows held. */
  get size(): number {
    return this.#rows.size;
  }

  /** Every row, leaving none behind. */
  take(): BurstCountRow[] {
    const rows = [...this.#rows.values()];
    this.#rows.clear();
    return rows;
  }
}

/** Publishes bus messages; resolves once the bus committed them, throws if it did not. */
export type ReportPublisher = (messages: readonly BusMessage[]) => Promise<void>;

export interface BurstReporterOptions {
  /** How often counts are reported; also the most a crash (not a graceful stop) can lose. */
  intervalMs?: number;
  /** Rows per report, so a report stays well below any bus's message size (~120 B a row). */
  maxRowsPerReport?: number;
  now?: () => number;
  /** A report the bus did not take; it is kept and sent again at the next flush. */
  onPublishError?: (error: unknown, reports: readonly BurstCountsReport[]) => void;
}

export const DEFAULT_REPORT_INTERVAL_MS = 5_000;
const DEFAULT_MAX_ROWS_PER_REPORT = 1_000;

/**
 * Turns the counts into `burst-counts.v1` bus messages, every intervalMs and on close.
 *
 * A report is made once, with a fresh id, and from then on sent unchanged until the bus takes
 * it: a publish that failed may still have reached the bus, and the stats consumer applies each
 * report id once, so resending the same report can never count twice, while folding its rows
 * into a new report could. Counts that arrive meanwhile go into the next report.
 */
export class BurstReporter {
  readonly #counts: BurstCounts;
  readonly #intervalMs: number;
  readonly #maxRows: number;
  readonly #now: () => number;
  readonly #onPublishError: (error: unknown, reports: readonly BurstCountsReport[]) => void;
  /** Made but not yet committed by the bus, oldest first. */
  #pending: BurstCountsReport[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(counts: BurstCounts, options: BurstReporterOptions = {}) {
    this.#counts = counts;
    this.#intervalMs = options.intervalMs ?? DEFAULT_REPORT_INTERVAL_MS;
    this.#maxRows = options.maxRowsPerReport ?? DEFAULT_MAX_ROWS_PER_REPORT;
    this.#now = options.now ?? Date.now;
    this.#onPublishError = options.onPublishError ?? (() => {});
  }

  /** Reports made but not yet taken by the bus. */
  get pendingReports(): readonly BurstCountsReport[] {
    return this.#pending;
  }

  /** Flushes every intervalMs through `publish` until stop(). The timer does not hold the process. */
  start(publish: ReportPublisher, onTick?: () => void): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      onTick?.();
      void this.flush(publish);
    }, this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Makes a report of the counts gathered so far and publishes it with the reports still
   * pending. Never rejects: a failure keeps the reports for the next flush. Flushes run one at
   * a time, so a slow bus cannot make two flushes send the same report at once.
   */
  flush(publish: ReportPublisher): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushOnce(publish));
    return this.#flushing;
  }

  async #flushOnce(publish: ReportPublisher): Promise<void> {
    const rows = this.#counts.take();
    for (let i = 0; i < rows.length; i += this.#maxRows) {
      this.#pending.push({
        id: newMessageId(this.#now()),
        createdAt: new Date(this.#now()).toISOString(),
        rows: rows.slice(i, i + this.#maxRows),
      });
    }
    if (this.#pending.length === 0) return;
    const sending = [...this.#pending];
    try {
      await publish(sending.map(encodeBurstCounts));
      this.#pending = this.#pending.filter((r) => !sending.includes(r));
    } catch (error) {
      this.#onPublishError(error, sending);
    }
  }
}
