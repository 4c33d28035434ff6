import { z } from "zod";
import { FaultlineError } from "./errors";
import { fingerprintV1 } from "./fingerprint";
import { type CanonicalMessage, type KeyValue, SEVERITIES, type Severity } from "./message";

/** Longest text we keep in one field; longer values are a client bug, not an error worth keeping. */
export const MAX_FIELD_LENGTH = 128 * 1024;
const MAX_LIST_ITEMS = 1000;

const text = (max = 4096) => z.string().max(max, `at most ${max} characters`);

const severityInput = z.string().transform((s, ctx) => {
  const match = SEVERITIES.find((v) => v.toLowerCase() === s.toLowerCase());
  if (!match) {
    ctx.addIssue({ code: "custom", message: `must be one of ${SEVERITIES.join(", ")}` });
    return z.NEVER;
  }
  return match;
});

const dateTimeInput = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 date and time");

// elmah.io clients send null values in key/value lists; we keep them as empty strings.
const keyValueInput = z.object({
  key: text(1024),
  value: z.union([z.string().max(MAX_FIELD_LENGTH), z.null(), z.undefined()]).transform((v) => v ?? ""),
});
const keyValues = z.array(keyValueInput).max(MAX_LIST_ITEMS, `at most ${MAX_LIST_ITEMS} items`).optional();

const breadcrumbInput = z.object({
  dateTime: dateTimeInput.optional(),
  severity: severityInput.optional(),
  action: text(256).optional(),
  message: text(MAX_FIELD_LENGTH).optional(),
  category: text(256).optional(),
});

/**
 * The elmah.io v3 "create message" body. Unknown fields are ignored rather than fatal, so newer
 * clients keep working; known fields are checked and a failure names the field.
 */
export const elmahMessageSchema = z.object({
  title: z.string({ error: "is required" }).trim().min(1, "is required").max(4096, "at most 4096 characters"),
  titleTemplate: text().optional(),
  severity: severityInput.optional(),
  type: text(1024).optional(),
  source: text(1024).optional(),
  detail: text(MAX_FIELD_LENGTH).optional(),
  hostname: text(1024).optional(),
  url: text(8192).optional(),
  method: text(32).optional(),
  statusCode: z.number().int("must be a whole number").min(0).max(999).optional(),
  user: text(1024).optional(),
  application: text(1024).optional(),
  version: text(256).optional(),
  dateTime: dateTimeInput.optional(),
  correlationId: text(256).optional(),
  category: text(1024).optional(),
  code: text(MAX_FIELD_LENGTH).optional(),
  cookies: keyValues,
  form: keyValues,
  queryString: keyValues,
  serverVariables: keyValues,
  data: keyValues,
  breadcrumbs: z.array(breadcrumbInput).max(MAX_LIST_ITEMS).optional(),
});
export type ElmahMessageInput = z.input<typeof elmahMessageSchema>;
/** A valid elmah.io message, as the schema outputs it. */
export type ElmahMessage = z.output<typeof elmahMessageSchema>;

export interface IngestContext {
  id: string;
  logId: string;
  /** ingest's clock */
  receivedAt: Date;
}

/** Turns a zod failure into per-field issues that name the field (`serverVariables[2].key`). */
export function zodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({
    path: i.path.reduce<string>(
      (acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
      "",
    ),
    message: i.message,
  }));
}

/*
 * The fast path: a hand-written twin of elmahMessageSchema. It answers only "valid, and here is
 * exactly what zod would have produced" or "not sure": input that breaks a rule, or that it does
 * not recognise, gets undefined, and normalizeElmahMessage runs zod, whose issues and messages
 * are the ones clients see. So error answers cannot drift from the schema, and this code only
 * has to agree with zod on valid input, which elmahio.fast-path.test.ts checks by running both
 * on every field set to every kind of value. Why: on ingest's hot path zod's generic walk cost
 * ~7 µs per realistic message, this ~1–2 µs. A rule added to the schema must be added here too
 * (or the field left to zod by returning undefined whenever it is present).
 */

// A rejected value; never stored, only compared against.
const INVALID = Symbol("invalid");
type Invalid = typeof INVALID;

const SEVERITY_BY_LOWER = new Map<string, Severity>(SEVERITIES.map((s) => [s.toLowerCase(), s]));

type Fields = Record<string, unknown>;

