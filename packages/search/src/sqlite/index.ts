import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type CanonicalMessage, type MessageSummary, summarize } from "@faultline/core";
import Database from "better-sqlite3";
import type { SearchIndex, SearchPage, SearchQuery } from "../types";
import { decodeCursor, encodeCursor, pageLimit } from "../paging";
import { keysColumn, matchExpression, messageRowidBase, msToRowidBase, SLOT, textColumn } from "./fts";

export { parseSearchText } from "../search-text";

export interface SqliteSearchOptions {
  /** The index file; created with its folder if missing. Several processes may open it at once. */
  file: string;
}

/** Bumped when the schema changes incompatibly; an older process refuses a newer file. */
// 2: a message id is unique within its log, not across logs (Sentry event ids are per project,
// and an SDK may send one event to several projects).
const SCHEMA_VERSION = 2;

/**
 * `messages` keeps every message whole (for get) plus its summary (so a result page parses
 * ~300 bytes per hit instead of the whole message). Its rowid is the FTS rowid: dateTime-ordered
 * (see fts.ts). `messages_fts` is contentless — the text lives in `messages` already — with
 * contentless_delete so that retention can delete rows later, and detail=column: it keeps which
 * column a token is in (the column filters need that) but not its positions, which halves the
 * cost of indexing (measured ~12k → ~30k rows/s for 2.6 KB messages) at the price of phrase
 * queries.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    log_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    message TEXT NOT NULL,
    UNIQUE (log_id, id)
  );
  CREATE TABLE IF NOT EXISTS log_counts (
    log_id TEXT PRIMARY KEY,
    n INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(
    keys, text,
    content = '', contentless_delete = 1, detail = column,
    tokenize = 'unicode61 remove_diacritics 2'
  );
`;

/** The newest-first query. Kept as a constant so the tests can check its plan. */
export const SEARCH_SQL = `
  SELECT f.rowid AS seq, m.summary AS summary
  FROM messages_fts f JOIN messages m ON m.seq = f.rowid
  WHERE messages_fts MATCH :match AND f.rowid >= :low AND f.rowid < :high
  ORDER BY f.rowid DESC
  LIMIT :limit`;

const MIN_ROWID = -(2n ** 63n);
const MAX_ROWID = 2n ** 63n - 1n;

