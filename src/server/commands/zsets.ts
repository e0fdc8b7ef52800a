import type { CommandDef } from "../command-registry.js";

/** Command family: the sorted-set family. */
export const zsetCommands: CommandDef[] = [];
