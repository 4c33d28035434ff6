import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from "node:zlib";
import type { FastifyRequest } from "fastify";
import { IngestRejection } from "../rejections";

/**
 * Size caps for one request body. Both are needed: the compressed cap bounds what a client can
 * make us receive, the decompressed cap bounds what a small upload can make us allocate (a
 * 10 KB gzip body can inflate to 10 MB of zeros, and a few of those at once to gigabytes).
 */
export interface BodyLimits {
  /** Largest body as it travels on the wire (compressed, when it is). */
  maxCompressedBytes: number;
  /** Largest body after decompression: the most a parser is ever handed. */
  maxDecompressedBytes: number;
}

/** Why a body was refused, as the result of reading it. */
export interface BodyRejection {
  kind: "rejected";
  status: 400 | 413 | 415;
  /** The stable code a client can branch on, as in every error body of ingest. */
  error: "payload_too_large" | "unsupported_encoding" | "invalid_encoding" | "incomplete_body";
  message: string;
}

export type BodyRead =
  | {
      kind: "read";
      /** The body, decompressed. */
      bytes: Buffer;
      /** Bytes received on the wire, for metrics. */
      receivedBytes: number;
    }
  | BodyRejection;

/** The Content-Encoding values we decode; anything else is answered 415. */
export const SUPPORTED_ENCODINGS = ["gzip", "deflate", "br", "identity"] as const;
type Coding = "gzip" | "deflate" | "br" | "identity";

// `x-gzip` is the pre-HTTP/1.1 name some old clients still send (RFC 9110 §8.4.1.3).
const CODINGS: Record<string, Coding> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
  br: "br",
  identity: "identity",
};

function rejected(
  status: BodyRejection["status"],
  error: BodyRejection["error"],
  message: string,
): BodyRejection {
  return { kind: "rejected", status, error, message };
}

/**
 * The one coding the body was sent with. Stacked codings (`gzip, gzip`) are legal HTTP but no
 * SDK sends them, and each layer would multiply the inflation ratio a bomb can reach; they are
 * refused rather than decoded.
 */
export function parseContentEncoding(header: string | undefined): Coding | BodyRejection {
  if (header === undefined) return "identity";
  const codings = header
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
  if (codings.length === 0) return "identity";
  const supported = "gzip, deflate, br or identity";
  if (codings.length > 1) {
    return rejected(
      415,
      "unsupported_encoding",
      `stacked content encodings ("${header}") are not supported; send the body with one of ${supported}`,
    );
  }
  const coding = CODINGS[codings[0]!];
  if (!coding) {
    return rejected(
      415,
      "unsupported_encoding",
      `content encoding "${codings[0]}" is not supported; send the body with ${supported}`,
    );
  }
  return coding;
}

function tooLarge(what: string, cap: number): BodyRejection {
  return rejected(413, "payload_too_large", `the ${what} is larger than the limit of ${cap} bytes`);
}

/**
 * RFC 9110 says "deflate" is the zlib format, but some clients (old IE, some .NET code) send raw
 * deflate. A zlib stream starts with a two-byte header whose first byte names method 8 and
 * whose big-endian value is a multiple of 31; raw deflate data almost never looks like that.
 */
function isZlibHeader(first: number, second: number): boolean {
  return (first & 0x0f) === 8 && first >> 4 <= 7 && ((first << 8) | second) % 31 === 0;
}

/**
 * Reads a request body with both caps, decoding its Content-Encoding. Never throws and never
 * holds more than the decompressed cap plus one zlib output chunk (16 KB): as soon as the
 * inflated size passes the cap, inflation stops and the rest of the upload is left unread.
 *
 * A rejection before the end of the upload leaves the source unread; the caller answers with
 * `Connection: close` (sendError does when the request is incomplete), so a hostile client
 * cannot keep streaming into a connection we would otherwise have to drain.
 */
