import type { BurstCountsReport } from "@faultline/core";
import type { MetricsRegistry } from "../operability/metrics";
import { IngestRejection } from "../rejections";
import { BurstCounts, BurstReporter, type ReportPublisher } from "./burst-counts";
import { BurstGuard, type BurstDecision, type GuardOptions, SAMPLE_EVERY, SAMPLE_FIRST } from "./burst-guard";
import { BurstLimitCache, type BurstLimitCacheOptions, type FindBurstLimit } from "./burst-limits";

export interface BurstProtectionOptions {
  /** The log's limit from the database; see BurstLimitCache. */
  findLimit: FindBurstLimit;
  limitCache?: BurstLimitCacheOptions;
  guard?: GuardOptions;
  /** How often the counts are reported on the bus (default 5 s). */
  reportIntervalMs?: number;
  now?: () => number;
  /** A report the bus did not take (it is sent again at the next flush). */
  onReportError?: (error: unknown, reports: readonly BurstCountsReport[]) => void;
  /** Where to add the kept/dropped counters, when the server exports metrics. */
  metrics?: MetricsRegistry;
}

/**
 * Burst protection for the routes: per request, `check` the messages (all of one log), publish
 * the kept ones, and once the answer is certain call `answered()` on the check so the counts
 * are recorded exactly; then the reporter carries them to the bus. See BurstGuard for the
 * sampling and BurstReporter for how the counts reach the database.
 */
export class BurstProtection {
  readonly #limits: BurstLimitCache;
  readonly #guard: BurstGuard;
  readonly #counts = new BurstCounts();
  readonly #reporter: BurstReporter;
  readonly #now: () => number;
  readonly #keptTotal: ((n: number) => void) | undefined;
  readonly #droppedTotal: ((logId: string, n: number) => void) | undefined;

  constructor(options: BurstProtectionOptions) {
    this.#limits = new BurstLimitCache(options.findLimit, options.limitCache);
    this.#guard = new BurstGuard(options.guard);
    this.#now = options.now ?? Date.now;
    this.#reporter = new BurstReporter(this.#counts, {
      intervalMs: options.reportIntervalMs,
      now: this.#now,
      onPublishError: options.onReportError,
    });
    if (options.metrics) {
      const kept = options.metrics.counter(
        "faultline_ingest_burst_kept_total",
        "Messages burst protection let through that the bus then committed (all logs).",
      );
      // By log: only logs that flood appear, and which one it is matters to the operator.
      const dropped = options.metrics.counter(
        "faultline_ingest_burst_dropped_total",
        "Messages burst protection answered 429, by log.",
        ["log"],
      );
      this.#keptTotal = (n) => kept.inc(n);
      this.#droppedTotal = (log, n) => dropped.inc({ log }, n);
    }
  }

  /**
   * Decides each message of one request for the log (fingerprints in request order). Throws an
   * IngestRejection 503 when the log's limit cannot be read and none is known.
   */
  async check(logId: string, fingerprints: readonly string[]): Promise<BurstCheck> {
    let limit: number | null;
    try {
      limit = await this.#limits.lookup(logId);
    } catch {
      throw new IngestRejection(
        "UNAVAILABLE",
        "burst_limit_unavailable",
        "cannot read the log's burst limit now; retry shortly",
      );
    }
    const now = this.#now();
    const decisions = fingerprints.map((fp) => this.#guard.decide(logId, limit, fp, now));
    return new BurstCheck(this, logId, limit, decisions, now);
  }

  /** Records what a request was answered; called by BurstCheck.answered. */
  record(logId: string, decisions: readonly BurstDecision[]): void {
    let kept = 0;
    let dropped = 0;
    for (const d of decisions) {
      if (d.keep) kept++;
      else dropped++;
      this.#counts.add(logId, d.minute, d.fingerprint, d.keep ? 1 : 0, d.keep ? 0 : 1);
    }
    if (kept > 0) this.#keptTotal?.(kept);
    if (dropped > 0) this.#droppedTotal?.(logId, dropped);
  }

  /** Starts reporting the counts every few seconds through `publish`. */
  start(publish: ReportPublisher): void {
    this.#reporter.start(publish, () => this.#guard.sweep(this.#now()));
  }

  /** Reports now what has been counted (and what earlier reports could not send). */
  flush(publish: ReportPublisher): Promise<void> {
    return this.#reporter.flush(publish);
  }

  /**
   * Stops the timer and reports the last counts through `publish`. Call after the requests in
   * flight were answered. Resolves with the reports the bus did not take (normally none).
   */
  async close(publish: ReportPublisher): Promise<readonly BurstCountsReport[]> {
    this.#reporter.stop();
    await this.#reporter.flush(publish);
    return this.#reporter.pendingReports;
  }

  /** Reports waiting for the bus. */
  get pendingReports(): readonly BurstCountsReport[] {
    return this.#reporter.pendingReports;
  }
}

/** One request's burst decisions. */
export class BurstCheck {
  #answered = false;

  constructor(
    readonly protection: BurstProtection,
    readonly logId: string,
    /** The log's limit per minute; null: none. */
    readonly limit: number | null,
    /** One per message, in request order. */
    readonly decisions: readonly BurstDecision[],
    readonly nowMs: number,
  ) {}

  get kept(): number {
    return this.decisions.filter((d) => d.keep).length;
  }

  get dropped(): number {
    return this.decisions.length - this.kept;
  }

  /** Seconds until the window that dropped these messages ends (at least 1). */
  get retryAfterSeconds(): number {
    const minute = this.decisions[0]?.minute ?? this.nowMs;
    return Math.max(1, Math.ceil((minute + 60_000 - this.nowMs) / 1000));
  }

  /**
   * Call once the request's answer is settled: its kept messages committed by the bus and its
   * dropped ones answered 429. Not called when the request is answered 503 (the client sends
   * all of it again, and it is counted then). Counting twice is prevented here.
   */
  answered(): void {
    if (this.#answered) return;
    this.#answered = true;
    this.protection.record(this.logId, this.decisions);
  }

  /** The 429 a dropped message (or a request of only dropped messages) is answered with. */
  rejection(): IngestRejection {
    return new IngestRejection(
      "TOO_MANY_REQUESTS",
      "burst_limited",
      burstMessage(this.limit, this.retryAfterSeconds),
      [],
      this.retryAfterSeconds,
    );
  }
}

/** The `message` of a 429: what happened, the limit, the sampling, and when to retry. */
export function burstMessage(limit: number | null, retryAfterSeconds: number): string {
  return (
    `burst protection: more messages this minute than the limit ${limit ?? "(none)"}/min for this log; ` +
    `sampled: the first ${SAMPLE_FIRST} of each error and 1 in ${SAMPLE_EVERY} of the rest are kept ` +
    `until the minute ends, in ${retryAfterSeconds} s`
  );
}

/**
 * Sentry's rate-limit header (`retry_after:categories:scope:reason_code`): SDKs stop sending
 * errors (and default-category events) for that long instead of retrying into the limit.
 */
export function sentryRateLimitsHeader(retryAfterSeconds: number): string {
  return `${retryAfterSeconds}:error;default:project:burst_limited`;
}
