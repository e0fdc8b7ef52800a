import type { CommandDef } from "../command-registry.js";

/** Command family: SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF. */
export const persistenceCommands: CommandDef[] = [];
