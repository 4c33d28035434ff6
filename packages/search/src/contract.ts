import { randomUUID } from "node:crypto";
import type { CanonicalMessage } from "@faultline/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidCursorError } from "./paging";
import type { SearchIndex, SearchQuery } from "./types";

/**
 * A contract suite that may not be able to reach its engine. With a reason, the suite is
 * registered as skipped — every test shows up as skipped, the title and a warning carry the
 * reason — so a missing engine can never pass as green. Adapter test files find the reason
 * before registering, e.g. with a top-level `await probe()` that returns a string or undefined.
 */
export function describeContract(title: string, skipReason: string | undefined, body: () => void): void {
  if (skipReason === undefined) {
    describe(title, body);
    return;
  }
  console.warn(`[contract] ${title}: SKIPPED — ${skipReason}`);
  describe.skip(`${title} (skipped: ${skipReason})`, body);
}

export interface SearchContractTarget {
  index: SearchIndex;
  /** Closes the index and removes what the test created. */
  cleanup(): Promise<void>;
}

export interface SearchContractOptions {
  /** Why the engine cannot be reached; the suite is then reported as skipped with it. */
  skipReason?: string;
}

const BASE_TIME = Date.UTC(2026, 10, 21, 12, 0, 0);
let sequence = 0;

/** A valid canonical message for tests; each call gets a new id and a later dateTime. */
export function testMessage(logId: string, fields: Partial<CanonicalMessage> = {}): CanonicalMessage {
  sequence++;
  const at = new Date(BASE_TIME + sequence * 1000).toISOString();
  return {
    id: randomUUID(),
    logId,
    receivedAt: at,
    format: "native",
    fingerprint: "fp-test",
    title: `test message number${sequence}`,
    severity: "Error",
    dateTime: at,
    cookies: [],
    form: [],
    queryString: [],
    serverVariables: [],
    data: [],
    breadcrumbs: [],
    ...fields,
  };
}

function at(seconds: number, ms = 0): string {
  return new Date(BASE_TIME + seconds * 1000 + ms).toISOString();
}

/**
 * The behaviour every SearchIndex must have, written against the interface only. makeIndex is
 * called before each test and gets a fresh, empty index (or at least fresh log ids: every test
 * uses logs of its own).
 */
