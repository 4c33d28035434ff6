import { elmahMessageSchema, SEVERITIES } from "@faultline/core";
import type { FastifyInstance } from "fastify";

/**
 * The OpenAPI 3.1 description of every ingest route, served at /openapi.json. Written by hand
 * (the routes are few and their prose matters to SDK authors), except the elmah.io message
 * schema, which is generated from core's zod schema so the two cannot disagree. A test checks
 * that every route Fastify registered appears here.
 */

type Json = Record<string, unknown>;

const errorResponse = (description: string, headers?: Json): Json => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const RETRY_AFTER = {
  "Retry-After": {
    description: "Seconds to wait before sending again.",
    schema: { type: "integer", minimum: 0 },
  },
};

/** Answers any body-reading route can give, whatever its format. */
const BODY_ERRORS: Json = {
  "400": errorResponse(
    "The body could not be read: invalid JSON (`invalid_json`), not UTF-8 (`invalid_utf8`), empty (`empty_body`), nested deeper than the limit (`too_deep`), a corrupt compressed stream (`invalid_encoding`) or a body shorter than its Content-Length (`incomplete_body`).",
  ),
  "413": errorResponse(
    "`payload_too_large`: the body, compressed or decompressed, is over the limit the message names.",
  ),
  "415": errorResponse(
    "`unsupported_media_type` (another Content-Type) or `unsupported_encoding` (a Content-Encoding other than gzip, deflate, br or identity).",
  ),
  "503": errorResponse(
    "`overloaded` (the publish queue is full), `bus_unavailable`, `auth_unavailable` or `shutting_down`: nothing was stored; retry after Retry-After.",
    RETRY_AFTER,
  ),
};

const CONTENT_ENCODING_PARAM = {
  name: "Content-Encoding",
  in: "header",
  required: false,
  description: "The body may be compressed; both the compressed and the decompressed size are capped.",
  schema: { type: "string", enum: ["gzip", "deflate", "br", "identity"] },
};

const ELMAH_PARAMS = [
  {
    name: "logId",
    in: "path",
    required: true,
    description: "The log's id, as shown on its setup page.",
    schema: { type: "string", format: "uuid" },
  },
  {
    name: "api_key",
    in: "header",
    required: false,
    description: "The log's ingest key (or send it as the api_key query parameter).",
    schema: { type: "string" },
  },
  {
    name: "api_key",
    in: "query",
    required: false,
    description: "The log's ingest key, for clients that cannot set headers.",
    schema: { type: "string" },
  },
  CONTENT_ENCODING_PARAM,
];

const ELMAH_AUTH_ERRORS: Json = {
  "401": errorResponse("`missing_api_key` or `invalid_api_key` (unknown or revoked)."),
  "403": errorResponse("`wrong_log`: the key belongs to another log."),
  "404": errorResponse("`log_not_found`: the log id is not a UUID."),
};

/** The message schema from core's zod schema, with what JSON Schema cannot infer added back. */
function elmahMessageJsonSchema(): Json {
  const generated = elmahMessageSchema.toJSONSchema({ io: "input", unrepresentable: "any" }) as Json;
  const { $schema: _dialect, ...schema } = generated;
  const properties = { ...(schema.properties as Record<string, Json>) };
  // zod's transforms (case-insensitive severities, dates) and its null-to-"" default are not
  // expressible by the generator; say what they accept.
  properties.severity = {
    type: "string",
    description: `One of ${SEVERITIES.join(", ")} (case-insensitive); Information when absent.`,
  };
  properties.dateTime = {
    type: "string",
    format: "date-time",
    description: "When the error happened; ingest's clock when absent.",
  };
  for (const list of ["cookies", "form", "queryString", "serverVariables", "data"]) {
    properties[list] = { ...properties[list], items: { $ref: "#/components/schemas/KeyValue" } };
  }
  const crumbs = properties.breadcrumbs as Json & { items: Json & { properties: Record<string, Json> } };
  properties.breadcrumbs = {
    ...crumbs,
    items: {
      ...crumbs.items,
      properties: {
        ...crumbs.items.properties,
        severity: properties.severity,
        dateTime: { type: "string", format: "date-time" },
      },
    },
  };
  return {
    ...schema,
    description: "An elmah.io v3 message. Unknown fields are ignored; a failing field is named in `issues`.",
    properties,
  };
}

const SENTRY_NOTE =
  "Sentry protocol route (implemented in routes/sentry-*.ts). Auth from the X-Sentry-Auth header, the sentry_key query parameter or the envelope header's dsn; projectId is the log's numeric project id.";