/** Opens (and if needed creates) the index file; see SearchIndex for the guarantees. */
export function createSqliteSearchIndex({ file }: SqliteSearchOptions): SearchIndex {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // The indexer writes while the web site reads: WAL lets readers go on during a write, and the
  // busy timeout makes a second writer (or a schema check at open) wait instead of failing.
  db.pragma("busy_timeout = 10000");
  db.pragma("journal_mode = WAL");
  // FULL: the indexer completes bus messages once index() resolves, so a commit must survive a
  // power cut, not only a crash. One fsync per batch is cheap next to the batch itself.
  db.pragma("synchronous = FULL");
  // 16 MB of page cache instead of 2 MB keeps the id index and the FTS segments being merged in
  // memory during large batches.
  db.pragma("cache_size = -16000");
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `search index ${file} has schema version ${version}; this build knows ${SCHEMA_VERSION}`,
      );
    }
    if (version === 1) {
      // Version 1 made ids unique across logs; SQLite cannot drop a constraint, so the table is
      // rebuilt. Rowids (seq) are kept, so the FTS table stays valid.
      db.exec(`
        CREATE TABLE messages_v2 (
          seq INTEGER PRIMARY KEY, id TEXT NOT NULL, log_id TEXT NOT NULL,
          summary TEXT NOT NULL, message TEXT NOT NULL, UNIQUE (log_id, id)
        );
        INSERT INTO messages_v2 (seq, id, log_id, summary, message) SELECT seq, id, log_id, summary, message FROM messages;
        DROP TABLE messages;
        ALTER TABLE messages_v2 RENAME TO messages;
      `);
    }
    db.exec(SCHEMA);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();

  const exists = db.prepare<[string, string], { one: number }>(
    "SELECT 1 AS one FROM messages WHERE log_id = ? AND id = ?",
  );
  const maxInSlot = db
    .prepare<[bigint, bigint], { seq: bigint | null }>(
      "SELECT max(seq) AS seq FROM messages WHERE seq >= ? AND seq < ?",
    )
    .safeIntegers(true);
  const insertMessage = db.prepare<[bigint, string, string, string, string]>(
    "INSERT INTO messages (seq, id, log_id, summary, message) VALUES (?, ?, ?, ?, ?)",
  );
  const insertFts = db.prepare<[bigint, string, string]>(
    "INSERT INTO messages_fts (rowid, keys, text) VALUES (?, ?, ?)",
  );
  const addCount = db.prepare<[string, number]>(
    "INSERT INTO log_counts (log_id, n) VALUES (?, ?) ON CONFLICT (log_id) DO UPDATE SET n = n + excluded.n",
  );
  const searchStmt = db
    .prepare<{ match: string; low: bigint; high: bigint; limit: number }, { seq: bigint; summary: string }>(
      SEARCH_SQL,
    )
    .safeIntegers(true);
  const getStmt = db.prepare<[string, string], { message: string }>(
    "SELECT message FROM messages WHERE log_id = ? AND id = ?",
  );
  const countStmt = db.prepare<[string], { n: number }>("SELECT n FROM log_counts WHERE log_id = ?");

  /** The first free rowid at or after the message's slot start; a full slot spills onward. */
  function allocateRowid(base: bigint): bigint {
    for (let slot = base; ; slot += SLOT) {
      const max = maxInSlot.get(slot, slot + SLOT)?.seq ?? null;
      if (max === null) return slot;
      if (max < slot + SLOT - 1n) return max + 1n;
    }
  }

  const indexBatch = db.transaction((messages: readonly CanonicalMessage[]) => {
    const added = new Map<string, number>();
    for (const m of messages) {
      if (exists.get(m.logId, m.id)) continue;
      const seq = allocateRowid(messageRowidBase(m));
      insertMessage.run(seq, m.id, m.logId, JSON.stringify(summarize(m)), JSON.stringify(m));
      insertFts.run(seq, keysColumn(m), textColumn(m));
      added.set(m.logId, (added.get(m.logId) ?? 0) + 1);
    }
    for (const [logId, n] of added) addCount.run(logId, n);
  });

  let closed = false;
  const open = () => {
    if (closed) throw new Error(`search index ${file} is closed`);
  };

  return {
    description: `sqlite fts5 (${file})`,

    async index(messages) {
      open();
      // IMMEDIATE takes the write lock up front, so two indexer processes queue on the busy
      // timeout instead of one failing when it upgrades a read lock mid-transaction.
      if (messages.length > 0) indexBatch.immediate(messages);
    },

    async search(query: SearchQuery): Promise<SearchPage> {
      open();
      const limit = pageLimit(query.limit);
      let low = MIN_ROWID;
      let high = MAX_ROWID;
      if (query.from) low = msToRowidBase(query.from.getTime());
      if (query.to) high = msToRowidBase(query.to.getTime());
      if (query.cursor !== undefined) {
        const after = BigInt(decodeCursor(query.cursor));
        if (after < high) high = after;
      }
      if (low >= high) return { items: [], nextCursor: null };
      // One row more than the page tells whether there is a next page without a count.
      const rows = searchStmt.all({ match: matchExpression(query), low, high, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const items = page.map((r) => JSON.parse(r.summary) as MessageSummary);
      const last = page.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.seq.toString()) : null };
    },

    async get(logId, id) {
      open();
      const row = getStmt.get(logId, id);
      return row ? (JSON.parse(row.message) as CanonicalMessage) : null;
    },

    async count(logId) {
      open();
      return countStmt.get(logId)?.n ?? 0;
    },

    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
