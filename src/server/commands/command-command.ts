import { CommandFlag, flagNames } from "../../command-table/command-flags.js";
import {
  type DocArg,
  type KeySpec,
  type RedisCommandMeta,
  redisCommandMeta,
} from "../../command-table/command-meta.js";
import { arityOk } from "../../command-table/command-table.js";
import { globMatch } from "../../command-table/glob-match.js";
import { commandHasKeys, keySpecFlagNames, keysWithFlags } from "../../command-table/key-specs.js";
import type { Client } from "../client.js";
import type { CommandDef, RegisteredCommand } from "../command-registry.js";
import { ERR_SYNTAX, errWrongArity } from "../shared-replies.js";
import { replyHelp } from "./helpers.js";

/**
 * COMMAND and its subcommands over the commands Tandem implements (never the whole Redis table):
 * COUNT, LIST [FILTERBY MODULE|ACLCAT|PATTERN], INFO, DOCS, GETKEYS, GETKEYSANDFLAGS, HELP.
 *
 * What INFO and DOCS print comes from Redis 7.0's own metadata (command-meta.ts), so the entries are
 * byte-identical to redis-server's; DOCS leaves out the prose (summary, complexity, history), which the
 * metadata does not carry. Commands Redis 7.0 lacks (Tandem's WAITOFFSET, 7.2's CLIENT SETINFO) fall back
 * to the command table: their flags, no categories, tips or key specs.
 */

// ─── lookups ─────────────────────────────────────────────────────────────────────────────────────────────

/** lookupCommandBySds: "get", "config|get" in any letter case, among the implemented commands. */
function lookupImplemented(c: Client, name: string): RegisteredCommand | undefined {
  const lower = name.toLowerCase();
  const bar = lower.indexOf("|");
  const reg = c.server.registry.commands;
  if (bar < 0) return reg.get(lower);
  if (lower.indexOf("|", bar + 1) >= 0) return undefined;
  return reg.get(lower.slice(0, bar))?.subcommands?.get(lower.slice(bar + 1));
}

function metaOf(cmd: RegisteredCommand): RedisCommandMeta | undefined {
  return redisCommandMeta(cmd.fullName);
}

/** Every implemented command and subcommand, parents first (COMMAND LIST's walk). */
function allImplemented(c: Client): RegisteredCommand[] {
  const out: RegisteredCommand[] = [];
  for (const cmd of c.server.registry.commands.values()) {
    out.push(cmd);
    if (cmd.subcommands) for (const sub of cmd.subcommands.values()) out.push(sub);
  }
  return out;
}

// ─── COMMAND / COMMAND INFO ──────────────────────────────────────────────────────────────────────────────

/** addReplyCommandInfo: the 10-element entry Redis 7.0 prints. */
function replyCommandInfo(c: Client, cmd: RegisteredCommand): void {
  const spec = cmd.spec;
  const meta = metaOf(cmd);
  const r = c.reply;
  r.arrayHeader(10);
  r.bulk(spec.fullName);
  r.integer(meta?.arity ?? spec.arity);
  const flags = meta?.flags ?? flagNames(spec.flags);
  r.setHeader(flags.length);
  for (const f of flags) r.simple(f);
  r.integer(meta?.first ?? spec.firstKey);
  r.integer(meta?.last ?? spec.lastKey);
  r.integer(meta?.step ?? spec.step);
  const acl = meta?.acl ?? [];
  r.setHeader(acl.length);
  for (const a of acl) r.simple(a);
  const tips = meta?.tips ?? [];
  r.setHeader(tips.length);
  for (const t of tips) r.bulk(t);
  const specs = meta?.keySpecs ?? [];
  r.setHeader(specs.length);
  for (const ks of specs) replyKeySpec(c, ks);
  const subs = cmd.subcommands;
  if (subs && subs.size > 0) {
    r.arrayHeader(subs.size);
    for (const s of subs.values()) replyCommandInfo(c, s);
  } else {
    r.setHeader(0);
  }
}

