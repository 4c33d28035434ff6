import { describe, expect, it } from "vitest";
import { MetricsRegistry } from "./metrics";

describe("MetricsRegistry", () => {
  it("renders counters with labels in the Prometheus text format, escaping label values", () => {
    const registry = new MetricsRegistry();
    const accepted = registry.counter("things_total", "Things.\nTwo lines.", ["route"]);
    accepted.inc({ route: "/a" });
    accepted.inc({ route: "/a" }, 2);
    accepted.inc({ route: 'say "hi"\\' });
    const plain = registry.counter("plain_total", "No labels.");
    plain.inc();
    expect(accepted.value({ route: "/a" })).toBe(3);
    expect(registry.render()).toBe(
      [
        "# HELP things_total Things.\\nTwo lines.",
        "# TYPE things_total counter",
        'things_total{route="/a"} 3',
        'things_total{route="say \\"hi\\"\\\\"} 1',
        "# HELP plain_total No labels.",
        "# TYPE plain_total counter",
        "plain_total 1",
        "",
      ].join("\n"),
    );
  });

  it("renders histograms as cumulative buckets with sum and count", () => {
    const registry = new MetricsRegistry();
    const latency = registry.histogram("latency_seconds", "Latency.", [0.01, 0.1, 1]);
    for (const v of [0.005, 0.05, 0.05, 5]) latency.observe(v);
    expect(latency.count()).toBe(4);
    expect(registry.render()).toContain(
      [
        'latency_seconds_bucket{le="0.01"} 1',
        'latency_seconds_bucket{le="0.1"} 3',
        'latency_seconds_bucket{le="1"} 3',
        'latency_seconds_bucket{le="+Inf"} 4',
        "latency_seconds_sum 5.105",
        "latency_seconds_count 4",
      ].join("\n"),
    );
  });

  it("reads gauges at render time", () => {
    const registry = new MetricsRegistry();
    let depth = 1;
    registry.gauge("depth", "Depth.", () => depth);
    registry.gauge("memory_bytes", "Memory.", () => [{ labels: { kind: "heap" }, value: 42 }], ["kind"]);
    depth = 7;
    expect(registry.render()).toContain("depth 7\n");
    expect(registry.render()).toContain('memory_bytes{kind="heap"} 42');
  });

  it("refuses a name registered twice, invalid names and counters going down", () => {
    const registry = new MetricsRegistry();
    const c = registry.counter("once_total", "Once.");
    expect(() => registry.counter("once_total", "Again.")).toThrow(/registered twice/);
    expect(() => registry.counter("bad-name", "Bad.")).toThrow(/invalid metric name/);
    expect(() => registry.histogram("h", "H.", [1, 0.5])).toThrow(/ascend/);
    expect(() => c.inc(-1)).toThrow(/only goes up/);
  });
});
