import { globMatch } from "../../command-table/glob-match.js";
import { cloneValue } from "../../store/clone-value.js";
import { CursorRegistry } from "../../store/cursor-registry.js";
import type { Database } from "../../store/database.js";
import { typeName } from "../../store/redis-value.js";
import { eqi, getExactLongLongOrReply, getIntOrReply, INT64_MAX, INT64_MIN } from "../arguments.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import { ERR_DB_INDEX, ERR_NO_SUCH_KEY, ERR_SAME_OBJECT, ERR_SYNTAX } from "../shared-replies.js";
import { lookupRead, lookupReadNoTouch, modified, rewriteCommandVector } from "./helpers.js";
import { parseScanCursor, parseScanOptions, replyScanPage, walkParked } from "./scan-args.js";

/**
 * Command family: the generic keyspace commands (db.c and expire.c in Redis). They work on any value
 * type; type-specific work lives in the other families.
 */

// ─── shared helpers ──────────────────────────────────────────────────────────────────────────────────────

/** The database with index `id`, or undefined when out of range (selectDb failing). */
function dbById(c: Client, id: number): Database | undefined {
  const dbs = c.server.keyspace.dbs;
  return id >= 0 && id < dbs.length ? dbs[id] : undefined;
}

/**
 * Redis's checkAlreadyExpired: an absolute time at or before now deletes the key instead of setting a
 * TTL — except on a replica (it waits for its master's DEL) and while loading a dataset.
 */
function alreadyExpired(c: Client, whenMs: bigint): boolean {
  return whenMs <= BigInt(Date.now()) && !c.server.loading && !c.server.keyspace.isReplica;
}

// ─── DEL / UNLINK / EXISTS / TYPE / TOUCH ────────────────────────────────────────────────────────────────

/** DEL and UNLINK: values are freed by the garbage collector either way, so both delete at once. */
function delCommand(c: Client, argv: string[]): void {
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    if (c.db.delete(argv[i])) {
      modified(c, argv[i], Notify.GENERIC, "del");
      deleted++;
    }
  }
  c.reply.integer(deleted);
}

/** EXISTS counts every argument, so a key named twice counts twice. Not an access (LOOKUP_NOTOUCH). */
function existsCommand(c: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (lookupReadNoTouch(c, argv[i]) !== undefined) n++;
  c.reply.integer(n);
}

function typeCommand(c: Client, argv: string[]): void {
  const v = lookupReadNoTouch(c, argv[1]);
  c.reply.simple(v === undefined ? "none" : typeName(v));
}

/** TOUCH: an access to each existing key (its idle time restarts, its LFU counter counts it). */
function touchCommand(c: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (lookupRead(c, argv[i]) !== undefined) n++;
  c.reply.integer(n);
}

/** What a key's value carries besides its content when it moves to another name (RENAME, MOVE). */
interface KeyMeta {
  clock: number | undefined;
  stringEncoding: number | undefined;
}

function keyMeta(db: Database, key: string): KeyMeta {
  return {
    clock: db.accessClockOf(key),
    stringEncoding: db.stringEncodings.size === 0 ? undefined : db.stringEncodings.get(key),
  };
}

/** Gives the moved value its clock back (Redis moves the object itself) and its string encoding. */
function restoreKeyMeta(db: Database, key: string, m: KeyMeta): void {
  if (m.clock !== undefined) db.lru.set(key, m.clock);
  if (m.stringEncoding !== undefined) db.stringEncodings.set(key, m.stringEncoding);
}

// ─── RENAME / RENAMENX / MOVE / COPY ─────────────────────────────────────────────────────────────────────

