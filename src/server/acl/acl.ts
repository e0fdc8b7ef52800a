import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { CommandFlag } from "../../command-table/command-flags.js";
import type { CommandSpec } from "../../command-table/command-table.js";
import { globMatch } from "../../command-table/glob-match.js";
import { commandHasKeys, type KeyRef, KeySpecFlag, keysWithFlags } from "../../command-table/key-specs.js";
import { ConfigError } from "../../config/config-error.js";
import type { Directive } from "../../config/server-config.js";
import { strerror } from "../../net/strerror.js";
import { type Client, ClientFlag } from "../client.js";
import type { Server } from "../server.js";
import { AclCommands } from "./acl-commands.js";
import { AclLog, AclLogContext } from "./acl-log.js";
import { AclRuleError, type AclSelector, hasSpaces, KeyPerm, SelectorFlag } from "./acl-selector.js";
import { AclUser, UserFlag } from "./acl-user.js";

/**
 * Redis 7.0's ACL (acl.c): the users, authentication, the permission check the dispatcher runs for
 * restricted users, the ACL log, and loading/saving users from `user` lines and the `aclfile`.
 *
 * The dispatcher's cost for the usual default user (all commands, keys, channels) is one field test
 * (`c.user.unrestricted`); `authRequired` is the NOAUTH test (the default user has a password or is off).
 */

/** Redis's ACL_OK / ACL_DENIED_* codes. */
export const AclDenied = { OK: 0, CMD: 1, KEY: 2, AUTH: 3, CHANNEL: 4 } as const;

const CHANNEL_PUBLISH = 1;
const CHANNEL_SUBSCRIBE = 2;
const CHANNEL_PATTERN = 4;

/** Redis's commands_with_channels (db.c): flags, first channel, count (-1 = the rest). */
const CHANNEL_COMMANDS: Record<string, [number, number, number]> = {
  subscribe: [CHANNEL_SUBSCRIBE, 1, -1],
  ssubscribe: [CHANNEL_SUBSCRIBE, 1, -1],
  psubscribe: [CHANNEL_PATTERN | CHANNEL_SUBSCRIBE, 1, -1],
  publish: [CHANNEL_PUBLISH, 1, 1],
  spublish: [CHANNEL_PUBLISH, 1, 1],
};

/** Redis's error for ACL LOAD / SAVE without an aclfile. */
export const ERR_NO_ACLFILE =
  "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

/** Key spec flags → the pattern permissions a key needs (Redis's ACLSelectorCheckKey). */
function neededPerm(specFlags: number): number {
  let p = 0;
  if (specFlags & KeySpecFlag.ACCESS) p |= KeyPerm.READ;
  if (specFlags & (KeySpecFlag.INSERT | KeySpecFlag.DELETE | KeySpecFlag.UPDATE)) p |= KeyPerm.WRITE;
  return p;
}

function selectorAllowsKey(s: AclSelector, key: string, specFlags: number): boolean {
  if (s.flags & SelectorFlag.ALLKEYS) return true;
  const need = neededPerm(specFlags);
  for (const p of s.patterns) {
    if ((p.flags & need) !== need) continue;
    if (p.matches(key)) return true;
  }
  return false;
}

/** Redis's ACLCheckChannelAgainstList: a PSUBSCRIBE pattern must equal an allowed pattern literally. */
function channelAllowed(list: readonly string[], channel: string, isPattern: boolean): boolean {
  for (const p of list) {
    if (isPattern ? p === channel : globMatch(p, channel)) return true;
  }
  return false;
}

/**
 * Redis's ACLMergeSelectorArguments: a `(...)` selector may come split over several arguments; they are
 * joined with spaces. Returns the merged rules, or the index of an unclosed `(`.
 */
export function mergeSelectorArgs(args: readonly string[]): string[] | { unclosedAt: number } {
  const out: string[] = [];
  let open = -1;
  let selector = "";
  for (let j = 0; j < args.length; j++) {
    const op = args[j];
    if (op[0] === "(" && op[op.length - 1] !== ")") {
      selector = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      selector += ` ${op}`;
      if (op[op.length - 1] === ")") {
        open = -1;
        out.push(selector);
      }
      continue;
    }
    out.push(op);
  }
  return open !== -1 ? { unclosedAt: open } : out;
}

