import type { CommandDef } from "../command-registry.js";

/** Command family: SORT, SORT_RO and OBJECT. */
export const sortCommands: CommandDef[] = [];
