import { aclCategoryBit } from "../../command-table/acl-categories.js";
import type { CommandSpec } from "../../command-table/command-table.js";
import { globMatch } from "../../command-table/glob-match.js";
import { splitArgs } from "../../resp/request-parser.js";
import type { AclCommands } from "./acl-commands.js";

/**
 * One ACL selector (Redis 7's aclSelector): which commands (a bitmap by command id, plus allowed first
 * arguments), which key patterns (each with read/write permissions) and which channel patterns. A user
 * has a root selector (the rules outside parentheses) and any number of `(...)` selectors; a command is
 * allowed when one of them allows it.
 */

export const SelectorFlag = {
  ROOT: 1 << 0,
  ALLKEYS: 1 << 1,
  ALLCOMMANDS: 1 << 2,
  ALLCHANNELS: 1 << 3,
} as const;

/** Key pattern permissions (Redis's ACL_READ_PERMISSION / ACL_WRITE_PERMISSION). */
export const KeyPerm = { READ: 1, WRITE: 2, ALL: 3 } as const;

/**
 * Why a rule was refused: Redis's errno values in ACLSetUser, each with its message (ACLSetUserStringError).
 */
export const AclRuleError = {
  ENOENT: "Unknown command or category name in ACL",
  EINVAL: "Syntax error",
  EEXIST:
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  EISDIR:
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  ENODEV: "The password you are trying to remove from the user does not exist",
  EBADMSG:
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
  EALREADY: "Duplicate user found. A user can only be defined once in config files",
  ECHILD: "Allowing first-arg of a subcommand is not supported",
} as const;

export type AclRuleErrorText = (typeof AclRuleError)[keyof typeof AclRuleError];

export interface KeyPattern {
  pattern: string;
  flags: number;
  /** Matches a key as Redis's stringmatchlen would (precompiled: checked on every command). */
  matches: (key: string) => boolean;
}

/**
 * A matcher for an ACL key pattern. The usual shapes (`*`, `literal`, `prefix*`) skip the glob matcher;
 * anything else goes through it. As in Redis, `*` does not match the empty key.
 */
export function keyPatternMatcher(pattern: string): (key: string) => boolean {
  const special = /[*?[\\]/;
  if (!special.test(pattern)) return (key) => key === pattern;
  const prefix = pattern.slice(0, -1);
  if (pattern.endsWith("*") && !special.test(prefix)) {
    return (key) => key.length > 0 && key.startsWith(prefix);
  }
  return (key) => globMatch(pattern, key);
}

/** Redis's ACLStringHasSpaces: isspace() or NUL anywhere. */
export function hasSpaces(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 32 || (ch >= 9 && ch <= 13) || ch === 0) return true;
  }
  return false;
}

const eqi = (a: string, b: string) => a.length === b.length && a.toLowerCase() === b.toLowerCase();

export class AclSelector {
  flags: number;
  /** One byte per command id: 1 when allowed. */
  allowed: Uint8Array;
  /**
   * Redis's reserved last bit: set only by +@all / allcommands, cleared only by -@all / nocommands. It says
   * the rules started from everything (ACL LIST then starts with +@all) rather than from nothing.
   */
  future = false;
  /** Command id → first arguments allowed of an otherwise refused command (`+select|0`), or null. */
  firstArgs: Map<number, string[]> | null = null;
  patterns: KeyPattern[] = [];
  channels: string[] = [];

  constructor(
    readonly commands: AclCommands,
    flags: number,
  ) {
    this.flags = flags;
    this.allowed = new Uint8Array(commands.idCount);
  }

  clone(): AclSelector {
    const s = new AclSelector(this.commands, this.flags);
    s.allowed.set(this.allowed);
    s.future = this.future;
    if (this.firstArgs) s.firstArgs = new Map([...this.firstArgs].map(([k, v]) => [k, [...v]]));
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = [...this.channels];
    return s;
  }

  // ─── command bits ─────────────────────────────────────────────────────────────────────────────────────

  bit(id: number): boolean {
    return this.allowed[id] === 1;
  }

  private setBit(id: number, value: boolean): void {
    if (value) this.allowed[id] = 1;
    else {
      this.allowed[id] = 0;
      this.flags &= ~SelectorFlag.ALLCOMMANDS;
    }
  }

  /** Redis's ACLChangeSelectorPerm: a container command carries its subcommands along. */
  changePerm(cmd: CommandSpec, allow: boolean): void {
    this.setBit(cmd.aclId, allow);
    this.firstArgs?.delete(cmd.aclId);
    const subs = this.commands.subcommandsOf(cmd);
    for (const sub of subs) this.setBit(sub.aclId, allow);
  }

  private setCategory(category: string, allow: boolean): boolean {
    const bit = aclCategoryBit(category);
    if (bit === 0) return false;
    for (const cmd of this.commands.all) if (cmd.aclCategories & bit) this.changePerm(cmd, allow);
    return true;
  }

  private allCommands(allow: boolean): void {
    this.allowed.fill(allow ? 1 : 0);
    this.future = allow;
    if (allow) this.flags |= SelectorFlag.ALLCOMMANDS;
    else this.flags &= ~SelectorFlag.ALLCOMMANDS;
    this.firstArgs = null;
  }

