import { describe, expect, it } from "vitest";
import { FaultlineError } from "./errors";
import { fingerprintV1 } from "./fingerprint";
import { canonicalMessageSchema } from "./message";
import {
  discardedEventsOf,
  formatSentryMessage,
  normalizeSentryEvent,
  parseSentryAuthHeader,
  parseSentryDsn,
  parseSentryEnvelope,
  parseSentryItemJson,
  sentryTimestamp,
} from "./sentry";

const ctx = {
  logId: "3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b",
  receivedAt: new Date("2026-11-21T10:00:00.000Z"),
  format: "sentry-envelope" as const,
};
const EVENT_ID = "9ec79c33ec9942ab8353589fcb2e04dc";
const bytes = (s: string) => new TextEncoder().encode(s);
const textOf = (b: Uint8Array) => new TextDecoder().decode(b);

function rejection(fn: () => unknown): FaultlineError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FaultlineError) return e;
    throw e;
  }
  throw new Error("expected a FaultlineError");
}

describe("parseSentryEnvelope", () => {
  it("reads items with and without length, including a payload that contains newlines", () => {
    const attachment = "line one\nline two";
    const env = parseSentryEnvelope(
      bytes(
        `{"event_id":"${EVENT_ID}","dsn":"https://k@h/1"}\n` +
          `{"type":"event","length":${bytes('{"a":"é"}').length}}\n{"a":"é"}\n` +
          `{"type":"attachment","length":${attachment.length}}\n${attachment}\n` +
          `{"type":"session"}\n{"sid":"x"}\n`,
      ),
    );
    expect(env.header).toEqual({ event_id: EVENT_ID, dsn: "https://k@h/1" });
    expect(env.items.map((i) => i.header.type)).toEqual(["event", "attachment", "session"]);
    expect(textOf(env.items[0]!.payload)).toBe('{"a":"é"}');
    expect(textOf(env.items[1]!.payload)).toBe(attachment);
    expect(parseSentryItemJson(env.items[2]!, 2)).toEqual({ sid: "x" });
  });

  it("accepts a last item without a trailing newline and a header-only envelope", () => {
    const env = parseSentryEnvelope(bytes('{}\n{"type":"event"}\n{"x":1}'));
    expect(textOf(env.items[0]!.payload)).toBe('{"x":1}');
    expect(parseSentryEnvelope(bytes('{"event_id":"a"}')).items).toEqual([]);
    expect(parseSentryEnvelope(bytes('{}\n{"type":"event","length":2}\n{}')).items).toHaveLength(1);
  });

  it("an empty payload with length 0 is an item", () => {
    const env = parseSentryEnvelope(
      bytes('{}\n{"type":"attachment","length":0}\n\n{"type":"session"}\n{}\n'),
    );
    expect(env.items.map((i) => [i.header.type, i.payload.length])).toEqual([
      ["attachment", 0],
      ["session", 2],
    ]);
  });

  it("says what is wrong with a truncated or garbled envelope", () => {
    expect(rejection(() => parseSentryEnvelope(bytes(""))).message).toMatch(/empty/);
    expect(rejection(() => parseSentryEnvelope(bytes("not json\n"))).message).toMatch(
      /envelope header.*not valid JSON/,
    );
    expect(rejection(() => parseSentryEnvelope(bytes("[1]\n"))).message).toMatch(/must be a JSON object/);
    expect(rejection(() => parseSentryEnvelope(bytes('{}\n{"length":2}\n{}'))).message).toMatch(
      /item 1 has no "type"/,
    );
    const truncated = rejection(() =>
      parseSentryEnvelope(bytes('{}\n{"type":"event","length":100}\n{"a":1}')),
    );
    expect(truncated.code).toBe("BAD_REQUEST");
    expect(truncated.message).toMatch(/item 1 \(event\) is truncated: its header says 100 bytes, 7 follow/);
    expect(
      rejection(() => parseSentryEnvelope(bytes('{}\n{"type":"event","length":2}\n{"a":1}\n'))).message,
    ).toMatch(/not followed by a newline/);
    expect(
      rejection(() => parseSentryEnvelope(bytes('{}\n{"type":"event","length":-1}\n{}'))).message,
    ).toMatch(/invalid "length"/);
    expect(rejection(() => parseSentryEnvelope(new Uint8Array([0x7b, 0xff, 0x7d]))).message).toMatch(/UTF-8/);
  });

  it("bounds the number of items", () => {
    const many = `{}\n${'{"type":"session"}\n{}\n'.repeat(5)}`;
    expect(rejection(() => parseSentryEnvelope(bytes(many), 4)).message).toMatch(/more than 4 items/);
  });
});

