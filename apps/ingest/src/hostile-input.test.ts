import { connect, type Socket } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { brotliCompressSync, constants, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { decodeMessage, MESSAGE_TYPE } from "@faultline/core";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIngestServer } from "./server";
import { drainSubscription, openTestEnvironment, type TestEnvironment } from "./test-environment";

/**
 * Every kind of bad input and overload from the issue, against a real listening server on the
 * real SQLite bus and database. Each case must get a 4xx JSON body that names the problem (or,
 * where the client broke the connection itself, nothing) and leave the process healthy: the last
 * tests check /healthz, a normal message, and that the heap did not grow with what was thrown.
 */

const MAX_BODY = 256 * 1024;
const HEADERS_TIMEOUT = 600;
const REQUEST_TIMEOUT = 1500;

let env: TestEnvironment;
let app: FastifyInstance;
let port: number;
let logPath: string;
let heapBefore: number;

/** The canonical messages waiting on the indexer's subscription (burst counts travel there too). */
async function messagesOnBus() {
  return (await drainSubscription(env.bus, "indexer")).filter((m) => m.type === MESSAGE_TYPE);
}

// The test process's own collector, so heap use is measured without garbage still waiting.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapInUse(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

beforeAll(async () => {
  env = await openTestEnvironment();
  app = buildIngestServer({
    publisher: env.bus.publisher(),
    findIngestKey: env.findIngestKey,
    limits: { maxBodyBytes: MAX_BODY },
    http: { headersTimeoutMs: HEADERS_TIMEOUT, requestTimeoutMs: REQUEST_TIMEOUT },
  });
  port = Number(new URL(await app.listen({ host: "127.0.0.1", port: 0 })).port);
  logPath = `/v3/messages/${env.log.logId}`;
  heapBefore = heapInUse();
});

afterAll(async () => {
  await app.close();
  await env.close();
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses the first HTTP/1.1 response in raw bytes (Content-Length framed, as ingest answers). */
function parseAnswer(raw: string): Answer | undefined {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const [statusLine, ...lines] = raw.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"] ?? 0);
  return {
    status: Number(statusLine!.split(" ")[1]),
    headers,
    body: raw.slice(end + 4, end + 4 + length),
  };
}

/** A raw connection: what was written, what came back, and when it closed. */
async function rawSocket(): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let text = "";
  socket.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
  });
  // A reset is one of the outcomes under test, not a failure of the test.
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return { socket, received: () => text, closed };
}

/** Sends the bytes as they are and waits for the server to close the connection. */
async function exchange(...parts: (string | Buffer)[]): Promise<Answer> {
  const { socket, received, closed } = await rawSocket();
  for (const part of parts) socket.write(part);
  await closed;
  const answer = parseAnswer(received());
  if (!answer) throw new Error(`no answer; got ${JSON.stringify(received())}`);
  return answer;
}

function head(path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `POST ${path} HTTP/1.1\r\nHost: ingest\r\nConnection: close\r\n${lines.join("\r\n")}\r\n\r\n`;
}

async function postBytes(
  body: Buffer,
  headers: Record<string, string> = {},
  path = logPath,
): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", api_key: env.log.secret, ...headers },
    body,
  });
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body: await res.text(),
  };
}

function expectRefusal(answer: Answer, status: number, error: string, message?: RegExp): void {
  expect(answer.status, answer.body).toBe(status);
  expect(answer.headers["content-type"]).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as { error: string; message: string };
  expect(body.error).toBe(error);
  expect(body.message).toEqual(expect.any(String));
  if (message) expect(body.message).toMatch(message);
}

const message = (extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ title: "hostile suite", ...extra }));

