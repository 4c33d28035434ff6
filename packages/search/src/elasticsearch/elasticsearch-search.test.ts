import { randomUUID } from "node:crypto";
import { Client } from "@elastic/elasticsearch";
import { afterAll, describe, expect, it, vi } from "vitest";
import { describeContract, describeSearchContract, testMessage } from "../contract";
import { createSearchIndex } from "../index";
import type { SearchIndex } from "../types";
import { createElasticsearchSearchIndex, monthlyIndexName, TEMPLATE_VERSION } from "./index";
import { fold, searchText, textClauses } from "./text";

// index() waits for a refresh (up to a second) and every test creates its own indices.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const url = process.env.FAULTLINE_TEST_ELASTICSEARCH_URL;

/** Why the server cannot be used, or undefined when it answers as a healthy Elasticsearch. */
async function probe(): Promise<string | undefined> {
  if (!url)
    return "FAULTLINE_TEST_ELASTICSEARCH_URL is not set (scripts/engines.sh starts a server and prints it)";
  const client = new Client({ node: url, requestTimeout: 5000, maxRetries: 0 });
  try {
    await client.cluster.health({ wait_for_status: "yellow", timeout: "5s" });
    return undefined;
  } catch (error) {
    return `Elasticsearch at ${url} is not reachable: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await client.close();
  }
}

const skipReason = await probe();
if (skipReason !== undefined && process.env.CI) {
  // CI starts the engine itself (.ci/run); a missing engine there is a broken build, not a skip.
  throw new Error(`CI is set but the Elasticsearch suite cannot run: ${skipReason}`);
}

/** A client for looking behind the adapter (mappings, index names) and for cleaning up. */
const admin = skipReason === undefined ? new Client({ node: url! }) : undefined;
afterAll(async () => {
  await admin?.close();
});

function uniquePrefix(): string {
  return `ftest-${randomUUID().slice(0, 8)}`;
}

async function indicesOf(prefix: string): Promise<string[]> {
  const found = await admin!.indices.get({ index: `${prefix}-messages-*`, allow_no_indices: true });
  return Object.keys(found).sort();
}

/** Deletes what one prefix created; indices by name, since wildcard deletes are refused. */
async function removePrefix(prefix: string): Promise<void> {
  const names = await indicesOf(prefix);
  if (names.length > 0) await admin!.indices.delete({ index: names });
  await admin!.indices.deleteIndexTemplate({ name: `${prefix}-messages` }, { ignore: [404] });
}

async function makeTarget(): Promise<{ index: SearchIndex; prefix: string; cleanup: () => Promise<void> }> {
  const prefix = uniquePrefix();
  const index = await createElasticsearchSearchIndex({ url: url!, indexPrefix: prefix });
  return {
    index,
    prefix,
    async cleanup() {
      await index.close();
      await removePrefix(prefix);
    },
  };
}

describeSearchContract("elasticsearch", makeTarget, { skipReason });

describeContract("elasticsearch search index", skipReason, () => {
  it("messages of different months land in different indices and are read through the alias", async () => {
    const target = await makeTarget();
    try {
      const logId = randomUUID();
      const march = testMessage(logId, { dateTime: "2026-03-31T23:59:59.999Z", title: "spread over months" });
      const january = testMessage(logId, {
        dateTime: "2026-01-15T10:00:00.000Z",
        title: "spread over months",
      });
      const april = testMessage(logId, { dateTime: "2026-04-01T00:00:00.000Z", title: "spread over months" });
      const december = testMessage(logId, {
        dateTime: "2025-12-31T23:00:00.000Z",
        title: "spread over months",
      });
      await target.index.index([march, january, april, december]);

      const p = target.prefix;
      expect(await indicesOf(p)).toEqual([
        `${p}-messages-2025-12`,
        `${p}-messages-2026-01`,
        `${p}-messages-2026-03`,
        `${p}-messages-2026-04`,
      ]);
      const aliases = await admin!.indices.getAlias({ name: `${p}-messages` });
      expect(Object.keys(aliases).sort()).toEqual(await indicesOf(p));

      const newestFirst = [april, march, january, december].map((m) => m.id);
      const page = await target.index.search({ logId, text: "months" });
      expect(page.items.map((m) => m.id)).toEqual(newestFirst);
      // One per page: the cursor carries on from one monthly index into the next.
      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        const onePage = await target.index.search({ logId, limit: 1, cursor });
        paged.push(...onePage.items.map((m) => m.id));
        cursor = onePage.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(paged).toEqual(newestFirst);
      expect(await target.index.count(logId)).toBe(4);
      expect(await target.index.get(logId, december.id)).toEqual(december);
      expect(
        (
          await target.index.search({
            logId,
            from: new Date("2026-01-01T00:00:00Z"),
            to: new Date("2026-04-01T00:00:00Z"),
          })
        ).items.map((m) => m.id),
      ).toEqual([march.id, january.id]);
    } finally {
      await target.cleanup();
    }
  });

  it("every monthly index gets the template's mapping and settings", async () => {
    const target = await makeTarget();
    try {
      const m = testMessage(randomUUID(), { statusCode: 503, hostname: "web-9" });
      await target.index.index([m]);
      const name = monthlyIndexName(target.prefix, m)!;
      const template = await admin!.indices.getIndexTemplate({ name: `${target.prefix}-messages` });
      expect(template.index_templates[0]?.index_template.version).toBe(TEMPLATE_VERSION);

      const mapping = (await admin!.indices.getMapping({ index: name }))[name]!.mappings;
      expect(mapping.dynamic).toBe("false");
      expect(mapping._source).toEqual({ excludes: ["searchText"] });
      const props = mapping.properties!;
      for (const field of ["id", "logId", "severity", "fingerprint", "hostname", "user", "correlationId"]) {
        expect(props[field]?.type, field).toBe("keyword");
      }
      expect(props.statusCode?.type).toBe("integer");
      expect(props.dateTime?.type).toBe("date");
      expect(props.searchText).toMatchObject({ type: "text", analyzer: "standard" });
      expect(props.cookies).toMatchObject({ type: "object", enabled: false });
      expect(props.detail).toMatchObject({ type: "keyword", index: false });

      const settings = (await admin!.indices.getSettings({ index: name }))[name]!.settings!.index!;
      expect(settings.sort).toMatchObject({ field: ["dateTime", "id"], order: ["desc", "desc"] });
      expect(settings.refresh_interval).toBe("1s");
      expect(settings.number_of_shards).toBe("1");

      // The stored document is the message exactly: searchText is indexed, not kept.
      const stored = await admin!.search({ index: name, query: { ids: { values: [`${m.logId}:${m.id}`] } } });
      expect(stored.hits.hits[0]?._source).toEqual(m);
      const byText = await admin!.count({ index: name, query: { match: { searchText: "web" } } });
      expect(byText.count).toBe(1);
    } finally {
      await target.cleanup();
    }
  });

  it("a message Elasticsearch refuses fails index() with its id and the reason", async () => {
    const target = await makeTarget();
    try {
      const logId = randomUUID();
      const good = testMessage(logId);
      const bad = testMessage(logId, { statusCode: "five hundred" as unknown as number });
      const undated = testMessage(logId, { dateTime: "yesterday" });
      await expect(target.index.index([good, bad, undated])).rejects.toThrow(
        new RegExp(
          `refused 2 of 3 messages .*${undated.id}: dateTime "yesterday" is not a date; ${bad.id}: 400 document_parsing_exception`,
        ),
      );
      // The rest of the batch is written (the bus redelivers it whole, and create is idempotent).
      expect(await target.index.count(logId)).toBe(1);
      expect(await target.index.get(logId, good.id)).toEqual(good);
      // No stray index for the message without a date.
      expect(await indicesOf(target.prefix)).toEqual([monthlyIndexName(target.prefix, good)]);
    } finally {
      await target.cleanup();
    }
  });

  it("a template of a newer build is refused", async () => {
    const prefix = uniquePrefix();
    try {
      await createElasticsearchSearchIndex({ url: url!, indexPrefix: prefix }).then((i) => i.close());
      const current = await admin!.indices.getIndexTemplate({ name: `${prefix}-messages` });
      await admin!.indices.putIndexTemplate({
        name: `${prefix}-messages`,
        ...current.index_templates[0]!.index_template,
        version: TEMPLATE_VERSION + 1,
      });
      await expect(createElasticsearchSearchIndex({ url: url!, indexPrefix: prefix })).rejects.toThrow(
        `has version ${TEMPLATE_VERSION + 1}; this build knows ${TEMPLATE_VERSION}`,
      );
    } finally {
      await removePrefix(prefix);
    }
  });

  it("an unreachable cluster fails at creation with the address", async () => {
    await expect(
      createElasticsearchSearchIndex({ url: "http://user:secret@127.0.0.1:9", indexPrefix: uniquePrefix() }),
    ).rejects.toThrow(
      /elasticsearch reading the index template failed \(http:\/\/127\.0\.0\.1:9\): cannot connect/,
    );
  });

  it("calls after close throw; close is idempotent", async () => {
    const target = await makeTarget();
    await target.cleanup();
    await target.index.close();
    await expect(target.index.count(randomUUID())).rejects.toThrow(/closed/);
  });

  it("createSearchIndex loads the elasticsearch adapter when configured", async () => {
    const prefix = uniquePrefix();
    const index = await createSearchIndex({ kind: "elasticsearch", url: url!, indexPrefix: prefix });
    try {
      expect(index.description).toBe(
        `elasticsearch (${new URL(url!).toString().replace(/\/$/, "")}, alias ${prefix}-messages)`,
      );
    } finally {
      await index.close();
      await removePrefix(prefix);
    }
  });
});

describe("elasticsearch free text", () => {
  it("folds case and accents and splits at punctuation", () => {
    expect(fold("Ärger Ｆｕｌｌ")).toBe("arger full");
    expect(
      searchText(
        testMessage(randomUUID(), { title: "Jürgen: System.NullReferenceException", statusCode: 500 }),
      ),
    ).toEqual(["jurgen system nullreferenceexception", "500"]);
  });

  it("makes phrases of words, prefixes only of words ending in *, and ignores syntax", () => {
    expect(textClauses('System.NullRef* "bar baz" qux')).toEqual([
      { match_phrase: { searchText: "system" } },
      { prefix: { searchText: { value: "nullref" } } },
      { match_phrase: { searchText: "bar baz" } },
      { match_phrase: { searchText: "qux" } },
    ]);
    expect(textClauses('a* "quoted*" x x')).toEqual([
      { match_phrase: { searchText: "a" } },
      { match_phrase: { searchText: "quoted" } },
      { match_phrase: { searchText: "x" } },
    ]);
    expect(textClauses('( ) - * : ""')).toEqual([]);
    expect(textClauses(Array.from({ length: 100 }, (_, i) => `w${i}`).join(" "))).toHaveLength(64);
  });
});
