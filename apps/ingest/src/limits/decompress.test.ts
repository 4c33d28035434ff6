import { Readable } from "node:stream";
import { brotliCompressSync, constants, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { type BodyLimits, parseContentEncoding, readBody } from "./decompress";

const LIMITS: BodyLimits = { maxCompressedBytes: 64 * 1024, maxDecompressedBytes: 256 * 1024 };
const text = JSON.stringify({ title: "hello", detail: "x".repeat(10_000) });

/** A request body arriving in chunks, as a socket delivers it. */
function source(bytes: Buffer, chunkSize = 16 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

function read(bytes: Buffer, encoding?: string, limits = LIMITS, contentLength?: number) {
  return readBody(
    source(bytes),
    {
      "content-encoding": encoding,
      "content-length": contentLength === undefined ? undefined : String(contentLength),
    },
    limits,
  );
}

describe("readBody", () => {
  it.each([
    ["identity", undefined, Buffer.from(text)],
    ["gzip", "gzip", gzipSync(text)],
    ["x-gzip", "x-gzip", gzipSync(text)],
    ["deflate (zlib)", "deflate", deflateSync(text)],
    ["deflate (raw, as some clients send it)", "deflate", deflateRawSync(text)],
    ["br", "br", brotliCompressSync(text)],
    ["GZIP with identity listed too", "GZIP, identity", gzipSync(text)],
  ])("decodes %s", async (_name, encoding, bytes) => {
    const result = await read(bytes, encoding, LIMITS, bytes.length);
    expect(result).toMatchObject({ kind: "read", receivedBytes: bytes.length });
    if (result.kind === "read") expect(result.bytes.toString("utf8")).toBe(text);
  });

  it("refuses a declared Content-Length over the compressed cap before reading", async () => {
    let pulled = false;
    const never = new Readable({
      read() {
        pulled = true;
        this.push(null);
      },
    });
    const result = await readBody(
      never,
      { "content-encoding": "gzip", "content-length": String(LIMITS.maxCompressedBytes + 1) },
      LIMITS,
    );
    expect(result).toEqual({
      kind: "rejected",
      status: 413,
      error: "payload_too_large",
      message: `the request body is larger than the limit of ${LIMITS.maxCompressedBytes} bytes`,
    });
    expect(pulled).toBe(false);
  });

  it("refuses an undeclared (chunked) body once it passes the cap", async () => {
    const result = await read(Buffer.alloc(LIMITS.maxCompressedBytes * 2, 1), undefined, {
      maxCompressedBytes: LIMITS.maxCompressedBytes,
      maxDecompressedBytes: LIMITS.maxCompressedBytes * 4,
    });
    expect(result).toMatchObject({ kind: "rejected", status: 413, error: "payload_too_large" });
  });

  it.each([
    ["gzip", gzipSync],
    ["deflate", deflateSync],
    // Brotli's default quality takes seconds on 64 MB; the bomb is just as small at quality 4.
    ["br", (b: Buffer) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } })],
  ] as const)(
    "stops inflating a %s bomb at the decompressed cap without allocating it",
    async (encoding, compress) => {
      // 64 MB of zeros compress to ~64 KB (gzip) or less: within the compressed cap below.
      const bomb = compress(Buffer.alloc(64 * 1024 * 1024));
      const limits = { maxCompressedBytes: 1024 * 1024, maxDecompressedBytes: 256 * 1024 };
      const before = process.memoryUsage().arrayBuffers;
      const result = await read(bomb, encoding, limits);
      const grown = process.memoryUsage().arrayBuffers - before;
      expect(result).toEqual({
        kind: "rejected",
        status: 413,
        error: "payload_too_large",
        message: "the decompressed request body is larger than the limit of 262144 bytes",
      });
      // Inflating it all would have held 64 MB (still counted here: nothing forced a GC).
      expect(grown).toBeLessThan(16 * 1024 * 1024);
    },
  );

  it("answers 400 for a corrupt or truncated compressed stream", async () => {
    const corrupt = await read(Buffer.from("this is not gzip at all"), "gzip");
    expect(corrupt).toMatchObject({ kind: "rejected", status: 400, error: "invalid_encoding" });
    if (corrupt.kind === "rejected") expect(corrupt.message).toMatch(/could not be decoded as gzip/);

    const whole = gzipSync(text);
    const truncated = await read(whole.subarray(0, whole.length - 20), "gzip");
    expect(truncated).toMatchObject({ kind: "rejected", status: 400, error: "invalid_encoding" });

    const brokenBr = await read(Buffer.from([0xff, 0xff, 0xff, 0xff]), "br");
    expect(brokenBr).toMatchObject({ kind: "rejected", status: 400, error: "invalid_encoding" });
  });

  it("answers 400 when the body is shorter than its Content-Length", async () => {
    const result = await read(Buffer.from(text), undefined, LIMITS, text.length + 10);
    expect(result).toMatchObject({ kind: "rejected", status: 400, error: "incomplete_body" });
  });

  it("answers 400 when the connection fails mid-body", async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.from('{"title":'));
        this.destroy(new Error("aborted"));
      },
    });
    const result = await readBody(failing, {}, LIMITS);
    expect(result).toMatchObject({ kind: "rejected", status: 400, error: "incomplete_body" });
  });

  it("reads an empty compressed body as empty", async () => {
    expect(await read(Buffer.alloc(0), "gzip")).toMatchObject({ kind: "read", bytes: Buffer.alloc(0) });
  });
});

describe("parseContentEncoding", () => {
  it("answers 415 for unknown and stacked codings, naming them", () => {
    expect(parseContentEncoding("compress")).toMatchObject({
      status: 415,
      error: "unsupported_encoding",
      message: expect.stringContaining('"compress"'),
    });
    expect(parseContentEncoding("gzip, gzip")).toMatchObject({
      status: 415,
      message: expect.stringContaining("stacked"),
    });
    expect(parseContentEncoding(undefined)).toBe("identity");
    expect(parseContentEncoding(" Br ")).toBe("br");
  });
});
