import { createHash } from "node:crypto";
import { MAX_FIELD_LENGTH } from "./elmahio";
import { FaultlineError } from "./errors";
import { fingerprintV1 } from "./fingerprint";
import { newMessageId } from "./ids";
import type { Breadcrumb, CanonicalMessage, ExceptionInfo, KeyValue, Severity, StackFrame } from "./message";

// ---------------------------------------------------------------------------------------------
// Envelopes
//
// The wire format (Sentry's "envelope"): a JSON header line, then items. Each item is a JSON
// header line with at least `type`, then its payload. With a `length` in the item header the
// payload is exactly that many bytes (it may then contain newlines, e.g. an attachment) and a
// newline follows unless the envelope ends there; without one the payload runs to the next
// newline or the end of the body.

/** The envelope's first line: `event_id`, `dsn`, `sdk`, `sent_at`, … (all optional). */
export type SentryEnvelopeHeader = Record<string, unknown> & { dsn?: unknown; event_id?: unknown };

export interface SentryEnvelopeItem {
  /** The item header: `type` always, `length`, `content_type`, `filename`, … as sent. */
  header: Record<string, unknown> & { type: string };
  /** The payload's bytes, undecoded (attachments need not be text). */
  payload: Uint8Array;
}

export interface SentryEnvelope {
  header: SentryEnvelopeHeader;
  items: SentryEnvelopeItem[];
}

const NEWLINE = 0x0a;
const decoder = new TextDecoder("utf-8", { fatal: true });

function badEnvelope(message: string): FaultlineError {
  return new FaultlineError("BAD_REQUEST", `invalid envelope: ${message}`);
}

function jsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw badEnvelope(`${what} is not valid UTF-8`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badEnvelope(`${what} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badEnvelope(`${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Only whitespace (a trailing newline, CRLF) from `from` to the end. */
function onlyWhitespaceFrom(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x0a && b !== 0x0d && b !== 0x20 && b !== 0x09) return false;
  }
  return true;
}

/**
 * Splits an envelope into its header and items. Throws FaultlineError(BAD_REQUEST) saying what
 * is wrong and where for a truncated or garbled envelope: a header that is not a JSON object,
 * an item without `type`, a `length` running past the end, a payload not followed by a newline.
 * `maxItems` bounds the work a single request can ask for.
 */
export function parseSentryEnvelope(bytes: Uint8Array, maxItems = 1000): SentryEnvelope {
  if (bytes.length === 0) throw badEnvelope("the body is empty");
  let end = bytes.indexOf(NEWLINE);
  if (end === -1) end = bytes.length;
  const header = jsonObject(bytes.subarray(0, end), "the envelope header (first line)");
  const items: SentryEnvelopeItem[] = [];
  let pos = end + 1;
  while (pos < bytes.length) {
    if (onlyWhitespaceFrom(bytes, pos)) break;
    const n = items.length + 1;
    if (n > maxItems) throw badEnvelope(`more than ${maxItems} items`);
    let headerEnd = bytes.indexOf(NEWLINE, pos);
    if (headerEnd === -1) headerEnd = bytes.length;
    const itemHeader = jsonObject(bytes.subarray(pos, headerEnd), `the header of item ${n}`);
    const type = itemHeader.type;
    if (typeof type !== "string" || type.length === 0) {
      throw badEnvelope(`the header of item ${n} has no "type"`);
    }
    pos = headerEnd + 1;
    const length = itemHeader.length;
    let payload: Uint8Array;
    if (length !== undefined && length !== null) {
      if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) {
        throw badEnvelope(`item ${n} (${type}) has an invalid "length": ${JSON.stringify(length)}`);
      }
      const available = Math.max(0, bytes.length - pos);
      if (length > available) {
        throw badEnvelope(
          `item ${n} (${type}) is truncated: its header says ${length} bytes, ${available} follow`,
        );
      }
      payload = bytes.subarray(pos, pos + length);
      pos += length;
      if (pos < bytes.length) {
        if (bytes[pos] !== NEWLINE) {
          throw badEnvelope(
            `item ${n} (${type}): ${length} bytes of payload are not followed by a newline (wrong "length"?)`,
          );
        }
        pos += 1;
      }
    } else {
      if (pos > bytes.length) pos = bytes.length;
      let payloadEnd = bytes.indexOf(NEWLINE, pos);
      if (payloadEnd === -1) payloadEnd = bytes.length;
      payload = bytes.subarray(pos, payloadEnd);
      pos = payloadEnd + 1;
    }
    items.push({ header: { ...itemHeader, type }, payload });
  }
  return { header, items };
}