const SENTRY_PARAMS = [
  {
    name: "projectId",
    in: "path",
    required: true,
    description: "The log's numeric project id (the last part of the DSN).",
    schema: { type: "integer", minimum: 1 },
  },
  {
    name: "sentry_key",
    in: "query",
    required: false,
    description: "The DSN's public key, for browsers that avoid custom headers.",
    schema: { type: "string" },
  },
  {
    name: "X-Sentry-Auth",
    in: "header",
    required: false,
    description: "`Sentry sentry_key=…, sentry_version=7, sentry_client=…`",
    schema: { type: "string" },
  },
  CONTENT_ENCODING_PARAM,
];

const SENTRY_ANSWERS: Json = {
  "200": {
    description: "Accepted; the id is the event id the SDK chose, so a resend is not a duplicate.",
    content: {
      "application/json": {
        schema: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
      },
    },
  },
  "401": errorResponse("No key, or an unknown or revoked key."),
  "403": errorResponse("The key belongs to another project."),
  "404": errorResponse("`project_not_found`: no project with that id."),
  "429": errorResponse(
    "Burst protection dropped the event; X-Sentry-Rate-Limits says for how long.",
    RETRY_AFTER,
  ),
  ...BODY_ERRORS,
};

const SENTRY_PREFLIGHT = {
  summary: "CORS preflight for browser SDKs",
  "x-faultline-sentry": true,
  description: SENTRY_NOTE,
  parameters: [SENTRY_PARAMS[0]],
  responses: { "204": { description: "Allowed methods and headers." } },
};

const SENTRY_ENVELOPE: Json = {
  post: {
    summary: "Sentry envelope endpoint",
    "x-faultline-sentry": true,
    description: `${SENTRY_NOTE} Item types that are not stored (session, client_report, attachment, transaction…) are accepted and counted.`,
    parameters: SENTRY_PARAMS,
    requestBody: {
      required: true,
      content: {
        "application/x-sentry-envelope": { schema: { type: "string" } },
        "text/plain": { schema: { type: "string" } },
        "application/json": { schema: { type: "string" } },
      },
    },
    responses: SENTRY_ANSWERS,
  },
  options: SENTRY_PREFLIGHT,
};

const SENTRY_STORE: Json = {
  post: {
    summary: "Sentry store endpoint (one event as JSON)",
    "x-faultline-sentry": true,
    description: SENTRY_NOTE,
    parameters: SENTRY_PARAMS,
    requestBody: {
      required: true,
      content: {
        "application/json": { schema: { type: "object", description: "A Sentry event." } },
        "text/plain": { schema: { type: "string" } },
      },
    },
    responses: SENTRY_ANSWERS,
  },
  options: SENTRY_PREFLIGHT,
};