export class Acl {
  readonly commands: AclCommands;
  readonly defaultUser: AclUser;
  /**
   * What Redis's user-less clients are (the master link, scripts' callers): allowed everything, in no
   * user list, shown as "(superuser)" in CLIENT LIST.
   */
  readonly superUser: AclUser;
  readonly log: AclLog;
  /** Clients must authenticate: the default user has a password, or is off (Redis's authRequired). */
  authRequired = false;
  /** acl-pubsub-default: SelectorFlag.ALLCHANNELS or 0 (resetchannels, Redis 7's default). */
  pubsubDefault = 0;
  /** Argument index of the key or channel behind the last KEY/CHANNEL denial of `check`. */
  deniedPos = 0;
  private readonly users = new Map<string, AclUser>();

  constructor(private readonly server: Server) {
    this.commands = new AclCommands((spec) => {
      const top = server.registry.commands.get(spec.parent?.name ?? spec.name);
      if (top === undefined) return false;
      return spec.parent === null || top.subcommands?.has(spec.name) === true;
    });
    this.log = new AclLog();
    server.config.onChange("acl-pubsub-default", (v) => {
      this.pubsubDefault = v === "allchannels" ? SelectorFlag.ALLCHANNELS : 0;
    });
    server.config.onChange("acllog-max-len", (v) => this.log.setMaxLen(Number(v)));
    this.defaultUser = this.createDefaultUser();
    this.users.set("default", this.defaultUser);
    this.superUser = this.createDefaultUser("(superuser)");
    server.config.onChange("requirepass", (v) => this.setRequirepass(v));
  }

  // ─── users ────────────────────────────────────────────────────────────────────────────────────────────

  private newUser(name: string): AclUser {
    return new AclUser(name, this.commands, this.pubsubDefault);
  }

  /** Redis's ACLCreateDefaultUser: every command, key and channel, on, no password. */
  private createDefaultUser(name = "default"): AclUser {
    const u = this.newUser(name);
    for (const op of ["+@all", "~*", "&*", "on", "nopass"]) u.apply(op, this.pubsubDefault);
    return u;
  }

