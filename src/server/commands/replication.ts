import type { CommandDef } from "../command-registry.js";

/** Command family: REPLICAOF, ROLE, PSYNC, REPLCONF, WAIT, WAITOFFSET. */
export const replicationCommands: CommandDef[] = [];