function isObject(v: unknown): v is Fields {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function textOf(v: unknown, max: number): string | Invalid {
  return typeof v === "string" && v.length <= max ? v : INVALID;
}

function severityOf(v: unknown): Severity | Invalid {
  return typeof v === "string" ? (SEVERITY_BY_LOWER.get(v.toLowerCase()) ?? INVALID) : INVALID;
}

function dateTimeOf(v: unknown): string | Invalid {
  return typeof v === "string" && !Number.isNaN(Date.parse(v)) ? v : INVALID;
}

function keyValuesOf(v: unknown): { key: string; value: string }[] | Invalid {
  if (!Array.isArray(v) || v.length > MAX_LIST_ITEMS) return INVALID;
  const out: { key: string; value: string }[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    if (!isObject(item)) return INVALID;
    const key = item.key;
    if (typeof key !== "string" || key.length > 1024) return INVALID;
    const value = item.value;
    // zod turns null into ""; an absent value is an issue (its union is not optional).
    if (value === null) out[i] = { key, value: "" };
    else if (typeof value === "string" && value.length <= MAX_FIELD_LENGTH) out[i] = { key, value };
    else return INVALID;
  }
  return out;
}

const text256 = (v: unknown) => textOf(v, 256);
const text1024 = (v: unknown) => textOf(v, 1024);
const text4096 = (v: unknown) => textOf(v, 4096);
const text8192 = (v: unknown) => textOf(v, 8192);
const text32 = (v: unknown) => textOf(v, 32);
const textMax = (v: unknown) => textOf(v, MAX_FIELD_LENGTH);

type Breadcrumb = NonNullable<ElmahMessage["breadcrumbs"]>[number];

function breadcrumbsOf(v: unknown): Breadcrumb[] | Invalid {
  if (!Array.isArray(v) || v.length > MAX_LIST_ITEMS) return INVALID;
  const out: Breadcrumb[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    if (!isObject(item)) return INVALID;
    const b: Breadcrumb = {};
    // In the schema's key order, as zod builds its output.
    if (!optional(item, "dateTime", b, dateTimeOf)) return INVALID;
    if (!optional(item, "severity", b, severityOf)) return INVALID;
    if (!optional(item, "action", b, text256)) return INVALID;
    if (!optional(item, "message", b, textMax)) return INVALID;
    if (!optional(item, "category", b, text256)) return INVALID;
    out[i] = b;
  }
  return out;
}

/**
 * Copies an optional field from `input` to `out` the way zod does: absent stays absent, a key
 * present with the value undefined stays present and undefined, anything else is checked.
 * Returns false when the value breaks the rule.
 */
function optional<T>(
  input: Fields,
  key: string,
  out: Record<string, unknown>,
  check: (v: unknown) => T | Invalid,
): boolean {
  const v = input[key];
  if (v === undefined) {
    if (key in input) out[key] = undefined;
    return true;
  }
  const checked = check(v);
  if (checked === INVALID) return false;
  out[key] = checked;
  return true;
}

function statusCodeOf(v: unknown): number | Invalid {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && v <= 999 ? v : INVALID;
}

/**
 * The body as elmahMessageSchema.parse would return it, or undefined when it is not certainly
 * valid (the caller then asks zod, for the issues).
 */
export function readValidElmahMessage(body: unknown): ElmahMessage | undefined {
  if (!isObject(body)) return undefined;
  const title = body.title;
  if (typeof title !== "string") return undefined;
  const trimmed = title.trim();
  if (trimmed.length < 1 || trimmed.length > 4096) return undefined;
  const out: Record<string, unknown> = { title: trimmed };
  // The schema's keys in its order: zod's output has them in this order.
  if (
    optional(body, "titleTemplate", out, text4096) &&
    optional(body, "severity", out, severityOf) &&
    optional(body, "type", out, text1024) &&
    optional(body, "source", out, text1024) &&
    optional(body, "detail", out, textMax) &&
    optional(body, "hostname", out, text1024) &&
    optional(body, "url", out, text8192) &&
    optional(body, "method", out, text32) &&
    optional(body, "statusCode", out, statusCodeOf) &&
    optional(body, "user", out, text1024) &&
    optional(body, "application", out, text1024) &&
    optional(body, "version", out, text256) &&
    optional(body, "dateTime", out, dateTimeOf) &&
    optional(body, "correlationId", out, text256) &&
    optional(body, "category", out, text1024) &&
    optional(body, "code", out, textMax) &&
    optional(body, "cookies", out, keyValuesOf) &&
    optional(body, "form", out, keyValuesOf) &&
    optional(body, "queryString", out, keyValuesOf) &&
    optional(body, "serverVariables", out, keyValuesOf) &&
    optional(body, "data", out, keyValuesOf) &&
    optional(body, "breadcrumbs", out, breadcrumbsOf)
  ) {
    return out as unknown as ElmahMessage;
  }
  return undefined;
}

/**
 * The value of the first variable named `names[0]`, else of the first named `names[1]`, …; a
 * name whose first variable is empty counts as absent. `upperKeys` are the list's keys in upper
 * case, computed once per message rather than once per name.
 */
function lookup(
  list: readonly KeyValue[],
  upperKeys: readonly string[],
  ...names: string[]
): string | undefined {
  for (const name of names) {
    const at = upperKeys.indexOf(name);
    if (at >= 0 && list[at]!.value) return list[at]!.value;
  }
  return undefined;
}

/**
 * The body as elmahMessageSchema outputs it; throws FaultlineError(BAD_REQUEST) naming every
 * failing field. Valid messages take the fast path; anything else gets zod's issues.
 */
export function parseElmahMessage(body: unknown): ElmahMessage {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new FaultlineError("BAD_REQUEST", "the body must be a JSON object (an elmah.io v3 message)");
  }
  const fast = readValidElmahMessage(body);
  if (fast) return fast;
  const parsed = elmahMessageSchema.safeParse(body);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new FaultlineError(
      "BAD_REQUEST",
      `invalid message: ${issues.map((i) => `${i.path || "body"} ${i.message}`).join("; ")}`,
      issues,
    );
  }
  return parsed.data;
}

