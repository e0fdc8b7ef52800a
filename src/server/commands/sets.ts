import { globMatch } from "../../command-table/glob-match.js";
import { CursorRegistry } from "../../store/cursor-registry.js";
import { RedisSet, type RedisValue } from "../../store/redis-value.js";
import { getPositiveLongOrReply, getRangeLongOrReply, LONG_MAX } from "../arguments.js";
import { type Client, ClientFlag } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import {
  ERR_LIMIT_NEGATIVE,
  ERR_NUMKEYS_NOT_POSITIVE,
  ERR_NUMKEYS_TOO_MANY,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
} from "../shared-replies.js";
import { lookupRead, modified, rewriteCommandVector } from "./helpers.js";
import { replyScanPage, startKeyScan } from "./scan-args.js";

/**
 * The set family, following Redis 7.0's t_set.c: argument checks in the same order, the same reply types
 * (sets are RESP3 `~` where Redis uses addReplySetLen, arrays where it uses arrays), the same events, and
 * the same propagation (SPOP as SREM or DEL). An emptied set is deleted.
 */

/** SPOP with a count propagates its removals as SREM commands of at most this many members (Redis's). */
const SPOP_MOVE_BATCH = 1024;
/** SPOP_MOVE_STRATEGY_MUL: SPOP with a count rebuilds the set when count >= remaining members × this. */
const SPOP_MOVE_STRATEGY_MUL = 5;

const isSet = (v: RedisValue): v is RedisSet => v instanceof Set;

function setForRead(c: Client, key: string): RedisSet | undefined | null {
  const v = lookupRead(c, key);
  if (v === undefined || isSet(v)) return v;
  c.reply.error(ERR_WRONGTYPE);
  return null;
}

function setForWrite(c: Client, key: string): RedisSet | undefined | null {
  const v = c.db.lookupKeyWrite(key);
  if (v === undefined || isSet(v)) return v;
  c.reply.error(ERR_WRONGTYPE);
  return null;
}

/** Deletes the key of a set that became empty, with Redis's "del" event. */
function deleteIfEmpty(c: Client, key: string, s: RedisSet): void {
  if (s.size !== 0) return;
  c.db.delete(key);
  c.server.notifyKeyspaceEvent(Notify.GENERIC, "del", key, c.db.id);
}

/** A member at a uniformly random position (a walk: Sets have no random access). */
function randomMember(s: RedisSet): string {
  let i = Math.floor(Math.random() * s.size);
  for (const m of s) if (i-- === 0) return m;
  throw new Error("unreachable: empty set");
}

/** `count` distinct random members (count < size): a partial Fisher-Yates shuffle. */
function randomDistinct(s: RedisSet, count: number): string[] {
  const all = [...s];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (all.length - i));
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  all.length = count;
  return all;
}

function replySet(c: Client, members: Iterable<string>, size: number): void {
  c.reply.setHeader(size);
  for (const m of members) c.reply.bulk(m);
}

// ─── single-set commands ──────────────────────────────────────────────────────────────────────────────

function saddCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  let s = setForWrite(c, key);
  if (s === null) return;
  if (s === undefined) {
    s = new RedisSet();
    c.db.setKey(key, s);
  }
  let added = 0;
  for (let i = 2; i < argv.length; i++) {
    const before = s.size;
    s.add(argv[i]);
    if (s.size !== before) added++;
  }
  if (added > 0) modified(c, key, Notify.SET, "sadd", added);
  c.reply.integer(added);
}

function sremCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const s = setForWrite(c, key);
  if (s === null) return;
  if (s === undefined) {
    c.reply.integer(0);
    return;
  }
  let removed = 0;
  for (let i = 2; i < argv.length; i++) {
    if (s.delete(argv[i])) removed++;
    if (s.size === 0) break;
  }
  if (removed > 0) {
    modified(c, key, Notify.SET, "srem", removed);
    deleteIfEmpty(c, key, s);
  }
  c.reply.integer(removed);
}

function sismemberCommand(c: Client, argv: string[]): void {
  const s = setForRead(c, argv[1]);
  if (s === null) return;
  c.reply.integer(s?.has(argv[2]) ? 1 : 0);
}

function smismemberCommand(c: Client, argv: string[]): void {
  const s = setForRead(c, argv[1]);
  if (s === null) return;
  c.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.reply.integer(s?.has(argv[i]) ? 1 : 0);
}