describe("compressed bodies", () => {
  it.each([
    ["gzip", gzipSync],
    ["deflate", deflateSync],
    ["deflate", deflateRawSync],
    ["br", brotliCompressSync],
  ] as const)("accepts a message sent with Content-Encoding %s", async (encoding, compress) => {
    const answer = await postBytes(compress(message({ detail: encoding })), { "content-encoding": encoding });
    expect(answer.status, answer.body).toBe(201);
    const { id } = JSON.parse(answer.body) as { id: string };
    const onBus = await messagesOnBus();
    expect(onBus.map((m) => [m.id, decodeMessage(m.body).detail])).toEqual([[id, encoding]]);
  });

  it("refuses a gzip bomb (10 MB of zeros in ~10 KB) with 413 naming the cap", async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(20 * 1024);
    expectRefusal(
      await postBytes(bomb, { "content-encoding": "gzip" }),
      413,
      "payload_too_large",
      new RegExp(`decompressed request body is larger than the limit of ${MAX_BODY} bytes`),
    );
  });

  it("refuses deflate and brotli bombs the same way", async () => {
    const zeros = Buffer.alloc(10 * 1024 * 1024);
    const brotli = brotliCompressSync(zeros, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
    expectRefusal(
      await postBytes(deflateSync(zeros), { "content-encoding": "deflate" }),
      413,
      "payload_too_large",
    );
    expectRefusal(await postBytes(brotli, { "content-encoding": "br" }), 413, "payload_too_large");
  });

  it("does not unpack a nested bomb: one layer is decoded, the rest is not JSON", async () => {
    const nested = gzipSync(gzipSync(Buffer.alloc(10 * 1024 * 1024)));
    expectRefusal(await postBytes(nested, { "content-encoding": "gzip" }), 400, "invalid_utf8");
    expectRefusal(await postBytes(nested, { "content-encoding": "gzip, gzip" }), 415, "unsupported_encoding");
  });

  it("refuses an unsupported encoding with 415 and a corrupt or truncated stream with 400", async () => {
    expectRefusal(
      await postBytes(message(), { "content-encoding": "compress" }),
      415,
      "unsupported_encoding",
      /compress/,
    );
    expectRefusal(
      await postBytes(Buffer.from("definitely not gzip"), { "content-encoding": "gzip" }),
      400,
      "invalid_encoding",
    );
    const gz = gzipSync(message());
    expectRefusal(
      await postBytes(gz.subarray(0, gz.length - 10), { "content-encoding": "gzip" }),
      400,
      "invalid_encoding",
    );
  });

  it("refuses a declared compressed size over the cap before the body is sent", async () => {
    const { socket, received, closed } = await rawSocket();
    socket.write(
      head(logPath, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        api_key: env.log.secret,
        "content-length": MAX_BODY * 100,
      }),
    );
    // Nothing of the body was written: the answer cannot have waited for it.
    await closed;
    expectRefusal(parseAnswer(received())!, 413, "payload_too_large", /request body is larger/);
  });

  it("refuses an identity body over the cap with 413 and closes the connection", async () => {
    const answer = await postBytes(Buffer.from(JSON.stringify({ title: "x".repeat(MAX_BODY) })));
    expectRefusal(answer, 413, "payload_too_large");
  });
});

