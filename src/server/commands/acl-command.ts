import { randomBytes } from "node:crypto";
import { ACL_CATEGORY_NAMES, aclCategoryBit } from "../../command-table/acl-categories.js";
import { arityOk } from "../../command-table/command-table.js";
import { AclDenied, ERR_NO_ACLFILE } from "../acl/acl.js";
import { describeCommandRules, patternText } from "../acl/acl-describe.js";
import { ACL_LOG_CONTEXTS, ACL_LOG_REASONS } from "../acl/acl-log.js";
import { type AclSelector, hasSpaces, SelectorFlag } from "../acl/acl-selector.js";
import { USER_FLAG_NAMES } from "../acl/acl-user.js";
import { getLongLongOrReply } from "../arguments.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { errWrongArity } from "../shared-replies.js";

/** ACL and its subcommands, with Redis 7.0's replies (acl.c aclCommand). */

/** Redis's addReplySubcommandSyntaxError. */
function subcommandSyntaxError(c: Client, argv: string[]): void {
  c.reply.error(
    `ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try ${argv[0].toUpperCase()} HELP.`,
  );
}

function aclSetuser(c: Client, argv: string[]): void {
  const name = argv[2];
  if (hasSpaces(name)) {
    c.reply.error("ERR Usernames can't contain spaces or null characters");
    return;
  }
  const err = c.server.acl.setUser(name, argv.slice(3));
  if (err === null) c.reply.ok();
  else c.reply.error(`ERR ${err}`);
}

function aclDeluser(c: Client, argv: string[]): void {
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === "default") {
      c.reply.error("ERR The 'default' user cannot be removed");
      return;
    }
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) if (c.server.acl.deleteUser(argv[i])) deleted++;
  c.reply.integer(deleted);
}

/** A selector's commands, keys and channels fields (Redis's aclAddReplySelectorDescription). */
function replySelector(c: Client, s: AclSelector): void {
  c.reply.bulk("commands");
  c.reply.bulk(describeCommandRules(s));
  c.reply.bulk("keys");
  c.reply.bulk(s.flags & SelectorFlag.ALLKEYS ? "~*" : s.patterns.map(patternText).join(" "));
  c.reply.bulk("channels");
  c.reply.bulk(s.flags & SelectorFlag.ALLCHANNELS ? "&*" : s.channels.map((ch) => `&${ch}`).join(" "));
}

function aclGetuser(c: Client, argv: string[]): void {
  const u = c.server.acl.getUser(argv[2]);
  if (u === undefined) {
    c.reply.nullBulk();
    return;
  }
  c.reply.mapHeader(6);
  c.reply.bulk("flags");
  const flags = USER_FLAG_NAMES.filter(([, bit]) => u.flags & bit);
  c.reply.setHeader(flags.length);
  for (const [name] of flags) c.reply.bulk(name);
  c.reply.bulk("passwords");
  c.reply.bulkArray(u.passwords);
  replySelector(c, u.root);
  c.reply.bulk("selectors");
  c.reply.arrayHeader(u.selectors.length - 1);
  for (let i = 1; i < u.selectors.length; i++) {
    c.reply.mapHeader(3);
    replySelector(c, u.selectors[i]);
  }
}

function aclList(c: Client): void {
  c.reply.bulkArray(c.server.acl.describeAll());
}

function aclUsers(c: Client): void {
  c.reply.bulkArray(c.server.acl.sortedUsers().map((u) => u.name));
}

function aclWhoami(c: Client): void {
  c.reply.bulk(c.user.name);
}

function aclLoad(c: Client): void {
  const file = c.server.config.get("aclfile");
  if (file === "") {
    c.reply.error(ERR_NO_ACLFILE);
    return;
  }
  const errors = c.server.acl.loadFromFile(file);
  if (errors === null) c.reply.ok();
  else c.reply.error(`ERR ${errors}`);
}

function aclSave(c: Client): void {
  const file = c.server.config.get("aclfile");
  if (file === "") {
    c.reply.error(ERR_NO_ACLFILE);
    return;
  }
  if (c.server.acl.saveToFile(file)) c.reply.ok();
  else
    c.reply.error(
      "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
    );
}

function aclCat(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    c.reply.bulkArray(ACL_CATEGORY_NAMES as unknown as string[]);
    return;
  }
  if (argv.length !== 3) {
    subcommandSyntaxError(c, argv);
    return;
  }
  const bit = aclCategoryBit(argv[2]);
  if (bit === 0) {
    c.reply.error(`ERR Unknown category '${argv[2].slice(0, 128)}'`);
    return;
  }
  const names: string[] = [];
  for (const cmd of c.server.acl.commands.all) if (cmd.aclCategories & bit) names.push(cmd.fullName);
  c.reply.bulkArray(names);
}

const GENPASS_MAX_BITS = 4096;

