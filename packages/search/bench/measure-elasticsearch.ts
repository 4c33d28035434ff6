/**
 * Quick measurement of the Elasticsearch search index (not a test): bulk rate for ~4 KB messages
 * in batches of 500 (one writer, then several overlapping writers, then refresh=true for
 * comparison) and query latency. Needs a server:
 * `FAULTLINE_TEST_ELASTICSEARCH_URL=http://127.0.0.1:9200 npx tsx bench/measure-elasticsearch.ts [count]`.
 * Everything it creates lives under a fresh prefix and is deleted at the end.
 */
import { randomUUID } from "node:crypto";
import type { CanonicalMessage, Severity } from "@faultline/core";
import { Client } from "@elastic/elasticsearch";
import { createElasticsearchSearchIndex } from "../src/elasticsearch/index";
import type { SearchQuery } from "../src/types";

const url = process.env.FAULTLINE_TEST_ELASTICSEARCH_URL ?? "http://127.0.0.1:9200";
const count = Number(process.argv[2] ?? 50_000);
const batchSize = 500;
const prefix = `fbench-${randomUUID().slice(0, 8)}`;
const logId = randomUUID();
const otherLog = randomUUID();

let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const vocabulary = Array.from({ length: 3000 }, (_, i) => `k${i.toString(36)}${"mnopqrst"[i % 8]}`);
/** Skewed towards the first words, like identifiers in real stack traces. */
const skewed = () => vocabulary[Math.floor(vocabulary.length * rand() ** 3)]!;
const exceptionTypes = ["System.NullReferenceException", "System.TimeoutException", "TypeError", "KeyError"];
const severityMix: Severity[] = ["Error", "Error", "Error", "Warning", "Fatal", "Information"];

/** Spread over two months, so that the alias spans two indices. */
const start = Date.UTC(2026, 9, 20);
function message(i: number): CanonicalMessage {
  const dateTime = new Date(start + i * 60_000 + Math.floor(rand() * 60_000)).toISOString();
  const type = pick(exceptionTypes);
  const title = `${type.split(".").at(-1)}: ${skewed()} ${skewed()} ${skewed()} failed for order ${i}${i % 1000 === 3 ? " needleword" : ""}`;
  const frames = Array.from(
    { length: 45 },
    () =>
      `   at Shop.${pick(vocabulary)}.${pick(vocabulary)}(String ${skewed()}) in /src/${skewed()}.cs:line ${Math.floor(rand() * 900)}`,
  );
  return {
    id: randomUUID(),
    logId: i % 10 === 9 ? otherLog : logId,
    receivedAt: dateTime,
    format: "elmahio-v3",
    fingerprint: `fp${i % 500}`,
    title,
    severity: pick(severityMix),
    type,
    source: "Shop.Checkout",
    detail: `${type}: ${title}\n${frames.join("\n")}`,
    hostname: `web-${Math.floor(rand() * 20)}`,
    url: `/orders/${i}/${skewed()}`,
    method: "POST",
    statusCode: 500,
    user: `user${i % 300}@example.com`,
    application: "shop",
    version: "1.4.2",
    dateTime,
    cookies: [],
    form: [{ key: "amount", value: "9.99" }],
    queryString: [],
    serverVariables: [{ key: "HTTP_USER_AGENT", value: "Mozilla/5.0 (X11; Linux x86_64) Chrome/130" }],
    data: [],
    breadcrumbs: [],
  };
}

