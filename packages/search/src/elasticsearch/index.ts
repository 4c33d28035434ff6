import type { CanonicalMessage, MessageSummary } from "@faultline/core";
import { Client, errors } from "@elastic/elasticsearch";
import { decodeCursor, encodeCursor, pageLimit } from "../paging";
import { FILTER_FIELDS, type SearchIndex, type SearchPage, type SearchQuery } from "../types";
import { searchText, textClauses } from "./text";

export interface ElasticsearchSearchOptions {
  /** The cluster, e.g. http://127.0.0.1:9200 (credentials may be part of the URL). */
  url: string;
  /** Names the template, the monthly indices and the alias; one prefix per deployment. */
  indexPrefix: string;
  /**
   * How index() waits until its batch is searchable (see indexChunk): "immediate" (default)
   * refreshes the shards the batch touched; "wait_for" waits for the periodic refresh.
   */
  refresh?: "immediate" | "wait_for";
}

/**
 * Bumped when the template changes. A template with a higher version (a newer build) is left
 * alone and this build refuses to start, like the SQLite index refuses a newer schema. A changed
 * template only shapes indices created after it: existing months keep their mapping, so changes
 * must stay compatible with them (or the months be rebuilt from the archive).
 */
export const TEMPLATE_VERSION = 1;

/** Keyword values longer than this are kept in _source but not indexed: Lucene refuses terms
 * over 32766 bytes, and 8191 characters of UTF-8 stay below that. A filter for such a value finds
 * nothing; no real hostname or fingerprint comes near it. */
const MAX_KEYWORD_CHARS = 8191;

const keyword = { type: "keyword", ignore_above: MAX_KEYWORD_CHARS } as const;
/** In _source only: no inverted index, no doc values. */
const stored = { type: "keyword", index: false, doc_values: false } as const;
/** A whole sub-tree in _source only. */
const opaque = { type: "object", enabled: false } as const;

/**
 * The mapping of every monthly index. `_source` is the canonical message exactly as given (so
 * get() returns it unchanged) plus `searchText`, which is indexed but excluded from the stored
 * _source: it repeats the message's text, normalized (see text.ts). dynamic: false keeps fields a
 * newer core adds in _source without indexing them, instead of guessing a mapping.
 */
export const MESSAGE_MAPPINGS = {
  dynamic: false,
  _source: { excludes: ["searchText"] },
  properties: {
    id: { type: "keyword" },
    logId: { type: "keyword" },
    severity: { type: "keyword" },
    format: { type: "keyword" },
    fingerprint: keyword,
    type: keyword,
    source: keyword,
    hostname: keyword,
    application: keyword,
    user: keyword,
    version: keyword,
    method: keyword,
    category: keyword,
    correlationId: keyword,
    statusCode: { type: "integer" },
    // Not ignore_malformed: a document without a sortable dateTime would sort with Long.MIN_VALUE,
    // which no JSON number from JavaScript can carry back in search_after. Ingest always writes
    // ISO 8601; anything else is refused with a clear error (see index()).
    dateTime: { type: "date" },
    receivedAt: stored,
    searchText: { type: "text", analyzer: "standard", norms: false },
    title: stored,
    titleTemplate: stored,
    detail: stored,
    url: stored,
    code: stored,
    raw: stored,
    cookies: opaque,
    form: opaque,
    queryString: opaque,
    serverVariables: opaque,
    data: opaque,
    breadcrumbs: opaque,
    exceptions: opaque,
  },
} as const;

/** What a result page needs from _source; the rest of a (possibly 100 KB) message stays put. */
const SUMMARY_FIELDS: (keyof MessageSummary)[] = [
  "id",
  "logId",
  "title",
  "severity",
  "dateTime",
  "type",
  "source",
  "hostname",
  "url",
  "method",
  "statusCode",
  "application",
  "user",
  "fingerprint",
];

/** Newest first; the id breaks ties so that search_after never skips or repeats a message. */
const SORT = [{ dateTime: { order: "desc" } }, { id: { order: "desc" } }] as const;

/** One bulk request carries at most this much (Elasticsearch refuses bodies over 100 MB). */
const MAX_BULK_BYTES = 8 * 2 ** 20;
const MAX_BULK_DOCS = 1000;
/** Items the cluster rejected as overloaded (429) are retried this often, with backoff. */
const MAX_REJECTED_RETRIES = 5;

/**
 * The monthly index a message belongs to: its dateTime's UTC month; null when dateTime is not a
 * date (such a message is refused before it could create a stray index).
 */
