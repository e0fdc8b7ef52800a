import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";

/**
 * SCRIPT: only KILL for now. Tandem runs no scripts (EVAL and the script cache are not implemented), so no
 * script is ever in execution and KILL answers as Redis does when none is — the reply Sentinel expects
 * when it sends SCRIPT KILL to an instance that answered -BUSY. Every other subcommand is unknown here and
 * answers the dispatcher's "unknown subcommand" error, worded as Redis's.
 */

function scriptKill(c: Client): void {
  c.reply.error("NOTBUSY No scripts in execution right now.");
}

export const scriptingCommands: CommandDef[] = [{ name: "script", subcommands: { kill: scriptKill } }];