const admin = new Client({ node: url });
const index = await createElasticsearchSearchIndex({ url, indexPrefix: prefix });
try {
  const messages = Array.from({ length: count }, (_, i) => message(i));
  const avgBytes = messages.slice(0, 1000).reduce((n, m) => n + JSON.stringify(m).length, 0) / 1000;
  const batches: CanonicalMessage[][] = [];
  for (let i = 0; i < count; i += batchSize) batches.push(messages.slice(i, i + batchSize));
  const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000))} msgs/s`;

  const waiting = await createElasticsearchSearchIndex({ url, indexPrefix: prefix, refresh: "wait_for" });
  /** Indexes the batches with `writers` overlapping index() calls; prints rate and latency. */
  async function phase(name: string, target: typeof index, part: CanonicalMessage[][], writers: number) {
    const latencies: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < part.length) {
          const batch = part[next++]!;
          const b = performance.now();
          await target.index(batch);
          latencies.push(performance.now() - b);
        }
      }),
    );
    const ms = performance.now() - t0;
    const n = part.reduce((sum, b) => sum + b.length, 0);
    latencies.sort((a, b) => a - b);
    console.log(
      `bulk ${name}, ${writers} writer(s): ${n} msgs in batches of ${batchSize}: ${(ms / 1000).toFixed(1)} s, ` +
        `${rate(n, ms)}; per index() median ${Math.round(latencies[latencies.length >> 1]!)} ms, max ${Math.round(latencies.at(-1)!)} ms`,
    );
  }
  console.log(`messages: ~${Math.round(avgBytes)} B of JSON each`);
  const q = Math.floor(batches.length / 5);
  await phase("refresh=true (default)", index, batches.slice(0, 2 * q), 1);
  await phase("refresh=wait_for", waiting, batches.slice(2 * q, 3 * q), 1);
  await phase("refresh=true (default)", index, batches.slice(3 * q, 4 * q), 4);
  await phase("refresh=wait_for", waiting, batches.slice(4 * q), 4);
  await waiting.close();

  let t = performance.now();
  await index.index(messages.slice(0, 5000));
  console.log(`re-indexing 5000 known ids (all 409): ${Math.round(performance.now() - t)} ms`);
  await admin.indices
    .forcemerge({ index: `${prefix}-messages-*`, max_num_segments: 1 })
    .catch(() => undefined);
  const stats = await admin.indices.stats({ index: `${prefix}-messages-*`, metric: ["store", "docs"] });
  console.log(
    `indices: ${Object.keys(stats.indices ?? {}).length}, docs ${stats._all.primaries?.docs?.count}, ` +
      `store ${((stats._all.primaries?.store?.size_in_bytes ?? 0) / 2 ** 20).toFixed(0)} MiB after force merge`,
  );

  const cases: [string, Omit<SearchQuery, "logId">][] = [
    ["no text (whole log)", {}],
    ["selective word (0.1%)", { text: "needleword" }],
    ["broad word (every message)", { text: "failed" }],
    ["two broad words", { text: "failed order" }],
    ["broad + rare word", { text: "failed needleword" }],
    ["phrase System.TimeoutException", { text: "System.TimeoutException" }],
    ["prefix shop.check*", { text: "shop.check*" }],
    ["broad prefix fai*", { text: "fai*" }],
    ["fingerprint filter + broad word", { text: "failed", filters: { fingerprint: "fp123" } }],
    ["severity Fatal + broad word", { text: "failed", severities: ["Fatal"] }],
    ["hostname + severity", { filters: { hostname: "web-3" }, severities: ["Warning"] }],
    ["no match", { text: "failed zzzznotthere" }],
    [
      "one hour in the middle",
      { from: new Date(start + 20 * 86_400_000), to: new Date(start + 20 * 86_400_000 + 3_600_000) },
    ],
    ["page 20 via cursor", {}],
  ];
  for (const [name, q] of cases) {
    let cursor: string | undefined;
    if (name.startsWith("page 20")) {
      for (let p = 0; p < 19; p++)
        cursor = (await index.search({ logId, ...q, cursor })).nextCursor ?? undefined;
    }
    await index.search({ logId, ...q, cursor });
    const runs = 20;
    const times: number[] = [];
    let hits = 0;
    for (let r = 0; r < runs; r++) {
      const s = performance.now();
      hits = (await index.search({ logId, ...q, cursor })).items.length;
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    console.log(
      `query ${name}: median ${times[runs >> 1]!.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms (${hits} items)`,
    );
  }
  // Where the time of a page goes: the same newest-first query without fetching _source.
  for (const fetch of [false, true]) {
    const times: number[] = [];
    for (let r = 0; r < 20; r++) {
      const s = performance.now();
      await admin.search({
        index: `${prefix}-messages`,
        size: 51,
        track_total_hits: false,
        sort: [{ dateTime: "desc" }, { id: "desc" }],
        _source: fetch ? ["id", "logId", "title", "severity", "dateTime", "hostname"] : false,
        query: { bool: { filter: [{ term: { logId } }] } },
      });
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    console.log(
      `raw whole-log page, _source ${fetch ? "fetched" : "not fetched"}: median ${times[10]!.toFixed(1)} ms`,
    );
  }
  t = performance.now();
  const n = await index.count(logId);
  console.log(`count (${n}): ${(performance.now() - t).toFixed(1)} ms`);
  t = performance.now();
  await index.get(logId, messages[1234]!.id);
  console.log(`get: ${(performance.now() - t).toFixed(1)} ms`);
} finally {
  await index.close();
  const found = await admin.indices.get({ index: `${prefix}-messages-*`, allow_no_indices: true });
  if (Object.keys(found).length > 0) await admin.indices.delete({ index: Object.keys(found) });
  await admin.indices.deleteIndexTemplate({ name: `${prefix}-messages` }, { ignore: [404] });
  await admin.close();
}
