import { type OptionSpecs, synopsis, type Values } from "./args";
import type { Context } from "./context";

export interface Command<O extends OptionSpecs = OptionSpecs> {
  /** What is typed after `faultline`, e.g. `["logs", "create"]`. */
  words: readonly string[];
  summary: string;
  options: O;
  /** Does the work; throws FaultlineError for domain failures and UsageError for bad input. */
  run(ctx: Context, values: Values<O>, usage: string): Promise<void>;
}

/** Identity, so that each command's flag values are typed from its own option specs. */
export function defineCommand<O extends OptionSpecs>(command: Command<O>): Command<O> {
  return command;
}

/** The command's one-line synopsis, `faultline logs create --org NAME --name NAME [--json]`. */
export function commandSynopsis(command: Command): string {
  return ["faultline", ...command.words, synopsis(command.options)].filter(Boolean).join(" ");
}

/** The command's own help: synopsis, summary and every flag. */
export function commandUsage(command: Command): string {
  const flags = Object.entries(command.options);
  const width = Math.max(0, ...flags.map(([name, o]) => flagLabel(name, o.type, o.value).length));
  const lines = [`usage: ${commandSynopsis(command)}`, "", `  ${command.summary}`];
  if (flags.length > 0) {
    lines.push("");
    for (const [name, o] of flags) {
      lines.push(`  ${flagLabel(name, o.type, o.value).padEnd(width)}  ${o.description}`);
    }
  }
  return lines.join("\n");
}

function flagLabel(name: string, type: string, value: string | undefined): string {
  return type === "boolean" ? `--${name}` : `--${name} ${value ?? name.toUpperCase()}`;
}
