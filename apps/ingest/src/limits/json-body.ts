import { isUtf8 } from "node:buffer";
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { IngestRejection } from "../rejections";
import { type BodyLimits, readBody, routeBodyLimits, toIngestRejection } from "./decompress";

/**
 * Deepest JSON nesting accepted. An elmah.io message is 3 levels deep, a Sentry event with
 * nested contexts rarely 10; 64 leaves room for odd `data` payloads while keeping every later
 * recursive walk (validation, JSON.stringify, logging) far from the stack limit, which a body of
 * 100,000 `[` would otherwise reach.
 */
export const DEFAULT_MAX_JSON_DEPTH = 64;

export type JsonParse =
  | { kind: "parsed"; value: unknown }
  | {
      kind: "rejected";
      error: "empty_body" | "invalid_utf8" | "too_deep" | "invalid_json";
      message: string;
    };

/**
 * The nesting depth exceeds max? A single forward scan with no recursion and no allocation:
 * strings are skipped with indexOf so brackets inside them do not count. Malformed JSON may be
 * miscounted, which is harmless: JSON.parse rejects it next.
 */
export function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = closingQuote(text, i);
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return text.length;
    let backslashes = 0;
    for (let j = at - 1; text.charCodeAt(j) === 0x5c; j--) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

// Fastify's default parser refuses these keys (prototype poisoning); so do we. A reviver costs a
// call per value, so it only runs for the rare body that mentions either name at all.
function refusePoisonedKeys(this: unknown, key: string, value: unknown): unknown {
  if (key === "__proto__") throw new SyntaxError('the key "__proto__" is not allowed');
  if (key === "constructor" && value !== null && typeof value === "object" && "prototype" in value) {
    throw new SyntaxError('the key "constructor.prototype" is not allowed');
  }
  return value;
}

/**
 * Bytes to a JSON value, refusing instead of repairing: invalid UTF-8 is an error (Fastify's
 * parser would have turned it into U+FFFD and stored a corrupted message), as are an empty body
 * and nesting deeper than maxDepth.
 */
export function parseJsonBytes(bytes: Buffer, maxDepth: number = DEFAULT_MAX_JSON_DEPTH): JsonParse {
  // isUtf8 is simdutf-backed: far cheaper than a fatal TextDecoder on the hot path.
  if (!isUtf8(bytes)) {
    return {
      kind: "rejected",
      error: "invalid_utf8",
      message: "the body is not valid UTF-8; send JSON encoded as UTF-8",
    };
  }
  let text = bytes.toString("utf8");
  // .NET clients may start the body with a byte-order mark, which JSON.parse refuses.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim().length === 0) {
    return { kind: "rejected", error: "empty_body", message: "the body is empty; send a JSON document" };
  }
  if (exceedsDepth(text, maxDepth)) {
    return {
      kind: "rejected",
      error: "too_deep",
      message: `the JSON is nested deeper than ${maxDepth} levels`,
    };
  }
  try {
    const poisonable = text.includes("__proto__") || text.includes("constructor");
    return { kind: "parsed", value: poisonable ? JSON.parse(text, refusePoisonedKeys) : JSON.parse(text) };
  } catch (error) {
    return {
      kind: "rejected",
      error: "invalid_json",
      message: `the body is not valid JSON: ${(error as Error).message}`,
    };
  }
}

export interface JsonBodyOptions {
  maxDepth?: number;
  /** Caps per request; by default the route's bodyLimit, compressed and decompressed. */
  limits?: (request: FastifyRequest) => BodyLimits;
}

/**
 * Replaces the scope's application/json parser with one that decodes Content-Encoding under
 * both size caps and then applies parseJsonBytes. Every rejection is an IngestRejection, so the
 * client gets ingest's `{ error, message }` body with a code that names the problem.
 */
export function useBoundedJsonBodies(scope: FastifyInstance, options: JsonBodyOptions = {}): void {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const limitsOf = options.limits ?? routeBodyLimits;
  scope.removeContentTypeParser("application/json");
  scope.addContentTypeParser("application/json", async (request: FastifyRequest, payload: Readable) => {
    const read = await readBody(payload, request.headers, limitsOf(request));
    if (read.kind === "rejected") throw toIngestRejection(read);
    const parsed = parseJsonBytes(read.bytes, maxDepth);
    if (parsed.kind === "rejected") {
      throw new IngestRejection("BAD_REQUEST", parsed.error, parsed.message);
    }
    return parsed.value;
  });
}
