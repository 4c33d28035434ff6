import { z } from "zod";

/** Severities of the elmah.io v3 format, lowest first. */
export const SEVERITIES = ["Verbose", "Debug", "Information", "Warning", "Error", "Fatal"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severitySchema = z.enum(SEVERITIES);

/** Where a canonical message came from; kept so a message can be traced back to its wire format. */
export const MESSAGE_FORMATS = ["elmahio-v3", "sentry-envelope", "sentry-store", "native"] as const;
export type MessageFormat = (typeof MESSAGE_FORMATS)[number];

/**
 * Message ids are chosen at ingest (or taken from the SDK, e.g. Sentry's event_id) and are the
 * idempotency key everywhere: search document id, archive record, alert de-duplication.
 */
export const messageIdSchema = z
  .string()
  .min(8)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "only letters, digits, '-' and '_'");

export const keyValueSchema = z.object({ key: z.string(), value: z.string() });
export type KeyValue = z.infer<typeof keyValueSchema>;

export const stackFrameSchema = z.object({
  function: z.string().optional(),
  module: z.string().optional(),
  filename: z.string().optional(),
  lineno: z.number().int().optional(),
  colno: z.number().int().optional(),
  /** True when the SDK marked the frame as the application's own code. */
  inApp: z.boolean().optional(),
  contextLine: z.string().optional(),
  preContext: z.array(z.string()).optional(),
  postContext: z.array(z.string()).optional(),
});
export type StackFrame = z.infer<typeof stackFrameSchema>;

export const exceptionSchema = z.object({
  type: z.string().optional(),
  value: z.string().optional(),
  module: z.string().optional(),
  /** Oldest call first, the frame that threw last (Sentry's order). */
  frames: z.array(stackFrameSchema).default([]),
});
export type ExceptionInfo = z.infer<typeof exceptionSchema>;

export const breadcrumbSchema = z.object({
  dateTime: z.string().optional(),
  severity: severitySchema.optional(),
  action: z.string().optional(),
  message: z.string().optional(),
  category: z.string().optional(),
});
export type Breadcrumb = z.infer<typeof breadcrumbSchema>;

/**
 * The canonical message: the elmah.io v3 fields plus what ingest adds. Every consumer and the
 * web site work on this shape only; wire formats are mapped into it at ingest.
 */
export const canonicalMessageSchema = z.object({
  id: messageIdSchema,
  logId: z.string().uuid(),
  /** ISO 8601, set by ingest. */
  receivedAt: z.string(),
  format: z.enum(MESSAGE_FORMATS),
  fingerprint: z.string(),

  title: z.string().min(1),
  titleTemplate: z.string().optional(),
  severity: severitySchema,
  type: z.string().optional(),
  source: z.string().optional(),
  detail: z.string().optional(),
  hostname: z.string().optional(),
  url: z.string().optional(),
  method: z.string().optional(),
  statusCode: z.number().int().optional(),
  user: z.string().optional(),
  application: z.string().optional(),
  version: z.string().optional(),
  /** ISO 8601: when the error happened, as the client says (ingest's clock when it did not say). */
  dateTime: z.string(),
  correlationId: z.string().optional(),
  category: z.string().optional(),
  code: z.string().optional(),

  cookies: z.array(keyValueSchema).default([]),
  form: z.array(keyValueSchema).default([]),
  queryString: z.array(keyValueSchema).default([]),
  serverVariables: z.array(keyValueSchema).default([]),
  data: z.array(keyValueSchema).default([]),
  breadcrumbs: z.array(breadcrumbSchema).default([]),

  /** Structured exceptions where the SDK sent them, outermost first. */
  exceptions: z.array(exceptionSchema).optional(),
  /** The payload as the SDK sent it (JSON text), for formats whose fields we map only in part. */
  raw: z.string().optional(),
});
export type CanonicalMessage = z.infer<typeof canonicalMessageSchema>;

/** The fields a search result list shows; a subset of the canonical message. */
export type MessageSummary = Pick<
  CanonicalMessage,
  | "id"
  | "logId"
  | "title"
  | "severity"
  | "dateTime"
  | "type"
  | "source"
  | "hostname"
  | "url"
  | "method"
  | "statusCode"
  | "application"
  | "user"
  | "fingerprint"
>;

export function summarize(m: CanonicalMessage): MessageSummary {
  return {
    id: m.id,
    logId: m.logId,
    title: m.title,
    severity: m.severity,
    dateTime: m.dateTime,
    type: m.type,
    source: m.source,
    hostname: m.hostname,
    url: m.url,
    method: m.method,
    statusCode: m.statusCode,
    application: m.application,
    user: m.user,
    fingerprint: m.fingerprint,
  };
}