/**
 * Validates an elmah.io v3 message body and maps it to the canonical message, applying the
 * server defaults: severity Information, dateTime = receivedAt, url and method taken from the
 * server variables when the client did not set them. Throws FaultlineError(BAD_REQUEST) naming
 * every failing field.
 */
export function normalizeElmahMessage(body: unknown, ctx: IngestContext): CanonicalMessage {
  const m = parseElmahMessage(body);
  const sv = m.serverVariables ?? [];
  const svKeys = sv.map((kv) => kv.key.toUpperCase());
  const severity: Severity = m.severity ?? "Information";
  const receivedAt = ctx.receivedAt.toISOString();
  const message: Omit<CanonicalMessage, "fingerprint"> = {
    id: ctx.id,
    logId: ctx.logId,
    receivedAt,
    format: "elmahio-v3",
    title: m.title,
    titleTemplate: m.titleTemplate,
    severity,
    type: m.type,
    source: m.source,
    detail: m.detail,
    hostname: m.hostname ?? lookup(sv, svKeys, "SERVER_NAME", "HTTP_HOST"),
    url: m.url ?? urlFromServerVariables(sv, svKeys),
    method: m.method ?? lookup(sv, svKeys, "REQUEST_METHOD", "HTTP_METHOD"),
    statusCode: m.statusCode,
    user: m.user,
    application: m.application,
    version: m.version,
    dateTime: m.dateTime ? new Date(m.dateTime).toISOString() : receivedAt,
    correlationId: m.correlationId,
    category: m.category,
    code: m.code,
    cookies: m.cookies ?? [],
    form: m.form ?? [],
    queryString: m.queryString ?? [],
    serverVariables: sv,
    data: m.data ?? [],
    breadcrumbs: (m.breadcrumbs ?? []).map((b) => ({
      ...b,
      dateTime: b.dateTime ? new Date(b.dateTime).toISOString() : undefined,
    })),
  };
  // Added last, so it comes last in the message's JSON, as it always has.
  const canonical = message as CanonicalMessage;
  canonical.fingerprint = fingerprintV1(message);
  return canonical;
}

function urlFromServerVariables(sv: readonly KeyValue[], svKeys: readonly string[]): string | undefined {
  const path = lookup(sv, svKeys, "URL", "PATH_INFO", "SCRIPT_NAME");
  const query = lookup(sv, svKeys, "QUERY_STRING");
  return path && query ? `${path}?${query}` : path;
}