describe("auth and DSN parsing", () => {
  it("parses X-Sentry-Auth with or without the Sentry prefix", () => {
    expect(
      parseSentryAuthHeader("Sentry sentry_version=7, sentry_client=sentry.python/2.75.0, sentry_key=abc"),
    ).toEqual({ sentry_version: "7", sentry_client: "sentry.python/2.75.0", sentry_key: "abc" });
    expect(parseSentryAuthHeader('sentry_key="q", Sentry_Secret=s').sentry_key).toBe("q");
    expect(parseSentryAuthHeader("Bearer xyz")).toEqual({});
  });

  it("takes the public key and project id from a DSN", () => {
    expect(parseSentryDsn("http://0123abcd@localhost:3100/42")).toEqual({
      publicKey: "0123abcd",
      projectId: "42",
    });
    expect(parseSentryDsn("https://k:secret@host/sub/path/7")).toEqual({ publicKey: "k", projectId: "7" });
    expect(parseSentryDsn("https://host/7")).toBeNull();
    expect(parseSentryDsn("nonsense")).toBeNull();
  });
});

describe("client reports", () => {
  it("keeps well-formed discarded_events entries", () => {
    expect(
      discardedEventsOf({
        timestamp: 1,
        discarded_events: [
          { reason: "queue_overflow", category: "error", quantity: 3 },
          { reason: "x", category: "y", quantity: -1 },
          { reason: "ratelimit_backoff", category: "transaction" },
          "garbage",
        ],
      }),
    ).toEqual([{ reason: "queue_overflow", category: "error", quantity: 3 }]);
    expect(discardedEventsOf({})).toEqual([]);
  });
});

describe("formatSentryMessage and timestamps", () => {
  it("fills printf, Python named and brace placeholders", () => {
    expect(formatSentryMessage("user %s failed %d times (100%%)", ["ada", 3])).toBe(
      "user ada failed 3 times (100%)",
    );
    expect(formatSentryMessage("user %(name)s", { name: "ada" })).toBe("user ada");
    expect(formatSentryMessage("a {} b {}", [1, "two"])).toBe("a 1 b two");
    expect(formatSentryMessage("a %s %s", ["only"])).toBe("a only %s");
  });

  it("reads seconds since the epoch and RFC 3339, treating a missing offset as UTC", () => {
    expect(sentryTimestamp(1_795_000_000.5)).toBe("2026-11-18T11:06:40.500Z");
    expect(sentryTimestamp("2026-11-21T09:59:58.123456Z")).toBe("2026-11-21T09:59:58.123Z");
    expect(sentryTimestamp("2026-11-21T09:59:58")).toBe("2026-11-21T09:59:58.000Z");
    expect(sentryTimestamp("2026-11-21T11:59:58+02:00")).toBe("2026-11-21T09:59:58.000Z");
    expect(sentryTimestamp("yesterday")).toBeUndefined();
    expect(sentryTimestamp(Number.NaN)).toBeUndefined();
  });
});

