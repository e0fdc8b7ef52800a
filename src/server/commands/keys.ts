import type { CommandDef } from "../command-registry.js";

/** Command family: generic keyspace commands (DEL, EXPIRE, SCAN, ...). */
export const keyCommands: CommandDef[] = [];
