import type { CommandDef } from "../command-registry.js";
import { connectionCommands } from "./connection.js";
import { serverAdminCommands } from "./server-admin.js";
import { stringCommands } from "./strings.js";

/** Every command family the server implements. A family is one file exporting a CommandDef[]. */
export const allCommandFamilies: readonly (readonly CommandDef[])[] = [
  connectionCommands,
  serverAdminCommands,
  stringCommands,
];