/** Decodes an item payload that must be a JSON object (event, client_report, …). */
export function parseSentryItemJson(item: SentryEnvelopeItem, index: number): Record<string, unknown> {
  return jsonObject(item.payload, `the payload of item ${index + 1} (${item.header.type})`);
}

// ---------------------------------------------------------------------------------------------
// Auth: X-Sentry-Auth and DSNs

/**
 * Parses `Sentry sentry_key=abc, sentry_version=7, sentry_client=…` (the `Sentry ` prefix is
 * optional; pairs are separated by commas, values may be quoted). Keys are lower-cased.
 */
export function parseSentryAuthHeader(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  const body = header.trim().replace(/^sentry\s+/i, "");
  for (const part of body.split(",")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (key) out[key] = value;
  }
  return out;
}

/** `{publicKey, projectId}` of a DSN `scheme://publicKey[:secret]@host[:port]/[path/]projectId`. */
export function parseSentryDsn(dsn: string): { publicKey: string; projectId: string } | null {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return null;
  }
  const publicKey = decodeURIComponent(url.username);
  const projectId = url.pathname.split("/").filter(Boolean).at(-1);
  if (!publicKey || !projectId) return null;
  return { publicKey, projectId };
}

// ---------------------------------------------------------------------------------------------
// Client reports

export interface DiscardedEvents {
  reason: string;
  category: string;
  quantity: number;
}

