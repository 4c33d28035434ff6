export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured log lines: one JSON object per line, so a launcher or collector can parse them. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Fields on every line, e.g. the worker kind and pid. */
  base?: Record<string, unknown>;
  /** Where lines go; stdout by default. Tests collect them. */
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = RANK[options.level ?? "info"];
  const base = options.base ?? {};
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const log = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    write(
      `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }, errorsAsText)}\n`,
    );
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

// Errors have no enumerable fields, so JSON.stringify would print `{}` for them.
function errorsAsText(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}
