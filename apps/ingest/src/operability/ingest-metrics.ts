import type { Server } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { BusMessage, BusPublisher } from "@faultline/bus";
import { type Counter, type Histogram, LATENCY_BUCKETS, MetricsRegistry } from "./metrics";

/** The series every ingest instance exports; other parts add theirs to `registry`. */
export interface IngestMetrics {
  registry: MetricsRegistry;
  /** Messages answered 201, by the route pattern that took them. */
  accepted: Counter<"route">;
  /** Requests (and bulk items) refused, by the `error` code of the answer. */
  rejected: Counter<"reason">;
  /** Requests answered, by route pattern and status. */
  requests: Counter<"route" | "status">;
  requestDuration: Histogram<"route">;
  /** Commits to the bus, by outcome (ok or failed). */
  publishBatches: Counter<"outcome">;
  publishedMessages: Counter;
  /** Time one commit to the bus took. */
  publishLatency: Histogram;
  /** Open client connections (reads a counter kept on connection events). */
  trackConnections(server: Server): void;
  /** Stops the event-loop monitor (server close). */
  stop(): void;
}

/** Sources of the gauges, read only when /metrics is scraped. */
export interface GaugeSources {
  /** Messages queued or being committed in the batching publisher. */
  queuedMessages: () => number;
}

export function createIngestMetrics(sources: GaugeSources): IngestMetrics {
  const registry = new MetricsRegistry();
  const accepted = registry.counter(
    "faultline_ingest_accepted_messages_total",
    "Messages accepted (answered 201 after the bus committed them), by route.",
    ["route"],
  );
  const rejected = registry.counter(
    "faultline_ingest_rejected_total",
    "Requests and bulk items refused, by the error code answered.",
    ["reason"],
  );
  const requests = registry.counter(
    "faultline_ingest_http_requests_total",
    "HTTP requests answered, by route pattern and status code.",
    ["route", "status"],
  );
  const requestDuration = registry.histogram(
    "faultline_ingest_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer, by route pattern.",
    LATENCY_BUCKETS,
    ["route"],
  );
  const publishBatches = registry.counter(
    "faultline_ingest_publish_batches_total",
    "Commits of a batch of messages to the bus, by outcome.",
    ["outcome"],
  );
  const publishedMessages = registry.counter(
    "faultline_ingest_published_messages_total",
    "Messages the bus committed.",
  );
  const publishLatency = registry.histogram(
    "faultline_ingest_publish_duration_seconds",
    "Time one commit of a batch to the bus took.",
  );
  registry.gauge(
    "faultline_ingest_publish_queue_messages",
    "Messages held in memory, queued or being committed; at the bound requests get 503.",
    sources.queuedMessages,
  );

  let openConnections = 0;
  registry.gauge("faultline_ingest_open_connections", "Client connections open now.", () => openConnections);

  // Event-loop delay tells a saturated process from a slow bus when latency climbs.
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  registry.gauge(
    "nodejs_eventloop_delay_p99_seconds",
    "99th percentile of event-loop delay since the last scrape.",
    () => {
      const p99 = loopDelay.percentile(99) / 1e9;
      loopDelay.reset();
      return p99;
    },
  );
  registry.gauge("process_resident_memory_bytes", "Resident set size.", () => process.memoryUsage.rss());
  registry.gauge(
    "nodejs_heap_size_bytes",
    "V8 heap, used and total; external is memory held by Buffers outside the heap.",
    () => {
      const m = process.memoryUsage();
      return [
        { labels: { kind: "used" }, value: m.heapUsed },
        { labels: { kind: "total" }, value: m.heapTotal },
        { labels: { kind: "external" }, value: m.external },
      ];
    },
    ["kind"],
  );

  return {
    registry,
    accepted,
    rejected,
    requests,
    requestDuration,
    publishBatches,
    publishedMessages,
    publishLatency,
    trackConnections(server) {
      server.on("connection", (socket) => {
        openConnections++;
        socket.once("close", () => {
          openConnections--;
        });
      });
    },
    stop() {
      loopDelay.disable();
    },
  };
}

/** The bus publisher, timing and counting each commit. */
export function instrumentPublisher(publisher: BusPublisher, metrics: IngestMetrics): BusPublisher {
  return {
    async publish(messages: readonly BusMessage[]) {
      const started = performance.now();
      try {
        await publisher.publish(messages);
      } catch (error) {
        metrics.publishBatches.inc({ outcome: "failed" });
        throw error;
      } finally {
        metrics.publishLatency.observe((performance.now() - started) / 1000);
      }
      metrics.publishBatches.inc({ outcome: "ok" });
      metrics.publishedMessages.inc(messages.length);
    },
    ping: () => publisher.ping(),
    close: () => publisher.close(),
  };
}
