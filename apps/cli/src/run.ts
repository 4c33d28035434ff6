import { ConfigError, loadConfig } from "@faultline/config";
import { FaultlineError } from "@faultline/core";
import { isMissingTableError } from "@faultline/db";
import { parseOptions, UsageError } from "./args";
import { type Command, commandSynopsis, commandUsage } from "./command";
import { COMMANDS } from "./commands/index";
import { Context, type Io } from "./context";

export type { Io, Output } from "./context";

/** Exit codes: scripts can tell "called wrongly" from "the operation failed". */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export function usage(): string {
  return [
    "faultline — the Faultline operator command",
    "",
    "usage: faultline <command> [flags]",
    "",
    ...COMMANDS.map((c) => `  ${commandSynopsis(c)}`),
    "  faultline help [command]",
    "",
    "`faultline <command> --help` describes a command's flags. Settings come from the environment",
    "(FAULTLINE_DATA_DIR, FAULTLINE_PUBLIC_INGEST_URL, …; see the README); run `faultline migrate`",
    "once before the other commands.",
  ].join("\n");
}

/** The command the words name: `["logs", "create", "--json"]` → logs create, rest `["--json"]`. */
function findCommand(argv: string[]): { command: Command; rest: string[] } | null {
  for (const command of COMMANDS) {
    if (command.words.every((w, i) => argv[i] === w))
      return { command, rest: argv.slice(command.words.length) };
  }
  return null;
}

/**
 * Runs one `faultline` invocation and resolves with its exit code: 0 done, 1 the operation
 * failed (a FaultlineError, an unmigrated database), 2 wrong use (unknown command or flag,
 * missing flag, invalid configuration). Never calls process.exit, so tests run it in-process.
 */
export async function run(argv: string[], io: Io): Promise<number> {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);

  const [first, ...others] = argv;
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    if (others.length === 0) {
      out(usage());
      return EXIT.ok;
    }
    const topic = findCommand(others);
    if (!topic) {
      err(`error: unknown command "${others.join(" ")}"\n\n${usage()}`);
      return EXIT.usage;
    }
    out(commandUsage(topic.command));
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (!found) {
    const known = COMMANDS.some((c) => c.words[0] === first);
    err(
      known ? `error: "${argv.slice(0, 2).join(" ")}" is not a command` : `error: unknown command "${first}"`,
    );
    err("");
    err(usage());
    return EXIT.usage;
  }

  const { command, rest } = found;
  const commandHelp = commandUsage(command);
  let ctx: Context | undefined;
  try {
    const values = parseOptions(rest, command.options, commandHelp);
    if (values.help) {
      out(commandHelp);
      return EXIT.ok;
    }
    ctx = new Context(loadConfig(io.env, {}, io.cwd), io);
    await command.run(ctx, values, commandHelp);
    return EXIT.ok;
  } catch (e) {
    return report(e, err);
  } finally {
    await ctx?.close();
  }
}

function report(e: unknown, err: (text: string) => void): number {
  if (e instanceof UsageError) {
    err(`error: ${e.message}`);
    if (e.usage) {
      err("");
      err(e.usage);
    }
    return EXIT.usage;
  }
  if (e instanceof ConfigError) {
    err("error: invalid configuration:");
    for (const problem of e.problems) err(`  - ${problem}`);
    return EXIT.usage;
  }
  if (e instanceof FaultlineError) {
    err(`error: ${e.message}`);
    return EXIT.failed;
  }
  if (isMissingTableError(e)) {
    err("error: the database has not been set up: run `faultline migrate` first");
    return EXIT.failed;
  }
  // Anything else is a bug or an environment problem (disk full, locked file): say what it was.
  err(`error: ${e instanceof Error ? e.message : String(e)}`);
  if (e instanceof Error && e.stack) err(e.stack.split("\n").slice(1, 6).join("\n"));
  return EXIT.failed;
}
