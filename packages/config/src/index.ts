import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";

/**
 * Every process reads its environment here, once, at start. Each concern's engine is chosen by
 * one variable; an unknown engine or a missing setting is a startup error that names the
 * variable. Nothing falls back to a default silently: defaults are the documented ones below.
 */

export type DbConfig = { kind: "sqlite"; file: string } | { kind: "postgres"; url: string };

/** Settings every bus engine honours. */
export interface BusDelivery {
  /** How long a receive lock holds before the message is redelivered. */
  lockMs: number;
  /** Deliveries before a message is dead-lettered. */
  maxDeliveries: number;
}
export type BusConfig = BusDelivery &
  (
    | { kind: "sqlite"; file: string }
    | { kind: "rabbitmq"; url: string; exchange: string }
    | { kind: "azure-service-bus"; connectionString: string; topic: string }
  );
export type SearchConfig =
  | { kind: "sqlite"; file: string }
  | { kind: "elasticsearch"; url: string; indexPrefix: string };
export type ArchiveConfig =
  | { kind: "folder"; dir: string }
  | { kind: "azure-blob"; connectionString: string; container: string };

export interface Config {
  dataDir: string;
  db: DbConfig;
  bus: BusConfig;
  search: SearchConfig;
  archive: ArchiveConfig;
  ingest: {
    host: string;
    port: number;
    maxBodyBytes: number;
    /** Deepest JSON nesting accepted in a body. */
    maxJsonDepth: number;
    /** Largest request head (request line and headers), in bytes. */
    maxHeaderBytes: number;
    /** Time allowed to receive a request's headers, and the whole request. */
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    /** How long an idle keep-alive connection stays open. */
    keepAliveTimeoutMs: number;
    /** Open client connections at most; more are closed as they arrive. */
    maxConnections: number;
  };
  web: { port: number; authSecret: string | undefined; url: string };
  /** Where SDKs reach ingest; used in the setup snippets and DSNs the web site shows. */
  publicIngestUrl: string;
  logLevel: "debug" | "info" | "warn" | "error";
}

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const envSchema = z.object({
  FAULTLINE_DATA_DIR: z.string().min(1).default(".faultline"),
  FAULTLINE_DB: z.enum(["sqlite", "postgres"]).default("sqlite"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  FAULTLINE_BUS: z.enum(["sqlite", "rabbitmq", "azure-service-bus"]).default("sqlite"),
  FAULTLINE_RABBITMQ_URL: z
    .string()
    .regex(/^amqps?:\/\//, "must be an amqp:// or amqps:// URL")
    .optional(),
  FAULTLINE_RABBITMQ_EXCHANGE: z.string().min(1).default("faultline.messages"),
  FAULTLINE_SERVICEBUS_CONNECTION_STRING: z
    .string()
    .includes("Endpoint=", { message: "must contain Endpoint=" })
    .optional(),
  FAULTLINE_SERVICEBUS_TOPIC: z.string().min(1).default("messages"),
  FAULTLINE_BUS_LOCK_MS: positiveInt(30_000),
  FAULTLINE_BUS_MAX_DELIVERIES: positiveInt(10),
  FAULTLINE_SEARCH: z.enum(["sqlite", "elasticsearch"]).default("sqlite"),
  FAULTLINE_ELASTICSEARCH_URL: z.url().optional(),
  FAULTLINE_ELASTICSEARCH_INDEX_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, "lowercase letters, digits, '-' and '_'")
    .default("faultline"),
  FAULTLINE_ARCHIVE: z.enum(["folder", "azure-blob"]).default("folder"),
  FAULTLINE_AZURE_STORAGE_CONNECTION_STRING: z.string().min(1).optional(),
  FAULTLINE_AZURE_STORAGE_CONTAINER: z
    .string()
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "3-63 lowercase letters, digits and single '-'")
    .default("faultline-archive"),
  FAULTLINE_INGEST_HOST: z.string().default("0.0.0.0"),
  FAULTLINE_INGEST_PORT: port(3100),
  FAULTLINE_INGEST_MAX_BODY_BYTES: positiveInt(256 * 1024),
  FAULTLINE_INGEST_MAX_JSON_DEPTH: positiveInt(64),
  FAULTLINE_INGEST_MAX_HEADER_BYTES: positiveInt(16 * 1024),
  FAULTLINE_INGEST_HEADERS_TIMEOUT_MS: positiveInt(10_000),
  FAULTLINE_INGEST_REQUEST_TIMEOUT_MS: positiveInt(30_000),
  FAULTLINE_INGEST_KEEP_ALIVE_TIMEOUT_MS: positiveInt(65_000),
  FAULTLINE_INGEST_MAX_CONNECTIONS: positiveInt(8192),
  FAULTLINE_WEB_PORT: port(3000),
  FAULTLINE_PUBLIC_INGEST_URL: z.url().optional(),
  NEXTAUTH_URL: z.url().optional(),
  NEXTAUTH_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  FAULTLINE_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

export type Env = Record<string, string | undefined>;

/** What a process needs beyond the shared settings; missing ones are reported with the rest. */
export interface Requirements {
  /** The web site signs sessions, so it needs NEXTAUTH_SECRET. */
  authSecret?: boolean;
}

/** Validates the whole environment and reports every problem at once (throws ConfigError). */
export function loadConfig(env: Env, requirements: Requirements = {}, cwd: string = process.cwd()): Config {
  // Empty strings count as unset: `FOO= npm start` should not trip a validation.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(cleaned);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? "environment");
      problems.push(`${name}: ${issue.message}${name in cleaned ? ` (got "${cleaned[name]}")` : ""}`);
    }
  }
  // A chosen engine without its address is a startup error naming the missing variable.
  const needs: [string, string, string][] = [
    ["FAULTLINE_DB", "postgres", "DATABASE_URL"],
    ["FAULTLINE_BUS", "rabbitmq", "FAULTLINE_RABBITMQ_URL"],
    ["FAULTLINE_BUS", "azure-service-bus", "FAULTLINE_SERVICEBUS_CONNECTION_STRING"],
    ["FAULTLINE_SEARCH", "elasticsearch", "FAULTLINE_ELASTICSEARCH_URL"],
    ["FAULTLINE_ARCHIVE", "azure-blob", "FAULTLINE_AZURE_STORAGE_CONNECTION_STRING"],
  ];
  for (const [choice, engine, setting] of needs) {
    if (cleaned[choice] === engine && !cleaned[setting])
      problems.push(`${setting}: required when ${choice}=${engine}`);
  }
  if (requirements.authSecret && !cleaned.NEXTAUTH_SECRET) {
    problems.push(
      "NEXTAUTH_SECRET: required by the web site to sign sessions (any random string of 16+ characters)",
    );
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const e = parsed.data;
  const dataDir = isAbsolute(e.FAULTLINE_DATA_DIR)
    ? e.FAULTLINE_DATA_DIR
    : resolve(cwd, e.FAULTLINE_DATA_DIR);
  const webUrl = e.NEXTAUTH_URL ?? `http://localhost:${e.FAULTLINE_WEB_PORT}`;
  const delivery: BusDelivery = {
    lockMs: e.FAULTLINE_BUS_LOCK_MS,
    maxDeliveries: e.FAULTLINE_BUS_MAX_DELIVERIES,
  };
  return {
    dataDir,
    db:
      e.FAULTLINE_DB === "postgres"
        ? { kind: "postgres", url: e.DATABASE_URL! }
        : { kind: "sqlite", file: join(dataDir, "faultline.db") },
    bus:
      e.FAULTLINE_BUS === "rabbitmq"
        ? {
            kind: "rabbitmq",
            url: e.FAULTLINE_RABBITMQ_URL!,
            exchange: e.FAULTLINE_RABBITMQ_EXCHANGE,
            ...delivery,
          }
        : e.FAULTLINE_BUS === "azure-service-bus"
          ? {
              kind: "azure-service-bus",
              connectionString: e.FAULTLINE_SERVICEBUS_CONNECTION_STRING!,
              topic: e.FAULTLINE_SERVICEBUS_TOPIC,
              ...delivery,
            }
          : { kind: "sqlite", file: join(dataDir, "bus.db"), ...delivery },
    search:
      e.FAULTLINE_SEARCH === "elasticsearch"
        ? {
            kind: "elasticsearch",
            url: e.FAULTLINE_ELASTICSEARCH_URL!,
            indexPrefix: e.FAULTLINE_ELASTICSEARCH_INDEX_PREFIX,
          }
        : { kind: "sqlite", file: join(dataDir, "search.db") },
    archive:
      e.FAULTLINE_ARCHIVE === "azure-blob"
        ? {
            kind: "azure-blob",
            connectionString: e.FAULTLINE_AZURE_STORAGE_CONNECTION_STRING!,
            container: e.FAULTLINE_AZURE_STORAGE_CONTAINER,
          }
        : { kind: "folder", dir: join(dataDir, "archive") },
    ingest: {
      host: e.FAULTLINE_INGEST_HOST,
      port: e.FAULTLINE_INGEST_PORT,
      maxBodyBytes: e.FAULTLINE_INGEST_MAX_BODY_BYTES,
      maxJsonDepth: e.FAULTLINE_INGEST_MAX_JSON_DEPTH,
      maxHeaderBytes: e.FAULTLINE_INGEST_MAX_HEADER_BYTES,
      headersTimeoutMs: e.FAULTLINE_INGEST_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.FAULTLINE_INGEST_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.FAULTLINE_INGEST_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.FAULTLINE_INGEST_MAX_CONNECTIONS,
    },
    web: { port: e.FAULTLINE_WEB_PORT, authSecret: e.NEXTAUTH_SECRET, url: webUrl },
    publicIngestUrl: e.FAULTLINE_PUBLIC_INGEST_URL ?? `http://localhost:${e.FAULTLINE_INGEST_PORT}`,
    logLevel: e.FAULTLINE_LOG_LEVEL,
  };
}

/** One line naming the engine chosen for each concern, for the startup log. */
export function describeEngines(c: Config): string {
  return `db=${c.db.kind} bus=${c.bus.kind} search=${c.search.kind} archive=${c.archive.kind} data=${c.dataDir}`;
}
