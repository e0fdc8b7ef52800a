import type { CommandDef } from "../command-registry.js";

/** Command family: MULTI, EXEC, DISCARD, WATCH, UNWATCH. */
export const transactionCommands: CommandDef[] = [];
