import { aclCategoryNames } from "../../commands/acl-categories.js";
import { CommandFlag, flagNames } from "../../commands/command-flags.js";
import { arityOk, type CommandSpec } from "../../commands/command-table.js";
import { globMatch } from "../../commands/glob-match.js";
import { commandHasKeys, keySpecFlagNames, keysWithFlags } from "../../commands/key-specs.js";
import { rewriteConfigFile } from "../../config/config-rewrite.js";
import { strerror } from "../../config/strerror.js";
import type { Client } from "../client.js";
import type { CommandDef, RegisteredCommand } from "../command-registry.js";
import { ERR_SYNTAX, errWrongArity } from "../shared-replies.js";
import { clientCommand } from "./client-command.js";

/** Server commands: INFO, CONFIG, COMMAND, DBSIZE, FLUSHDB/FLUSHALL, TIME, SHUTDOWN, and CLIENT (client-command.ts). */

// ─── INFO ────────────────────────────────────────────────────────────────────────────────────────────────

function infoCommand(c: Client, argv: string[]): void {
  c.reply.verbatim(c.server.info.render(argv.slice(1)));
}

// ─── CONFIG ──────────────────────────────────────────────────────────────────────────────────────────────

function configGet(c: Client, argv: string[]): void {
  const pairs = c.server.config.match(argv.slice(2));
  c.reply.mapHeader(pairs.length);
  for (const [k, v] of pairs) {
    c.reply.bulk(k);
    c.reply.bulk(v);
  }
}

function configSet(c: Client, argv: string[]): void {
  if (argv.length % 2 !== 0) {
    c.reply.error(errWrongArity("config|set"));
    return;
  }
  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i].toLowerCase();
    if (seen.has(name)) {
      c.reply.error(
        `ERR CONFIG SET failed (possibly related to argument '${argv[i]}') - duplicate parameter`,
      );
      return;
    }
    seen.add(name);
    pairs.push([name, argv[i + 1]]);
  }
  const err = c.server.config.configSet(pairs);
  if (err) c.reply.error(err);
  else c.reply.ok();
}

function configResetStat(c: Client): void {
  const s = c.server;
  for (const cmd of s.registry.commands.values()) cmd.resetStats();
  s.stats.commandsProcessed = 0;
  s.stats.connectionsReceived = 0;
  s.stats.rejectedConnections = 0;
  s.stats.expiredKeys = 0;
  s.stats.keyspaceHits = 0;
  s.stats.keyspaceMisses = 0;
  s.stats.netInputBytes = 0;
  s.stats.netOutputBytes = 0;
  s.stats.errorReplies = 0;
  s.stats.errorsByPrefix.clear();
  c.reply.ok();
}

function configRewrite(c: Client): void {
  if (c.server.config.file === null) {
    c.reply.error("ERR The server is running without a config file");
    return;
  }
  try {
    rewriteConfigFile(c.server.config);
  } catch (err) {
    c.log.warn({ err: (err as Error).message }, "CONFIG REWRITE failed");
    c.reply.error(`ERR Rewriting config file: ${strerror(err)}`);
    return;
  }
  c.log.info("CONFIG REWRITE executed with success.");
  c.reply.ok();
}

// ─── COMMAND ─────────────────────────────────────────────────────────────────────────────────────────────

/** Redis 7's COMMAND INFO entry, with Redis 7.0's ACL categories. Tips and key specs are left empty. */
function replyCommandInfo(c: Client, spec: CommandSpec, registered: RegisteredCommand | undefined): void {
  c.reply.arrayHeader(10);
  c.reply.bulk(spec.fullName);
  c.reply.integer(spec.arity);
  const flags = flagNames(spec.flags);
  c.reply.setHeader(flags.length);
  for (const f of flags) c.reply.simple(f);
  c.reply.integer(spec.firstKey);
  c.reply.integer(spec.lastKey);
  c.reply.integer(spec.step);
  const categories = aclCategoryNames(spec.aclCategories);
  c.reply.setHeader(categories.length);
  for (const cat of categories) c.reply.simple(`@${cat}`);
  c.reply.setHeader(0);
  c.reply.arrayHeader(0);
  const subs = registered?.subcommands;
  if (subs && subs.size > 0) {
    c.reply.arrayHeader(subs.size);
    for (const s of subs.values()) replyCommandInfo(c, s.spec, s);
  } else {
    c.reply.arrayHeader(0);
  }
}

function implemented(c: Client): RegisteredCommand[] {
  return [...c.server.registry.commands.values()];
}

function commandCommand(c: Client, argv: string[]): void {
  if (argv.length > 1) {
    c.reply.error(`ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try COMMAND HELP.`);
    return;
  }
  const all = implemented(c);
  c.reply.arrayHeader(all.length);
  for (const cmd of all) replyCommandInfo(c, cmd.spec, cmd);
}

function commandCount(c: Client): void {
  c.reply.integer(c.server.registry.commands.size);
}

function commandInfo(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    commandCommand(c, ["command"]);
    return;
  }
  c.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const name = argv[i].toLowerCase();
    const [top, sub] = name.split("|");
    const reg = c.server.registry.commands.get(top);
    const target = sub !== undefined ? reg?.subcommands?.get(sub) : reg;
    if (target === undefined)
      c.reply.nullBulk(); // Redis 7.0's addReplyNull
    else replyCommandInfo(c, target.spec, target);
  }
}

