import { globMatch } from "../../command-table/glob-match.js";
import { getLongLongOrReply } from "../arguments.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { ERR_NUMKEYS_NEGATIVE, ERR_NUMKEYS_TOO_MANY } from "../shared-replies.js";
import { FunctionError, FunctionLibraries, type FunctionLibrary } from "./function-libraries.js";
import { SCRIPT_FLAG_NAMES } from "./script-run.js";
import { ERR_BUSY_EVAL } from "./scripting-engine.js";

/**
 * FUNCTION LOAD/DELETE/LIST/FLUSH/DUMP/RESTORE/STATS/KILL/HELP, FCALL and FCALL_RO (Redis's functions.c).
 * Changing commands bump `dirty`, so the dispatcher propagates them as themselves to replicas and the AOF.
 */

function libs(c: Client): FunctionLibraries {
  return c.server.scripting.functionLibraries();
}

function fcallGeneric(c: Client, argv: string[], ro: boolean): void {
  const f = libs(c).functions.get(argv[1]);
  if (f === undefined) {
    c.reply.error("ERR Function not found");
    return;
  }
  const numkeys = getLongLongOrReply(c, argv[2], "ERR Bad number of keys provided");
  if (numkeys === null) return;
  if (numkeys > argv.length - 3) {
    c.reply.error(ERR_NUMKEYS_TOO_MANY);
    return;
  }
  if (numkeys < 0) {
    c.reply.error(ERR_NUMKEYS_NEGATIVE);
    return;
  }
  const engine = c.server.scripting;
  if (!engine.prepare(c, f.flags, ro)) return;
  engine.run(libs(c).rt, c, f.ref, f.name, false, f.flags, ro, argv, numkeys);
}

function functionLoad(c: Client, argv: string[]): void {
  let replace = false;
  let i = 2;
  while (i < argv.length - 1) {
    const a = argv[i++];
    if (a.toLowerCase() === "replace") {
      replace = true;
      continue;
    }
    c.reply.error(`ERR Unknown option given: ${a}`);
    return;
  }
  if (i >= argv.length) {
    c.reply.error("ERR Function code is missing");
    return;
  }
  try {
    const name = libs(c).create(argv[i], replace);
    c.server.dirty++;
    c.reply.bulk(name);
  } catch (err) {
    if (!(err instanceof FunctionError)) throw err;
    c.reply.error(`ERR ${err.message}`);
  }
}

function functionDelete(c: Client, argv: string[]): void {
  if (!libs(c).delete(argv[2])) {
    c.reply.error("ERR Library not found");
    return;
  }
  c.server.dirty++;
  c.reply.ok();
}

function functionFlush(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try FUNCTION HELP.`);
    return;
  }
  if (argv.length === 3 && !/^(sync|async)$/i.test(argv[2])) {
    c.reply.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  libs(c).flush();
  c.server.dirty++;
  c.reply.ok();
}

function replyFlags(c: Client, flags: number): void {
  const names = SCRIPT_FLAG_NAMES.filter(([, bit]) => flags & bit);
  c.reply.setHeader(names.length);
  for (const [n] of names) c.reply.simple(n);
}

function functionList(c: Client, argv: string[]): void {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i].toLowerCase();
    if (!withCode && a === "withcode") {
      withCode = true;
      continue;
    }
    if (pattern === null && a === "libraryname") {
      if (i >= argv.length - 1) {
        c.reply.error("ERR library name argument was not given");
        return;
      }
      pattern = argv[++i];
      continue;
    }
    c.reply.error(`ERR Unknown argument ${argv[i]}`);
    return;
  }
  const chosen: FunctionLibrary[] = [];
  for (const lib of libs(c).libraries.values()) {
    if (pattern === null || globMatch(pattern, lib.name, true)) chosen.push(lib);
  }
  c.reply.arrayHeader(chosen.length);
  for (const lib of chosen) {
    c.reply.mapHeader(withCode ? 4 : 3);
    c.reply.bulk("library_name");
    c.reply.bulk(lib.name);
    c.reply.bulk("engine");
    c.reply.bulk("LUA");
    c.reply.bulk("functions");
    c.reply.arrayHeader(lib.functions.size);
    for (const f of lib.functions.values()) {
      c.reply.mapHeader(3);
      c.reply.bulk("name");
      c.reply.bulk(f.name);
      c.reply.bulk("description");
      c.reply.bulkOrNull(f.desc);
      c.reply.bulk("flags");
      replyFlags(c, f.flags);
    }
    if (withCode) {
      c.reply.bulk("library_code");
      c.reply.bulk(lib.code);
    }
  }
}

function functionDump(c: Client): void {
  c.reply.bulkBuffer(libs(c).dump());
}

function functionRestore(c: Client, argv: string[]): void {
  if (argv.length > 4) {
    c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try FUNCTION HELP.`);
    return;
  }
  let policy = "append";
  if (argv.length === 4) {
    policy = argv[3].toLowerCase();
    if (policy !== "append" && policy !== "replace" && policy !== "flush") {
      c.reply.error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
      return;
    }
  }
  const lib = libs(c);
  const codes = FunctionLibraries.parseDump(Buffer.from(argv[2], "latin1"));
  if (typeof codes === "string") {
    c.reply.error(`ERR ${codes}`);
    return;
  }
  // Build the restored set apart, then join it to the current one (or replace it), as libraryJoin does.
  const scratch = { libraries: new Map(), functions: new Map() };
  try {
    for (const code of codes) lib.create(code, false, scratch);
  } catch (err) {
    if (!(err instanceof FunctionError)) throw err;
    lib.drop(scratch);
    c.reply.error(`ERR ${err.message}`);
    return;
  }
  const error = lib.join(scratch, policy);
  if (error !== null) {
    c.reply.error(`ERR ${error}`);
    return;
  }
  c.server.dirty++;
  c.reply.ok();
}

