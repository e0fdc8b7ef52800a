export { CommandFlag, type CommandFlagName, flagNames, flagsFromNames } from "./command-flags.js";
export { arityOk, type CommandSpec, commandTable, lookupCommand } from "./command-table.js";
export { globMatch } from "./glob-match.js";