describe("JSON", () => {
  it("refuses nesting deeper than 64 levels, however deep, without a stack overflow", async () => {
    for (const depth of [65, 1000, 100_000]) {
      const body = `{"title":"deep","extra":${"[".repeat(depth)}${"]".repeat(depth)}}`;
      expectRefusal(await postBytes(Buffer.from(body)), 400, "too_deep", /deeper than 64 levels/);
    }
    const bulk = `[{"title":"deep","extra":${'{"a":'.repeat(200_000)}1${"}".repeat(200_000)}}]`;
    expectRefusal(await postBytes(Buffer.from(bulk), {}, `${logPath}/_bulk`), 400, "too_deep");
    // At the limit (the message object is level 1) it is accepted; the unknown field is ignored.
    const atLimit = `{"title":"at the limit","extra":${"[".repeat(63)}${"]".repeat(63)}}`;
    expect((await postBytes(Buffer.from(atLimit))).status).toBe(201);
    await messagesOnBus();
  });

  it.each([
    ["a lone continuation byte", [0x80]],
    ["an overlong encoding", [0xc0, 0xaf]],
    ["an encoded surrogate", [0xed, 0xa0, 0x80]],
    ["bytes of Latin-1", [0x47, 0x72, 0xfc, 0xdf, 0x65]],
  ])("refuses invalid UTF-8 (%s) with 400 rather than storing U+FFFD", async (_name, bytes) => {
    const body = Buffer.concat([Buffer.from('{"title":"'), Buffer.from(bytes), Buffer.from('"}')]);
    expectRefusal(await postBytes(body), 400, "invalid_utf8");
  });

  it("accepts a real U+FFFD sent as valid UTF-8", async () => {
    expect((await postBytes(message({ title: "replacement \uFFFD char" }))).status).toBe(201);
    const onBus = await messagesOnBus();
    expect(onBus.map((m) => decodeMessage(m.body).title)).toEqual(["replacement \uFFFD char"]);
  });

  it("refuses an empty body, invalid JSON and non-object JSON with 400", async () => {
    expectRefusal(await postBytes(Buffer.alloc(0)), 400, "empty_body");
    expectRefusal(await postBytes(Buffer.from('{"title": "unterminated')), 400, "invalid_json");
    for (const body of ["42", "null", '"a string"', "[]", "true"]) {
      expectRefusal(await postBytes(Buffer.from(body)), 400, "invalid_message", /JSON object/);
    }
    expectRefusal(
      await postBytes(Buffer.from('{"title":"x","__proto__":{"isAdmin":true}}')),
      400,
      "invalid_json",
    );
  });

  it("refuses wrong content types with 415", async () => {
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
    ]) {
      expectRefusal(await postBytes(message(), { "content-type": type }), 415, "unsupported_media_type");
    }
    const { socket, received, closed } = await rawSocket();
    const body = message();
    socket.write(head(logPath, { api_key: env.log.secret, "content-length": body.length }));
    socket.write(body);
    await closed;
    expectRefusal(parseAnswer(received())!, 415, "unsupported_media_type");
  });

  it("refuses absurd numbers and strings with 400 naming the field", async () => {
    const huge = await postBytes(Buffer.from(`{"title":"n","statusCode":1e400}`));
    expectRefusal(huge, 400, "invalid_message", /statusCode/);
    const digits = await postBytes(Buffer.from(`{"title":"n","statusCode":${"9".repeat(200_000)}}`));
    expectRefusal(digits, 400, "invalid_message", /statusCode/);
    const long = await postBytes(message({ detail: "x".repeat(200 * 1024) }));
    expectRefusal(long, 400, "invalid_message", /detail at most 131072 characters/);
    const title = await postBytes(message({ title: "t".repeat(5000) }));
    expectRefusal(title, 400, "invalid_message", /title at most 4096/);
    const list = await postBytes(
      message({ data: Array.from({ length: 1001 }, (_, i) => ({ key: `k${i}` })) }),
    );
    expectRefusal(list, 400, "invalid_message", /data at most 1000 items/);
  });

  it("refuses huge arrays in _bulk", async () => {
    const tooMany = `[${Array.from({ length: 1001 }, () => '{"title":"x"}').join(",")}]`;
    expectRefusal(
      await postBytes(Buffer.from(tooMany), {}, `${logPath}/_bulk`),
      400,
      "invalid_bulk",
      /1 to 1000/,
    );
    // Two million elements fit in 4 MB: bounded by the body cap, refused by the item cap.
    const tiny = `[${"0,".repeat(1_999_999)}0]`;
    expectRefusal(await postBytes(Buffer.from(tiny), {}, `${logPath}/_bulk`), 400, "invalid_bulk");
    expect(await messagesOnBus()).toHaveLength(0);
  });
});

