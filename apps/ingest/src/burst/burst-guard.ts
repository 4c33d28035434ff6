import { minuteStart } from "@faultline/core";

/**
 * Over the limit, the first SAMPLE_FIRST messages of each fingerprint in the minute are still
 * kept: every distinct error of a flood stays visible with a few occurrences, so a flood of one
 * error cannot hide a second, rarer one that started at the same time.
 */
export const SAMPLE_FIRST = 3;
/**
 * Over the limit, and past a fingerprint's first SAMPLE_FIRST, one message in SAMPLE_EVERY is
 * kept (the 1st, the 101st, …): the flood's shape (hosts, users, urls) stays searchable at 1% of
 * its volume. A constant rather than a setting: customers choose the limit, not the sampling.
 */
export const SAMPLE_EVERY = 100;
/**
 * Distinct fingerprints tracked per log and minute. Fingerprints beyond it (a client inventing a
 * new error per message) share one bucket, OTHER_FINGERPRINT, for sampling and counting alike,
 * so memory stays bounded whatever a client sends.
 */
export const MAX_FINGERPRINTS_PER_WINDOW = 1000;
/** The bucket of fingerprints beyond MAX_FINGERPRINTS_PER_WINDOW. Real fingerprints are hex. */
export const OTHER_FINGERPRINT = "(other)";

export interface GuardOptions {
  sampleFirst?: number;
  sampleEvery?: number;
  maxFingerprintsPerWindow?: number;
}

/** One message's fate. */
export interface BurstDecision {
  keep: boolean;
  /** The fingerprint the message counts under (OTHER_FINGERPRINT past the window's cap). */
  fingerprint: string;
  /** Start of the UTC minute (ms) whose window decided, and under which it is counted. */
  minute: number;
}

interface Window {
  /** Start of the UTC minute, ms. */
  minute: number;
  /** Messages decided in this minute, kept or not. */
  received: number;
  /** Messages past the limit and past their fingerprint's first few: the 1-in-K stream. */
  rest: number;
  perFingerprint: Map<string, number>;
}

/**
 * The burst decision, per log, in fixed windows aligned to the UTC minute. Counts live in this
 * process's memory: with N ingest instances behind a load balancer each applies the limit on
 * its own, so a log may get up to N times its limit through (a shared counter is a later step).
 *
 * Within a minute, the first `limit` messages are kept. After that a message is kept if it is
 * one of the first `sampleFirst` of its fingerprint in the minute, or the first of each
 * `sampleEvery` of the rest; the others are dropped. So at most
 * `limit + sampleFirst × fingerprints + ceil(rest / sampleEvery)` are kept per minute.
 *
 * A decision counts the message as received whether or not the bus then takes it: a message
 * answered 503 and sent again counts twice toward the limit, which errs on the safe side.
 */
export class BurstGuard {
  readonly #sampleFirst: number;
  readonly #sampleEvery: number;
  readonly #maxFingerprints: number;
  readonly #windows = new Map<string, Window>();

  constructor(options: GuardOptions = {}) {
    this.#sampleFirst = options.sampleFirst ?? SAMPLE_FIRST;
    this.#sampleEvery = options.sampleEvery ?? SAMPLE_EVERY;
    this.#maxFingerprints = options.maxFingerprintsPerWindow ?? MAX_FINGERPRINTS_PER_WINDOW;
  }

  /** Decides one message of the log; `limit` null means no limit (every message kept). */
  decide(logId: string, limit: number | null, fingerprint: string, nowMs: number): BurstDecision {
    const window = this.#window(logId, nowMs);
    window.received++;
    let label = fingerprint;
    let seen = window.perFingerprint.get(label);
    if (seen === undefined && window.perFingerprint.size >= this.#maxFingerprints) {
      label = OTHER_FINGERPRINT;
      seen = window.perFingerprint.get(label);
    }
    seen = (seen ?? 0) + 1;
    window.perFingerprint.set(label, seen);

    const minute = window.minute;
    if (limit === null || window.received <= limit) return { keep: true, fingerprint: label, minute };
    if (seen <= this.#sampleFirst) return { keep: true, fingerprint: label, minute };
    window.rest++;
    return { keep: (window.rest - 1) % this.#sampleEvery === 0, fingerprint: label, minute };
  }

  /** Forgets windows of minutes before `nowMs`'s: logs that went quiet hold no memory. */
  sweep(nowMs: number): void {
    const current = minuteStart(nowMs);
    for (const [logId, window] of this.#windows) {
      if (window.minute < current) this.#windows.delete(logId);
    }
  }

  /** Logs with a window in memory (tests, and a gauge). */
  get trackedLogs(): number {
    return this.#windows.size;
  }

  #window(logId: string, nowMs: number): Window {
    const minute = minuteStart(nowMs);
    let window = this.#windows.get(logId);
    // A clock that steps back stays in the later window rather than reopening an earlier one.
    if (!window || window.minute < minute) {
      window = { minute, received: 0, rest: 0, perFingerprint: new Map() };
      this.#windows.set(logId, window);
    }
    return window;
  }
}