function functionStats(c: Client): void {
  const engine = c.server.scripting;
  const run = engine.current;
  if (run?.isEval) {
    c.reply.error(ERR_BUSY_EVAL);
    return;
  }
  c.reply.mapHeader(2);
  c.reply.bulk("running_script");
  if (run === null) c.reply.nullBulk();
  else {
    c.reply.mapHeader(3);
    c.reply.bulk("name");
    c.reply.bulk(run.funcName);
    c.reply.bulk("command");
    c.reply.bulkArray(run.caller.argv);
    c.reply.bulk("duration_ms");
    c.reply.integer(Math.floor(performance.now() - run.startedAt));
  }
  c.reply.bulk("engines");
  c.reply.mapHeader(1);
  c.reply.bulk("LUA");
  c.reply.mapHeader(2);
  c.reply.bulk("libraries_count");
  c.reply.integer(libs(c).libraries.size);
  c.reply.bulk("functions_count");
  c.reply.integer(libs(c).functions.size);
}

const FUNCTION_HELP = [
  "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Create a new library with the given library name and code.",
  "DELETE <LIBRARY NAME>",
  "    Delete the given library.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Return general information on all the libraries:",
  "    * Library name",
  "    * The engine used to run the Library",
  "    * Library description",
  "    * Functions list",
  "    * Library code (if WITHCODE is given)",
  "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
  "STATS",
  "    Return information about the current function running:",
  "    * Function name",
  "    * Command used to run the function",
  "    * Duration in MS that the function is running",
  "    If no function is running, return nil",
  "    In addition, returns a list of available engines.",
  "KILL",
  "    Kill the current running function.",
  "FLUSH [ASYNC|SYNC]",
  "    Delete all the libraries.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the libraries.",
  "    * SYNC: Synchronously flush the libraries.",
  "DUMP",
  "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
  "    control how to handle existing libraries (default APPEND):",
  "    * FLUSH: delete all existing libraries.",
  "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
  "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
  "      libraries with the new libraries (notice that even on this option there is a chance of failure",
  "      in case of functions name collision with another library).",
  "HELP",
  "    Prints this help.",
];

function functionHelp(c: Client): void {
  c.reply.arrayHeader(FUNCTION_HELP.length);
  for (const line of FUNCTION_HELP) c.reply.simple(line);
}

export const functionCommands: CommandDef[] = [
  { name: "fcall", handler: (c, argv) => fcallGeneric(c, argv, false) },
  { name: "fcall_ro", handler: (c, argv) => fcallGeneric(c, argv, true) },
  {
    name: "function",
    subcommands: {
      load: functionLoad,
      delete: functionDelete,
      list: functionList,
      flush: functionFlush,
      dump: functionDump,
      restore: functionRestore,
      stats: functionStats,
      kill: (c) => c.server.scripting.kill(c, false),
      help: functionHelp,
    },
  },
];