function scardCommand(c: Client, argv: string[]): void {
  const s = setForRead(c, argv[1]);
  if (s === null) return;
  c.reply.integer(s === undefined ? 0 : s.size);
}

function smembersCommand(c: Client, argv: string[]): void {
  const s = setForRead(c, argv[1]);
  if (s === null) return;
  if (s === undefined) c.reply.setHeader(0);
  else replySet(c, s, s.size);
}

// ─── SPOP / SRANDMEMBER ───────────────────────────────────────────────────────────────────────────────

function spopCommand(c: Client, argv: string[]): void {
  if (argv.length === 3) {
    spopWithCount(c, argv);
    return;
  }
  if (argv.length > 3) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const key = argv[1];
  const s = setForWrite(c, key);
  if (s === null) return;
  if (s === undefined) {
    c.reply.nullBulk();
    return;
  }
  const m = randomMember(s);
  s.delete(m);
  c.server.notifyKeyspaceEvent(Notify.SET, "spop", key, c.db.id);
  rewriteCommandVector(c, ["SREM", key, m]);
  c.reply.bulk(m);
  deleteIfEmpty(c, key, s);
  c.server.signalModifiedKey(c.db, key);
  c.server.dirty++;
}

/** SPOP key count: removals replicate as SREM batches, or as DEL when the whole set goes. */
function spopWithCount(c: Client, argv: string[]): void {
  const count = getPositiveLongOrReply(c, argv[2]);
  if (count === null) return;
  const key = argv[1];
  const s = setForWrite(c, key);
  if (s === null) return;
  if (s === undefined || count === 0) {
    c.reply.setHeader(0);
    return;
  }
  const size = s.size;
  c.server.notifyKeyspaceEvent(Notify.SET, "spop", key, c.db.id);
  if (count >= size) {
    replySet(c, s, size);
    c.db.delete(key);
    c.server.notifyKeyspaceEvent(Notify.GENERIC, "del", key, c.db.id);
    rewriteCommandVector(c, ["DEL", key]);
  } else {
    const picked = randomDistinct(s, count);
    for (const m of picked) s.delete(m);
    // Redis pops few members one by one, but when few remain it rebuilds the set from them (SPOP's
    // "case 3", remaining * 5 <= count), whose encoding then follows their content alone.
    if ((size - count) * SPOP_MOVE_STRATEGY_MUL <= count) s.resetEncoding();
    replySet(c, picked, count);
    for (let i = 0; i < picked.length; i += SPOP_MOVE_BATCH) {
      c.server.propagator.add(c.db.id, ["SREM", key, ...picked.slice(i, i + SPOP_MOVE_BATCH)]);
    }
    c.flags |= ClientFlag.PREVENT_PROP;
  }
  c.server.signalModifiedKey(c.db, key);
  c.server.dirty++;
}

function srandmemberCommand(c: Client, argv: string[]): void {
  if (argv.length === 3) {
    srandmemberWithCount(c, argv);
    return;
  }
  if (argv.length > 3) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const s = setForRead(c, argv[1]);
  if (s === null) return;
  if (s === undefined) c.reply.nullBulk();
  else c.reply.bulk(randomMember(s));
}

/** SRANDMEMBER key count: distinct members for a positive count, repetitions allowed for a negative one. */
function srandmemberWithCount(c: Client, argv: string[]): void {
  const l = getRangeLongOrReply(c, argv[2], -LONG_MAX, LONG_MAX);
  if (l === null) return;
  const s = setForRead(c, argv[1]);
  if (s === null) return;
  const count = Math.abs(l);
  if (s === undefined || count === 0) {
    c.reply.arrayHeader(0);
    return;
  }
  if (l < 0 || count === 1) {
    const all = [...s];
    c.reply.arrayHeader(count);
    for (let i = 0; i < count; i++) c.reply.bulk(all[Math.floor(Math.random() * all.length)]);
    return;
  }
  if (count >= s.size) {
    c.reply.arrayHeader(s.size);
    for (const m of s) c.reply.bulk(m);
    return;
  }
  c.reply.bulkArray(randomDistinct(s, count));
}

// ─── SMOVE ────────────────────────────────────────────────────────────────────────────────────────────