function replyKeySpec(c: Client, ks: KeySpec): void {
  const r = c.reply;
  r.mapHeader(ks.notes !== undefined ? 4 : 3);
  if (ks.notes !== undefined) {
    r.bulk("notes");
    r.bulk(ks.notes);
  }
  r.bulk("flags");
  r.setHeader(ks.flags.length);
  for (const f of ks.flags) r.simple(f);
  r.bulk("begin_search");
  r.mapHeader(2);
  r.bulk("type");
  r.bulk(ks.bs[0]);
  r.bulk("spec");
  if (ks.bs[0] === "index") {
    r.mapHeader(1);
    r.bulk("index");
    r.integer(ks.bs[1]);
  } else if (ks.bs[0] === "keyword") {
    r.mapHeader(2);
    r.bulk("keyword");
    r.bulk(ks.bs[1]);
    r.bulk("startfrom");
    r.integer(ks.bs[2]);
  } else {
    r.mapHeader(0);
  }
  r.bulk("find_keys");
  r.mapHeader(2);
  r.bulk("type");
  r.bulk(ks.fk[0]);
  r.bulk("spec");
  if (ks.fk[0] === "range") {
    r.mapHeader(3);
    r.bulk("lastkey");
    r.integer(ks.fk[1]);
    r.bulk("keystep");
    r.integer(ks.fk[2]);
    r.bulk("limit");
    r.integer(ks.fk[3]);
  } else if (ks.fk[0] === "keynum") {
    r.mapHeader(3);
    r.bulk("keynumidx");
    r.integer(ks.fk[1]);
    r.bulk("firstkey");
    r.integer(ks.fk[2]);
    r.bulk("keystep");
    r.integer(ks.fk[3]);
  } else {
    r.mapHeader(0);
  }
}

function commandCommand(c: Client): void {
  const all = [...c.server.registry.commands.values()];
  c.reply.arrayHeader(all.length);
  for (const cmd of all) replyCommandInfo(c, cmd);
}

function commandCount(c: Client): void {
  c.reply.integer(c.server.registry.commands.size);
}

function commandInfo(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    commandCommand(c);
    return;
  }
  c.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const cmd = lookupImplemented(c, argv[i]);
    if (cmd === undefined)
      c.reply.nullBulk(); // Redis's addReplyNull
    else replyCommandInfo(c, cmd);
  }
}

// ─── COMMAND DOCS ────────────────────────────────────────────────────────────────────────────────────────

/** addReplyCommandDocs without the prose fields. */
function replyCommandDocs(c: Client, cmd: RegisteredCommand): void {
  const r = c.reply;
  const docs = metaOf(cmd)?.docs;
  const subs = cmd.subcommands && cmd.subcommands.size > 0 ? cmd.subcommands : null;
  let n = 1;
  if (docs?.since !== undefined) n++;
  if (docs?.doc_flags !== undefined) n++;
  if (docs?.deprecated_since !== undefined) n++;
  if (docs?.replaced_by !== undefined) n++;
  if (docs?.arguments !== undefined) n++;
  if (subs) n++;
  r.mapHeader(n);
  if (docs?.since !== undefined) {
    r.bulk("since");
    r.bulk(docs.since);
  }
  r.bulk("group");
  r.bulk(docs?.group ?? "server");
  if (docs?.doc_flags !== undefined) {
    r.bulk("doc_flags");
    r.setHeader(docs.doc_flags.length);
    for (const f of docs.doc_flags) r.simple(f);
  }
  if (docs?.deprecated_since !== undefined) {
    r.bulk("deprecated_since");
    r.bulk(docs.deprecated_since);
  }
  if (docs?.replaced_by !== undefined) {
    r.bulk("replaced_by");
    r.bulk(docs.replaced_by);
  }
  if (docs?.arguments !== undefined) {
    r.bulk("arguments");
    replyDocArgs(c, docs.arguments);
  }
  if (subs) {
    r.bulk("subcommands");
    r.mapHeader(subs.size);
    for (const s of subs.values()) {
      r.bulk(s.fullName);
      replyCommandDocs(c, s);
    }
  }
}

function replyDocArgs(c: Client, args: readonly DocArg[]): void {
  const r = c.reply;
  r.arrayHeader(args.length);
  for (const a of args) {
    let n = 2;
    if (a.key_spec_index !== undefined) n++;
    if (a.token !== undefined) n++;
    if (a.since !== undefined) n++;
    if (a.deprecated_since !== undefined) n++;
    if (a.flags !== undefined) n++;
    if (a.arguments !== undefined) n++;
    r.mapHeader(n);
    r.bulk("name");
    r.bulk(a.name);
    r.bulk("type");
    r.bulk(a.type);
    if (a.key_spec_index !== undefined) {
      r.bulk("key_spec_index");
      r.integer(a.key_spec_index);
    }
    if (a.token !== undefined) {
      r.bulk("token");
      r.bulk(a.token);
    }
    if (a.since !== undefined) {
      r.bulk("since");
      r.bulk(a.since);
    }
    if (a.deprecated_since !== undefined) {
      r.bulk("deprecated_since");
      r.bulk(a.deprecated_since);
    }
    if (a.flags !== undefined) {
      r.bulk("flags");
      r.setHeader(a.flags.length);
      for (const f of a.flags) r.simple(f);
    }
    if (a.arguments !== undefined) {
      r.bulk("arguments");
      replyDocArgs(c, a.arguments);
    }
  }
}

