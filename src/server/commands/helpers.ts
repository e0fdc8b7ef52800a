import type { RedisValue, StoredValue } from "../../store/redis-value.js";
import type { Client } from "../client.js";
import { ERR_WRONGTYPE } from "../shared-replies.js";

/**
 * Small helpers every command family uses. They keep Redis's keyspace_hits/misses accounting and its
 * exact replies in one place.
 */

/** lookupKeyRead with INFO hit/miss accounting. */
export function lookupRead(c: Client, key: string): RedisValue | undefined {
  const v = c.db.lookupKeyRead(key);
  if (v === undefined) c.server.stats.keyspaceMisses++;
  else c.server.stats.keyspaceHits++;
  return v;
}

/**
 * lookupRead that leaves a string's in-place byte form (MutableString) as it is: for the byte-level
 * string commands, and for commands that only need to know whether a key exists or its type.
 */
export function lookupRawRead(c: Client, key: string): StoredValue | undefined {
  const v = c.db.lookupRawRead(key);
  if (v === undefined) c.server.stats.keyspaceMisses++;
  else c.server.stats.keyspaceHits++;
  return v;
}

/** lookupKeyReadWithFlags(LOOKUP_NOTOUCH) with hit/miss accounting: TYPE, EXISTS, TTL and friends. */
export function lookupReadNoTouch(c: Client, key: string): StoredValue | undefined {
  const v = c.db.lookupKeyReadNoTouch(key);
  if (v === undefined) c.server.stats.keyspaceMisses++;
  else c.server.stats.keyspaceHits++;
  return v;
}

/** Marks a successful change: dirty++, WATCH, keyspace notification. */
export function modified(c: Client, key: string, notifyType: number, event: string, dirty = 1): void {
  c.server.dirty += dirty;
  c.server.signalModifiedKey(c.db, key);
  c.server.notifyKeyspaceEvent(notifyType, event, key, c.db.id);
}

/** Replies WRONGTYPE and returns true when `v` exists and fails the type test. */
export function wrongType(c: Client, v: RedisValue | undefined, ok: (v: RedisValue) => boolean): boolean {
  if (v !== undefined && !ok(v)) {
    c.reply.error(ERR_WRONGTYPE);
    return true;
  }
  return false;
}

/** Redis's "replace the command that gets propagated" (rewriteClientCommandVector). */
export function rewriteCommandVector(c: Client, argv: string[]): void {
  c.argv = argv;
}

export const isString = (v: RedisValue): boolean => typeof v === "string";

/**
 * Redis's addReplyHelp: a header naming the command as the client typed it (upper-cased), the lines, and
 * the HELP entry every container command shares.
 */
export function replyHelp(c: Client, name: string, lines: readonly string[]): void {
  c.reply.arrayHeader(lines.length + 3);
  c.reply.simple(`${name.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const l of lines) c.reply.simple(l);
  c.reply.simple("HELP");
  c.reply.simple("    Prints this help.");
}
