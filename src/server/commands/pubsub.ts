import type { CommandDef } from "../command-registry.js";

/** Command family: pub/sub. */
export const pubsubCommands: CommandDef[] = [];