function renameGeneric(c: Client, argv: string[], nx: boolean): void {
  const src = argv[1];
  const dst = argv[2];
  const v = c.db.lookupKeyWrite(src);
  if (v === undefined) {
    c.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  if (src === dst) {
    // Renaming a key onto itself changes nothing (and is not propagated).
    if (nx) c.reply.integer(0);
    else c.reply.ok();
    return;
  }
  const expire = c.db.getExpire(src);
  if (c.db.lookupKeyWrite(dst) !== undefined) {
    if (nx) {
      c.reply.integer(0);
      return;
    }
    c.db.delete(dst);
  }
  const meta = keyMeta(c.db, src);
  c.db.delete(src);
  c.db.setKey(dst, v);
  restoreKeyMeta(c.db, dst, meta);
  if (expire !== undefined) c.db.setExpire(dst, expire);
  c.server.signalModifiedKey(c.db, src);
  c.server.signalModifiedKey(c.db, dst);
  c.server.notifyKeyspaceEvent(Notify.GENERIC, "rename_from", src, c.db.id);
  c.server.notifyKeyspaceEvent(Notify.GENERIC, "rename_to", dst, c.db.id);
  c.server.dirty++;
  if (nx) c.reply.integer(1);
  else c.reply.ok();
}

function renameCommand(c: Client, argv: string[]): void {
  renameGeneric(c, argv, false);
}

function renamenxCommand(c: Client, argv: string[]): void {
  renameGeneric(c, argv, true);
}

function moveCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const id = getIntOrReply(c, argv[2]);
  if (id === null) return;
  const dst = dbById(c, id);
  if (dst === undefined) {
    c.reply.error(ERR_DB_INDEX);
    return;
  }
  const src = c.db;
  if (src === dst) {
    c.reply.error(ERR_SAME_OBJECT);
    return;
  }
  const v = src.lookupKeyWrite(key);
  if (v === undefined) {
    c.reply.integer(0);
    return;
  }
  const expire = src.getExpire(key);
  if (dst.lookupKeyWrite(key) !== undefined) {
    c.reply.integer(0);
    return;
  }
  const meta = keyMeta(src, key);
  src.delete(key);
  dst.setKey(key, v);
  restoreKeyMeta(dst, key, meta);
  if (expire !== undefined) dst.setExpire(key, expire);
  c.server.signalModifiedKey(src, key);
  c.server.signalModifiedKey(dst, key);
  c.server.notifyKeyspaceEvent(Notify.GENERIC, "move_from", key, src.id);
  c.server.notifyKeyspaceEvent(Notify.GENERIC, "move_to", key, dst.id);
  c.server.dirty++;
  c.reply.integer(1);
}

/** COPY source destination [DB destination-db] [REPLACE]: a deep copy, keeping the TTL. */
function copyCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const newKey = argv[2];
  const src = c.db;
  let dst = c.db;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    if (eqi(argv[i], "replace")) {
      replace = true;
    } else if (eqi(argv[i], "db") && i + 1 < argv.length) {
      const id = getIntOrReply(c, argv[++i]);
      if (id === null) return;
      const d = dbById(c, id);
      if (d === undefined) {
        c.reply.error(ERR_DB_INDEX);
        return;
      }
      dst = d;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (src === dst && key === newKey) {
    c.reply.error(ERR_SAME_OBJECT);
    return;
  }
  const v = lookupRead(c, key);
  if (v === undefined) {
    c.reply.integer(0);
    return;
  }
  const expire = src.getExpire(key);
  if (dst.lookupKeyWrite(newKey) !== undefined) {
    if (!replace) {
      c.reply.integer(0);
      return;
    }
    dst.delete(newKey);
  }
  dst.setKey(newKey, cloneValue(v));
  // A copy is a new object (its access clock starts now) holding a string in the same encoding.
  const note = src.stringEncodings.size === 0 ? undefined : src.stringEncodings.get(key);
  if (note !== undefined) dst.stringEncodings.set(newKey, note);
  if (expire !== undefined) dst.setExpire(newKey, expire);
  c.server.signalModifiedKey(dst, newKey);
  c.server.notifyKeyspaceEvent(Notify.GENERIC, "copy_to", newKey, dst.id);
  c.server.dirty++;
  c.reply.integer(1);
}

// ─── SWAPDB ──────────────────────────────────────────────────────────────────────────────────────────────

function swapdbCommand(c: Client, argv: string[]): void {
  const id1 = getIntOrReply(c, argv[1], "ERR invalid first DB index");
  if (id1 === null) return;
  const id2 = getIntOrReply(c, argv[2], "ERR invalid second DB index");
  if (id2 === null) return;
  const db1 = dbById(c, id1);
  const db2 = dbById(c, id2);
  if (db1 === undefined || db2 === undefined) {
    c.reply.error(ERR_DB_INDEX);
    return;
  }
  if (db1 !== db2) {
    // WATCHers of a key that exists on either side see it change (touchAllWatchedKeysInDb, both ways).
    const watches = c.server.watches;
    if (watches.size !== 0) {
      watches.touchDb(db1, (k) => db1.dict.has(k) || db2.dict.has(k));
      watches.touchDb(db2, (k) => db2.dict.has(k) || db1.dict.has(k));
    }
    db1.swapWith(db2);
    // Clients blocked on a key (BLPOP, BZPOPMIN, XREAD...) may find it there now, as Redis's
    // scanDatabaseForReadyKeys; an XREADGROUP waiter whose stream went away ends (scanDatabaseForDeletedStreams).
    const blocking = c.server.blocking;
    if (blocking.blockedCount !== 0) {
      blocking.signalBlockedKeys(db1);
      blocking.signalBlockedKeys(db2);
    }
  }
  c.server.dirty++;
  c.reply.ok();
}

// ─── KEYS / SCAN / RANDOMKEY ─────────────────────────────────────────────────────────────────────────────