/** COMMAND DOCS: our metadata has no prose, so each implemented command maps to its group-less doc. */
function commandDocs(c: Client, argv: string[]): void {
  const names =
    argv.length > 2 ? argv.slice(2).map((a) => a.toLowerCase()) : implemented(c).map((cmd) => cmd.spec.name);
  const found = names.filter((n) => c.server.registry.commands.has(n));
  c.reply.mapHeader(found.length);
  for (const n of found) {
    const cmd = c.server.registry.commands.get(n)!;
    c.reply.bulk(n);
    const subs = cmd.subcommands;
    c.reply.mapHeader(subs ? 2 : 1);
    c.reply.bulk("arity");
    c.reply.integer(cmd.spec.arity);
    if (subs) {
      c.reply.bulk("subcommands");
      c.reply.mapHeader(subs.size);
      for (const s of subs.values()) {
        c.reply.bulk(s.spec.fullName);
        c.reply.mapHeader(1);
        c.reply.bulk("arity");
        c.reply.integer(s.spec.arity);
      }
    }
  }
}

function commandList(c: Client, argv: string[]): void {
  let names = implemented(c).map((cmd) => cmd.spec.name);
  if (argv.length === 5 && argv[2].toLowerCase() === "filterby") {
    const how = argv[3].toLowerCase();
    if (how === "pattern") names = names.filter((n) => globMatch(argv[4], n, true));
    else if (how === "aclcat") names = [];
    else if (how === "module") names = [];
    else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  } else if (argv.length !== 2) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  c.reply.bulkArray(names);
}

/**
 * COMMAND GETKEYS / GETKEYSANDFLAGS (Redis 7.0's getKeysSubcommandImpl): the keys found by the command's
 * key specs (or its own key finder), with their access flags for GETKEYSANDFLAGS.
 */
function getKeysImpl(c: Client, argv: string[], withFlags: boolean): void {
  const args = argv.slice(2);
  let reg = c.server.registry.lookup(args[0]);
  if (reg !== undefined && reg.subcommands !== null && args.length >= 2) {
    reg = reg.subcommands.get(args[1].toLowerCase());
  }
  if (reg === undefined) {
    c.reply.error("ERR Invalid command specified");
    return;
  }
  const spec = reg.spec;
  if (!commandHasKeys(spec)) {
    c.reply.error("ERR The command has no key arguments");
    return;
  }
  if (!arityOk(spec, args.length)) {
    c.reply.error("ERR Invalid number of arguments specified for command");
    return;
  }
  const keys = keysWithFlags(spec, args);
  if (keys.length === 0) {
    if (spec.flags & CommandFlag.NO_MANDATORY_KEYS) c.reply.arrayHeader(0);
    else c.reply.error("ERR Invalid arguments specified for command");
    return;
  }
  c.reply.arrayHeader(keys.length);
  for (const k of keys) {
    if (!withFlags) {
      c.reply.bulk(args[k.pos]);
      continue;
    }
    c.reply.arrayHeader(2);
    c.reply.bulk(args[k.pos]);
    const names = keySpecFlagNames(k.flags);
    c.reply.setHeader(names.length);
    for (const n of names) c.reply.simple(n);
  }
}

function commandGetKeys(c: Client, argv: string[]): void {
  getKeysImpl(c, argv, false);
}

function commandGetKeysAndFlags(c: Client, argv: string[]): void {
  getKeysImpl(c, argv, true);
}

// ─── keyspace-wide ───────────────────────────────────────────────────────────────────────────────────────

function dbsizeCommand(c: Client): void {
  c.reply.integer(c.db.size);
}

function flushArgsOk(c: Client, argv: string[]): boolean {
  if (argv.length === 1) return true;
  const m = argv[1].toLowerCase();
  if (argv.length === 2 && (m === "async" || m === "sync")) return true;
  c.reply.error(ERR_SYNTAX);
  return false;
}

function flushdbCommand(c: Client, argv: string[]): void {
  if (!flushArgsOk(c, argv)) return;
  c.server.signalFlushedDb(c.db);
  const n = c.db.flush();
  c.server.dirty += Math.max(1, n);
  c.reply.ok();
}

function flushallCommand(c: Client, argv: string[]): void {
  if (!flushArgsOk(c, argv)) return;
  let n = 0;
  for (const db of c.server.keyspace.dbs) {
    c.server.signalFlushedDb(db);
    n += db.flush();
  }
  c.server.dirty += Math.max(1, n);
  c.reply.ok();
}

function timeCommand(c: Client): void {
  const us = BigInt(Date.now()) * 1000n + BigInt(Math.floor((performance.now() % 1) * 1000));
  c.reply.arrayHeader(2);
  c.reply.bulk(String(us / 1000000n));
  c.reply.bulk(String(us % 1000000n));
}

function shutdownCommand(c: Client, argv: string[]): void {
  let save: boolean | null = null;
  for (let i = 1; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === "save") save = true;
    else if (o === "nosave") save = false;
    else if (o === "now" || o === "force" || o === "abort") continue;
    else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  c.log.warn("User requested shutdown...");
  void c.server.shutdown({ save }).then(() => c.server.exitProcess(0));
}

export const serverAdminCommands: CommandDef[] = [
  { name: "info", handler: infoCommand },
  {
    name: "config",
    subcommands: { get: configGet, set: configSet, resetstat: configResetStat, rewrite: configRewrite },
  },
  {
    name: "command",
    handler: commandCommand,
    subcommands: {
      count: commandCount,
      info: commandInfo,
      docs: commandDocs,
      list: commandList,
      getkeys: commandGetKeys,
      getkeysandflags: commandGetKeysAndFlags,
    },
  },
  { name: "dbsize", handler: dbsizeCommand },
  { name: "flushdb", handler: flushdbCommand },
  { name: "flushall", handler: flushallCommand },
  { name: "time", handler: timeCommand },
  { name: "shutdown", handler: shutdownCommand },
  clientCommand,
];