function smoveCommand(c: Client, argv: string[]): void {
  const [, srcKey, dstKey, member] = argv;
  const src = c.db.lookupKeyWrite(srcKey);
  const dst = c.db.lookupKeyWrite(dstKey);
  if (src === undefined) {
    c.reply.integer(0);
    return;
  }
  if (!isSet(src) || (dst !== undefined && !isSet(dst))) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  if (src === dst) {
    c.reply.integer(src.has(member) ? 1 : 0);
    return;
  }
  if (!src.delete(member)) {
    c.reply.integer(0);
    return;
  }
  c.server.notifyKeyspaceEvent(Notify.SET, "srem", srcKey, c.db.id);
  deleteIfEmpty(c, srcKey, src);
  let target = dst;
  if (target === undefined) {
    target = new RedisSet();
    c.db.setKey(dstKey, target);
  }
  c.server.signalModifiedKey(c.db, srcKey);
  c.server.dirty++;
  if (!target.has(member)) {
    target.add(member);
    modified(c, dstKey, Notify.SET, "sadd");
  }
  c.reply.integer(1);
}

// ─── SINTER / SINTERCARD / SINTERSTORE ───────────────────────────────────────────────────────────────

/**
 * Looks up the sets of an algebra command: every key is type-checked (a missing one counts as empty),
 * exactly as Redis loops over all of them before computing. Null after replying WRONGTYPE.
 */
function lookupSets(c: Client, keys: readonly string[], forWrite: boolean): (RedisSet | undefined)[] | null {
  const out: (RedisSet | undefined)[] = [];
  for (const k of keys) {
    const v = forWrite ? c.db.lookupKeyWrite(k) : lookupRead(c, k);
    if (v !== undefined && !isSet(v)) {
      c.reply.error(ERR_WRONGTYPE);
      return null;
    }
    out.push(v);
  }
  return out;
}

