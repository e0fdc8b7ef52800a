import type { Database } from "../../store/database.js";
import { RedisList } from "../../store/redis-list.js";
import type { RedisValue } from "../../store/redis-value.js";
import {
  getExactLongLongOrReply,
  getLongLongOrReply,
  getPositiveLongOrReply,
  getRangeLongOrReply,
  getTimeoutOrReply,
  LONG_MAX,
  LONG_MIN,
  UNIT_SECONDS,
} from "../arguments.js";
import { blockingDenied } from "../blocking.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import {
  ERR_COUNT_NOT_POSITIVE,
  ERR_NO_SUCH_KEY,
  ERR_NUMKEYS_NOT_POSITIVE,
  ERR_OUT_OF_RANGE,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
} from "../shared-replies.js";
import { lookupRead, modified, rewriteCommandVector } from "./helpers.js";

/**
 * The list family, following Redis 7.0's t_list.c: the same argument checks in the same order (so the
 * same error wins when several are wrong), the same replies, the same keyspace events, and the same
 * propagation (LMPOP and the blocking pops replicate as LPOP/RPOP/LMOVE/RPOPLPUSH). An emptied list is
 * deleted. Blocking uses src/server/blocking.ts.
 */

const HEAD = 0;
const TAIL = 1;
type Where = typeof HEAD | typeof TAIL;

// ─── argument helpers ─────────────────────────────────────────────────────────────────────────────────

/** LEFT / RIGHT (any case), or a syntax error. */
function whereArg(c: Client, s: string): Where | null {
  const l = s.toLowerCase();
  if (l === "left") return HEAD;
  if (l === "right") return TAIL;
  c.reply.error(ERR_SYNTAX);
  return null;
}

/** The list at key, undefined if absent; replies WRONGTYPE and returns null for another type. */
function listForWrite(c: Client, key: string): RedisList | undefined | null {
  const v = c.db.lookupKeyWrite(key);
  if (v === undefined || v instanceof RedisList) return v;
  c.reply.error(ERR_WRONGTYPE);
  return null;
}

function listForRead(c: Client, key: string): RedisList | undefined | null {
  const v = lookupRead(c, key);
  if (v === undefined || v instanceof RedisList) return v;
  c.reply.error(ERR_WRONGTYPE);
  return null;
}

const isList = (v: RedisValue | undefined): v is RedisList => v instanceof RedisList;

/** Redis's listElementsRemoved: pop event, delete when empty, dirty by the count. */
function elementsRemoved(c: Client, key: string, where: Where, list: RedisList, count: number): void {
  c.server.notifyKeyspaceEvent(Notify.LIST, where === HEAD ? "lpop" : "rpop", key, c.db.id);
  if (list.length === 0) {
    c.db.delete(key);
    c.server.notifyKeyspaceEvent(Notify.GENERIC, "del", key, c.db.id);
  }
  c.server.signalModifiedKey(c.db, key);
  c.server.dirty += count;
}

/** Pushes onto the list at key (created if needed, signalled to blocked clients). */
function pushInto(
  c: Client,
  db: Database,
  key: string,
  list: RedisList | undefined,
  v: string,
  where: Where,
) {
  if (list === undefined) {
    list = new RedisList();
    db.setKey(key, list);
  }
  if (where === HEAD) list.pushFront(v);
  else list.pushBack(v);
  c.server.blocking.signalKeyAsReady(db, key);
  return list;
}

// ─── push ─────────────────────────────────────────────────────────────────────────────────────────────

function pushGeneric(c: Client, argv: string[], where: Where, xx: boolean): void {
  const key = argv[1];
  let list = listForWrite(c, key);
  if (list === null) return;
  if (list === undefined) {
    if (xx) {
      c.reply.integer(0);
      return;
    }
    list = new RedisList();
    c.db.setKey(key, list);
  }
  if (where === HEAD) for (let i = 2; i < argv.length; i++) list.pushFront(argv[i]);
  else for (let i = 2; i < argv.length; i++) list.pushBack(argv[i]);
  c.server.blocking.signalKeyAsReady(c.db, key);
  modified(c, key, Notify.LIST, where === HEAD ? "lpush" : "rpush", argv.length - 2);
  c.reply.integer(list.length);
}