const chained = {
  event_id: "9EC79C33-EC99-42AB-8353-589FCB2E04DC",
  timestamp: 1_795_000_000.25,
  level: "warning",
  platform: "python",
  logger: "shop.orders",
  transaction: "/orders/{id}",
  server_name: "web-1",
  release: "shop@2.8.1",
  environment: "production",
  sdk: { name: "sentry.python", version: "2.75.0" },
  exception: {
    values: [
      {
        type: "KeyError",
        value: "'sku'",
        stacktrace: {
          frames: [{ function: "lookup", module: "shop.catalog", filename: "shop/catalog.py", lineno: 10 }],
        },
      },
      {
        type: "ValueError",
        value: "order 42 is invalid",
        module: "builtins",
        stacktrace: {
          frames: [
            {
              function: "run",
              module: "flask.app",
              abs_path: "/venv/flask/app.py",
              lineno: 5,
              in_app: false,
            },
            {
              function: "save",
              module: "shop.orders",
              filename: "shop/orders.py",
              abs_path: "/srv/shop/orders.py",
              lineno: 42,
              colno: 7,
              in_app: true,
              context_line: "    raise ValueError(msg)",
              pre_context: ["def save(order):", "    msg = check(order)"],
              post_context: [""],
              vars: { order: "42" },
            },
          ],
        },
      },
    ],
  },
  request: {
    url: "https://shop.example.com/orders/42",
    method: "post",
    headers: { "User-Agent": "curl/8", Host: "shop.example.com" },
    cookies: "session=abc; theme=dark",
    query_string: "?page=2&q=a%20b",
    data: { sku: "X1", qty: 2 },
    env: { REMOTE_ADDR: "10.0.0.1" },
  },
  user: { id: 7, email: "ada@example.com", ip_address: "10.0.0.1", geo: { city: "London" } },
  tags: { tenant: "acme", "browser.name": "Chrome" },
  contexts: {
    os: { name: "Linux", version: "6.1" },
    runtime: { name: "CPython", version: "3.11.7" },
    response: { status_code: 500 },
    trace: { trace_id: "t", span_id: "s" },
  },
  extra: { cart: { items: [1, 2] } },
  breadcrumbs: {
    values: [
      { timestamp: 1_795_000_000, level: "info", category: "query", message: "SELECT 1" },
      {
        timestamp: "2026-11-17T09:46:39.000Z",
        type: "http",
        category: "httplib",
        data: { method: "GET", url: "https://api", status_code: 200 },
      },
      { type: "default", level: "critical", message: "boom" },
    ],
  },
  modules: { flask: "3.0.0" },
};

