/**
 * A small Prometheus registry with a hand-written text exposition (format 0.0.4): counters,
 * gauges read at scrape time and histograms, with labels. Ingest needs a dozen series, which do
 * not justify a dependency; the hot path costs one Map lookup and an addition per update.
 *
 * Other parts of ingest add their own series to the server's registry (`app.metrics`):
 *
 *   const dropped = app.metrics.counter("faultline_ingest_burst_dropped_total",
 *     "Messages dropped by burst protection.", ["log"]);
 *   dropped.inc({ log: logId });
 */

export type Labels<Name extends string> = { readonly [K in Name]: string };

export interface Counter<L extends string = never> {
  /** Adds n (default 1); counters only go up. */
  inc(...args: [L] extends [never] ? [n?: number] : [labels: Labels<L>, n?: number]): void;
  /** The current value for these labels (tests, and callers that derive gauges). */
  value(...args: [L] extends [never] ? [] : [labels: Labels<L>]): number;
}

export interface Histogram<L extends string = never> {
  /** Records one observation, in the histogram's unit (seconds for latencies). */
  observe(...args: [L] extends [never] ? [value: number] : [labels: Labels<L>, value: number]): void;
  /** How many observations were recorded for these labels. */
  count(...args: [L] extends [never] ? [] : [labels: Labels<L>]): number;
}

/** Latency buckets in seconds, from a fast in-memory answer to a stalled commit. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  render(lines: string[]): void;
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** `{a="x",b="y"}` in the declared label order, or "" without labels. */
function labelText(names: readonly string[], labels: Record<string, string> | undefined, extra = ""): string {
  const parts: string[] = [];
  for (const name of names) parts.push(`${name}="${escapeLabelValue(labels?.[name] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function keyOf(names: readonly string[], labels: Record<string, string> | undefined): string {
  if (names.length === 0) return "";
  // \u0001 cannot appear in a sensible label value, so the key is unambiguous.
  let key = "";
  for (const name of names) key += `${labels?.[name] ?? ""}\u0001`;
  return key;
}

export class MetricsRegistry {
  readonly #families = new Map<string, Family>();

  /** A monotonically increasing count. */
  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    const series = new Map<string, { labels: Record<string, string> | undefined; value: number }>();
    this.#add(
      {
        name,
        help,
        type: "counter",
        render(lines) {
          for (const s of series.values())
            lines.push(`${name}${labelText(labelNames, s.labels)} ${formatValue(s.value)}`);
        },
      },
      labelNames,
    );
    const inc = (labels: Record<string, string> | undefined, n: number) => {
      if (!(n >= 0)) throw new RangeError(`${name}: a counter only goes up (got ${n})`);
      const key = keyOf(labelNames, labels);
      const hit = series.get(key);
      if (hit) hit.value += n;
      else series.set(key, { labels: labels && { ...labels }, value: n });
    };
    return {
      inc: ((a?: Record<string, string> | number, b?: number) =>
        typeof a === "object" ? inc(a, b ?? 1) : inc(undefined, a ?? 1)) as Counter<L>["inc"],
      value: ((labels?: Record<string, string>) =>
        series.get(keyOf(labelNames, labels))?.value ?? 0) as Counter<L>["value"],
    };
  }

  /**
   * A value read when scraped (queue depth, memory): nothing to update on the hot path. collect
   * returns one value, or one per label set.
   */
  gauge<L extends string = never>(
    name: string,
    help: string,
    collect: () => number | readonly { labels: Labels<L>; value: number }[],
    labelNames: readonly L[] = [],
  ): void {
    this.#add(
      {
        name,
        help,
        type: "gauge",
        render(lines) {
          const value = collect();
          if (typeof value === "number") {
            lines.push(`${name} ${formatValue(value)}`);
            return;
          }
          for (const s of value)
            lines.push(`${name}${labelText(labelNames, s.labels)} ${formatValue(s.value)}`);
        },
      },
      labelNames,
    );
  }

  /** Observations counted into cumulative buckets (upper bounds, ascending), with sum and count. */
  histogram<L extends string = never>(
    name: string,
    help: string,
    buckets: readonly number[] = LATENCY_BUCKETS,
    labelNames: readonly L[] = [],
  ): Histogram<L> {
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]! > buckets[i - 1]!)) throw new RangeError(`${name}: buckets must ascend`);
    }
    if (labelNames.includes("le" as L)) throw new RangeError(`${name}: "le" is reserved for buckets`);
    const bounds = buckets.map(formatValue);
    type Series = {
      labels: Record<string, string> | undefined;
      counts: number[];
      sum: number;
      count: number;
    };
    const series = new Map<string, Series>();
    this.#add(
      {
        name,
        help,
        type: "histogram",
        render(lines) {
          for (const s of series.values()) {
            let cumulative = 0;
            for (let i = 0; i < bounds.length; i++) {
              cumulative += s.counts[i]!;
              lines.push(
                `${name}_bucket${labelText(labelNames, s.labels, `le="${bounds[i]}"`)} ${cumulative}`,
              );
            }
            lines.push(`${name}_bucket${labelText(labelNames, s.labels, 'le="+Inf"')} ${s.count}`);
            lines.push(`${name}_sum${labelText(labelNames, s.labels)} ${formatValue(s.sum)}`);
            lines.push(`${name}_count${labelText(labelNames, s.labels)} ${s.count}`);
          }
        },
      },
      labelNames,
    );
    const observe = (labels: Record<string, string> | undefined, value: number) => {
      const key = keyOf(labelNames, labels);
      let s = series.get(key);
      if (!s) {
        s = { labels: labels && { ...labels }, counts: new Array(buckets.length).fill(0), sum: 0, count: 0 };
        series.set(key, s);
      }
      // Counts per bucket (not cumulative) so an observation touches one slot; render sums them.
      let i = 0;
      while (i < buckets.length && value > buckets[i]!) i++;
      if (i < buckets.length) s.counts[i]!++;
      s.sum += value;
      s.count++;
    };
    return {
      observe: ((a: Record<string, string> | number, b?: number) =>
        typeof a === "object" ? observe(a, b!) : observe(undefined, a)) as Histogram<L>["observe"],
      count: ((labels?: Record<string, string>) =>
        series.get(keyOf(labelNames, labels))?.count ?? 0) as Histogram<L>["count"],
    };
  }

  /** The text exposition format Prometheus scrapes. */
  render(): string {
    const lines: string[] = [];
    for (const family of this.#families.values()) {
      lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
      lines.push(`# TYPE ${family.name} ${family.type}`);
      family.render(lines);
    }
    return `${lines.join("\n")}\n`;
  }

  #add(family: Family, labelNames: readonly string[]): void {
    if (!METRIC_NAME.test(family.name)) throw new RangeError(`invalid metric name "${family.name}"`);
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label)) throw new RangeError(`${family.name}: invalid label name "${label}"`);
    }
    // Two parts of ingest registering one name would silently merge their numbers.
    if (this.#families.has(family.name)) throw new Error(`metric "${family.name}" is registered twice`);
    this.#families.set(family.name, family);
  }
}

/** Content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