  private addFirstArg(id: number, arg: string): void {
    this.firstArgs ??= new Map();
    const list = this.firstArgs.get(id) ?? [];
    if (list.some((a) => eqi(a, arg))) return;
    list.push(arg);
    this.firstArgs.set(id, list);
  }

  // ─── rules ────────────────────────────────────────────────────────────────────────────────────────────

  /** Applies one selector rule (Redis's ACLSetSelector); returns the error, or null when applied. */
  apply(op: string): AclRuleErrorText | null {
    const lower = op.toLowerCase();
    if (lower === "allkeys" || op === "~*") {
      this.flags |= SelectorFlag.ALLKEYS;
      this.patterns = [];
    } else if (lower === "resetkeys") {
      this.flags &= ~SelectorFlag.ALLKEYS;
      this.patterns = [];
    } else if (lower === "allchannels" || op === "&*") {
      this.flags |= SelectorFlag.ALLCHANNELS;
      this.channels = [];
    } else if (lower === "resetchannels") {
      this.flags &= ~SelectorFlag.ALLCHANNELS;
      this.channels = [];
    } else if (lower === "allcommands" || lower === "+@all") {
      this.allCommands(true);
    } else if (lower === "nocommands" || lower === "-@all") {
      this.allCommands(false);
    } else if (op[0] === "~" || op[0] === "%") {
      return this.addKeyPattern(op);
    } else if (op[0] === "&") {
      if (this.flags & SelectorFlag.ALLCHANNELS) return AclRuleError.EISDIR;
      const pat = op.slice(1);
      if (hasSpaces(pat)) return AclRuleError.EINVAL;
      if (!this.channels.includes(pat)) this.channels.push(pat);
      this.flags &= ~SelectorFlag.ALLCHANNELS;
    } else if (op[0] === "+" && op[1] !== "@") {
      return this.allowCommand(op.slice(1));
    } else if (op[0] === "-" && op[1] !== "@") {
      const cmd = this.commands.lookup(op.slice(1));
      if (cmd === undefined) return AclRuleError.ENOENT;
      this.changePerm(cmd, false);
    } else if ((op[0] === "+" || op[0] === "-") && op[1] === "@") {
      if (!this.setCategory(op.slice(2), op[0] === "+")) return AclRuleError.ENOENT;
    } else {
      return AclRuleError.EINVAL;
    }
    return null;
  }

  private addKeyPattern(op: string): AclRuleErrorText | null {
    if (this.flags & SelectorFlag.ALLKEYS) return AclRuleError.EEXIST;
    let flags = 0;
    let offset = 1;
    if (op[0] === "%") {
      for (; offset < op.length; offset++) {
        const ch = op[offset].toUpperCase();
        if (ch === "R" && !(flags & KeyPerm.READ)) flags |= KeyPerm.READ;
        else if (ch === "W" && !(flags & KeyPerm.WRITE)) flags |= KeyPerm.WRITE;
        else if (op[offset] === "~" && flags !== 0) {
          offset++;
          break;
        } else return AclRuleError.EINVAL;
      }
    } else {
      flags = KeyPerm.ALL;
    }
    const pattern = op.slice(offset);
    if (hasSpaces(pattern)) return AclRuleError.EINVAL;
    const existing = this.patterns.find((p) => p.pattern === pattern);
    if (existing) existing.flags |= flags;
    else this.patterns.push({ pattern, flags, matches: keyPatternMatcher(pattern) });
    this.flags &= ~SelectorFlag.ALLKEYS;
    return null;
  }

  /** `+cmd`, `+cmd|sub` (a subcommand) or `+cmd|arg` (a first argument of a command without subcommands). */
  private allowCommand(name: string): AclRuleErrorText | null {
    const bar = name.lastIndexOf("|");
    if (bar < 0) {
      const cmd = this.commands.lookup(name);
      if (cmd === undefined) return AclRuleError.ENOENT;
      this.changePerm(cmd, true);
      return null;
    }
    const cmd = this.commands.lookup(name.slice(0, bar));
    const sub = name.slice(bar + 1);
    if (cmd === undefined) return AclRuleError.ENOENT;
    if (cmd.parent !== null) return AclRuleError.ECHILD;
    if (sub.length === 0) return AclRuleError.EINVAL;
    if (cmd.subcommands !== null) {
      const subCmd = this.commands.lookup(name);
      if (subCmd === undefined) return AclRuleError.ENOENT;
      this.changePerm(subCmd, true);
    } else {
      // Redis logs a deprecation warning for this form (SELECT|0, DEBUG|OBJECT) and still honours it.
      this.addFirstArg(cmd.aclId, sub);
    }
    return null;
  }
}

/**
 * Builds a selector from `(rule rule ...)` (Redis's aclCreateSelectorFromOpSet): the inside is split as
 * redis-cli splits a line, each rule applied to a fresh selector. Returns the selector or the error.
 */
export function selectorFromOpSet(
  commands: AclCommands,
  opset: string,
  pubsubDefault: number,
): AclSelector | AclRuleErrorText {
  const s = new AclSelector(commands, pubsubDefault);
  const args = splitArgs(opset.slice(1, -1)) ?? [];
  for (const a of args) {
    const err = s.apply(a);
    if (err !== null) return err;
  }
  return s;
}
