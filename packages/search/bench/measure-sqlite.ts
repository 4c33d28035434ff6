/**
 * Quick measurement of the SQLite search index (not a test): insert rate for ~4 KB messages and
 * query times for selective and broad matches. Run: `npx tsx bench/measure-sqlite.ts [count]`.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CanonicalMessage, Severity } from "@faultline/core";
import { createSqliteSearchIndex } from "../src/sqlite/index";
import type { SearchQuery } from "../src/types";

const count = Number(process.argv[2] ?? 100_000);
const batchSize = 1000;
const logId = randomUUID();
const otherLog = randomUUID();

// A deterministic pseudo-random source so runs are comparable.
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const words = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}${"abcdefgh"[i % 8]}`);
const zipfWord = () => words[Math.floor(words.length * rand() ** 3)]!;
const types = [
  "System.NullReferenceException",
  "System.TimeoutException",
  "TypeError",
  "ValueError",
  "SqlException",
];
const severities: Severity[] = ["Error", "Error", "Error", "Warning", "Fatal", "Information"];
const hosts = Array.from({ length: 20 }, (_, i) => `web-${i}`);

function message(i: number): CanonicalMessage {
  const dateTime = new Date(Date.UTC(2026, 0, 1) + i * 250 + Math.floor(rand() * 1000)).toISOString();
  const frames = Array.from(
    { length: 48 },
    () =>
      `   at Shop.${pick(words)}.${pick(words)}(String ${zipfWord()}) in /src/${zipfWord()}.cs:line ${Math.floor(rand() * 900)}`,
  );
  const type = pick(types);
  const title = `${type.split(".").at(-1)}: ${zipfWord()} ${zipfWord()} ${zipfWord()} failed for order ${i}${i % 1000 === 7 ? " needleword" : ""}`;
  return {
    id: randomUUID(),
    logId: i % 10 === 9 ? otherLog : logId,
    receivedAt: dateTime,
    format: "elmahio-v3",
    fingerprint: `fp${i % 500}`,
    title,
    severity: pick(severities),
    type,
    source: "Shop.Checkout",
    detail: `${type}: ${title} exception\n${frames.join("\n")}`,
    hostname: pick(hosts),
    url: `/orders/${i}/${zipfWord()}`,
    method: "POST",
    statusCode: 500,
    user: `user${i % 300}@example.com`,
    application: "shop",
    version: "1.4.2",
    dateTime,
    cookies: [],
    form: [{ key: "amount", value: "9.99" }],
    queryString: [],
    serverVariables: [
      {
        key: "HTTP_USER_AGENT",
        value: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130 Safari/537.36",
      },
    ],
    data: [],
    breadcrumbs: [],
  };
}

const dir = mkdtempSync(join(tmpdir(), "faultline-measure-"));
const file = join(dir, "search.db");
const index = createSqliteSearchIndex({ file });
try {
  const messages = Array.from({ length: count }, (_, i) => message(i));
  const avgBytes = messages.slice(0, 1000).reduce((n, m) => n + JSON.stringify(m).length, 0) / 1000;
  // Batches arrive roughly in time order, but shuffled within a batch as from competing consumers.
  const start = performance.now();
  for (let i = 0; i < count; i += batchSize) await index.index(messages.slice(i, i + batchSize));
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `insert: ${count} messages of ~${Math.round(avgBytes)} B JSON in batches of ${batchSize}: ` +
      `${seconds.toFixed(1)} s, ${Math.round(count / seconds)} msgs/s; file ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB`,
  );
  const redo = performance.now();
  await index.index(messages.slice(0, 10_000));
  console.log(`re-indexing 10000 known ids (no-op): ${Math.round(performance.now() - redo)} ms`);

  const cases: [string, Omit<SearchQuery, "logId">][] = [
    ["no text (whole log)", {}],
    ["selective word (0.1% of messages)", { text: "needleword" }],
    ["broad word (every message)", { text: "exception" }],
    ["two broad words", { text: "exception failed" }],
    ["broad + rare word", { text: "exception needleword" }],
    ["common prefix shop.check*", { text: "shop.check*" }],
    ["broad prefix exc* (every message)", { text: "exc*" }],
    ["fingerprint filter + broad word", { text: "exception", filters: { fingerprint: "fp123" } }],
    ["severity Fatal + broad word", { text: "exception", severities: ["Fatal"] }],
    ["hostname filter + severity", { filters: { hostname: "web-3" }, severities: ["Warning"] }],
    ["fingerprint filter (0.2%)", { filters: { fingerprint: "fp123" } }],
    ["no match at all", { text: "exception zzzznotthere" }],
    [
      "time range in the middle",
      { from: new Date(Date.UTC(2026, 0, 1, 2)), to: new Date(Date.UTC(2026, 0, 1, 3)) },
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
    const t = performance.now();
    let hits = 0;
    for (let r = 0; r < runs; r++) hits = (await index.search({ logId, ...q, cursor })).items.length;
    console.log(`query ${name}: ${((performance.now() - t) / runs).toFixed(2)} ms (${hits} items)`);
  }
  const t = performance.now();
  await index.count(logId);
  console.log(`count: ${(performance.now() - t).toFixed(2)} ms`);
} finally {
  await index.close();
  rmSync(dir, { recursive: true, force: true });
}