describe("the connection", () => {
  it("answers a header flood with 431 in ingest's body shape", async () => {
    const flood: Record<string, string> = {};
    for (let i = 0; i < 40; i++) flood[`x-flood-${i}`] = "f".repeat(1024);
    const answer = await exchange(head(logPath, flood));
    expectRefusal(answer, 431, "headers_too_large", /16384 bytes/);
  });

  it("cuts off a client trickling its headers (slowloris) with 408", async () => {
    const { socket, received, closed } = await rawSocket();
    const started = Date.now();
    socket.write(`POST ${logPath} HTTP/1.1\r\nHost: ingest\r\n`);
    const drip = setInterval(() => socket.writable && socket.write("x-drip: 1\r\n"), 100);
    await closed;
    clearInterval(drip);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(HEADERS_TIMEOUT - 50);
    expect(waited).toBeLessThan(HEADERS_TIMEOUT + 3000);
    expectRefusal(parseAnswer(received())!, 408, "request_timeout");
  });

  it("cuts off a body that never completes (a lying Content-Length) with 408", async () => {
    const { socket, received, closed } = await rawSocket();
    const started = Date.now();
    socket.write(
      head(logPath, { "content-type": "application/json", api_key: env.log.secret, "content-length": 100 }),
    );
    socket.write('{"title":"only part of it');
    await closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(REQUEST_TIMEOUT - 50);
    expectRefusal(parseAnswer(received())!, 408, "request_timeout");
    expect(await messagesOnBus()).toHaveLength(0);
  });

  it("answers a Content-Length shorter than the body with 400, never storing the remainder", async () => {
    const body = '{"title":"longer than declared"}';
    const answer = await exchange(
      head(logPath, { "content-type": "application/json", api_key: env.log.secret, "content-length": 10 }),
      body,
    );
    // The first 10 bytes are the declared body, which is not JSON; the rest is not an HTTP
    // request. Which of the two Node reports first depends on how the bytes were segmented.
    expect(answer.status).toBe(400);
    expect(["invalid_json", "malformed_request"]).toContain(
      (JSON.parse(answer.body) as { error: string }).error,
    );
    expect(await messagesOnBus()).toHaveLength(0);
  });

  it("survives clients that hang up mid-body, raw or gzip", async () => {
    for (const encoding of ["identity", "gzip"]) {
      const full = encoding === "gzip" ? gzipSync(message({ detail: "y".repeat(50_000) })) : message();
      const { socket, closed } = await rawSocket();
      socket.write(
        head(logPath, {
          "content-type": "application/json",
          "content-encoding": encoding,
          api_key: env.log.secret,
          "content-length": full.length,
        }),
      );
      socket.write(full.subarray(0, Math.floor(full.length / 2)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      await closed;
    }
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(await messagesOnBus()).toHaveLength(0);
  });

  it("keeps working with hundreds of idle connections open", async () => {
    const idle = await Promise.all(Array.from({ length: 300 }, () => rawSocket()));
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postBytes(message({ title: `among idle ${i}` }))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    for (const { socket } of idle) socket.destroy();
    await Promise.all(idle.map((c) => c.closed));
    expect(await messagesOnBus()).toHaveLength(20);
  });
});

describe("overload", () => {
  it("refuses connections beyond the cap, and answers 503 with Retry-After when the queue is full", async () => {
    const small = buildIngestServer({
      publisher: env.bus.publisher(),
      findIngestKey: env.findIngestKey,
      limits: { maxBodyBytes: MAX_BODY },
      batching: { maxQueuedMessages: 5, retryAfterSeconds: 2 },
      http: { maxConnections: 50 },
    });
    const base = await small.listen({ host: "127.0.0.1", port: 0 });
    try {
      const smallPort = Number(new URL(base).port);
      const held: Socket[] = [];
      for (let i = 0; i < 50; i++) {
        const s = connect(smallPort, "127.0.0.1");
        await new Promise((resolve) => s.once("connect", resolve));
        held.push(s);
      }
      // The 51st is accepted by the kernel and closed by Node at once, without an answer.
      const extra = connect(smallPort, "127.0.0.1");
      extra.on("error", () => {});
      extra.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      let got = "";
      extra.on("data", (c: Buffer) => {
        got += c.toString();
      });
      await new Promise((resolve) => extra.once("close", resolve));
      expect(got).toBe("");
      for (const s of held) s.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));

      // 40 requests complete in the same instant against a queue of 5 messages: each body lacks
      // its last byte until all are waiting, so they land in one event-loop turn, before the
      // first commit. The excess is refused with Retry-After, never answered 201 and lost.
      const clients = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const s = connect(smallPort, "127.0.0.1");
          await new Promise((resolve) => s.once("connect", resolve));
          s.on("error", () => {});
          let text = "";
          s.on("data", (c: Buffer) => {
            text += c.toString();
          });
          const closed = new Promise<void>((resolve) => s.once("close", () => resolve()));
          const body = message({ title: `flood ${i}` });
          s.write(
            head(logPath, {
              "content-type": "application/json",
              api_key: env.log.secret,
              "content-length": body.length,
            }),
          );
          s.write(body.subarray(0, body.length - 1));
          return {
            s,
            last: body.subarray(body.length - 1),
            answer: async () => {
              await closed;
              return parseAnswer(text)!;
            },
          };
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const c of clients) c.s.write(c.last);
      const answers = await Promise.all(clients.map((c) => c.answer()));
      const refused = answers.filter((a) => a.status === 503);
      const stored = answers.filter((a) => a.status === 201);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.length + stored.length).toBe(40);
      for (const a of refused) {
        expect(a.headers["retry-after"]).toBe("2");
        expectRefusal(a, 503, "overloaded");
      }
      const onBus = await messagesOnBus();
      expect(onBus.map((m) => m.id).sort()).toEqual(
        stored.map((a) => (JSON.parse(a.body) as { id: string }).id).sort(),
      );
    } finally {
      await small.close();
    }
  });
});

describe("afterwards", () => {
  it("the process is healthy, takes a normal message and its heap did not grow with the abuse", async () => {
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const answer = await postBytes(message({ title: "after the storm" }));
    expect(answer.status).toBe(201);
    const onBus = await messagesOnBus();
    expect(onBus.map((m) => decodeMessage(m.body).title)).toEqual(["after the storm"]);
    // Megabytes of bodies and bombs went through; what stays is caches and compiled code.
    const grown = heapInUse() - heapBefore;
    expect(grown).toBeLessThan(32 * 1024 * 1024);
  });
});
