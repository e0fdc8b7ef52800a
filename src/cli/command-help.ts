import { CommandFlag, flagNames } from "../command-table/command-flags.js";
import { type CommandSpec, lookupCommand } from "../command-table/command-table.js";

/**
 * `help` and `help <command> [subcommand]` in `tandem cli`, answered from the command table the server and
 * the proxy dispatch with (src/command-table/command-table.ts), without a connection. The table holds arity,
 * flags and key positions but no summaries or argument syntax, so that is what help shows.
 */

const GENERAL_HELP = `tandem cli: a Redis command line client
Type a command and its arguments, e.g. SET greeting "hello world".
      "help <command>" for the arity, flags and keys of <command>
      "help <command> <subcommand>" for a subcommand (e.g. help config get)
      "quit" or "exit" (or Ctrl-D) to leave
History is kept in ~/.tandem_cli_history (TANDEM_CLI_HISTFILE overrides it).
`;

/** The text `help <args...>` prints (`args` without the word "help"). */
export function commandHelp(args: readonly string[]): string {
  if (args.length === 0) return GENERAL_HELP;
  const top = lookupCommand(args[0]);
  if (!top) return `No help for '${args[0]}': no such command (see COMMAND LIST on a server)\n`;
  if (args.length === 1) return describe(top);
  const sub = top.subcommands?.get(args[1].toLowerCase());
  if (!sub) return `No help for '${args[0]} ${args[1]}': ${top.name.toUpperCase()} has no such subcommand\n`;
  return describe(sub);
}

function displayName(spec: CommandSpec): string {
  return spec.parent ? `${spec.parent.name} ${spec.name}`.toUpperCase() : spec.name.toUpperCase();
}

function arityText(spec: CommandSpec): string {
  const words = spec.parent ? 2 : 1;
  const args = Math.abs(spec.arity) - words;
  const noun = (n: number) => `${n} argument${n === 1 ? "" : "s"}`;
  if (spec.arity > 0) return `${spec.arity} (exactly ${noun(args)})`;
  return `${spec.arity} (at least ${noun(args)})`;
}

function keysText(spec: CommandSpec): string {
  if (spec.firstKey <= 0) return spec.flags & CommandFlag.MOVABLEKEYS ? "found from the arguments" : "none";
  const last =
    spec.lastKey < 0
      ? spec.lastKey === -1
        ? "the last"
        : `${-spec.lastKey - 1} before the last`
      : spec.lastKey;
  return `first ${spec.firstKey}, last ${last}, step ${spec.step}`;
}

function describe(spec: CommandSpec): string {
  const flags = flagNames(spec.flags);
  let out = `\n  ${displayName(spec)}\n`;
  out += `  arity: ${arityText(spec)}\n`;
  out += `  flags: ${flags.length > 0 ? flags.join(", ") : "(none)"}\n`;
  out += `  keys: ${keysText(spec)}\n`;
  if (spec.subcommands && spec.subcommands.size > 0) {
    const names = [...spec.subcommands.keys()].sort().map((s) => s.toUpperCase());
    out += `  subcommands: ${names.join(", ")}\n`;
  }
  return `${out}\n`;
}
