import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";

/**
 * Every process reads its environment here, once, at start. Each concern's engine is chosen by
 * one variable; an unknown engine or a missing setting is a startup error that names the
 * variable. Nothing falls back to a default silently: defaults are the documented ones below.
 */

export type DbConfig = { kind: "sqlite"; file: string };
export type BusConfig = { kind: "sqlite"; file: string; lockMs: number; maxDeliveries: number };
export type SearchConfig = { kind: "sqlite"; file: string };
export type ArchiveConfig = { kind: "folder"; dir: string };

export interface Config {
  dataDir: string;
  db: DbConfig;
  bus: BusConfig;
  search: SearchConfig;
  archive: ArchiveConfig;
  ingest: { host: string; port: number; maxBodyBytes: number };
  web: { port: number; authSecret: string | undefined; url: string };
  /** Where SDKs reach ingest; used in the setup snippets and DSNs the web site shows. */
  publicIngestUrl: string;
  logLevel: "debug" | "info" | "warn" | "error";
}

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const envSchema = z.object({
  FAULTLINE_DATA_DIR: z.string().min(1).default(".faultline"),
  FAULTLINE_DB: z.enum(["sqlite"]).default("sqlite"),
  FAULTLINE_BUS: z.enum(["sqlite"]).default("sqlite"),
  FAULTLINE_BUS_LOCK_MS: positiveInt(30_000),
  FAULTLINE_BUS_MAX_DELIVERIES: positiveInt(10),
  FAULTLINE_SEARCH: z.enum(["sqlite"]).default("sqlite"),
  FAULTLINE_ARCHIVE: z.enum(["folder"]).default("folder"),
  FAULTLINE_INGEST_HOST: z.string().default("0.0.0.0"),
  FAULTLINE_INGEST_PORT: port(3100),
  FAULTLINE_INGEST_MAX_BODY_BYTES: positiveInt(256 * 1024),
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
  if (requirements.authSecret && !cleaned.NEXTAUTH_SECRET) {
    problems.push("NEXTAUTH_SECRET: required by the web site to sign sessions (any random string of 16+ characters)");
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const e = parsed.data;
  const dataDir = isAbsolute(e.FAULTLINE_DATA_DIR) ? e.FAULTLINE_DATA_DIR : resolve(cwd, e.FAULTLINE_DATA_DIR);
  const webUrl = e.NEXTAUTH_URL ?? `http://localhost:${e.FAULTLINE_WEB_PORT}`;
  return {
    dataDir,
    db: { kind: e.FAULTLINE_DB, file: join(dataDir, "faultline.db") },
    bus: {
      kind: e.FAULTLINE_BUS,
      file: join(dataDir, "bus.db"),
      lockMs: e.FAULTLINE_BUS_LOCK_MS,
      maxDeliveries: e.FAULTLINE_BUS_MAX_DELIVERIES,
    },
    search: { kind: e.FAULTLINE_SEARCH, file: join(dataDir, "search.db") },
    archive: { kind: e.FAULTLINE_ARCHIVE, dir: join(dataDir, "archive") },
    ingest: { host: e.FAULTLINE_INGEST_HOST, port: e.FAULTLINE_INGEST_PORT, maxBodyBytes: e.FAULTLINE_INGEST_MAX_BODY_BYTES },
    web: { port: e.FAULTLINE_WEB_PORT, authSecret: e.NEXTAUTH_SECRET, url: webUrl },
    publicIngestUrl: e.FAULTLINE_PUBLIC_INGEST_URL ?? `http://localhost:${e.FAULTLINE_INGEST_PORT}`,
    logLevel: e.FAULTLINE_LOG_LEVEL,
  };
}

/** One line naming the engine chosen for each concern, for the startup log. */
export function describeEngines(c: Config): string {
  return `db=${c.db.kind} bus=${c.bus.kind} search=${c.search.kind} archive=${c.archive.kind} data=${c.dataDir}`;
}