export function monthlyIndexName(prefix: string, m: Pick<CanonicalMessage, "dateTime">): string | null {
  const ms = Date.parse(m.dateTime);
  if (Number.isNaN(ms)) return null;
  const d = new Date(ms);
  const year = Math.min(9999, Math.max(0, d.getUTCFullYear()));
  const month = String(d.getUTCMonth() + 1).padStart(2, "0");
  return `${prefix}-messages-${String(year).padStart(4, "0")}-${month}`;
}

/**
 * Messages in Elasticsearch (core modules only); see SearchIndex for the guarantees.
 *
 * Layout: an index template `{prefix}-messages` for `{prefix}-messages-*` holds the settings and
 * the explicit mapping (MESSAGE_MAPPINGS) and puts every index it shapes into the read alias
 * `{prefix}-messages`. Messages go to monthly indices by dateTime (`{prefix}-messages-2026-11`),
 * created on first write; reads, counts and gets go through the alias only, so retention and
 * restore are alias and index operations, never deletes by query (delete_by_query is not even in
 * core). One primary shard per month (comfortable up to a few tens of GB; see below); replicas
 * auto-expand from 0 to 1 so a single-node cluster stays green. Each index is sorted by [dateTime desc, id desc], the order of
 * every search, so a newest-first page stops after `limit` hits per segment instead of scoring
 * all matches (needs track_total_hits: false, which the searches set).
 *
 * Writes: one bulk request per batch, the message id as document id and op_type create, so a
 * redelivered message gets 409 and is left as it is (the same id always maps to the same month,
 * because dateTime is part of the message). index() resolves only once the batch is searchable:
 * by default the bulk request refreshes what it wrote (see indexChunk for why not wait_for). A
 * message whose dateTime is not a date, or that the cluster refuses, makes index() throw with its
 * id and the reason, after the rest of the batch is written.
 *
 * Free text is one `searchText` field (standard analyzer) filled with the message's normalized
 * text; filters are term queries on keyword fields; see text.ts for why the adapter normalizes.
 *
 * Production needs beyond what this adapter does with core modules:
 * - retention: ILM (or a scheduled job) deleting monthly indices older than the plan allows;
 *   dropping a whole index is what the monthly layout is for;
 * - the daily backup: snapshot lifecycle management to a repository (repository-s3 / -azure /
 *   -gcs module), and restoring a month into the alias;
 * - security: TLS and an API key or user with rights on `{prefix}-messages*` only (security is
 *   off on the test server; credentials can be given in the URL);
 * - analysis-common for language-aware analysis (stemming, asciifolding in the engine instead of
 *   the adapter's own folding in text.ts), and index_prefixes on searchText if prefix queries
 *   become hot;
 * - shard count per month sized to the customer's volume, and replicas ≥ 1 on a real cluster.
 */