/** A key whose TTL has passed, without deleting it (Redis's keyIsExpired). */
function keyIsExpired(db: Database, key: string, now: number): boolean {
  const when = db.getExpire(key);
  return when !== undefined && when <= now;
}

function keysCommand(c: Client, argv: string[]): void {
  const pattern = argv[1];
  const all = pattern === "*";
  const now = Date.now();
  const out: string[] = [];
  for (const key of c.db.dict.keys()) {
    if ((all || globMatch(pattern, key)) && !keyIsExpired(c.db, key, now)) out.push(key);
  }
  c.reply.bulkArray(out);
}

/**
 * Parked SCAN iterators. Each is owned by the db's dict (the Map object itself), so a FLUSHDB or SWAPDB
 * that replaces the dict turns old cursors into finished scans instead of walking the wrong data.
 */
const scanCursors = new CursorRegistry<string>();

/**
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. Cursor 0 starts a walk; the reply's cursor is
 * "0" once the walk has visited every key. COUNT is, as in Redis, the amount of work per call (keys
 * visited), not the number of keys returned.
 */
function scanCommand(c: Client, argv: string[]): void {
  const cursor = parseScanCursor(c, argv[1]);
  if (cursor === null) return;
  const opts = parseScanOptions(c, argv, 2, { allowType: true });
  if (opts === null) return;
  const { count, pattern, type } = opts;
  const db = c.db;
  const dict = db.dict;
  const wantType = type === null ? null : type.toLowerCase();
  const keys: string[] = [];
  const next = walkParked(
    scanCursors,
    dict,
    cursor,
    () => dict.keys(),
    count,
    (key) => {
      if (pattern !== null && !globMatch(pattern, key)) return;
      if (db.expires.size !== 0 && db.expireIfNeeded(key)) return;
      if (wantType !== null) {
        const v = dict.get(key);
        if (v === undefined || wantType !== typeName(v)) return;
      }
      keys.push(key);
    },
  );
  replyScanPage(c, next, keys);
}

/**
 * A Map has no random access, and walking to a uniformly random position costs O(n) — a stall on a large
 * db. Instead each db keeps a cursor that moves round the key space and RANDOMKEY advances it by a random
 * 0..63 steps: O(1) per call, every key reachable, not uniform (Redis's own pick is not uniform either: it
 * favours keys in sparse buckets).
 */
const randomCursors = new WeakMap<Map<string, unknown>, Iterator<string>>();

function randomKeyOf(dict: Map<string, unknown>): string {
  let it = randomCursors.get(dict);
  if (it === undefined) {
    it = dict.keys();
    randomCursors.set(dict, it);
  }
  let skip = Math.floor(Math.random() * Math.min(64, dict.size));
  for (;;) {
    let next = it.next();
    if (next.done) {
      it = dict.keys();
      randomCursors.set(dict, it);
      next = it.next();
    }
    if (skip-- === 0 || next.done) return next.value as string;
  }
}

function randomkeyCommand(c: Client): void {
  const db = c.db;
  const replica = c.server.keyspace.isReplica;
  let tries = 100;
  for (;;) {
    const size = db.dict.size;
    if (size === 0) {
      c.reply.nullBulk();
      return;
    }
    const key = randomKeyOf(db.dict);
    const when = db.getExpire(key);
    if (when !== undefined && when <= Date.now()) {
      // On a replica every key may be logically expired and none gets deleted: give up after a while
      // and return an expired name, as Redis does, rather than loop forever.
      if (replica && db.expires.size === db.dict.size && --tries === 0) {
        c.reply.bulk(key);
        return;
      }
      if (db.expireIfNeeded(key)) continue;
    }
    c.reply.bulk(key);
    return;
  }
}

// ─── EXPIRE family ───────────────────────────────────────────────────────────────────────────────────────

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** Parses NX/XX/GT/LT from argv[3..]; null when an error was replied. */
function parseExpireFlags(c: Client, argv: string[]): number | null {
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === "nx") flags |= EXPIRE_NX;
    else if (o === "xx") flags |= EXPIRE_XX;
    else if (o === "gt") flags |= EXPIRE_GT;
    else if (o === "lt") flags |= EXPIRE_LT;
    else {
      c.reply.error(`ERR Unsupported option ${argv[i]}`);
      return null;
    }
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    c.reply.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return null;
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
    c.reply.error("ERR GT and LT options at the same time are not compatible");
    return null;
  }
  return flags;
}

/** Made only when replied: EXPIRE runs in every rate-limiter script, its error almost never. */
function invalidExpireTime(argv: string[]): string {
  return `ERR invalid expire time in '${argv[0].toLowerCase()}' command`;
}

/**
 * EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT (Redis's expireGenericCommand). `basetime` is now for the
 * relative forms and 0 for the absolute ones. Propagates as PEXPIREAT with the absolute time, or as DEL
 * when that time has already passed.
 */
