import { getLongLongOrReply } from "../arguments.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { ERR_NUMKEYS_NEGATIVE, ERR_NUMKEYS_TOO_MANY } from "../shared-replies.js";
import { ERR_NOSCRIPT } from "./scripting-engine.js";

/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis's eval.c). Scripts are cached by SHA1 of their body
 * and run through the scripting engine; SCRIPT DEBUG (the Lua debugger) is not implemented and answers
 * the unknown-subcommand error.
 */

function evalGeneric(c: Client, argv: string[], isSha: boolean, ro: boolean): void {
  const engine = c.server.scripting;
  const numkeys = getLongLongOrReply(c, argv[2]);
  if (numkeys === null) return;
  if (numkeys > argv.length - 3) {
    c.reply.error(ERR_NUMKEYS_TOO_MANY);
    return;
  }
  if (numkeys < 0) {
    c.reply.error(ERR_NUMKEYS_NEGATIVE);
    return;
  }
  let sha: string;
  let script = null;
  if (isSha) {
    if (argv[1].length !== 40) {
      c.reply.error(ERR_NOSCRIPT);
      return;
    }
    sha = argv[1].toLowerCase();
    script = engine.scripts.get(sha) ?? null;
    if (script === null) {
      c.reply.error(ERR_NOSCRIPT);
      return;
    }
  } else {
    const created = engine.createEvalScript(c, argv[1]);
    if (created === null) return;
    sha = created.sha;
    script = created.script;
  }
  if (!engine.prepare(c, script.flags, ro)) return;
  engine.run(engine.evalRt, c, script.ref, sha, true, script.flags, ro, argv, numkeys);
}

const SCRIPT_HELP = [
  "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DEBUG (YES|SYNC|NO)",
  "    Set the debug mode for subsequent scripts executed.",
  "EXISTS <sha1> [<sha1> ...]",
  "    Return information about the existence of the scripts in the script cache.",
  "FLUSH [ASYNC|SYNC]",
  "    Flush the Lua scripts cache. Very dangerous on replicas.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the scripts cache.",
  "    * SYNC: Synchronously flush the scripts cache.",
  "KILL",
  "    Kill the currently executing Lua script.",
  "LOAD <script>",
  "    Load a script into the scripts cache without executing it.",
  "HELP",
  "    Prints this help.",
];

function scriptHelp(c: Client): void {
  c.reply.arrayHeader(SCRIPT_HELP.length);
  for (const line of SCRIPT_HELP) c.reply.simple(line);
}

function scriptFlush(c: Client, argv: string[]): void {
  if (argv.length > 3 || (argv.length === 3 && !/^(sync|async)$/i.test(argv[2]))) {
    c.reply.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  c.server.scripting.flushEvalScripts();
  c.reply.ok();
}

function scriptExists(c: Client, argv: string[]): void {
  const scripts = c.server.scripting.scripts;
  c.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.reply.integer(scripts.has(argv[i]) ? 1 : 0);
}

function scriptLoad(c: Client, argv: string[]): void {
  const created = c.server.scripting.createEvalScript(c, argv[2]);
  if (created !== null) c.reply.bulk(created.sha);
}

function scriptKill(c: Client): void {
  c.server.scripting.kill(c, true);
}

export const evalCommands: CommandDef[] = [
  { name: "eval", handler: (c, argv) => evalGeneric(c, argv, false, false) },
  { name: "evalsha", handler: (c, argv) => evalGeneric(c, argv, true, false) },
  { name: "eval_ro", handler: (c, argv) => evalGeneric(c, argv, false, true) },
  { name: "evalsha_ro", handler: (c, argv) => evalGeneric(c, argv, true, true) },
  {
    name: "script",
    subcommands: {
      help: scriptHelp,
      flush: scriptFlush,
      exists: scriptExists,
      load: scriptLoad,
      kill: scriptKill,
    },
  },
];
