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

function lookup(list: KeyValue[] | undefined, ...names: string[]): string | undefined {
  if (!list) return undefined;
  for (const name of names) {
    const hit = list.find((kv) => kv.key.toUpperCase() === name);
    if (hit?.value) return hit.value;
  }
  return undefined;
}

/**
 * Validates an elmah.io v3 message body and maps it to the canonical message, applying the
 * server defaults: severity Information, dateTime = receivedAt, url and method taken from the
 * server variables when the client did not set them. Throws FaultlineError(BAD_REQUEST) naming
 * every failing field.
 */
export function normalizeElmahMessage(body: unknown, ctx: IngestContext): CanonicalMessage {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new FaultlineError("BAD_REQUEST", "the body must be a JSON object (an elmah.io v3 message)");
  }
  const parsed = elmahMessageSchema.safeParse(body);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new FaultlineError(
      "BAD_REQUEST",
      `invalid message: ${issues.map((i) => `${i.path || "body"} ${i.message}`).join("; ")}`,
      issues,
    );
  }
  const m = parsed.data;
  const sv = m.serverVariables ?? [];
  const severity: Severity = m.severity ?? "Information";
  const urlFromServer = lookup(sv, "URL", "PATH_INFO", "SCRIPT_NAME");
  const query = lookup(sv, "QUERY_STRING");
  const message: Omit<CanonicalMessage, "fingerprint"> = {
    id: ctx.id,
    logId: ctx.logId,
    receivedAt: ctx.receivedAt.toISOString(),
    format: "elmahio-v3",
    title: m.title,
    titleTemplate: m.titleTemplate,
    severity,
    type: m.type,
    source: m.source,
    detail: m.detail,
    hostname: m.hostname ?? lookup(sv, "SERVER_NAME", "HTTP_HOST"),
    url: m.url ?? (urlFromServer && query ? `${urlFromServer}?${query}` : urlFromServer),
    method: m.method ?? lookup(sv, "REQUEST_METHOD", "HTTP_METHOD"),
    statusCode: m.statusCode,
    user: m.user,
    application: m.application,
    version: m.version,
    dateTime: m.dateTime ? new Date(m.dateTime).toISOString() : ctx.receivedAt.toISOString(),
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
  return { ...message, fingerprint: fingerprintV1(message) };
}
