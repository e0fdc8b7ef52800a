import type { CommandDef } from "../command-registry.js";

/** Command family: the list family, blocking pops included. */
export const listCommands: CommandDef[] = [];