export function readBody(
  source: Readable,
  headers: { "content-encoding"?: string | undefined; "content-length"?: string | undefined },
  limits: BodyLimits,
): Promise<BodyRead> {
  const coding = parseContentEncoding(headers["content-encoding"]);
  if (typeof coding !== "string") return Promise.resolve(coding);
  // An identity body is its own decompressed body, so both caps apply to it.
  const wireCap =
    coding === "identity"
      ? Math.min(limits.maxCompressedBytes, limits.maxDecompressedBytes)
      : limits.maxCompressedBytes;
  const declared = headers["content-length"] === undefined ? Number.NaN : Number(headers["content-length"]);
  // Cheapest check first: a declared length over the cap is refused before a byte is read.
  if (declared > wireCap) return Promise.resolve(tooLarge("request body", wireCap));

  return new Promise<BodyRead>((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let inflated = 0;
    let settled = false;
    let inflater: ReturnType<typeof createGunzip> | undefined;

    const finish = (result: BodyRead) => {
      if (settled) return;
      settled = true;
      source.off("data", onData);
      source.off("end", onEnd);
      source.off("error", onAbort);
      source.off("aborted", onAbort);
      source.off("close", onClose);
      // Stop reading: the rest of the upload is never buffered.
      if (result.kind === "rejected") source.pause();
      if (inflater) {
        inflater.removeAllListeners("data");
        // Destroying also frees zlib's native state at once instead of at GC.
        inflater.destroy();
        // destroy() may emit error for a half-written stream; nobody needs it any more.
        inflater.on("error", () => {});
      }
      resolve(result);
    };

    const onInflated = (chunk: Buffer) => {
      inflated += chunk.length;
      if (inflated > limits.maxDecompressedBytes) {
        finish(tooLarge("decompressed request body", limits.maxDecompressedBytes));
        return;
      }
      chunks.push(chunk);
    };

    const startInflater = (first: Buffer): void => {
      inflater =
        coding === "gzip"
          ? createGunzip()
          : coding === "br"
            ? createBrotliDecompress()
            : first.length >= 2 && isZlibHeader(first[0]!, first[1]!)
              ? createInflate()
              : createInflateRaw();
      inflater.on("data", onInflated);
      inflater.on("error", (error: Error) => {
        finish(
          rejected(
            400,
            "invalid_encoding",
            `the body could not be decoded as ${coding} (${error.message}); check the Content-Encoding header`,
          ),
        );
      });
      inflater.on("end", () => {
        finish({ kind: "read", bytes: Buffer.concat(chunks, inflated), receivedBytes: received });
      });
      // Backpressure: stop reading the socket while zlib works through what it has.
      inflater.on("drain", () => source.resume());
    };

    function onData(chunk: Buffer): void {
      received += chunk.length;
      if (received > wireCap) {
        finish(tooLarge("request body", wireCap));
        return;
      }
      if (coding === "identity") {
        chunks.push(chunk);
        return;
      }
      if (!inflater) startInflater(chunk);
      if (!inflater!.write(chunk)) source.pause();
    }

    function onEnd(): void {
      if (!Number.isNaN(declared) && received !== declared) {
        finish(
          rejected(
            400,
            "incomplete_body",
            `the body has ${received} bytes but Content-Length said ${declared}`,
          ),
        );
        return;
      }
      if (coding === "identity") {
        finish({ kind: "read", bytes: Buffer.concat(chunks, received), receivedBytes: received });
      } else if (!inflater) {
        // An empty compressed body decodes to an empty body; the parser decides what that means.
        finish({ kind: "read", bytes: Buffer.alloc(0), receivedBytes: 0 });
      } else {
        // zlib reports a truncated stream ("unexpected end of file") as an error on end.
        inflater.end();
      }
    }

    function onAbort(): void {
      finish(rejected(400, "incomplete_body", "the connection closed before the body was complete"));
    }

    function onClose(): void {
      // Readable "close" without "end" means the client went away mid-body.
      if (!source.readableEnded) onAbort();
    }

    source.on("data", onData);
    source.on("end", onEnd);
    source.on("error", onAbort);
    source.on("aborted", onAbort);
    source.on("close", onClose);
    source.resume();
  });
}

/** A rejection as the error ingest throws, so the one error handler answers it. */
export function toIngestRejection(rejection: BodyRejection): IngestRejection {
  const code =
    rejection.status === 413
      ? "PAYLOAD_TOO_LARGE"
      : rejection.status === 415
        ? "UNSUPPORTED_MEDIA_TYPE"
        : "BAD_REQUEST";
  return new IngestRejection(code, rejection.error, rejection.message);
}

/** The caps a route gets unless told otherwise: its Fastify bodyLimit, compressed and not. */
export function routeBodyLimits(request: FastifyRequest): BodyLimits {
  const limit = request.routeOptions.bodyLimit;
  return { maxCompressedBytes: limit, maxDecompressedBytes: limit };
}

/**
 * A Fastify content-type parser that hands the route the decompressed bytes as a Buffer, with
 * both caps applied. Register it for the content types a route reads as bytes:
 *
 *   scope.addContentTypeParser(["text/plain", "application/x-sentry-envelope"], boundedBodyParser());
 *
 * Fastify's own parsers never decode Content-Encoding, so a route that may receive compressed
 * bodies needs this (or jsonBodyParser, which builds on it) for every content type it accepts.
 */
export function boundedBodyParser(
  limitsOf: (request: FastifyRequest) => BodyLimits = routeBodyLimits,
): (request: FastifyRequest, payload: Readable) => Promise<Buffer> {
  return async (request, payload) => {
    const read = await readBody(payload, request.headers, limitsOf(request));
    if (read.kind === "rejected") throw toIngestRejection(read);
    return read.bytes;
  };
}