function lpushCommand(c: Client, argv: string[]): void {
  pushGeneric(c, argv, HEAD, false);
}
function rpushCommand(c: Client, argv: string[]): void {
  pushGeneric(c, argv, TAIL, false);
}
function lpushxCommand(c: Client, argv: string[]): void {
  pushGeneric(c, argv, HEAD, true);
}
function rpushxCommand(c: Client, argv: string[]): void {
  pushGeneric(c, argv, TAIL, true);
}

// ─── pop ──────────────────────────────────────────────────────────────────────────────────────────────

function popGeneric(c: Client, argv: string[], where: Where): void {
  const key = argv[1];
  if (argv.length > 3) {
    c.reply.error(`ERR wrong number of arguments for '${argv[0].toLowerCase()}' command`);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const n = getPositiveLongOrReply(c, argv[2]);
    if (n === null) return;
    count = n;
  }
  const list = listForWrite(c, key);
  if (list === null) return;
  if (list === undefined) {
    if (count === -1) c.reply.nullBulk();
    else c.reply.nullArray();
    return;
  }
  if (count === 0) {
    c.reply.arrayHeader(0);
    return;
  }
  if (count === -1) {
    const v = where === HEAD ? list.popFront() : list.popBack();
    c.reply.bulk(v as string);
    elementsRemoved(c, key, where, list, 1);
    return;
  }
  const n = Math.min(count, list.length);
  c.reply.arrayHeader(n);
  for (let i = 0; i < n; i++) c.reply.bulk((where === HEAD ? list.popFront() : list.popBack()) as string);
  elementsRemoved(c, key, where, list, n);
}

function lpopCommand(c: Client, argv: string[]): void {
  popGeneric(c, argv, HEAD);
}
function rpopCommand(c: Client, argv: string[]): void {
  popGeneric(c, argv, TAIL);
}

/**
 * Pops up to `count` elements and replies [key, [elements]] (LMPOP, BLMPOP); the caller propagates. Returns
 * how many were popped.
 */
function popRangeWithKey(c: Client, key: string, list: RedisList, where: Where, count: number): number {
  const n = Math.min(count, list.length);
  c.reply.arrayHeader(2);
  c.reply.bulk(key);
  c.reply.arrayHeader(n);
  for (let i = 0; i < n; i++) c.reply.bulk((where === HEAD ? list.popFront() : list.popBack()) as string);
  elementsRemoved(c, key, where, list, n);
  return n;
}

// ─── reads ────────────────────────────────────────────────────────────────────────────────────────────

function llenCommand(c: Client, argv: string[]): void {
  const list = listForRead(c, argv[1]);
  if (list === null) return;
  c.reply.integer(list === undefined ? 0 : list.length);
}

function lindexCommand(c: Client, argv: string[]): void {
  const list = listForRead(c, argv[1]);
  if (list === null) return;
  if (list === undefined) {
    c.reply.nullBulk();
    return;
  }
  let index = getLongLongOrReply(c, argv[2]);
  if (index === null) return;
  if (index < 0) index += list.length;
  const v = list.at(index);
  if (v === undefined) c.reply.nullBulk();
  else c.reply.bulk(v);
}

function lrangeCommand(c: Client, argv: string[]): void {
  let start = getLongLongOrReply(c, argv[2]);
  if (start === null) return;
  let end = getLongLongOrReply(c, argv[3]);
  if (end === null) return;
  const list = listForRead(c, argv[1]);
  if (list === null) return;
  if (list === undefined) {
    c.reply.arrayHeader(0);
    return;
  }
  const len = list.length;
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) {
    c.reply.arrayHeader(0);
    return;
  }
  if (end >= len) end = len - 1;
  // One string for the whole reply: far fewer writer calls than one bulk() per element (LRANGE is hot).
  let out = "*" + (end - start + 1) + "\r\n";
  for (let i = start; i <= end; i++) {
    const v = list.at(i) as string;
    out += "$" + v.length + "\r\n" + v + "\r\n";
  }
  c.reply.raw(out);
}

/**
 * LPOS key element [RANK rank] [COUNT num] [MAXLEN len]. A negative rank scans from the tail; indexes are
 * always reported from the head.
 */