/** The `discarded_events` of a client_report item, malformed entries left out. */
export function discardedEventsOf(report: Record<string, unknown>): DiscardedEvents[] {
  const list = report.discarded_events;
  if (!Array.isArray(list)) return [];
  const out: DiscardedEvents[] = [];
  for (const entry of list) {
    if (!isObject(entry)) continue;
    const { reason, category, quantity } = entry;
    if (typeof reason !== "string" || typeof category !== "string") continue;
    if (typeof quantity !== "number" || !Number.isSafeInteger(quantity) || quantity < 0) continue;
    out.push({ reason, category, quantity });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Events → canonical message

export interface SentryIngestContext {
  logId: string;
  /** ingest's clock */
  receivedAt: Date;
  format: "sentry-envelope" | "sentry-store";
  /** The event's JSON text as the SDK sent it; kept as `raw` so nothing it sent is lost. */
  raw?: string;
  /** An id to use when the event has no `event_id` (e.g. the envelope header's). */
  fallbackEventId?: unknown;
}

const MAX_TITLE = 4096;
const MAX_KEY = 1024;
const MAX_ITEMS = 1000;
const MAX_FRAMES = 500;
const MAX_EXCEPTIONS = 50;
/** Nesting below this depth of contexts/extra is kept as JSON text in one data entry. */
const MAX_FLATTEN_DEPTH = 4;

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function clip(s: string, max = MAX_FIELD_LENGTH): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function str(v: unknown, max = MAX_FIELD_LENGTH): string | undefined {
  if (typeof v === "string") return v.length > 0 ? clip(v, max) : undefined;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

/** Any JSON value as data-entry text: strings as they are, everything else as JSON. */
function text(v: unknown): string {
  if (typeof v === "string") return clip(v);
  if (v === undefined) return "";
  try {
    return clip(JSON.stringify(v) ?? "");
  } catch {
    return "";
  }
}

function int(v: unknown): number | undefined {
  return typeof v === "number" && Number.isSafeInteger(v) ? v : undefined;
}

/** Sentry event ids are 32 lowercase hex characters; SDKs also send UUIDs with dashes. */
export function normalizeSentryEventId(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const hex = v.replace(/-/g, "").toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) ? hex : undefined;
}

const LEVELS: Record<string, Severity> = {
  fatal: "Fatal",
  critical: "Fatal",
  error: "Error",
  warning: "Warning",
  warn: "Warning",
  info: "Information",
  log: "Information",
  debug: "Debug",
};

function severityOf(level: unknown): Severity | undefined {
  return typeof level === "string" ? LEVELS[level.toLowerCase()] : undefined;
}

/** Sentry timestamps: seconds since the epoch (fractional) or RFC 3339 (UTC when no offset). */
export function sentryTimestamp(v: unknown): string | undefined {
  let ms: number;
  if (typeof v === "number" && Number.isFinite(v)) {
    ms = v * 1000;
  } else if (typeof v === "string" && v.length > 0 && v.length < 64) {
    if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
    else ms = Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(v) ? v : `${v}Z`);
  } else {
    return undefined;
  }
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** `{a: 1}`, `[["a", 1]]` or `[{key, value}]` as key/value pairs (values as text). */
function pairs(v: unknown): KeyValue[] {
  const out: KeyValue[] = [];
  if (Array.isArray(v)) {
    for (const p of v) {
      if (Array.isArray(p) && p.length >= 1 && typeof p[0] === "string") {
        out.push({ key: clip(p[0], MAX_KEY), value: text(p[1]) });
      } else if (isObject(p) && typeof p.key === "string") {
        out.push({ key: clip(p.key, MAX_KEY), value: text(p.value) });
      }
      if (out.length >= MAX_ITEMS) break;
    }
  } else if (isObject(v)) {
    for (const [key, value] of Object.entries(v)) {
      if (value === null || value === undefined) continue;
      out.push({ key: clip(key, MAX_KEY), value: text(value) });
      if (out.length >= MAX_ITEMS) break;
    }
  }
  return out;
}

/** A query string (`a=1&b=2`, with or without `?`), an object or a list of pairs. */
function queryPairs(v: unknown): KeyValue[] {
  if (typeof v === "string") {
    const out: KeyValue[] = [];
    for (const [key, value] of new URLSearchParams(v.replace(/^\?/, ""))) {
      out.push({ key: clip(key, MAX_KEY), value: clip(value) });
      if (out.length >= MAX_ITEMS) break;
    }
    return out;
  }
  return pairs(v);
}

/** A Cookie header (`a=1; b=2`), an object or a list of pairs. */
function cookiePairs(v: unknown): KeyValue[] {
  if (typeof v === "string") {
    const out: KeyValue[] = [];
    for (const part of v.split(";")) {
      const eq = part.indexOf("=");
      const key = (eq === -1 ? part : part.slice(0, eq)).trim();
      if (!key) continue;
      out.push({ key: clip(key, MAX_KEY), value: clip(eq === -1 ? "" : part.slice(eq + 1).trim()) });
      if (out.length >= MAX_ITEMS) break;
    }
    return out;
  }
  return pairs(v);
}

/** Nested objects as dotted keys (`contexts.os.name`); deeper levels and arrays as JSON text. */
function flatten(prefix: string, v: unknown, out: KeyValue[], depth = 0): void {
  if (out.length >= MAX_ITEMS || v === null || v === undefined) return;
  if (isObject(v) && depth < MAX_FLATTEN_DEPTH) {
    for (const [k, child] of Object.entries(v)) flatten(`${prefix}.${k}`, child, out, depth + 1);
    return;
  }
  out.push({ key: clip(prefix, MAX_KEY), value: text(v) });
}

/** `%s`, `%d`, `%r`, … and `%(name)s` (Python logging) or `{}` / `{0}` placeholders filled in. */
export function formatSentryMessage(template: string, params: unknown): string {
  if (Array.isArray(params) && params.length > 0) {
    let i = 0;
    const next = () => (i < params.length ? String(displayParam(params[i++])) : undefined);
    let out = template.replace(/%%|%[-+ #0]*\d*(?:\.\d+)?[sdifrxXoeEgGc]/g, (m) =>
      m === "%%" ? "%" : (next() ?? m),
    );
    if (i === 0) {
      out = template.replace(/\{(\d*)\}/g, (m, n: string) => {
        const v = n === "" ? next() : params[Number(n)];
        return v === undefined ? m : String(displayParam(v));
      });
    }
    return out;
  }
  if (isObject(params)) {
    return template.replace(/%\((\w+)\)[-+ #0]*\d*(?:\.\d+)?[sdifrxXoeEgGc]/g, (m, name: string) =>
      name in params ? String(displayParam(params[name])) : m,
    );
  }
  return template;
}

function displayParam(v: unknown): string {
  return typeof v === "string" ? v : text(v);
}

interface MessageParts {
  formatted?: string;
  template?: string;
}

/** `logentry` (or the older `message` interface, or a plain `message` string). */
function messageOf(event: Obj): MessageParts {
  for (const source of [event.logentry, event.message]) {
    if (typeof source === "string" && source.length > 0) return { formatted: source };
    if (isObject(source)) {
      const template = str(source.message);
      const formatted =
        str(source.formatted) ?? (template ? formatSentryMessage(template, source.params) : undefined);
      if (formatted) return { formatted, template: template !== formatted ? template : undefined };
    }
  }
  return {};
}

function framesOf(stacktrace: unknown): StackFrame[] {
  if (!isObject(stacktrace) || !Array.isArray(stacktrace.frames)) return [];
  // Sentry lists the oldest call first and the frame that raised last, as the canonical
  // message does; only the newest frames are kept when a stack is absurdly deep.
  const list = stacktrace.frames.slice(-MAX_FRAMES);
  const frames: StackFrame[] = [];
  for (const f of list) {
    if (!isObject(f)) continue;
    const frame: StackFrame = {
      function: str(f.function, MAX_KEY),
      module: str(f.module, MAX_KEY),
      filename: str(f.abs_path, MAX_KEY) ?? str(f.filename, MAX_KEY),
      lineno: int(f.lineno),
      colno: int(f.colno),
      inApp: typeof f.in_app === "boolean" ? f.in_app : undefined,
      contextLine: typeof f.context_line === "string" ? clip(f.context_line, 4096) : undefined,
      preContext: lines(f.pre_context),
      postContext: lines(f.post_context),
    };
    frames.push(dropUndefined(frame));
  }
  return frames;
}

function lines(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.slice(0, 50).map((l) => (typeof l === "string" ? clip(l, 4096) : ""));
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * The exceptions, OUTERMOST FIRST. Sentry's `exception.values` is sorted oldest to newest: the
 * original cause first, the exception that was finally raised (the one the title is about)
 * last. The canonical message lists the exception that was raised first and its causes after
 * it, like a .NET `ToString()` reads, so the list is reversed here.
 */
function exceptionsOf(event: Obj): ExceptionInfo[] {
  const container = event.exception;
  const values = Array.isArray(container)
    ? container
    : isObject(container) && Array.isArray(container.values)
      ? container.values
      : [];
  const out: ExceptionInfo[] = [];
  for (const v of values.slice(-MAX_EXCEPTIONS)) {
    if (!isObject(v)) continue;
    const type = str(v.type, MAX_KEY);
    const value = str(v.value);
    out.push(
      dropUndefined({
        type,
        value,
        module: str(v.module, MAX_KEY),
        frames: framesOf(v.stacktrace ?? v.raw_stacktrace),
      }),
    );
  }
  out.reverse();
  // A message event with `attach_stacktrace` carries its stack in `threads` (the crashed or
  // current thread) or a top-level `stacktrace`: kept as an exception without type.
  if (out.length === 0) {
    const threadFrames = threadStackOf(event);
    if (threadFrames.length > 0) out.push({ frames: threadFrames });
  }
  return out;
}

function threadStackOf(event: Obj): StackFrame[] {
  const t = event.threads;
  const list = Array.isArray(t) ? t : isObject(t) && Array.isArray(t.values) ? t.values : [];
  const thread =
    list.find((x) => isObject(x) && (x.crashed === true || x.current === true)) ??
    (list.length === 1 ? list[0] : undefined);
  if (isObject(thread) && thread.stacktrace) return framesOf(thread.stacktrace);
  return isObject(event.stacktrace) ? framesOf(event.stacktrace) : [];
}

function frameLine(f: StackFrame): string {
  const where = f.filename ?? f.module ?? "<unknown>";
  const position = f.lineno !== undefined ? `:${f.lineno}${f.colno !== undefined ? `:${f.colno}` : ""}` : "";
  const fn = f.function ?? (f.module && f.filename ? f.module : undefined);
  return fn ? `    at ${fn} (${where}${position})` : `    at ${where}${position}`;
}

/**
 * A readable stack trace in the V8 layout (newest frame first, `at fn (file:line:col)`), the
 * raised exception first and each cause after a "Caused by:" line.
 */
export function renderSentryDetail(exceptions: readonly ExceptionInfo[]): string | undefined {
  if (exceptions.length === 0) return undefined;
  const blocks = exceptions.map((e, i) => {
    const head = [e.type, e.value].filter(Boolean).join(": ") || "(no exception type)";
    const frames = [...e.frames].reverse().map(frameLine);
    return [i === 0 ? head : `Caused by: ${head}`, ...frames].join("\n");
  });
  return clip(blocks.join("\n"));
}

function breadcrumbsOf(v: unknown): Breadcrumb[] {
  const list = Array.isArray(v) ? v : isObject(v) && Array.isArray(v.values) ? v.values : [];
  const out: Breadcrumb[] = [];
  // The newest breadcrumbs say most about the error; keep those when there are too many.
  for (const b of list.slice(-MAX_ITEMS)) {
    if (!isObject(b)) continue;
    const data = isObject(b.data) ? pairs(b.data) : [];
    const dataText = data.map((kv) => `${kv.key}=${kv.value}`).join(", ");
    const message = str(b.message);
    const type = str(b.type, 256);
    out.push(
      dropUndefined({
        dateTime: sentryTimestamp(b.timestamp),
        severity: severityOf(b.level),
        category: str(b.category, 256),
        action: type && type !== "default" ? type : undefined,
        message:
          message && dataText ? clip(`${message} (${dataText})`) : (message ?? (clip(dataText) || undefined)),
      }),
    );
  }
  return out;
}

const DEFAULT_FINGERPRINT = /^\{\{\s*default\s*\}\}$/i;

/**
 * The SDK's `fingerprint` replaces fingerprint v1 unless it is only `{{ default }}`: a hash of
 * its parts, with `{{ default }}` standing for the v1 fingerprint (so `["{{ default }}",
 * "tenant-a"]` splits each v1 group by tenant).
 */
export function sentryFingerprint(sent: unknown, v1: string): string {
  if (!Array.isArray(sent) || sent.length === 0) return v1;
  const parts = sent.slice(0, 100).map((p) => (typeof p === "string" ? p : text(p)));
  if (parts.every((p) => DEFAULT_FINGERPRINT.test(p.trim()))) return v1;
  const expanded = parts.map((p) => (DEFAULT_FINGERPRINT.test(p.trim()) ? `v1:${v1}` : `part:${p}`));
  return createHash("sha256")
    .update(["sentry", ...expanded].join("\n"))
    .digest("hex")
    .slice(0, 32);
}

function userOf(user: unknown, data: KeyValue[]): string | undefined {
  if (!isObject(user)) return undefined;
  for (const [k, v] of Object.entries(user)) flatten(`user.${k}`, v, data, 1);
  return (
    str(user.email, 1024) ?? str(user.username, 1024) ?? str(user.id, 1024) ?? str(user.ip_address, 1024)
  );
}

/**
 * Maps a Sentry event (an envelope's `event` item or a store body) to the canonical message.
 *
 * - id: the event's `event_id` (32 lowercase hex; dashes removed), else the fallback (the
 *   envelope header's), else a new one. An event_id that is not hex is a 400.
 * - title: `{type}: {value}` of the raised exception, else the formatted message, else the
 *   transaction; severity from `level` (default Error, as Sentry's); type: the raised
 *   exception's type.
 * - exceptions: outermost (raised) first; frames oldest call first (see exceptionsOf), with
 *   in_app → inApp, abs_path (else filename) → filename, function, module, lineno, colno and
 *   the source context lines; `detail` is a stack trace rendered from them (renderSentryDetail).
 * - fingerprint: the SDK's `fingerprint` when it is more than `{{ default }}` (sentryFingerprint),
 *   else fingerprint v1.
 * - source: the `transaction` (Sentry's culprit: the route or function being run), else
 *   `culprit`. category: `logger`. hostname: `server_name`. version: `release`.
 * - data: `environment`, `dist`, `platform`, `sdk.name`/`sdk.version`, `message` (when an
 *   exception made the title), `tags.*`, `contexts.*`, `extra.*`, `user.*`, `request.env.*`.
 * - request: url, method, headers (+ env) → serverVariables, cookies, query_string →
 *   queryString, data → form (an object) or data `request.data` (anything else).
 *   `contexts.response.status_code` → statusCode.
 * - raw: the event JSON as sent.
 */
export function normalizeSentryEvent(event: unknown, ctx: SentryIngestContext): CanonicalMessage {
  if (!isObject(event)) {
    throw new FaultlineError("BAD_REQUEST", "the event must be a JSON object");
  }
  let id: string;
  if (event.event_id !== undefined && event.event_id !== null) {
    const normalized = normalizeSentryEventId(event.event_id);
    if (!normalized) {
      throw new FaultlineError("BAD_REQUEST", "invalid event: event_id must be 32 hex characters (a UUID)", [
        { path: "event_id", message: "must be 32 hex characters" },
      ]);
    }
    id = normalized;
  } else {
    id =
      normalizeSentryEventId(ctx.fallbackEventId) ?? newMessageId(ctx.receivedAt.getTime()).replace(/-/g, "");
  }

  const data: KeyValue[] = [];
  const exceptions = exceptionsOf(event);
  const main = exceptions[0];
  const msg = messageOf(event);
  const transaction = str(event.transaction, 1024);
  const exceptionTitle =
    main && (main.type || main.value) ? [main.type, main.value].filter(Boolean).join(": ") : undefined;
  const title = clip(
    (exceptionTitle ?? msg.formatted ?? transaction ?? "(event without message or exception)")
      .replace(/\s+/g, " ")
      .trim() || "(empty message)",
    MAX_TITLE,
  );
  // A message event with attach_stacktrace arrives as an exception whose value is the message
  // (the JS SDKs): the message is then the title already.
  if (exceptionTitle && msg.formatted && msg.formatted !== main?.value) {
    data.push({ key: "message", value: msg.formatted });
  }

  const environment = str(event.environment, 1024);
  if (environment) data.push({ key: "environment", value: environment });
  const dist = str(event.dist, 1024);
  if (dist) data.push({ key: "dist", value: dist });
  const platform = str(event.platform, 256);
  if (platform) data.push({ key: "platform", value: platform });
  if (isObject(event.sdk)) {
    const name = str(event.sdk.name, 256);
    const version = str(event.sdk.version, 256);
    if (name) data.push({ key: "sdk.name", value: name });
    if (version) data.push({ key: "sdk.version", value: version });
  }
  const user = userOf(event.user, data);
  for (const kv of pairs(event.tags)) data.push({ key: clip(`tags.${kv.key}`, MAX_KEY), value: kv.value });
  if (isObject(event.contexts)) flatten("contexts", event.contexts, data);
  if (isObject(event.extra)) flatten("extra", event.extra, data);

  const request = isObject(event.request) ? event.request : {};
  const serverVariables = pairs(request.headers);
  if (isObject(request.env)) for (const kv of pairs(request.env)) serverVariables.push(kv);
  const form: KeyValue[] = [];
  if (isObject(request.data)) form.push(...pairs(request.data));
  else if (request.data !== undefined && request.data !== null && request.data !== "") {
    data.push({ key: "request.data", value: text(request.data) });
  }
  const response =
    isObject(event.contexts) && isObject(event.contexts.response) ? event.contexts.response : {};
  const statusCode = int(response.status_code);

  const receivedAt = ctx.receivedAt.toISOString();
  const message: Omit<CanonicalMessage, "fingerprint"> = dropUndefined({
    id,
    logId: ctx.logId,
    receivedAt,
    format: ctx.format,
    title,
    titleTemplate: msg.template ? clip(msg.template, 4096) : undefined,
    severity: severityOf(event.level) ?? "Error",
    type: main?.type,
    source: transaction ?? str(event.culprit, 1024),
    detail: renderSentryDetail(exceptions),
    hostname: str(event.server_name, 1024),
    url: str(request.url, 8192),
    method: str(request.method, 32)?.toUpperCase(),
    statusCode: statusCode !== undefined && statusCode >= 0 && statusCode <= 999 ? statusCode : undefined,
    user,
    version: str(event.release, 256),
    dateTime: sentryTimestamp(event.timestamp) ?? receivedAt,
    category: str(event.logger, 1024),
    cookies: cookiePairs(request.cookies),
    form,
    queryString: queryPairs(request.query_string),
    serverVariables: serverVariables.slice(0, MAX_ITEMS),
    data: data.slice(0, MAX_ITEMS),
    breadcrumbs: breadcrumbsOf(event.breadcrumbs),
    exceptions: exceptions.length > 0 ? exceptions : undefined,
    raw: ctx.raw ?? JSON.stringify(event),
  });
  return { ...message, fingerprint: sentryFingerprint(event.fingerprint, fingerprintV1(message)) };
}
