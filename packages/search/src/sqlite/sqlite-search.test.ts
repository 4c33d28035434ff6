import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { describeSearchContract, testMessage } from "../contract";
import { createSearchIndex } from "../index";
import { matchExpression, SLOT, textTerms } from "./fts";
import { createSqliteSearchIndex, SEARCH_SQL } from "./index";

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "faultline-search-"));
  dirs.push(dir);
  return join(dir, "nested", "search.db");
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeSearchContract("sqlite", async () => {
  const index = createSqliteSearchIndex({ file: tempFile() });
  return { index, cleanup: () => index.close() };
});

describe("sqlite search index", () => {
  it("a second index object on the same file sees what the first one wrote", async () => {
    const file = tempFile();
    const writer = createSqliteSearchIndex({ file });
    const reader = createSqliteSearchIndex({ file });
    try {
      const logId = randomUUID();
      expect(await reader.count(logId)).toBe(0);
      const m = testMessage(logId, { title: "written by the indexer" });
      await writer.index([m]);
      expect((await reader.search({ logId, text: "indexer" })).items.map((i) => i.id)).toEqual([m.id]);
      expect(await reader.get(logId, m.id)).toEqual(m);
      expect(await reader.count(logId)).toBe(1);
      // Either side may write; ids stay unique across both.
      await reader.index([m]);
      expect(await writer.count(logId)).toBe(1);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it("messages with identical dateTimes get distinct rowids in one slot", async () => {
    const file = tempFile();
    const index = createSqliteSearchIndex({ file });
    const logId = randomUUID();
    const dateTime = "2026-11-21T10:00:00.123Z";
    const first = Array.from({ length: 3 }, () => testMessage(logId, { dateTime }));
    const later = Array.from({ length: 2 }, () => testMessage(logId, { dateTime }));
    await index.index(first);
    await index.index(later);
    await index.close();
    const db = new Database(file, { readonly: true });
    const rows = db.prepare("SELECT seq FROM messages ORDER BY seq").safeIntegers(true).all() as {
      seq: bigint;
    }[];
    db.close();
    const base = BigInt(Date.parse(dateTime)) * SLOT;
    expect(rows.map((r) => r.seq)).toEqual([0n, 1n, 2n, 3n, 4n].map((i) => base + i));
  });

  it("the newest-first search walks the FTS index without sorting", () => {
    const file = tempFile();
    createSqliteSearchIndex({ file }).close();
    const db = new Database(file, { readonly: true });
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN ${SEARCH_SQL}`)
      .all({ match: "x", low: 0n, high: 1n, limit: 1 }) as { detail: string }[];
    db.close();
    const details = plan.map((p) => p.detail).join("\n");
    expect(details).toMatch(/SCAN f VIRTUAL TABLE/);
    expect(details).toMatch(/SEARCH m USING INTEGER PRIMARY KEY/);
    expect(details).not.toMatch(/TEMP B-TREE/);
  });

  it("a file with a newer schema version is refused", async () => {
    const file = tempFile();
    await createSqliteSearchIndex({ file }).close();
    const db = new Database(file);
    db.pragma("user_version = 99");
    db.close();
    expect(() => createSqliteSearchIndex({ file })).toThrow(/schema version 99/);
  });

  it("a version 1 file (ids unique across logs) is upgraded in place and keeps its messages", async () => {
    const file = tempFile();
    const logId = randomUUID();
    const old = testMessage(logId, { title: "indexed before the upgrade" });
    const index = createSqliteSearchIndex({ file });
    await index.index([old]);
    await index.close();
    // Put the table back the way version 1 made it.
    const db = new Database(file);
    db.exec(`
      CREATE TABLE v1 (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, log_id TEXT NOT NULL,
                       summary TEXT NOT NULL, message TEXT NOT NULL);
      INSERT INTO v1 SELECT seq, id, log_id, summary, message FROM messages;
      DROP TABLE messages; ALTER TABLE v1 RENAME TO messages;
    `);
    db.pragma("user_version = 1");
    db.close();

    const upgraded = createSqliteSearchIndex({ file });
    const otherLog = randomUUID();
    await upgraded.index([{ ...testMessage(otherLog), id: old.id }]);
    expect(await upgraded.get(logId, old.id)).toEqual(old);
    expect((await upgraded.search({ logId, text: "upgrade" })).items.map((m) => m.id)).toEqual([old.id]);
    expect(await upgraded.count(otherLog)).toBe(1);
    await upgraded.close();
    const check = new Database(file);
    expect(check.pragma("user_version", { simple: true })).toBe(2);
    check.close();
  });

  it("calls after close throw", async () => {
    const index = createSqliteSearchIndex({ file: tempFile() });
    await index.close();
    await index.close();
    await expect(index.count(randomUUID())).rejects.toThrow(/closed/);
  });

  it("createSearchIndex picks sqlite and names an unknown kind", async () => {
    const index = await createSearchIndex({ kind: "sqlite", file: tempFile() });
    expect(index.description).toMatch(/^sqlite fts5/);
    await index.close();
    await expect(createSearchIndex({ kind: "solr" } as never)).rejects.toThrow(
      /unknown search engine "solr"; supported: "sqlite", "elasticsearch"/,
    );
  });
});

describe("FTS5 match expressions", () => {
  it("quotes every token and makes a prefix only of words ending in *", () => {
    expect(textTerms('foo "bar baz" qux')).toBe('"foo" AND "bar" AND "baz" AND "qux"');
    expect(textTerms("System.NullRef* conn*")).toBe('"System" AND "NullRef" * AND "conn" *');
    expect(textTerms('a* "quoted*" **')).toBe('"a" AND "quoted"');
    expect(textTerms("Ärger NEAR(ärger)")).toBe('"Ärger" AND "NEAR" AND "ärger"');
    expect(textTerms('say "hi"')).toBe('"say" AND "hi"');
    expect(textTerms('ab"cd')).toBe('"ab" AND "cd"');
    expect(textTerms("x")).toBe('"x"');
    expect(textTerms('( ) - * : ""')).toBeNull();
  });

  it("puts the log, severities and filters inside the MATCH expression", () => {
    const expr = matchExpression({
      logId: "L",
      severities: ["Error", "Error", "Fatal"],
      filters: { hostname: "h" },
      text: "boom",
    });
    expect(expr).toBe(
      'keys : "logx4c" AND keys : ("sevx4572726f72" OR "sevx466174616c") AND keys : "hostnamex68" AND text : ("boom")',
    );
  });
});