export async function createElasticsearchSearchIndex(
  options: ElasticsearchSearchOptions,
): Promise<SearchIndex> {
  const { url, indexPrefix } = options;
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(indexPrefix)) {
    throw new Error(
      `elasticsearch index prefix ${JSON.stringify(indexPrefix)}: use lowercase letters, digits, '-' and '_'`,
    );
  }
  const where = redact(url);
  const alias = `${indexPrefix}-messages`;
  const templateName = `${indexPrefix}-messages`;
  const refreshMode = options.refresh === "wait_for" ? "wait_for" : true;
  const client = new Client({ node: url, requestTimeout: 30_000, maxRetries: 3 });

  /** Runs one request; any failure becomes an Error naming the operation and the cluster. */
  async function call<T>(operation: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw new Error(`elasticsearch ${operation} failed (${where}): ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  try {
    await ensureTemplate();
  } catch (error) {
    await client.close();
    throw error;
  }

  async function ensureTemplate(): Promise<void> {
    const existing = await call("reading the index template", () =>
      client.indices.getIndexTemplate({ name: templateName }, { ignore: [404] }),
    );
    const version = existing.index_templates?.[0]?.index_template.version ?? 0;
    if (version > TEMPLATE_VERSION) {
      throw new Error(
        `elasticsearch index template ${templateName} (${where}) has version ${version}; this build knows ${TEMPLATE_VERSION}`,
      );
    }
    if (version === TEMPLATE_VERSION) return;
    await call("creating the index template", () =>
      client.indices.putIndexTemplate({
        name: templateName,
        index_patterns: [`${indexPrefix}-messages-*`],
        // Above the built-in templates' 100, so that a prefix like "logs" still gets ours.
        priority: 500,
        version: TEMPLATE_VERSION,
        _meta: { description: "Faultline messages, one index per month; read through the alias" },
        template: {
          settings: {
            number_of_shards: 1,
            auto_expand_replicas: "0-1",
            // Explicit, so that a shard without searches for 30 s is not "search idle": an idle
            // shard skips scheduled refreshes and would hold a wait_for write until a search.
            refresh_interval: "1s",
            codec: "best_compression",
            "sort.field": ["dateTime", "id"],
            "sort.order": ["desc", "desc"],
          },
          // biome-ignore lint/suspicious/noExplicitAny: the client's mapping types do not model `as const` literals
          mappings: MESSAGE_MAPPINGS as any,
          aliases: { [alias]: {} },
        },
      }),
    );
  }

  let closed = false;
  const open = () => {
    if (closed) throw new Error(`elasticsearch search index ${alias} (${where}) is closed`);
  };

  /**
   * Writes one chunk and makes it searchable before returning, as SearchIndex requires.
   *
   * Default refresh=true: the bulk request refreshes the shards it wrote to (the current month's,
   * usually one). Measured here (bench/measure-elasticsearch.ts: batches of 500 ~3.5 KB messages,
   * a 512 MB node on 2 shared cores): one writer ~960–1,550 msgs/s and 0.3–0.5 s per batch,
   * against ~420–460 msgs/s and ~1.1 s per batch with refresh=wait_for, which waits for the next
   * periodic refresh (1 s). The indexer runs one batch at a time and, after a failure, retries a
   * batch message by message, which wait_for would stretch to ~1 s per message. The warning
   * against refresh=true is about refreshing per document; a batch of hundreds makes segments of
   * megabytes. The cost grows with the number of indexer processes, each refreshing per batch:
   * with many, "wait_for" shares one refresh per second among all writers (4 writers measured
   * ~1,050 msgs/s with wait_for, ~900 with refresh=true, the cores being the limit).
   *
   * A 409 means the id is already there, written by an earlier delivery. That write may not be
   * searchable yet (its process may have died before its refresh), so a batch with conflicts
   * ends with an explicit refresh of the indices concerned; redeliveries are rare.
   */
  async function indexChunk(messages: readonly CanonicalMessage[]): Promise<void> {
    let pending = messages;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const operations: object[] = [];
      const sent: { m: CanonicalMessage; target: string }[] = [];
      const failures: string[] = [];
      for (const m of pending) {
        const target = monthlyIndexName(indexPrefix, m);
        if (target === null) {
          failures.push(`${m.id}: dateTime ${JSON.stringify(m.dateTime)} is not a date`);
          continue;
        }
        sent.push({ m, target });
        // The document id is scoped by log: a message id is unique within its log only (Sentry
        // event ids are per project, and one event may be sent to several projects).
        operations.push(
          { create: { _index: target, _id: `${m.logId}:${m.id}` } },
          { ...m, searchText: searchText(m) },
        );
      }
      const response =
        operations.length === 0
          ? { items: [] }
          : await call("bulk indexing", () => client.bulk({ operations, refresh: refreshMode }));
      const rejected: CanonicalMessage[] = [];
      const conflicted = new Set<string>();
      response.items.forEach((item, i) => {
        const result = item.create;
        const status = result?.status ?? 0;
        if (status >= 200 && status < 300) return;
        const { m, target } = sent[i]!;
        if (status === 409) conflicted.add(target);
        else if (status === 429) rejected.push(m);
        else
          failures.push(
            `${m.id}: ${status} ${result?.error?.type ?? "error"}: ${result?.error?.reason ?? "?"}`,
          );
      });
      // The others of the batch are written: the bus redelivers the batch whole, and create is
      // idempotent, so nothing is duplicated when it comes back.
      if (failures.length > 0) {
        throw new Error(
          `elasticsearch refused ${failures.length} of ${pending.length} messages (${where}): ${failures.slice(0, 3).join("; ")}${failures.length > 3 ? "; …" : ""}`,
        );
      }
      if (conflicted.size > 0) {
        await call("refreshing after conflicts", () => client.indices.refresh({ index: [...conflicted] }));
      }
      if (rejected.length > 0 && attempt >= MAX_REJECTED_RETRIES) {
        throw new Error(
          `elasticsearch kept rejecting ${rejected.length} messages as overloaded (429) after ${attempt + 1} attempts (${where})`,
        );
      }
      if (rejected.length > 0) await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      pending = rejected;
    }
  }

  /** Every query starts with the log: no search can ever see another log's messages. */
  function filters(query: SearchQuery): object[] {
    const clauses: object[] = [{ term: { logId: query.logId } }];
    if (query.severities && query.severities.length > 0) {
      clauses.push({ terms: { severity: [...new Set(query.severities)] } });
    }
    for (const field of FILTER_FIELDS) {
      const value = query.filters?.[field];
      if (value !== undefined) clauses.push({ term: { [field]: value } });
    }
    if (query.from !== undefined || query.to !== undefined) {
      const range: { gte?: number; lt?: number; format: string } = { format: "epoch_millis" };
      if (query.from !== undefined) range.gte = millis(query.from);
      if (query.to !== undefined) range.lt = millis(query.to);
      clauses.push({ range: { dateTime: range } });
    }
    if (query.text !== undefined) clauses.push(...textClauses(query.text));
    return clauses;
  }

  return {
    description: `elasticsearch (${where}, alias ${alias})`,

    async index(messages) {
      open();
      let chunk: CanonicalMessage[] = [];
      let bytes = 0;
      for (const m of messages) {
        // Roughly the document's size: the message plus its text repeated as searchText.
        const size = 2 * JSON.stringify(m).length;
        if (chunk.length > 0 && (chunk.length >= MAX_BULK_DOCS || bytes + size > MAX_BULK_BYTES)) {
          await indexChunk(chunk);
          chunk = [];
          bytes = 0;
        }
        chunk.push(m);
        bytes += size;
      }
      if (chunk.length > 0) await indexChunk(chunk);
    },

    async search(query: SearchQuery): Promise<SearchPage> {
      open();
      const limit = pageLimit(query.limit);
      const after = query.cursor === undefined ? undefined : readCursor(query.cursor);
      const response = await call("search", () =>
        client.search<MessageSummary>({
          index: alias,
          // The alias does not exist before the first message: an empty page, not an error.
          ignore_unavailable: true,
          allow_no_indices: true,
          // One hit more than the page tells whether there is a next page, without counting.
          size: limit + 1,
          track_total_hits: false,
          sort: SORT as never,
          search_after: after,
          _source: SUMMARY_FIELDS,
          query: { bool: { filter: filters(query) as never } },
        }),
      );
      const hits = response.hits.hits;
      const page = hits.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((h) => h._source!),
        nextCursor: hits.length > limit && last?.sort ? writeCursor(last.sort) : null,
      };
    },

    async get(logId, id) {
      open();
      const response = await call("get", () =>
        client.search<CanonicalMessage>({
          index: alias,
          ignore_unavailable: true,
          allow_no_indices: true,
          size: 1,
          track_total_hits: false,
          query: { bool: { filter: [{ term: { id } }, { term: { logId } }] } },
        }),
      );
      return response.hits.hits[0]?._source ?? null;
    },

    async count(logId) {
      open();
      const response = await call("count", () =>
        client.count({
          index: alias,
          ignore_unavailable: true,
          allow_no_indices: true,
          query: { term: { logId } },
        }),
      );
      return response.count;
    },

    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

function millis(d: Date): number {
  const ms = d.getTime();
  if (Number.isNaN(ms)) throw new RangeError("search time bound is not a valid date");
  return ms;
}

/** The cursor's position is the last hit's sort values: dateTime in ms, then the id. */
function writeCursor(sort: readonly unknown[]): string {
  const [ms, id] = sort;
  return encodeCursor(`${String(ms)}:${String(id)}`);
}

function readCursor(cursor: string): [number, string] {
  const position = decodeCursor(cursor, /^-?\d{1,19}:[A-Za-z0-9_-]{1,64}$/);
  const colon = position.indexOf(":");
  return [Number(position.slice(0, colon)), position.slice(colon + 1)];
}

/** The URL without credentials, for messages and the startup log line. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(unparseable url)";
  }
}

/** The reason Elasticsearch gave, or what went wrong on the way there. */
function describeError(error: unknown): string {
  if (error instanceof errors.ResponseError) {
    const cause = error.body?.error;
    const reason = cause?.root_cause?.[0]?.reason ?? cause?.reason ?? error.message;
    return `${error.statusCode ?? "?"} ${cause?.type ?? "error"}: ${reason}`;
  }
  if (error instanceof errors.ConnectionError || error instanceof errors.NoLivingConnectionsError) {
    return `cannot connect: ${error.message}`;
  }
  if (error instanceof errors.TimeoutError) return `no answer in time: ${error.message}`;
  if (error instanceof errors.ProductNotSupportedError) {
    return "the server did not identify itself as Elasticsearch (x-elastic-product header missing)";
  }
  return error instanceof Error ? error.message : String(error);
}