/** Intersection of the given sets (all present), smallest first; stops at `limit` members when > 0. */
function intersect(sets: RedisSet[], limit: number): string[] {
  const sorted = sets.slice().sort((a, b) => a.size - b.size);
  const out: string[] = [];
  outer: for (const m of sorted[0]) {
    for (let i = 1; i < sorted.length; i++) if (!sorted[i].has(m)) continue outer;
    out.push(m);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

/** Stores a computed set at dst (replacing anything, TTL cleared) or deletes dst when empty; replies the size. */
function storeResult(c: Client, dst: string, members: Iterable<string>, event: string): void {
  const result = RedisSet.from(members);
  if (result.size > 0) {
    c.db.lookupKeyWrite(dst);
    c.db.setKey(dst, result);
    modified(c, dst, Notify.SET, event);
    c.reply.integer(result.size);
    return;
  }
  if (c.db.delete(dst)) {
    modified(c, dst, Notify.GENERIC, "del");
  }
  c.reply.integer(0);
}

function sinterGeneric(
  c: Client,
  keys: string[],
  dst: string | null,
  cardOnly: boolean,
  limit: number,
): void {
  const sets = lookupSets(c, keys, dst !== null);
  if (sets === null) return;
  const present = sets.filter((s): s is RedisSet => s !== undefined);
  const result = present.length < sets.length ? [] : intersect(present, cardOnly ? limit : 0);
  if (dst !== null) storeResult(c, dst, result, "sinterstore");
  else if (cardOnly) c.reply.integer(result.length);
  else replySet(c, result, result.length);
}

function sinterCommand(c: Client, argv: string[]): void {
  sinterGeneric(c, argv.slice(1), null, false, 0);
}

function sinterstoreCommand(c: Client, argv: string[]): void {
  sinterGeneric(c, argv.slice(2), argv[1], false, 0);
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit]. */
function sintercardCommand(c: Client, argv: string[]): void {
  const numkeys = getRangeLongOrReply(c, argv[1], 1, LONG_MAX, ERR_NUMKEYS_NOT_POSITIVE);
  if (numkeys === null) return;
  if (numkeys > argv.length - 2) {
    c.reply.error(ERR_NUMKEYS_TOO_MANY);
    return;
  }
  let limit = 0;
  for (let j = 2 + numkeys; j < argv.length; j++) {
    const moreArgs = argv.length - 1 - j;
    if (argv[j].toLowerCase() === "limit" && moreArgs) {
      const n = getPositiveLongOrReply(c, argv[++j], ERR_LIMIT_NEGATIVE);
      if (n === null) return;
      limit = n;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  sinterGeneric(c, argv.slice(2, 2 + numkeys), null, true, limit);
}

// ─── SUNION / SDIFF (and STORE) ──────────────────────────────────────────────────────────────────────

function sunionDiffGeneric(c: Client, keys: string[], dst: string | null, diff: boolean): void {
  const sets = lookupSets(c, keys, dst !== null);
  if (sets === null) return;
  let result: RedisSet;
  if (!diff) {
    result = new RedisSet();
    for (const s of sets) if (s !== undefined) for (const m of s) result.add(m);
  } else {
    result = new RedisSet();
    const first = sets[0];
    if (first !== undefined) {
      outer: for (const m of first) {
        for (let i = 1; i < sets.length; i++) if (sets[i]?.has(m)) continue outer;
        result.add(m);
      }
    }
  }
  if (dst !== null) storeResult(c, dst, result, diff ? "sdiffstore" : "sunionstore");
  else replySet(c, result, result.size);
}

function sunionCommand(c: Client, argv: string[]): void {
  sunionDiffGeneric(c, argv.slice(1), null, false);
}
function sunionstoreCommand(c: Client, argv: string[]): void {
  sunionDiffGeneric(c, argv.slice(2), argv[1], false);
}
function sdiffCommand(c: Client, argv: string[]): void {
  sunionDiffGeneric(c, argv.slice(1), null, true);
}
function sdiffstoreCommand(c: Client, argv: string[]): void {
  sunionDiffGeneric(c, argv.slice(2), argv[1], true);
}

// ─── SSCAN ────────────────────────────────────────────────────────────────────────────────────────────

const sscanCursors = new CursorRegistry<string>();

/**
 * SSCAN key cursor [MATCH pattern] [COUNT count]: a parked Set iterator per cursor, COUNT members visited
 * per call; a set smaller than COUNT comes back whole with cursor 0, as from redis-server.
 */
function sscanCommand(c: Client, argv: string[]): void {
  const scan = startKeyScan(c, argv, setForRead);
  if (scan === null) return;
  const { value: s, cursor, count, pattern } = scan;
  const out: string[] = [];
  let next = 0;
  const parked = cursor === 0 ? undefined : sscanCursors.take(s, cursor);
  if (cursor === 0 || parked !== undefined) {
    // Walk with one member of look-ahead, so a walk that has exactly `count` members left ends with
    // cursor 0 instead of one more empty page; the look-ahead is parked with the iterator.
    let rest: Iterator<string>;
    let pending: IteratorResult<string>;
    if (parked instanceof LookAhead) {
      rest = parked.rest;
      pending = parked.head;
    } else {
      rest = s.values();
      pending = rest.next();
    }
    for (let seen = 0; seen < count && !pending.done; seen++) {
      const m = pending.value;
      if (pattern === null || globMatch(pattern, m)) out.push(m);
      pending = rest.next();
    }
    if (!pending.done) next = sscanCursors.park(s, new LookAhead(pending, rest));
  }
  replyScanPage(c, next, out);
}

/** A parked SSCAN walk: the member already read ahead, then the rest of the Set's iterator. */
class LookAhead implements Iterator<string> {
  constructor(
    public head: IteratorResult<string>,
    readonly rest: Iterator<string>,
  ) {}

  next(): IteratorResult<string> {
    if (this.head.done) return this.rest.next();
    const h = this.head;
    this.head = { done: true, value: undefined };
    return h;
  }
}

export const setCommands: CommandDef[] = [
  { name: "sadd", handler: saddCommand },
  { name: "srem", handler: sremCommand },
  { name: "sismember", handler: sismemberCommand },
  { name: "smismember", handler: smismemberCommand },
  { name: "scard", handler: scardCommand },
  { name: "smembers", handler: smembersCommand },
  { name: "spop", handler: spopCommand },
  { name: "srandmember", handler: srandmemberCommand },
  { name: "smove", handler: smoveCommand },
  { name: "sinter", handler: sinterCommand },
  { name: "sinterstore", handler: sinterstoreCommand },
  { name: "sintercard", handler: sintercardCommand },
  { name: "sunion", handler: sunionCommand },
  { name: "sunionstore", handler: sunionstoreCommand },
  { name: "sdiff", handler: sdiffCommand },
  { name: "sdiffstore", handler: sdiffstoreCommand },
  { name: "sscan", handler: sscanCommand },
];