function expireGeneric(c: Client, argv: string[], basetime: bigint, seconds: boolean): void {
  const key = argv[1];
  const flags = parseExpireFlags(c, argv);
  if (flags === null) return;
  const n = getExactLongLongOrReply(c, argv[2]);
  if (n === null) return;
  let when = BigInt(n);
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) {
      c.reply.error(invalidExpireTime(argv));
      return;
    }
    when *= 1000n;
  }
  if (when > INT64_MAX - basetime) {
    c.reply.error(invalidExpireTime(argv));
    return;
  }
  when += basetime;
  if (c.db.lookupKeyWrite(key) === undefined) {
    c.reply.integer(0);
    return;
  }
  if (flags !== 0) {
    const cur = c.db.getExpire(key);
    const current = cur === undefined ? -1n : BigInt(cur);
    if (
      (flags & EXPIRE_NX && current !== -1n) ||
      (flags & EXPIRE_XX && current === -1n) ||
      // No TTL counts as an infinite one: nothing is greater, everything is less.
      (flags & EXPIRE_GT && (when <= current || current === -1n)) ||
      (flags & EXPIRE_LT && current !== -1n && when >= current)
    ) {
      c.reply.integer(0);
      return;
    }
  }
  if (alreadyExpired(c, when)) {
    c.db.delete(key);
    rewriteCommandVector(c, ["DEL", key]);
    modified(c, key, Notify.GENERIC, "del");
    c.reply.integer(1);
    return;
  }
  c.db.setExpire(key, Number(when));
  const prop = argv.slice();
  prop[0] = "PEXPIREAT";
  prop[2] = String(when);
  rewriteCommandVector(c, prop);
  modified(c, key, Notify.GENERIC, "expire");
  c.reply.integer(1);
}

function expireCommand(c: Client, argv: string[]): void {
  expireGeneric(c, argv, BigInt(Date.now()), true);
}

function pexpireCommand(c: Client, argv: string[]): void {
  expireGeneric(c, argv, BigInt(Date.now()), false);
}

function expireatCommand(c: Client, argv: string[]): void {
  expireGeneric(c, argv, 0n, true);
}

function pexpireatCommand(c: Client, argv: string[]): void {
  expireGeneric(c, argv, 0n, false);
}

/** TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 no key, -1 no TTL. */
function ttlGeneric(c: Client, key: string, ms: boolean, absolute: boolean): void {
  if (lookupReadNoTouch(c, key) === undefined) {
    c.reply.integer(-2);
    return;
  }
  const when = c.db.getExpire(key);
  if (when === undefined) {
    c.reply.integer(-1);
    return;
  }
  let ttl = absolute ? when : when - Date.now();
  if (ttl < 0) ttl = 0;
  c.reply.integer(ms ? ttl : Math.floor((ttl + 500) / 1000));
}

function ttlCommand(c: Client, argv: string[]): void {
  ttlGeneric(c, argv[1], false, false);
}

function pttlCommand(c: Client, argv: string[]): void {
  ttlGeneric(c, argv[1], true, false);
}

function expiretimeCommand(c: Client, argv: string[]): void {
  ttlGeneric(c, argv[1], false, true);
}

function pexpiretimeCommand(c: Client, argv: string[]): void {
  ttlGeneric(c, argv[1], true, true);
}

function persistCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  if (c.db.lookupKeyWrite(key) === undefined || !c.db.removeExpire(key)) {
    c.reply.integer(0);
    return;
  }
  modified(c, key, Notify.GENERIC, "persist");
  c.reply.integer(1);
}

export const keyCommands: CommandDef[] = [
  { name: "del", handler: delCommand },
  { name: "unlink", handler: delCommand },
  { name: "exists", handler: existsCommand },
  { name: "type", handler: typeCommand },
  { name: "touch", handler: touchCommand },
  { name: "rename", handler: renameCommand },
  { name: "renamenx", handler: renamenxCommand },
  { name: "move", handler: moveCommand },
  { name: "copy", handler: copyCommand },
  { name: "swapdb", handler: swapdbCommand },
  { name: "keys", handler: keysCommand },
  { name: "scan", handler: scanCommand },
  { name: "randomkey", handler: randomkeyCommand },
  { name: "expire", handler: expireCommand },
  { name: "pexpire", handler: pexpireCommand },
  { name: "expireat", handler: expireatCommand },
  { name: "pexpireat", handler: pexpireatCommand },
  { name: "ttl", handler: ttlCommand },
  { name: "pttl", handler: pttlCommand },
  { name: "expiretime", handler: expiretimeCommand },
  { name: "pexpiretime", handler: pexpiretimeCommand },
  { name: "persist", handler: persistCommand },
];
