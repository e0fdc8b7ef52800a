import type { CommandDef } from "../command-registry.js";

/** Command family: DEBUG. */
export const debugCommands: CommandDef[] = [];