function buildDocument(): Json {
  return {
    openapi: "3.1.0",
    info: {
      title: "Faultline ingest",
      version: "1",
      description:
        "Where SDKs send errors. Every error answer is JSON `{ error, message, issues? }`: `error` is a stable code to branch on, `message` says what was wrong. Requests refused at the HTTP layer get 408 (`request_timeout`), 431 (`headers_too_large`) or 400 (`malformed_request`) in the same shape.",
    },
    paths: {
      "/v3/messages/{logId}": {
        post: {
          summary: "Store one message (elmah.io v3)",
          parameters: ELMAH_PARAMS,
          requestBody: {
            required: true,
            content: { "application/json": { schema: { $ref: "#/components/schemas/ElmahMessage" } } },
          },
          responses: {
            "201": {
              description: "Stored durably on the bus.",
              headers: {
                Location: { description: "/v3/messages/{logId}/{id}", schema: { type: "string" } },
              },
              content: {
                "application/json": {
                  schema: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
                },
              },
            },
            ...ELMAH_AUTH_ERRORS,
            ...BODY_ERRORS,
            "400": errorResponse(
              "`invalid_message` with one issue per failing field, or a body that could not be read (see the codes under 413/415).",
            ),
            "429": errorResponse(
              "`burst_limited`: the log is over its messages-per-minute limit and this message was not among the sample kept; nothing was stored. Retry after Retry-After (the end of the minute).",
              RETRY_AFTER,
            ),
          },
        },
      },
      "/v3/messages/{logId}/_bulk": {
        post: {
          summary: "Store up to 1000 messages (elmah.io v3 bulk)",
          parameters: ELMAH_PARAMS,
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "array",
                  minItems: 1,
                  maxItems: 1000,
                  items: { $ref: "#/components/schemas/ElmahMessage" },
                },
              },
            },
          },
          responses: {
            "201": {
              description:
                "At least one message was stored; one result per message, in order. The valid messages are committed together.",
              content: {
                "application/json": {
                  schema: { type: "array", items: { $ref: "#/components/schemas/BulkItemResult" } },
                },
              },
            },
            ...ELMAH_AUTH_ERRORS,
            ...BODY_ERRORS,
            "400": errorResponse(
              "`invalid_bulk` (not an array of 1 to 1000 messages) or `invalid_message` when none is valid, with issues named `[index].field`.",
            ),
            "429": errorResponse(
              "`burst_limited`: burst protection kept none of the messages. When it kept some, the answer is 201 and each dropped item's result has statusCode 429.",
              RETRY_AFTER,
            ),
          },
        },
      },
      // Sentry SDKs add the trailing slash; ingest also answers without it (same operation).
      "/api/{projectId}/envelope": SENTRY_ENVELOPE,
      "/api/{projectId}/envelope/": SENTRY_ENVELOPE,
      "/api/{projectId}/store": SENTRY_STORE,
      "/api/{projectId}/store/": SENTRY_STORE,
      "/healthz": {
        get: {
          summary: "The process answers",
          responses: {
            "200": {
              description: "Alive.",
              content: { "application/json": { schema: { $ref: "#/components/schemas/Status" } } },
            },
          },
        },
      },
      "/readyz": {
        get: {
          summary: "The process can take messages (the bus is reachable)",
          responses: {
            "200": {
              description: "Ready.",
              content: { "application/json": { schema: { $ref: "#/components/schemas/Status" } } },
            },
            "503": errorResponse("`bus_unavailable`.", RETRY_AFTER),
          },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          description:
            "Text exposition format 0.0.4: accepted messages per route, refusals by error code, HTTP requests and durations, publish batches and latency, queue depth, connections, memory.",
          responses: {
            "200": { description: "The metrics.", content: { "text/plain": { schema: { type: "string" } } } },
          },
        },
      },
      "/openapi.json": {
        get: {
          summary: "This document",
          responses: {
            "200": {
              description: "OpenAPI 3.1.",
              content: { "application/json": { schema: { type: "object" } } },
            },
          },
        },
      },
    },
    components: {
      schemas: {
        Error: {
          type: "object",
          properties: {
            error: { type: "string", description: "Stable machine-readable code." },
            message: { type: "string", description: "What was wrong, for people." },
            issues: {
              type: "array",
              items: {
                type: "object",
                properties: { path: { type: "string" }, message: { type: "string" } },
                required: ["path", "message"],
              },
            },
          },
          required: ["error", "message"],
        },
        Status: { type: "object", properties: { status: { type: "string" } }, required: ["status"] },
        KeyValue: {
          type: "object",
          properties: {
            key: { type: "string", maxLength: 1024 },
            value: { type: ["string", "null"], description: "null is stored as an empty string." },
          },
          required: ["key"],
        },
        ElmahMessage: elmahMessageJsonSchema(),
        BulkItemResult: {
          oneOf: [
            {
              type: "object",
              properties: {
                statusCode: { const: 201 },
                id: { type: "string" },
                location: { type: "string" },
              },
              required: ["statusCode", "id", "location"],
            },
            {
              type: "object",
              properties: {
                statusCode: { enum: [400, 413, 429] },
                error: { type: "string" },
                message: { type: "string" },
                issues: { type: "array", items: { type: "object" } },
              },
              required: ["statusCode", "error", "message"],
            },
          ],
        },
      },
    },
  };
}

let document: string | undefined;

/** The document, serialized once: it does not change while the process runs. */
export function openApiDocument(): string {
  document ??= JSON.stringify(buildDocument());
  return document;
}

/** `/v3/messages/:logId` → `/v3/messages/{logId}` */
export function toOpenApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

const ROUTES = new WeakMap<FastifyInstance, { method: string; url: string }[]>();

/**
 * Records every route registered from now on (in any scope), so a test can check the document
 * against what Fastify really serves. Call before registering routes.
 */
export function trackRoutes(app: FastifyInstance): void {
  const routes: { method: string; url: string }[] = [];
  ROUTES.set(app, routes);
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method: String(method), url: route.url });
  });
}

/** Routes registered since trackRoutes, HEAD routes Fastify adds for GET included. */
export function registeredRoutes(app: FastifyInstance): readonly { method: string; url: string }[] {
  return ROUTES.get(app) ?? [];
}
