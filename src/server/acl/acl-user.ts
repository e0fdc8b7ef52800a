import { createHash, timingSafeEqual } from "node:crypto";
import type { AclCommands } from "./acl-commands.js";
import { describeSelector } from "./acl-describe.js";
import {
  AclRuleError,
  type AclRuleErrorText,
  AclSelector,
  SelectorFlag,
  selectorFromOpSet,
} from "./acl-selector.js";

/**
 * An ACL user (Redis 7's `user`): flags, SHA-256 password hashes and selectors (the root one first).
 * `unrestricted` is what the dispatcher tests on every command: true when the root selector allows every
 * command, key and channel, so the usual default user costs one field test.
 */

export const UserFlag = {
  ENABLED: 1 << 0,
  DISABLED: 1 << 1,
  NOPASS: 1 << 2,
  SANITIZE_PAYLOAD: 1 << 3,
  SANITIZE_PAYLOAD_SKIP: 1 << 4,
} as const;

/** User flags in the order ACL LIST and ACL GETUSER print them (Redis's ACLUserFlags). */
export const USER_FLAG_NAMES: readonly [string, number][] = [
  ["on", UserFlag.ENABLED],
  ["off", UserFlag.DISABLED],
  ["nopass", UserFlag.NOPASS],
  ["skip-sanitize-payload", UserFlag.SANITIZE_PAYLOAD_SKIP],
  ["sanitize-payload", UserFlag.SANITIZE_PAYLOAD],
];

const ALL_ROOT = SelectorFlag.ALLCOMMANDS | SelectorFlag.ALLKEYS | SelectorFlag.ALLCHANNELS;

/** SHA-256 of the password's bytes, as lowercase hex (Redis's ACLHashPassword). */
export function hashPassword(password: string): string {
  return createHash("sha256").update(Buffer.from(password, "latin1")).digest("hex");
}

function validHash(h: string): boolean {
  return /^[0-9a-f]{64}$/.test(h);
}

export class AclUser {
  flags: number = UserFlag.DISABLED;
  /** Hex SHA-256 hashes, in the order they were added. */
  passwords: string[] = [];
  selectors: AclSelector[];
  /** Root selector allows everything: the dispatcher skips the ACL check. */
  unrestricted = false;
  /** ACL LIST's description, cached until the user changes (Redis's acl_string). */
  private described: string | null = null;

  constructor(
    readonly name: string,
    readonly commands: AclCommands,
    pubsubDefault: number,
  ) {
    this.selectors = [new AclSelector(commands, SelectorFlag.ROOT | pubsubDefault)];
  }

  get root(): AclSelector {
    return this.selectors[0];
  }

  get enabled(): boolean {
    return (this.flags & UserFlag.DISABLED) === 0;
  }

  get nopass(): boolean {
    return (this.flags & UserFlag.NOPASS) !== 0;
  }

  /** Redis's ACLCopyUser: takes over another user's rules (the name stays). */
  copyFrom(src: AclUser): void {
    this.flags = src.flags;
    this.passwords = [...src.passwords];
    this.selectors = src.selectors.map((s) => s.clone());
    this.changed();
  }

  /** Must follow every change: refreshes the fast-path flag and drops the cached description. */
  changed(): void {
    this.described = null;
    this.unrestricted = (this.root.flags & ALL_ROOT) === ALL_ROOT;
  }

  /** True when the password matches one of the user's (or the user needs none). */
  checkPassword(password: string): boolean {
    if (this.nopass) return true;
    const given = Buffer.from(hashPassword(password), "latin1");
    let ok = false;
    for (const h of this.passwords) {
      if (timingSafeEqual(given, Buffer.from(h, "latin1"))) ok = true;
    }
    return ok;
  }

  /**
   * Applies one rule (Redis's ACLSetUser); null when applied, else the reason. `pubsubDefault` is the
   * acl-pubsub-default setting (SelectorFlag.ALLCHANNELS or 0) that `reset` and new selectors start from.
   */
  apply(op: string, pubsubDefault: number): AclRuleErrorText | null {
    const err = this.applyOne(op, pubsubDefault);
    this.changed();
    return err;
  }

  private applyOne(op: string, pubsubDefault: number): AclRuleErrorText | null {
    if (op.length === 0) return null;
    const lower = op.toLowerCase();
    switch (lower) {
      case "on":
        this.flags = (this.flags | UserFlag.ENABLED) & ~UserFlag.DISABLED;
        return null;
      case "off":
        this.flags = (this.flags | UserFlag.DISABLED) & ~UserFlag.ENABLED;
        return null;
      case "skip-sanitize-payload":
        this.flags = (this.flags | UserFlag.SANITIZE_PAYLOAD_SKIP) & ~UserFlag.SANITIZE_PAYLOAD;
        return null;
      case "sanitize-payload":
        this.flags = (this.flags | UserFlag.SANITIZE_PAYLOAD) & ~UserFlag.SANITIZE_PAYLOAD_SKIP;
        return null;
      case "nopass":
        this.flags |= UserFlag.NOPASS;
        this.passwords = [];
        return null;
      case "resetpass":
        this.flags &= ~UserFlag.NOPASS;
        this.passwords = [];
        return null;
      case "clearselectors":
        this.selectors.length = 1;
        return null;
      case "reset":
        this.applyOne("resetpass", pubsubDefault);
        this.applyOne("resetkeys", pubsubDefault);
        this.applyOne("resetchannels", pubsubDefault);
        if (pubsubDefault & SelectorFlag.ALLCHANNELS) this.applyOne("allchannels", pubsubDefault);
        this.applyOne("off", pubsubDefault);
        this.applyOne("sanitize-payload", pubsubDefault);
        this.applyOne("clearselectors", pubsubDefault);
        this.applyOne("-@all", pubsubDefault);
        return null;
    }
    const c = op[0];
    if (c === ">" || c === "#") {
      let hash: string;
      if (c === ">") hash = hashPassword(op.slice(1));
      else {
        hash = op.slice(1);
        if (!validHash(hash)) return AclRuleError.EBADMSG;
      }
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.flags &= ~UserFlag.NOPASS;
      return null;
    }
    if (c === "<" || c === "!") {
      let hash: string;
      if (c === "<") hash = hashPassword(op.slice(1));
      else {
        hash = op.slice(1);
        if (!validHash(hash)) return AclRuleError.EBADMSG;
      }
      const i = this.passwords.indexOf(hash);
      if (i < 0) return AclRuleError.ENODEV;
      this.passwords.splice(i, 1);
      return null;
    }
    if (c === "(" && op[op.length - 1] === ")") {
      const s = selectorFromOpSet(this.commands, op, pubsubDefault);
      if (typeof s === "string") return s;
      this.selectors.push(s);
      return null;
    }
    return this.root.apply(op);
  }

  /** ACL LIST's description after "user <name> " (Redis's ACLDescribeUser). */
  describe(): string {
    if (this.described !== null) return this.described;
    let res = "";
    for (const [name, bit] of USER_FLAG_NAMES) if (this.flags & bit) res += `${name} `;
    for (const h of this.passwords) res += `#${h} `;
    for (const s of this.selectors) {
      const d = describeSelector(s);
      res += s.flags & SelectorFlag.ROOT ? d : ` (${d})`;
    }
    this.described = res;
    return res;
  }
}
