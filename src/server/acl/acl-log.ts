import type { CommandSpec } from "../../command-table/command-table.js";
import type { Client } from "../client.js";
import { clientInfoString } from "../commands/client-command.js";

/**
 * The ACL LOG (Redis 7.0's ACLLog): the newest denials first, at most `acllog-max-len`. A denial like
 * one of the 10 newest (same reason, context, object and user, within 60 s) bumps that entry's count and
 * moves it to the front instead of adding a new one.
 */

export const AclLogContext = { TOPLEVEL: 0, LUA: 1, MULTI: 2, MODULE: 3 } as const;

const GROUPING_MAX_MS = 60_000;

export interface AclLogEntry {
  count: number;
  /** AclDenied code: 1 command, 2 key, 3 auth, 4 channel. */
  reason: number;
  context: number;
  object: string;
  username: string;
  /** Milliseconds time of the last update. */
  ctime: number;
  /** CLIENT LIST line of the (last) client. */
  cinfo: string;
}

export const ACL_LOG_REASONS: Record<number, string> = { 1: "command", 2: "key", 3: "auth", 4: "channel" };
export const ACL_LOG_CONTEXTS: Record<number, string> = { 0: "toplevel", 1: "lua", 2: "multi", 3: "module" };

export class AclLog {
  readonly entries: AclLogEntry[] = [];
  private maxLen = 128;

  setMaxLen(n: number): void {
    this.maxLen = n;
    this.trim();
  }

  private trim(): void {
    if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
  }

  reset(): void {
    this.entries.length = 0;
  }

  /**
   * Records a denial. `username` defaults to the client's user; `cmd`, when given, is the command being
   * refused, shown as the client's current command in the client info (as Redis, which has already set it).
   */
  add(
    c: Client,
    reason: number,
    context: number,
    object: string,
    username: string | null = null,
    cmd: CommandSpec | null = null,
  ): void {
    const now = Date.now();
    const cinfo = clientInfoString(c, now, cmd?.fullName);
    const entry: AclLogEntry = {
      count: 1,
      reason,
      context,
      object,
      username: username ?? c.user.name,
      ctime: now,
      cinfo,
    };
    const scan = Math.min(10, this.entries.length);
    for (let i = 0; i < scan; i++) {
      const e = this.entries[i];
      if (
        e.reason === entry.reason &&
        e.context === entry.context &&
        Math.abs(e.ctime - entry.ctime) <= GROUPING_MAX_MS &&
        e.object === entry.object &&
        e.username === entry.username
      ) {
        this.entries.splice(i, 1);
        this.entries.unshift(e);
        e.cinfo = cinfo;
        e.ctime = now;
        e.count++;
        return;
      }
    }
    this.entries.unshift(entry);
    this.trim();
  }
}