function commandDocs(c: Client, argv: string[]): void {
  const found: RegisteredCommand[] = [];
  if (argv.length === 2) found.push(...c.server.registry.commands.values());
  else {
    for (let i = 2; i < argv.length; i++) {
      const cmd = lookupImplemented(c, argv[i]);
      if (cmd !== undefined) found.push(cmd);
    }
  }
  c.reply.mapHeader(found.length);
  for (const cmd of found) {
    c.reply.bulk(cmd.fullName);
    replyCommandDocs(c, cmd);
  }
}

// ─── COMMAND LIST ────────────────────────────────────────────────────────────────────────────────────────

function commandList(c: Client, argv: string[]): void {
  let filter: ((cmd: RegisteredCommand) => boolean) | null = null;
  for (let i = 2; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    if (argv[i].toLowerCase() === "filterby" && more === 2) {
      const type = argv[i + 1].toLowerCase();
      const arg = argv[i + 2];
      if (type === "module")
        filter = () => false; // no modules are loaded
      else if (type === "aclcat") {
        const cat = `@${arg.toLowerCase()}`;
        filter = (cmd) => metaOf(cmd)?.acl.includes(cat) ?? false;
      } else if (type === "pattern") filter = (cmd) => globMatch(arg, cmd.fullName, true);
      else {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      i += 2;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const names = allImplemented(c)
    .filter((cmd) => filter === null || filter(cmd))
    .map((cmd) => cmd.fullName);
  c.reply.bulkArray(names);
}

// ─── COMMAND GETKEYS / GETKEYSANDFLAGS ───────────────────────────────────────────────────────────────────

/** getKeysSubcommandImpl. */
function getKeys(c: Client, argv: string[], withFlags: boolean): void {
  // Redis 7.0 declares arity -4 here (the command table, from a later Redis, says -3).
  if (argv.length < 4) {
    c.reply.error(errWrongArity(withFlags ? "command|getkeysandflags" : "command|getkeys"));
    return;
  }
  const args = argv.slice(2);
  const cmd = resolveForGetKeys(c, args);
  if (cmd === undefined) {
    c.reply.error("ERR Invalid command specified");
    return;
  }
  if (!commandHasKeys(cmd.spec)) {
    c.reply.error("ERR The command has no key arguments");
    return;
  }
  if (!arityOk(cmd.spec, args.length)) {
    c.reply.error("ERR Invalid number of arguments specified for command");
    return;
  }
  // The same key finding as the ACL and client tracking (Redis's getKeysFromCommandWithSpecs).
  const keys = keysWithFlags(cmd.spec, args);
  if (keys.length === 0) {
    if (
      (metaOf(cmd)?.flags.includes("no_mandatory_keys") ?? false) ||
      cmd.spec.flags & CommandFlag.NO_MANDATORY_KEYS
    ) {
      c.reply.arrayHeader(0);
    } else {
      c.reply.error("ERR Invalid arguments specified for command");
    }
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
    for (const f of names) c.reply.simple(f);
  }
}

/** lookupCommand(argv): a container command resolves to its subcommand when one is given. */
function resolveForGetKeys(c: Client, args: string[]): RegisteredCommand | undefined {
  const base = c.server.registry.commands.get(args[0].toLowerCase());
  if (base === undefined) return undefined;
  if (base.subcommands === null || args.length < 2) return base;
  return base.subcommands.get(args[1].toLowerCase());
}

function commandGetKeys(c: Client, argv: string[]): void {
  getKeys(c, argv, false);
}

function commandGetKeysAndFlags(c: Client, argv: string[]): void {
  getKeys(c, argv, true);
}

function commandHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv[0], [
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
  ]);
}

export const commandCommandDef: CommandDef = {
  name: "command",
  handler: commandCommand,
  subcommands: {
    count: commandCount,
    info: commandInfo,
    docs: commandDocs,
    list: commandList,
    getkeys: commandGetKeys,
    getkeysandflags: commandGetKeysAndFlags,
    help: commandHelp,
  },
};