describe("normalizeSentryEvent", () => {
  const m = normalizeSentryEvent(chained, { ...ctx, raw: JSON.stringify(chained) });

  it("produces a valid canonical message with the SDK's event id, normalized", () => {
    expect(canonicalMessageSchema.parse(m)).toBeTruthy();
    expect(m.id).toBe(EVENT_ID);
    expect(m.logId).toBe(ctx.logId);
    expect(m.receivedAt).toBe("2026-11-21T10:00:00.000Z");
    expect(m.format).toBe("sentry-envelope");
    expect(m.raw).toBe(JSON.stringify(chained));
  });

  it("titles the raised exception and lists it first, its cause after it", () => {
    expect(m.title).toBe("ValueError: order 42 is invalid");
    expect(m.type).toBe("ValueError");
    expect(m.exceptions?.map((e) => e.type)).toEqual(["ValueError", "KeyError"]);
    expect(m.exceptions?.[0]?.module).toBe("builtins");
    expect(m.exceptions?.[0]?.frames).toEqual([
      { function: "run", module: "flask.app", filename: "/venv/flask/app.py", lineno: 5, inApp: false },
      {
        function: "save",
        module: "shop.orders",
        filename: "/srv/shop/orders.py",
        lineno: 42,
        colno: 7,
        inApp: true,
        contextLine: "    raise ValueError(msg)",
        preContext: ["def save(order):", "    msg = check(order)"],
        postContext: [""],
      },
    ]);
    expect(m.exceptions?.[1]?.frames[0]).toEqual({
      function: "lookup",
      module: "shop.catalog",
      filename: "shop/catalog.py",
      lineno: 10,
    });
  });

  it("renders a readable stack trace, newest frame first, causes after", () => {
    expect(m.detail).toBe(
      [
        "ValueError: order 42 is invalid",
        "    at save (/srv/shop/orders.py:42:7)",
        "    at run (/venv/flask/app.py:5)",
        "Caused by: KeyError: 'sku'",
        "    at lookup (shop/catalog.py:10)",
      ].join("\n"),
    );
  });

  it("maps level, time, release, server, logger, transaction and the request", () => {
    expect(m.severity).toBe("Warning");
    expect(m.dateTime).toBe("2026-11-18T11:06:40.250Z");
    expect(m.version).toBe("shop@2.8.1");
    expect(m.hostname).toBe("web-1");
    expect(m.category).toBe("shop.orders");
    expect(m.source).toBe("/orders/{id}");
    expect(m.url).toBe("https://shop.example.com/orders/42");
    expect(m.method).toBe("POST");
    expect(m.statusCode).toBe(500);
    expect(m.serverVariables).toEqual([
      { key: "User-Agent", value: "curl/8" },
      { key: "Host", value: "shop.example.com" },
      { key: "REMOTE_ADDR", value: "10.0.0.1" },
    ]);
    expect(m.cookies).toEqual([
      { key: "session", value: "abc" },
      { key: "theme", value: "dark" },
    ]);
    expect(m.queryString).toEqual([
      { key: "page", value: "2" },
      { key: "q", value: "a b" },
    ]);
    expect(m.form).toEqual([
      { key: "sku", value: "X1" },
      { key: "qty", value: "2" },
    ]);
  });

  it("flattens user, tags, contexts and extra into data", () => {
    expect(m.user).toBe("ada@example.com");
    const data = Object.fromEntries(m.data.map((kv) => [kv.key, kv.value]));
    expect(data).toMatchObject({
      environment: "production",
      platform: "python",
      "sdk.name": "sentry.python",
      "sdk.version": "2.75.0",
      "user.id": "7",
      "user.email": "ada@example.com",
      "user.ip_address": "10.0.0.1",
      "user.geo.city": "London",
      "tags.tenant": "acme",
      "tags.browser.name": "Chrome",
      "contexts.os.name": "Linux",
      "contexts.runtime.version": "3.11.7",
      "contexts.response.status_code": "500",
      "extra.cart.items": "[1,2]",
    });
    expect(data.modules).toBeUndefined();
  });

  it("maps breadcrumbs: time, severity, category, type as action, data as text", () => {
    expect(m.breadcrumbs).toEqual([
      {
        dateTime: "2026-11-18T11:06:40.000Z",
        severity: "Information",
        category: "query",
        message: "SELECT 1",
      },
      {
        dateTime: "2026-11-17T09:46:39.000Z",
        category: "httplib",
        action: "http",
        message: "method=GET, url=https://api, status_code=200",
      },
      { severity: "Fatal", message: "boom" },
    ]);
  });

  it("without fingerprint from the SDK, uses fingerprint v1", () => {
    expect(m.fingerprint).toBe(fingerprintV1(m));
    const same = normalizeSentryEvent({ ...chained, fingerprint: ["{{ default }}"] }, ctx);
    expect(same.fingerprint).toBe(m.fingerprint);
  });

  it("the SDK's fingerprint replaces v1; {{ default }} in it stands for v1", () => {
    const custom = normalizeSentryEvent({ ...chained, fingerprint: ["orders", "save"] }, ctx);
    const other = normalizeSentryEvent(
      { ...chained, exception: undefined, fingerprint: ["orders", "save"] },
      ctx,
    );
    expect(custom.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(custom.fingerprint).not.toBe(m.fingerprint);
    expect(other.fingerprint).toBe(custom.fingerprint);
    const split = normalizeSentryEvent({ ...chained, fingerprint: ["{{default}}", "tenant-a"] }, ctx);
    const splitB = normalizeSentryEvent({ ...chained, fingerprint: ["{{default}}", "tenant-b"] }, ctx);
    expect(new Set([split.fingerprint, splitB.fingerprint, m.fingerprint]).size).toBe(3);
  });

  it("titles a message event from logentry with its params, defaults severity to Error", () => {
    const e = normalizeSentryEvent(
      { logentry: { message: "payment %s declined (%d)", params: ["P-1", 402] }, event_id: EVENT_ID },
      ctx,
    );
    expect(e.title).toBe("payment P-1 declined (402)");
    expect(e.titleTemplate).toBe("payment %s declined (%d)");
    expect(e.severity).toBe("Error");
    expect(e.type).toBeUndefined();
    expect(e.exceptions).toBeUndefined();
    expect(e.detail).toBeUndefined();
    expect(normalizeSentryEvent({ message: "plain text", level: "info" }, ctx)).toMatchObject({
      title: "plain text",
      severity: "Information",
    });
    expect(normalizeSentryEvent({ logentry: { formatted: "done", message: "x %s" } }, ctx).title).toBe(
      "done",
    );
    expect(normalizeSentryEvent({ message: { message: "old %s", params: ["style"] } }, ctx).title).toBe(
      "old style",
    );
  });

  it("keeps the message in data when an exception made the title", () => {
    const e = normalizeSentryEvent(
      { logentry: { formatted: "checkout failed" }, exception: { values: [{ type: "E", value: "v" }] } },
      ctx,
    );
    expect(e.title).toBe("E: v");
    expect(e.data).toContainEqual({ key: "message", value: "checkout failed" });
  });

  it("takes the fallback id, else makes one; rejects an event_id that is not hex", () => {
    expect(normalizeSentryEvent({ message: "x" }, { ...ctx, fallbackEventId: EVENT_ID }).id).toBe(EVENT_ID);
    const made = normalizeSentryEvent({ message: "x" }, ctx).id;
    expect(made).toMatch(/^[0-9a-f]{32}$/);
    expect(made).not.toBe(normalizeSentryEvent({ message: "x" }, ctx).id);
    const bad = rejection(() => normalizeSentryEvent({ event_id: "../../etc", message: "x" }, ctx));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.issues[0]?.path).toBe("event_id");
    expect(rejection(() => normalizeSentryEvent([], ctx)).message).toMatch(/JSON object/);
  });

  it("has a title even for an empty event, and uses the receive time without a timestamp", () => {
    const e = normalizeSentryEvent({}, ctx);
    expect(e.title).toBe("(event without message or exception)");
    expect(e.dateTime).toBe(ctx.receivedAt.toISOString());
    expect(canonicalMessageSchema.parse(e)).toBeTruthy();
    expect(normalizeSentryEvent({ transaction: "GET /x" }, ctx).title).toBe("GET /x");
  });

  it("accepts query strings and cookies as pairs or objects, and string request data", () => {
    const e = normalizeSentryEvent(
      {
        message: "x",
        request: {
          query_string: [
            ["a", "1"],
            ["b", "2"],
          ],
          cookies: { s: "1" },
          data: "raw body",
          headers: [["X-A", "1"]],
        },
      },
      ctx,
    );
    expect(e.queryString).toEqual([
      { key: "a", value: "1" },
      { key: "b", value: "2" },
    ]);
    expect(e.cookies).toEqual([{ key: "s", value: "1" }]);
    expect(e.serverVariables).toEqual([{ key: "X-A", value: "1" }]);
    expect(e.form).toEqual([]);
    expect(e.data).toContainEqual({ key: "request.data", value: "raw body" });
    expect(
      normalizeSentryEvent({ message: "x", request: { query_string: { q: "z" } } }, ctx).queryString,
    ).toEqual([{ key: "q", value: "z" }]);
  });

  it("uses a thread's stack for a message event with attach_stacktrace", () => {
    const e = normalizeSentryEvent(
      {
        message: "slow",
        threads: {
          values: [{ id: 1, current: true, stacktrace: { frames: [{ function: "f", filename: "a.js" }] } }],
        },
      },
      ctx,
    );
    expect(e.title).toBe("slow");
    expect(e.exceptions).toEqual([{ frames: [{ function: "f", filename: "a.js" }] }]);
  });

  it("clips what is absurdly long instead of failing", () => {
    const e = normalizeSentryEvent(
      {
        exception: { values: [{ type: "E", value: "v".repeat(10_000) }] },
        tags: { big: "x".repeat(200_000) },
      },
      ctx,
    );
    expect(e.title.length).toBeLessThanOrEqual(4096);
    expect(canonicalMessageSchema.parse(e)).toBeTruthy();
    expect(e.data.find((kv) => kv.key === "tags.big")!.value.length).toBeLessThanOrEqual(128 * 1024);
  });
});