function lposCommand(c: Client, argv: string[]): void {
  const element = argv[2];
  let rank = 1;
  let rankIsLongMin = false;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const moreArgs = argv.length - 1 - j;
    if (opt === "rank" && moreArgs) {
      // Exact: LLONG_MIN behaves unlike every other rank (below).
      const r = getExactLongLongOrReply(c, argv[++j]);
      if (r === null) return;
      if (r === 0) {
        c.reply.error(
          "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
        );
        return;
      }
      rankIsLongMin = r === LONG_MIN;
      rank = Number(r);
    } else if (opt === "count" && moreArgs) {
      const n = getPositiveLongOrReply(c, argv[++j], "ERR COUNT can't be negative");
      if (n === null) return;
      count = n;
    } else if (opt === "maxlen" && moreArgs) {
      const n = getPositiveLongOrReply(c, argv[++j], "ERR MAXLEN can't be negative");
      if (n === null) return;
      maxlen = n;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const fromTail = rank < 0;
  // Redis negates a C long: LLONG_MIN stays negative, so every match satisfies `matches >= rank`.
  if (fromTail) rank = rankIsLongMin ? 1 : -rank;
  const list = listForRead(c, argv[1]);
  if (list === null) return;
  if (list === undefined) {
    if (count !== -1) c.reply.arrayHeader(0);
    else c.reply.nullBulk();
    return;
  }
  const len = list.length;
  const found: number[] = [];
  let matches = 0;
  for (let index = 0; index < len && (maxlen === 0 || index < maxlen); index++) {
    const pos = fromTail ? len - 1 - index : index;
    if (list.at(pos) !== element) continue;
    matches++;
    if (matches < rank) continue;
    found.push(pos);
    if (count === -1 || (count !== 0 && matches - rank + 1 >= count)) break;
  }
  if (count !== -1) {
    c.reply.arrayHeader(found.length);
    for (const i of found) c.reply.integer(i);
  } else if (found.length === 0) {
    c.reply.nullBulk();
  } else {
    c.reply.integer(found[0]);
  }
}

// ─── in-place edits ───────────────────────────────────────────────────────────────────────────────────

function lsetCommand(c: Client, argv: string[]): void {
  const list = listForWrite(c, argv[1]);
  if (list === null) return;
  if (list === undefined) {
    c.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  const index = getLongLongOrReply(c, argv[2]);
  if (index === null) return;
  const i = index < 0 ? index + list.length : index;
  if (i < 0 || i >= list.length) {
    c.reply.error(ERR_OUT_OF_RANGE);
    return;
  }
  list.set(i, argv[3]);
  modified(c, argv[1], Notify.LIST, "lset");
  c.reply.ok();
}

function linsertCommand(c: Client, argv: string[]): void {
  const how = argv[2].toLowerCase();
  let after: boolean;
  if (how === "after") after = true;
  else if (how === "before") after = false;
  else {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const list = listForWrite(c, argv[1]);
  if (list === null) return;
  if (list === undefined) {
    c.reply.integer(0);
    return;
  }
  const items = list.toArray();
  const at = items.indexOf(argv[3]);
  if (at < 0) {
    c.reply.integer(-1);
    return;
  }
  items.splice(after ? at + 1 : at, 0, argv[4]);
  list.replaceAll(items);
  modified(c, argv[1], Notify.LIST, "linsert");
  c.reply.integer(list.length);
}

function lremCommand(c: Client, argv: string[]): void {
  const toRemove = getLongLongOrReply(c, argv[2]);
  if (toRemove === null) return;
  const key = argv[1];
  const list = listForWrite(c, key);
  if (list === null) return;
  if (list === undefined) {
    c.reply.integer(0);
    return;
  }
  const element = argv[3];
  const items = list.toArray();
  let removed = 0;
  if (toRemove < 0) {
    const limit = -toRemove;
    for (let i = items.length - 1; i >= 0 && removed < limit; i--) {
      if (items[i] === element) {
        items.splice(i, 1);
        removed++;
      }
    }
  } else {
    const kept: string[] = [];
    for (const v of items) {
      if (v === element && (toRemove === 0 || removed < toRemove)) removed++;
      else kept.push(v);
    }
    items.length = 0;
    for (const v of kept) items.push(v);
  }
  if (removed > 0) {
    list.replaceAll(items);
    c.server.notifyKeyspaceEvent(Notify.LIST, "lrem", key, c.db.id);
    if (list.length === 0) {
      c.db.delete(key);
      c.server.notifyKeyspaceEvent(Notify.GENERIC, "del", key, c.db.id);
    }
    c.server.signalModifiedKey(c.db, key);
    c.server.dirty += removed;
  }
  c.reply.integer(removed);
}

function ltrimCommand(c: Client, argv: string[]): void {
  let start = getLongLongOrReply(c, argv[2]);
  if (start === null) return;
  let end = getLongLongOrReply(c, argv[3]);
  if (end === null) return;
  const key = argv[1];
  const list = listForWrite(c, key);
  if (list === null) return;
  if (list === undefined) {
    c.reply.ok();
    return;
  }
  const len = list.length;
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  let ltrim: number;
  let rtrim: number;
  if (start > end || start >= len) {
    ltrim = len; // everything goes
    rtrim = 0;
  } else {
    if (end >= len) end = len - 1;
    ltrim = start;
    rtrim = len - end - 1;
  }
  for (let i = 0; i < ltrim; i++) list.popFront();
  for (let i = 0; i < rtrim; i++) list.popBack();
  c.server.notifyKeyspaceEvent(Notify.LIST, "ltrim", key, c.db.id);
  if (list.length === 0) {
    c.db.delete(key);
    c.server.notifyKeyspaceEvent(Notify.GENERIC, "del", key, c.db.id);
  }
  c.server.signalModifiedKey(c.db, key);
  c.server.dirty += ltrim + rtrim;
  c.reply.ok();
}

// ─── LMOVE / RPOPLPUSH ────────────────────────────────────────────────────────────────────────────────

const WHERE_NAME = ["LEFT", "RIGHT"] as const;
/** Redis's shared.left / shared.right, which a served BLMOVE's propagated LMOVE carries: lowercase. */
const WHERE_SHARED = ["left", "right"] as const;

/**
 * Moves one element from `src` (a non-empty list) to `dst`, replies it, and fires Redis's events in its
 * order (push on the destination, then pop on the source). Returns false after replying WRONGTYPE when the
 * destination holds another type (nothing moved).
 */
function moveOne(c: Client, srcKey: string, src: RedisList, dstKey: string, from: Where, to: Where): boolean {
  const dv = c.db.lookupKeyWrite(dstKey);
  if (dv !== undefined && !isList(dv)) {
    c.reply.error(ERR_WRONGTYPE);
    return false;
  }
  const value = (from === HEAD ? src.popFront() : src.popBack()) as string;
  pushInto(c, c.db, dstKey, dv, value, to);
  c.server.signalModifiedKey(c.db, dstKey);
  c.server.notifyKeyspaceEvent(Notify.LIST, to === HEAD ? "lpush" : "rpush", dstKey, c.db.id);
  c.reply.bulk(value);
  c.server.notifyKeyspaceEvent(Notify.LIST, from === HEAD ? "lpop" : "rpop", srcKey, c.db.id);
  if (src.length === 0) {
    c.db.delete(srcKey);
    c.server.notifyKeyspaceEvent(Notify.GENERIC, "del", srcKey, c.db.id);
  }
  c.server.signalModifiedKey(c.db, srcKey);
  c.server.dirty++;
  return true;
}

function lmoveGeneric(c: Client, argv: string[], from: Where, to: Where): void {
  const src = listForWrite(c, argv[1]);
  if (src === null) return;
  if (src === undefined) {
    c.reply.nullBulk();
    return;
  }
  moveOne(c, argv[1], src, argv[2], from, to);
}

function lmoveCommand(c: Client, argv: string[]): void {
  const from = whereArg(c, argv[3]);
  if (from === null) return;
  const to = whereArg(c, argv[4]);
  if (to === null) return;
  lmoveGeneric(c, argv, from, to);
}

function rpoplpushCommand(c: Client, argv: string[]): void {
  lmoveGeneric(c, argv, TAIL, HEAD);
}

// ─── LMPOP ────────────────────────────────────────────────────────────────────────────────────────────

interface MpopArgs {
  keys: string[];
  where: Where;
  count: number;
}

/** Parses `numkeys key... LEFT|RIGHT [COUNT n]` starting at argv[at] (Redis's mpopGenericCommand). */
function parseMpop(c: Client, argv: string[], at: number): MpopArgs | null {
  const numkeys = getRangeLongOrReply(c, argv[at], 1, LONG_MAX, ERR_NUMKEYS_NOT_POSITIVE);
  if (numkeys === null) return null;
  const whereIdx = at + numkeys + 1;
  if (whereIdx >= argv.length) {
    c.reply.error(ERR_SYNTAX);
    return null;
  }
  const where = whereArg(c, argv[whereIdx]);
  if (where === null) return null;
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const moreArgs = argv.length - 1 - j;
    if (count === -1 && argv[j].toLowerCase() === "count" && moreArgs) {
      const n = getRangeLongOrReply(c, argv[++j], 1, LONG_MAX, ERR_COUNT_NOT_POSITIVE);
      if (n === null) return null;
      count = n;
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return { keys: argv.slice(at + 1, whereIdx), where, count: count === -1 ? 1 : count };
}

function lmpopCommand(c: Client, argv: string[]): void {
  const args = parseMpop(c, argv, 1);
  if (args === null) return;
  for (const key of args.keys) {
    const list = listForWrite(c, key);
    if (list === null) return;
    if (list === undefined) continue;
    const n = popRangeWithKey(c, key, list, args.where, args.count);
    rewriteCommandVector(c, [args.where === HEAD ? "LPOP" : "RPOP", key, String(n)]);
    return;
  }
  c.reply.nullArray();
}

// ─── blocking pops ────────────────────────────────────────────────────────────────────────────────────

/** What a client blocked in BLPOP/BRPOP/BLMPOP waits to do; `count` is -1 for the single-element forms. */
interface BlockedPop {
  where: Where;
  count: number;
}

interface BlockedMove {
  dst: string;
  from: Where;
  to: Where;
  /** BRPOPLPUSH propagates as RPOPLPUSH, BLMOVE as LMOVE. */
  legacy: boolean;
}

/** Serves a client blocked in BLPOP/BRPOP/BLMPOP from a ready key (Redis's serveClientBlockedOnList). */
function serveBlockedPop(c: Client, key: string, data: unknown): boolean {
  const list = c.db.lookupKeyWrite(key);
  if (!isList(list)) return false;
  const { where, count } = data as BlockedPop;
  const op = where === HEAD ? "LPOP" : "RPOP";
  if (count === -1) {
    const v = (where === HEAD ? list.popFront() : list.popBack()) as string;
    c.reply.arrayHeader(2);
    c.reply.bulk(key);
    c.reply.bulk(v);
    elementsRemoved(c, key, where, list, 1);
    c.server.propagator.add(c.db.id, [op, key]);
  } else {
    const n = popRangeWithKey(c, key, list, where, count);
    c.server.propagator.add(c.db.id, [op, key, String(n)]);
  }
  return true;
}

/** Serves a client blocked in BLMOVE/BRPOPLPUSH; a destination of another type ends it with WRONGTYPE. */
function serveBlockedMove(c: Client, key: string, data: unknown): boolean {
  const src = c.db.lookupKeyWrite(key);
  if (!isList(src)) return false;
  const m = data as BlockedMove;
  if (moveOne(c, key, src, m.dst, m.from, m.to)) {
    c.server.propagator.add(
      c.db.id,
      m.legacy ? ["RPOPLPUSH", key, m.dst] : ["LMOVE", key, m.dst, WHERE_SHARED[m.from], WHERE_SHARED[m.to]],
    );
  }
  return true;
}

/** BLPOP/BRPOP/BLMPOP once the arguments are parsed (Redis's blockingPopGenericCommand). */
function blockingPop(c: Client, keys: string[], where: Where, deadline: number, count: number): void {
  for (const key of keys) {
    const list = listForWrite(c, key);
    if (list === null) return;
    if (list === undefined) continue;
    if (count !== -1) {
      const n = popRangeWithKey(c, key, list, where, count);
      rewriteCommandVector(c, [where === HEAD ? "LPOP" : "RPOP", key, String(n)]);
      return;
    }
    const v = (where === HEAD ? list.popFront() : list.popBack()) as string;
    c.reply.arrayHeader(2);
    c.reply.bulk(key);
    c.reply.bulk(v);
    elementsRemoved(c, key, where, list, 1);
    rewriteCommandVector(c, [where === HEAD ? "LPOP" : "RPOP", key]);
    return;
  }
  if (blockingDenied(c)) {
    c.reply.nullArray();
    return;
  }
  const data: BlockedPop = { where, count };
  c.server.blocking.blockForKeys(c, "list", keys, deadline, serveBlockedPop, data);
}

function blpopCommand(c: Client, argv: string[]): void {
  const deadline = getTimeoutOrReply(c, argv[argv.length - 1], UNIT_SECONDS);
  if (deadline === null) return;
  blockingPop(c, argv.slice(1, -1), HEAD, deadline, -1);
}

function brpopCommand(c: Client, argv: string[]): void {
  const deadline = getTimeoutOrReply(c, argv[argv.length - 1], UNIT_SECONDS);
  if (deadline === null) return;
  blockingPop(c, argv.slice(1, -1), TAIL, deadline, -1);
}

function blmpopCommand(c: Client, argv: string[]): void {
  const deadline = getTimeoutOrReply(c, argv[1], UNIT_SECONDS);
  if (deadline === null) return;
  const args = parseMpop(c, argv, 2);
  if (args === null) return;
  blockingPop(c, args.keys, args.where, deadline, args.count);
}

function blmoveGeneric(c: Client, argv: string[], from: Where, to: Where, deadline: number, legacy: boolean) {
  const src = listForWrite(c, argv[1]);
  if (src === null) return;
  if (src !== undefined) {
    if (moveOne(c, argv[1], src, argv[2], from, to)) {
      rewriteCommandVector(
        c,
        legacy
          ? ["RPOPLPUSH", argv[1], argv[2]]
          : ["LMOVE", argv[1], argv[2], WHERE_NAME[from], WHERE_NAME[to]],
      );
    }
    return;
  }
  if (blockingDenied(c)) {
    c.reply.nullBulk();
    return;
  }
  const data: BlockedMove = { dst: argv[2], from, to, legacy };
  c.server.blocking.blockForKeys(c, "list", [argv[1]], deadline, serveBlockedMove, data);
}

function blmoveCommand(c: Client, argv: string[]): void {
  const from = whereArg(c, argv[3]);
  if (from === null) return;
  const to = whereArg(c, argv[4]);
  if (to === null) return;
  const deadline = getTimeoutOrReply(c, argv[5], UNIT_SECONDS);
  if (deadline === null) return;
  blmoveGeneric(c, argv, from, to, deadline, false);
}

function brpoplpushCommand(c: Client, argv: string[]): void {
  const deadline = getTimeoutOrReply(c, argv[3], UNIT_SECONDS);
  if (deadline === null) return;
  blmoveGeneric(c, argv, TAIL, HEAD, deadline, true);
}

export const listCommands: CommandDef[] = [
  { name: "lpush", handler: lpushCommand },
  { name: "rpush", handler: rpushCommand },
  { name: "lpushx", handler: lpushxCommand },
  { name: "rpushx", handler: rpushxCommand },
  { name: "lpop", handler: lpopCommand },
  { name: "rpop", handler: rpopCommand },
  { name: "llen", handler: llenCommand },
  { name: "lindex", handler: lindexCommand },
  { name: "lrange", handler: lrangeCommand },
  { name: "lpos", handler: lposCommand },
  { name: "lset", handler: lsetCommand },
  { name: "linsert", handler: linsertCommand },
  { name: "lrem", handler: lremCommand },
  { name: "ltrim", handler: ltrimCommand },
  { name: "lmove", handler: lmoveCommand },
  { name: "rpoplpush", handler: rpoplpushCommand },
  { name: "lmpop", handler: lmpopCommand },
  { name: "blpop", handler: blpopCommand },
  { name: "brpop", handler: brpopCommand },
  { name: "blmpop", handler: blmpopCommand },
  { name: "blmove", handler: blmoveCommand },
  { name: "brpoplpush", handler: brpoplpushCommand },
];
