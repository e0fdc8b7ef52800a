import type { CommandDef } from "../command-registry.js";

/** Command family: the set family. */
export const setCommands: CommandDef[] = [];
