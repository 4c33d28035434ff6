import { parseArgs } from "node:util";

/**
 * Wrong use of the command line: an unknown command or flag, a missing required flag, a value
 * that is not a number. run() prints it with a usage hint and exits with 2, so scripts can tell
 * "called wrongly" from "the operation failed" (1).
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    /** The usage text that helps most: the command's own, or the general one. */
    readonly usage?: string,
  ) {
    super(message);
  }
}

export interface OptionSpec {
  type: "string" | "boolean";
  required?: boolean;
  /** Placeholder shown in the synopsis, e.g. `EMAIL`. */
  value?: string;
  description: string;
}
export type OptionSpecs = Record<string, OptionSpec>;

/** Parsed flags: booleans are always set, required strings are strings, others may be missing. */
export type Values<O extends OptionSpecs> = {
  [K in keyof O]: O[K]["type"] extends "boolean"
    ? boolean
    : O[K]["required"] extends true
      ? string
      : string | undefined;
};

/** `--email EMAIL --password PASSWORD [--name NAME]` */
export function synopsis(options: OptionSpecs): string {
  return Object.entries(options)
    .map(([name, o]) => {
      const flag = o.type === "boolean" ? `--${name}` : `--${name} ${o.value ?? name.toUpperCase()}`;
      return o.required ? flag : `[${flag}]`;
    })
    .join(" ");
}

/**
 * Parses flags strictly: unknown flags, stray arguments and missing values are UsageErrors that
 * name the flag. A string flag given twice keeps the last value, as most commands do.
 */
export function parseOptions<O extends OptionSpecs>(
  args: string[],
  options: O,
  usage: string,
): Values<O> & { help: boolean } {
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type }])),
        help: { type: "boolean", short: "h" },
      },
    });
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError(describeParseError(err), usage);
  }
  if (values.help) return { ...(values as Values<O>), help: true };
  for (const [name, o] of Object.entries(options)) {
    if (o.type === "boolean") {
      values[name] = values[name] === true;
    } else if (o.required && (values[name] === undefined || values[name] === "")) {
      throw new UsageError(`missing required flag --${name}`, usage);
    }
  }
  return { ...(values as Values<O>), help: false };
}

// Node's messages are written for its own API ("Unknown option '--foo'"); ours name the flag
// the way the usage text does.
function describeParseError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? "";
  const flag = quoted.split(" ")[0] ?? quoted;
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument "${quoted}"`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (message.includes("does not take an argument")) return `flag ${flag} does not take a value`;
      if (message.includes("ambiguous")) {
        return `flag ${flag} needs a value (for a value starting with "-", write ${flag}=VALUE)`;
      }
      return `flag ${flag} needs a value`;
    default:
      return message;
  }
}

/** A whole number in range, or a UsageError naming the flag. */
export function intFlag(name: string, value: string, min: number, max: number, usage: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${value}")`, usage);
  }
  return n;
}
