import type { CommandDef } from "../command-registry.js";

/** Command family: the hash family. */
export const hashCommands: CommandDef[] = [];