  getUser(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  /** Users in Redis's radix-tree order (bytewise). */
  sortedUsers(): AclUser[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The default user changed: recompute whether connections must authenticate. */
  private defaultChanged(): void {
    const d = this.defaultUser;
    this.authRequired = !(d.flags & UserFlag.NOPASS) || (d.flags & UserFlag.DISABLED) !== 0;
  }

  /** `requirepass` sets the default user's only password, or makes it nopass (ACLUpdateDefaultUserPassword). */
  setRequirepass(password: string): void {
    const d = this.defaultUser;
    d.apply("resetpass", this.pubsubDefault);
    d.apply(password !== "" ? `>${password}` : "nopass", this.pubsubDefault);
    this.defaultChanged();
  }

  /**
   * ACL SETUSER (Redis's ACLStringSetUser): all rules or none. Returns null, or the error text (without
   * "ERR "). Connections of the user whose channels were revoked are closed, as Redis does.
   */
  setUser(name: string, rules: readonly string[]): string | null {
    const merged = mergeSelectorArgs(rules);
    if (!Array.isArray(merged)) {
      return `Unmatched parenthesis in acl selector starting at '${rules[merged.unclosedAt]}'.`;
    }
    const existing = this.users.get(name);
    const temp = this.newUser(name);
    if (existing) temp.copyFrom(existing);
    for (const op of merged) {
      const err = temp.apply(op, this.pubsubDefault);
      if (err !== null) return `Error in ACL SETUSER modifier '${op}': ${err}`;
    }
    if (existing) this.killPubsubClientsIfNeeded(temp, existing);
    const u = existing ?? this.newUser(name);
    u.copyFrom(temp);
    if (!existing) this.users.set(name, u);
    if (u === this.defaultUser) this.defaultChanged();
    return null;
  }

  /** ACL DELUSER of one user: its connections go back to the default user, unauthenticated, and close. */
  deleteUser(name: string): boolean {
    const u = this.users.get(name);
    if (u === undefined || u === this.defaultUser) return false;
    this.users.delete(name);
    this.killClientsOf(u);
    return true;
  }

  /** Redis's ACLFreeUserAndKillClients: the current client closes after its reply, others now. */
  private killClientsOf(u: AclUser): void {
    for (const c of this.server.clients.values()) {
      if (c.user !== u) continue;
      c.user = this.defaultUser;
      c.authenticated = false;
      if (c === this.server.currentClient) c.flags |= ClientFlag.CLOSE_AFTER_REPLY;
      else c.close();
    }
  }

  /**
   * Redis's ACLKillPubsubClientsIfNeeded: when a user's new channel rules no longer cover what its
   * subscribed connections listen to, those connections are closed.
   */
  private killPubsubClientsIfNeeded(next: AclUser, original: AclUser): void {
    for (const s of next.selectors) if (s.flags & SelectorFlag.ALLCHANNELS) return;
    const upcoming: string[] = [];
    for (const s of next.selectors) upcoming.push(...s.channels);
    let superset = true;
    for (const s of original.selectors) {
      if (s.flags & SelectorFlag.ALLCHANNELS || s.channels.some((ch) => !upcoming.includes(ch))) {
        superset = false;
        break;
      }
    }
    if (superset) return;
    for (const c of [...this.server.clients.values()]) {
      if (c.user !== original || !(c.flags & ClientFlag.PUBSUB)) continue;
      let kill = false;
      for (const p of c.patterns) if (!channelAllowed(upcoming, p, true)) kill = true;
      if (!kill) for (const ch of c.channels) if (!channelAllowed(upcoming, ch, false)) kill = true;
      if (!kill) continue;
      if (c === this.server.currentClient) c.flags |= ClientFlag.CLOSE_AFTER_REPLY;
      else c.destroy();
    }
  }

  // ─── authentication ───────────────────────────────────────────────────────────────────────────────────

  /** Redis's ACLCheckUserCredentials. */
  checkCredentials(name: string, password: string): AclUser | null {
    const u = this.users.get(name);
    if (u === undefined || u.flags & UserFlag.DISABLED) return null;
    return u.checkPassword(password) ? u : null;
  }

  /**
   * AUTH / HELLO AUTH (Redis's ACLAuthenticateUser): on success the connection is authenticated as the
   * user; on failure the ACL log records it ("auth", the command name as typed, the user name tried).
   */
  authenticate(c: Client, name: string, password: string): boolean {
    const u = this.checkCredentials(name, password);
    if (u !== null) {
      c.authenticated = true;
      c.user = u;
      return true;
    }
    const ctx = c.flags & ClientFlag.MULTI ? AclLogContext.MULTI : AclLogContext.TOPLEVEL;
    this.log.add(c, AclDenied.AUTH, ctx, c.argv[0] ?? "auth", name);
    return false;
  }

  /** A new or RESET connection: the default user, authenticated when it needs no password. */
  setDefaultAuth(c: Client): void {
    c.user = this.defaultUser;
    const d = this.defaultUser;
    c.authenticated = (d.flags & UserFlag.NOPASS) !== 0 && !(d.flags & UserFlag.DISABLED);
  }

  // ─── permission checks ────────────────────────────────────────────────────────────────────────────────

  /**
   * Whether the user may run the command with these arguments (Redis's ACLCheckAllUserCommandPerm):
   * AclDenied.OK, or the most relevant denial over all selectors (`deniedPos` then names the argument).
   */
  check(u: AclUser, cmd: CommandSpec, argv: readonly string[]): number {
    let relevant: number = AclDenied.CMD;
    let lastPos = 0;
    const cache: { keys: KeyRef[] | null } = { keys: null };
    for (const s of u.selectors) {
      const r = this.checkSelector(s, cmd, argv, cache);
      if (r === AclDenied.OK) return AclDenied.OK;
      if (r > relevant || (r === relevant && this.deniedPos > lastPos)) {
        relevant = r;
        lastPos = this.deniedPos;
      }
    }
    this.deniedPos = lastPos;
    return relevant;
  }

  /** Redis's ACLSelectorCheckCmd; sets `deniedPos` on a KEY or CHANNEL denial. */
  private checkSelector(
    s: AclSelector,
    cmd: CommandSpec,
    argv: readonly string[],
    cache: { keys: KeyRef[] | null },
  ): number {
    this.deniedPos = 0;
    if (!(s.flags & SelectorFlag.ALLCOMMANDS) && !(cmd.flags & CommandFlag.NO_AUTH) && !s.bit(cmd.aclId)) {
      const args = s.firstArgs?.get(cmd.aclId);
      const idx = cmd.parent !== null ? 2 : 1;
      if (argv.length < 2 || args === undefined) return AclDenied.CMD;
      const given = argv[idx]?.toLowerCase();
      if (!args.some((a) => a.toLowerCase() === given)) return AclDenied.CMD;
    }
    if (!(s.flags & SelectorFlag.ALLKEYS) && commandHasKeys(cmd)) {
      cache.keys ??= keysWithFlags(cmd, argv);
      for (const k of cache.keys) {
        if (!selectorAllowsKey(s, argv[k.pos], k.flags)) {
          this.deniedPos = k.pos;
          return AclDenied.KEY;
        }
      }
    }
    const ch = CHANNEL_COMMANDS[cmd.fullName];
    if (!(s.flags & SelectorFlag.ALLCHANNELS) && ch !== undefined) {
      const [flags, start, count] = ch;
      const stop = count === -1 ? argv.length : Math.min(argv.length, start + count);
      for (let i = start; i < stop; i++) {
        if (!channelAllowed(s.channels, argv[i], (flags & CHANNEL_PATTERN) !== 0)) {
          this.deniedPos = i;
          return AclDenied.CHANNEL;
        }
      }
    }
    return AclDenied.OK;
  }

  /**
   * Whether one selector lets the user run the command and read every key (Redis's
   * ACLUserCheckCmdWithUnrestrictedKeyAccess with CMD_KEY_ACCESS): SORT's BY and GET patterns, which read
   * keys no argument names, need it.
   */
  readsAnyKey(u: AclUser, cmd: CommandSpec, argv: readonly string[]): boolean {
    if (u.unrestricted) return true;
    const cache: { keys: KeyRef[] | null } = { keys: null };
    for (const s of u.selectors) {
      if (this.checkSelector(s, cmd, argv, cache) !== AclDenied.OK) continue;
      if (s.flags & SelectorFlag.ALLKEYS) return true;
      if (s.patterns.some((p) => p.flags & KeyPerm.READ && p.pattern === "*")) return true;
    }
    return false;
  }

  /**
   * The dispatcher's check for a restricted user; null when allowed, else the NOPERM error to reply
   * after logging the denial (Redis's processCommand).
   */
  denyCommand(c: Client, cmd: CommandSpec, argv: readonly string[]): string | null {
    const r = this.check(c.user, cmd, argv);
    if (r === AclDenied.OK) return null;
    const ctx = c.flags & ClientFlag.MULTI ? AclLogContext.MULTI : AclLogContext.TOPLEVEL;
    this.log.add(c, r, ctx, r === AclDenied.CMD ? cmd.fullName : argv[this.deniedPos], null, cmd);
    if (r === AclDenied.CMD)
      return `NOPERM this user has no permissions to run the '${cmd.fullName}' command`;
    if (r === AclDenied.KEY)
      return "NOPERM this user has no permissions to access one of the keys used as arguments";
    return "NOPERM this user has no permissions to access one of the channels used as arguments";
  }

  /**
   * EXEC's re-check of each queued command (the rules may have changed since it was queued); null when
   * allowed, else the error to reply in its place.
   */
  denyQueued(c: Client, cmd: CommandSpec, argv: readonly string[]): string | null {
    if (c.user.unrestricted) return null;
    const r = this.check(c.user, cmd, argv);
    if (r === AclDenied.OK) return null;
    this.log.add(
      c,
      r,
      AclLogContext.MULTI,
      r === AclDenied.CMD ? cmd.fullName : argv[this.deniedPos],
      null,
      cmd,
    );
    const reason =
      r === AclDenied.CMD
        ? "no permission to execute the command or subcommand"
        : r === AclDenied.KEY
          ? "no permission to touch the specified keys"
          : "no permission to access one of the channels used as arguments";
    return `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${reason}`;
  }

  // ─── loading and saving ───────────────────────────────────────────────────────────────────────────────

  /**
   * `user` lines of the configuration (Redis's ACLAppendUserForLoading, then ACLLoadConfiguredUsers):
   * checked and applied at start-up; a bad one throws ConfigError with its file and line.
   */
  loadConfiguredUsers(lines: readonly Directive[]): void {
    const seen = new Set<string>();
    for (const d of lines) {
      const [name, ...rules] = d.args;
      if (name === undefined) throw new ConfigError("wrong number of arguments for 'user'", d.file, d.line);
      if (seen.has(name)) {
        throw new ConfigError(
          `Error in user declaration '${name}': ${AclRuleError.EALREADY}`,
          d.file,
          d.line,
        );
      }
      seen.add(name);
      if (hasSpaces(name)) throw new ConfigError("Spaces not allowed in ACL usernames", d.file, d.line);
      const merged = mergeSelectorArgs(rules);
      if (!Array.isArray(merged)) {
        throw new ConfigError(
          `Error in user declaration '${rules[merged.unclosedAt]}': Unmatched parenthesis in acl selector`,
          d.file,
          d.line,
        );
      }
      let u = this.users.get(name);
      if (u === undefined) {
        u = this.newUser(name);
        this.users.set(name, u);
      } else {
        u.apply("reset", this.pubsubDefault); // only "default" can exist already
      }
      for (const op of merged) {
        const err = u.apply(op, this.pubsubDefault);
        if (err !== null) throw new ConfigError(`Error in user declaration '${op}': ${err}`, d.file, d.line);
      }
      if (u.flags & UserFlag.DISABLED) {
        this.server.log.info(
          { user: name },
          "The user is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.",
        );
      }
    }
    this.defaultChanged();
  }

  /**
   * Redis's ACLLoadFromFile: every line checked against a fresh set of users; any error keeps the
   * current users and returns the errors (one line, "file:line: ..." each). On success the users are
   * replaced: connections authenticated as a user of the old set (other than default) are closed.
   */
  loadFromFile(file: string): string | null {
    let text: string;
    try {
      text = readFileSync(file, "latin1");
    } catch (err) {
      return `Error loading ACLs, opening file '${file}': ${strerror(err)}`;
    }
    const users = new Map<string, AclUser>();
    let errors = "";
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
      const linenum = i + 1;
      if (line === "") continue;
      const argv = line.split(" ");
      if (argv[0] !== "user" || argv.length < 2) {
        errors += `${file}:${linenum} should start with user keyword followed by the username. `;
        continue;
      }
      if (hasSpaces(argv[1])) {
        errors += `'${file}:${linenum}: username '${argv[1]}' contains invalid characters. `;
        continue;
      }
      if (users.has(argv[1])) {
        errors += `WARNING: Duplicate user '${argv[1]}' found on line ${linenum}. `;
        continue;
      }
      const u = this.newUser(argv[1]);
      users.set(argv[1], u);
      const merged = mergeSelectorArgs(argv.slice(2));
      if (!Array.isArray(merged)) {
        errors += `${file}:${linenum}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      let syntaxError = false;
      for (const raw of merged) {
        const op = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, "");
        const err = u.apply(op, this.pubsubDefault);
        if (err === null) continue;
        if (err === AclRuleError.ENOENT) {
          errors += `${file}:${linenum}: Error in applying operation '${op}': ${err}. `;
        } else if (!syntaxError) {
          errors += `${file}:${linenum}: ${err}. `;
          syntaxError = true;
        }
      }
    }
    if (errors !== "") {
      return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    }
    const newDefault = users.get("default") ?? this.createDefaultUser();
    this.defaultUser.copyFrom(newDefault);
    users.set("default", this.defaultUser);
    const old = [...this.users.values()].filter((u) => u !== this.defaultUser);
    this.users.clear();
    for (const [n, u] of users) this.users.set(n, u);
    for (const u of old) this.killClientsOf(u);
    this.defaultChanged();
    return null;
  }

  /** The users as `user <name> <rules>` lines (ACL LIST, ACL SAVE, CONFIG REWRITE). */
  describeAll(): string[] {
    return this.sortedUsers().map((u) => `user ${u.name} ${u.describe()}`);
  }

  /** Redis's ACLSaveToFile: written to a temporary file, then renamed over the aclfile. */
  saveToFile(file: string): boolean {
    const text = this.describeAll()
      .map((l) => `${l}\n`)
      .join("");
    const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
    try {
      writeFileSync(tmp, text, { encoding: "latin1", mode: 0o644 });
      renameSync(tmp, file);
      return true;
    } catch (err) {
      this.server.log.warn({ err: strerror(err) }, "Writing or renaming the ACL file for ACL SAVE failed");
      try {
        unlinkSync(tmp);
      } catch {
        // nothing was written
      }
      return false;
    }
  }

  /**
   * Start-up (Redis's ACLLoadUsersAtStartup): `user` lines and an aclfile are exclusive; either is loaded,
   * and an error stops the server.
   */
  loadAtStartup(configUsers: readonly Directive[]): void {
    const aclfile = this.server.config.get("aclfile");
    if (aclfile !== "" && configUsers.length > 0) {
      throw new ConfigError(
        "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.",
      );
    }
    this.loadConfiguredUsers(configUsers);
    if (aclfile !== "") {
      const errors = this.loadFromFile(aclfile);
      if (errors !== null) throw new ConfigError(`Aborting Redis startup because of ACL errors: ${errors}`);
    }
  }
}