function aclGenpass(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    subcommandSyntaxError(c, argv);
    return;
  }
  let bits = 256;
  if (argv.length === 3) {
    const n = getLongLongOrReply(c, argv[2]);
    if (n === null) return;
    bits = n;
  }
  if (bits <= 0 || bits > GENPASS_MAX_BITS) {
    c.reply.error(
      `ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to ${GENPASS_MAX_BITS}`,
    );
    return;
  }
  const chars = Math.floor((bits + 3) / 4);
  c.reply.bulk(
    randomBytes(Math.ceil(chars / 2))
      .toString("hex")
      .slice(0, chars),
  );
}

function aclLog(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    subcommandSyntaxError(c, argv);
    return;
  }
  const log = c.server.acl.log;
  let count = 10;
  if (argv.length === 3) {
    if (argv[2].toLowerCase() === "reset") {
      log.reset();
      c.reply.ok();
      return;
    }
    const n = getLongLongOrReply(c, argv[2]);
    if (n === null) return;
    count = Math.max(0, n);
  }
  const entries = log.entries.slice(0, count);
  const now = Date.now();
  c.reply.arrayHeader(entries.length);
  for (const e of entries) {
    c.reply.mapHeader(7);
    c.reply.bulk("count");
    c.reply.integer(e.count);
    c.reply.bulk("reason");
    c.reply.bulk(ACL_LOG_REASONS[e.reason] ?? "unknown");
    c.reply.bulk("context");
    c.reply.bulk(ACL_LOG_CONTEXTS[e.context] ?? "unknown");
    c.reply.bulk("object");
    c.reply.bulk(e.object);
    c.reply.bulk("username");
    c.reply.bulk(e.username);
    c.reply.bulk("age-seconds");
    c.reply.double((now - e.ctime) / 1000);
    c.reply.bulk("client-info");
    c.reply.bulk(e.cinfo);
  }
}

/** ACL DRYRUN user command [arg ...]: would the user be allowed to run it? (nothing runs) */
function aclDryrun(c: Client, argv: string[]): void {
  const acl = c.server.acl;
  const u = acl.getUser(argv[2]);
  if (u === undefined) {
    c.reply.error(`ERR User '${argv[2]}' not found`);
    return;
  }
  const args = argv.slice(3);
  let cmd = c.server.registry.lookup(args[0]);
  if (cmd !== undefined && cmd.subcommands !== null && args.length >= 2) {
    cmd = cmd.subcommands.get(args[1].toLowerCase());
  }
  if (cmd === undefined) {
    c.reply.error(`ERR Command '${args[0]}' not found`);
    return;
  }
  if (!arityOk(cmd.spec, args.length)) {
    c.reply.error(errWrongArity(cmd.fullName));
    return;
  }
  const r = acl.check(u, cmd.spec, args);
  if (r === AclDenied.OK) c.reply.ok();
  else if (r === AclDenied.CMD)
    c.reply.bulk(`This user has no permissions to run the '${cmd.fullName}' command`);
  else if (r === AclDenied.KEY)
    c.reply.bulk(`This user has no permissions to access the '${args[acl.deniedPos]}' key`);
  else c.reply.bulk(`This user has no permissions to access the '${args[acl.deniedPos]}' channel`);
}

const ACL_HELP = [
  "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CAT [<category>]",
  "    List all commands that belong to <category>, or all command categories",
  "    when no category is specified.",
  "DELUSER <username> [<username> ...]",
  "    Delete a list of users.",
  "DRYRUN <username> <command> [<arg> ...]",
  "    Returns whether the user can execute the given command without executing the command.",
  "GETUSER <username>",
  "    Get the user's details.",
  "GENPASS [<bits>]",
  "    Generate a secure 256-bit user password. The optional `bits` argument can",
  "    be used to specify a different size.",
  "LIST",
  "    Show users details in config file format.",
  "LOAD",
  "    Reload users from the ACL file.",
  "LOG [<count> | RESET]",
  "    Show the ACL log entries.",
  "SAVE",
  "    Save the current config to the ACL file.",
  "SETUSER <username> <attribute> [<attribute> ...]",
  "    Create or modify a user with the specified attributes.",
  "USERS",
  "    List all the registered usernames.",
  "WHOAMI",
  "    Return the current connection username.",
  "HELP",
  "    Prints this help.",
];

function aclHelp(c: Client): void {
  c.reply.arrayHeader(ACL_HELP.length);
  for (const line of ACL_HELP) c.reply.simple(line);
}

export const aclCommands: CommandDef[] = [
  {
    name: "acl",
    subcommands: {
      cat: aclCat,
      deluser: aclDeluser,
      dryrun: aclDryrun,
      genpass: aclGenpass,
      getuser: aclGetuser,
      help: aclHelp,
      list: aclList,
      load: aclLoad,
      log: aclLog,
      save: aclSave,
      setuser: aclSetuser,
      users: aclUsers,
      whoami: aclWhoami,
    },
  },
];