export function describeSearchContract(
  name: string,
  makeIndex: () => Promise<SearchContractTarget>,
  options: SearchContractOptions = {},
): void {
  describeContract(`SearchIndex contract: ${name}`, options.skipReason, () => {
    let target: SearchContractTarget;
    let index: SearchIndex;
    let logId: string;

    beforeEach(async () => {
      target = await makeIndex();
      index = target.index;
      logId = randomUUID();
    });
    afterEach(async () => {
      await target.cleanup();
    });

    const ids = async (query: Omit<SearchQuery, "logId">, log = logId) =>
      (await index.search({ logId: log, ...query })).items.map((m) => m.id);

    it("indexing the same message twice keeps one copy", async () => {
      const a = testMessage(logId);
      const b = testMessage(logId);
      await index.index([a]);
      await index.index([a, b, b]);
      await index.index([{ ...a, title: "changed on redelivery" }]);
      expect(await index.count(logId)).toBe(2);
      expect((await ids({})).sort()).toEqual([a.id, b.id].sort());
      expect((await index.get(logId, a.id))?.title).toBe(a.title);
    });

    it("results are newest first by dateTime", async () => {
      // Indexed in neither time order, and receivedAt runs the other way round.
      const messages = [3, 1, 4, 0, 2].map((s) =>
        testMessage(logId, { dateTime: at(s), receivedAt: at(100 - s) }),
      );
      await index.index(messages.slice(0, 2));
      await index.index(messages.slice(2));
      const page = await index.search({ logId });
      expect(page.items.map((m) => m.dateTime)).toEqual([4, 3, 2, 1, 0].map((s) => at(s)));
      expect(page.nextCursor).toBeNull();
    });

    it("paging with the cursor visits every match once", async () => {
      // Several messages share a dateTime, so a page boundary falls inside a tie.
      const messages = Array.from({ length: 23 }, (_, i) =>
        testMessage(logId, { dateTime: at(Math.floor(i / 4)), title: `pager entry ${i}` }),
      );
      await index.index(messages);
      await index.index([testMessage(logId, { title: "something else" })]);
      const seen: string[] = [];
      const dates: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await index.search({ logId, text: "pager", limit: 5, cursor });
        expect(page.items.length).toBeLessThanOrEqual(5);
        seen.push(...page.items.map((m) => m.id));
        dates.push(...page.items.map((m) => m.dateTime));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(seen).toHaveLength(23);
      expect(new Set(seen)).toEqual(new Set(messages.map((m) => m.id)));
      expect(dates).toEqual([...dates].sort().reverse());
    });

    it("all words of the text must match", async () => {
      const both = testMessage(logId, { title: "database timeout while saving" });
      const first = testMessage(logId, { title: "database deadlock" });
      const second = testMessage(logId, { title: "network timeout" });
      await index.index([both, first, second]);
      expect(await ids({ text: "database timeout" })).toEqual([both.id]);
      expect(await ids({ text: "timeout   database" })).toEqual([both.id]);
      expect((await ids({ text: "timeout" })).sort()).toEqual([both.id, second.id].sort());
      expect(await ids({ text: "database timeout unicorn" })).toEqual([]);
    });

    it("a word ending in * matches as a prefix, other words only whole", async () => {
      const m = testMessage(logId, { title: "Connection refused by upstream" });
      await index.index([m, testMessage(logId, { title: "unrelated" })]);
      expect(await ids({ text: "conn* refused" })).toEqual([m.id]);
      expect(await ids({ text: "connection refu*" })).toEqual([m.id]);
      expect(await ids({ text: "connection refu" })).toEqual([]);
    });

    it("text is matched in title, detail and type", async () => {
      const inTitle = testMessage(logId, { title: "alphatitle went wrong" });
      const inDetail = testMessage(logId, { detail: "at Foo.bar()\n  bravodetail happened here" });
      const inType = testMessage(logId, { type: "System.CharlieTypeException" });
      const inHost = testMessage(logId, { hostname: "deltahost-7" });
      await index.index([inTitle, inDetail, inType, inHost]);
      expect(await ids({ text: "alphatitle" })).toEqual([inTitle.id]);
      expect(await ids({ text: "BRAVODETAIL" })).toEqual([inDetail.id]);
      expect(await ids({ text: "CharlieTypeException" })).toEqual([inType.id]);
      expect(await ids({ text: "System.CharlieTypeException" })).toEqual([inType.id]);
      expect(await ids({ text: "deltahost" })).toEqual([inHost.id]);
    });

    it("severity filter", async () => {
      const error = testMessage(logId, { severity: "Error" });
      const warning = testMessage(logId, { severity: "Warning" });
      const fatal = testMessage(logId, { severity: "Fatal" });
      await index.index([error, warning, fatal]);
      expect((await ids({ severities: ["Error", "Fatal"] })).sort()).toEqual([error.id, fatal.id].sort());
      expect(await ids({ severities: ["Warning"] })).toEqual([warning.id]);
      expect(await ids({ severities: ["Debug"] })).toEqual([]);
      expect(await ids({ severities: [] })).toHaveLength(3);
    });

    it("field filters match exactly", async () => {
      const web01 = testMessage(logId, { hostname: "web-01", statusCode: 500, type: "TimeoutError" });
      const web01b = testMessage(logId, { hostname: "web-01b", statusCode: 5000, type: "TimeoutError" });
      const upper = testMessage(logId, { hostname: "WEB-01", statusCode: 500, type: "Other" });
      const spaced = testMessage(logId, { user: "Jürgen Müller (admin)", application: "shop: checkout" });
      const long = testMessage(logId, { fingerprint: "f".repeat(300) });
      await index.index([web01, web01b, upper, spaced, long]);
      expect(await ids({ filters: { hostname: "web-01" } })).toEqual([web01.id]);
      expect(await ids({ filters: { hostname: "web" } })).toEqual([]);
      expect((await ids({ filters: { statusCode: 500 } })).sort()).toEqual([web01.id, upper.id].sort());
      expect(await ids({ filters: { statusCode: 500, type: "TimeoutError" } })).toEqual([web01.id]);
      expect(await ids({ filters: { user: "Jürgen Müller (admin)" } })).toEqual([spaced.id]);
      expect(await ids({ filters: { user: "Jürgen Müller" } })).toEqual([]);
      expect(await ids({ filters: { application: "shop: checkout" } })).toEqual([spaced.id]);
      expect(await ids({ filters: { fingerprint: "f".repeat(300) } })).toEqual([long.id]);
      expect(await ids({ filters: { fingerprint: "f".repeat(299) } })).toEqual([]);
    });

    it("time range is inclusive from, exclusive to", async () => {
      const before = testMessage(logId, { dateTime: at(9, 999) });
      const onFrom = testMessage(logId, { dateTime: at(10) });
      const inside = testMessage(logId, { dateTime: at(15) });
      const lastInside = testMessage(logId, { dateTime: at(19, 999) });
      const onTo = testMessage(logId, { dateTime: at(20) });
      await index.index([before, onFrom, inside, lastInside, onTo]);
      const from = new Date(at(10));
      const to = new Date(at(20));
      expect(await ids({ from, to })).toEqual([lastInside.id, inside.id, onFrom.id]);
      expect(await ids({ from })).toEqual([onTo.id, lastInside.id, inside.id, onFrom.id]);
      expect(await ids({ to })).toEqual([lastInside.id, inside.id, onFrom.id, before.id]);
      expect(await ids({ from: to, to: from })).toEqual([]);
    });

    it("another log's messages are never returned", async () => {
      const otherLog = randomUUID();
      const mine = testMessage(logId, { title: "shared words here", hostname: "h1" });
      const theirs = testMessage(otherLog, { title: "shared words here", hostname: "h1" });
      await index.index([mine, theirs]);
      expect(await ids({ text: "shared words" })).toEqual([mine.id]);
      expect(await ids({ filters: { hostname: "h1" } })).toEqual([mine.id]);
      expect(await ids({ text: "shared" }, otherLog)).toEqual([theirs.id]);
      expect(await index.get(logId, theirs.id)).toBeNull();
      expect(await index.get(otherLog, theirs.id)).toEqual(theirs);
    });

    it("the same message id in two logs is kept in each", async () => {
      // Sentry event ids are chosen by the SDK and are unique per project only: one event may be
      // sent to several projects (a multiplexed transport), and each log must keep its copy.
      const otherLog = randomUUID();
      const mine = testMessage(logId, { title: "sent to two projects" });
      const theirs = { ...testMessage(otherLog, { title: "sent to two projects" }), id: mine.id };
      await index.index([mine]);
      await index.index([theirs]);
      expect(await index.count(logId)).toBe(1);
      expect(await index.count(otherLog)).toBe(1);
      expect(await ids({ text: "projects" }, otherLog)).toEqual([mine.id]);
      expect(await index.get(otherLog, mine.id)).toEqual(theirs);
      expect(await index.get(logId, mine.id)).toEqual(mine);
    });

    it("get returns the whole message", async () => {
      const full = testMessage(logId, {
        titleTemplate: "Order {id} failed",
        severity: "Fatal",
        type: "System.InvalidOperationException",
        source: "Shop.Checkout",
        detail:
          "System.InvalidOperationException: Order 42 failed\n   at Shop.Checkout.Pay() in Pay.cs:line 12",
        hostname: "web-02",
        url: "/checkout/pay?x=1",
        method: "POST",
        statusCode: 500,
        user: "ana@example.com",
        application: "shop",
        version: "1.2.3",
        correlationId: "corr-1",
        category: "payments",
        code: "E42",
        cookies: [{ key: "session", value: "abc" }],
        form: [{ key: "amount", value: "9.99" }],
        queryString: [{ key: "x", value: "1" }],
        serverVariables: [{ key: "HTTP_USER_AGENT", value: "curl/8" }],
        data: [{ key: "orderId", value: "42" }],
        breadcrumbs: [{ dateTime: at(0), severity: "Information", action: "click", message: "pay button" }],
        exceptions: [
          {
            type: "InvalidOperationException",
            value: "Order 42 failed",
            frames: [
              { function: "Pay", filename: "Pay.cs", lineno: 12, inApp: true, contextLine: "throw x;" },
            ],
          },
        ],
        raw: '{"original":true}',
      });
      await index.index([full]);
      expect(await index.get(logId, full.id)).toEqual(full);
      expect(await index.get(logId, "no-such-message-id")).toBeNull();
      const [summary] = (await index.search({ logId })).items;
      expect(summary).toMatchObject({ id: full.id, title: full.title, severity: "Fatal", statusCode: 500 });
    });

    it("query text with FTS syntax characters does not fail", async () => {
      const m = testMessage(logId, { title: 'Unexpected token "}" in JSON at position 42 (parser: strict)' });
      await index.index([m]);
      const nasty = [
        '"',
        '"unterminated phrase',
        '""',
        "AND",
        "a OR",
        "NOT x",
        "(",
        ")",
        "*",
        "-foo",
        "foo:bar",
        "title:x",
        "text : (x",
        "^start",
        "NEAR(a b, 2)",
        "{a b} : c",
        "'",
        "\\",
        "💥",
        "日本語のエラー",
        "a+b=c",
        ":",
        "%_",
        "\u0000",
        "x".repeat(2000),
      ];
      for (const text of nasty) {
        const page = await index.search({ logId, text });
        expect(Array.isArray(page.items), text).toBe(true);
      }
      expect(await ids({ text: 'token "}" JSON (parser: strict)' })).toEqual([m.id]);
      expect(await ids({ text: "position:42" })).toEqual([m.id]);
      // Only syntax characters: no word to match, so the text adds no condition.
      expect(await ids({ text: '( ) * "' })).toEqual([m.id]);
    });

    it("count is exact", async () => {
      expect(await index.count(logId)).toBe(0);
      const messages = Array.from({ length: 37 }, () => testMessage(logId));
      await index.index(messages.slice(0, 20));
      await index.index(messages.slice(10));
      await index.index([testMessage(randomUUID())]);
      expect(await index.count(logId)).toBe(37);
    });

    it("a page size outside 1..200 and a foreign cursor are rejected", async () => {
      await expect(index.search({ logId, limit: 0 })).rejects.toThrow(RangeError);
      await expect(index.search({ logId, limit: 201 })).rejects.toThrow(RangeError);
      await expect(index.search({ logId, cursor: "not-a-cursor" })).rejects.toThrow(InvalidCursorError);
    });
  });
}
