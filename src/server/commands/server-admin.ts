import { rewriteConfigFile } from "../../config/config-rewrite.js";
import { strerror } from "../../net/strerror.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { ERR_SYNTAX, errWrongArity } from "../shared-replies.js";
import { clientCommand } from "./client-command.js";
import { commandCommandDef } from "./command-command.js";
import { replyHelp } from "./helpers.js";

/**
 * Server commands: INFO, CONFIG, DBSIZE, FLUSHDB/FLUSHALL, TIME, SHUTDOWN, plus CLIENT (client-command.ts)
 * and COMMAND (command-command.ts).
 */

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

const CONFIG_HELP = [
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
];

function configHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv[0], CONFIG_HELP);
}

export const serverAdminCommands: CommandDef[] = [
  { name: "info", handler: infoCommand },
  {
    name: "config",
    subcommands: {
      get: configGet,
      set: configSet,
      resetstat: configResetStat,
      rewrite: configRewrite,
      help: configHelp,
    },
  },
  commandCommandDef,
  { name: "dbsize", handler: dbsizeCommand },
  { name: "flushdb", handler: flushdbCommand },
  { name: "flushall", handler: flushallCommand },
  { name: "time", handler: timeCommand },
  { name: "shutdown", handler: shutdownCommand },
  clientCommand,
];
