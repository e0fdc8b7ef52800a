import { globMatch } from "../../command-table/glob-match.js";
import { CursorRegistry } from "../../store/cursor-registry.js";
import { addLongDouble, formatLongDoubleHuman, parseLongDouble } from "../../store/long-double.js";
import { RedisHash, type RedisValue } from "../../store/redis-value.js";
import {
  getExactLongLongOrReply,
  getRangeLongOrReply,
  INT64_MAX,
  INT64_MIN,
  LONG_MAX,
  parseInt64,
} from "../arguments.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import { ERR_INCR_NAN, ERR_NOT_FLOAT, ERR_OVERFLOW, ERR_SYNTAX, ERR_WRONGTYPE } from "../shared-replies.js";
import { lookupRead, modified, rewriteCommandVector } from "./helpers.js";
import { replyScanPage, startKeyScan, walkParked } from "./scan-args.js";

/**
 * The hash family, following Redis 7.0's t_hash.c. A hash is a Map<string, string>, which keeps insertion
 * order — the order Redis's listpack encoding shows for small hashes, so HGETALL/HKEYS/HSCAN of small
 * hashes come back in the same order as from redis-server. An emptied hash is deleted.
 */

const isHash = (v: RedisValue): v is RedisHash => v instanceof Map;

/** The hash at key for reading: undefined if absent, null after replying WRONGTYPE. */
function hashForRead(c: Client, key: string): RedisHash | undefined | null {
  const v = lookupRead(c, key);
  if (v === undefined || isHash(v)) return v;
  c.reply.error(ERR_WRONGTYPE);
  return null;
}

/** The hash at key for writing, created when absent (hashTypeLookupWriteOrCreate); null after WRONGTYPE. */
function hashForWriteOrCreate(c: Client, key: string): RedisHash | null {
  const v = c.db.lookupKeyWrite(key);
  if (v === undefined) {
    const h = new RedisHash();
    c.db.setKey(key, h);
    return h;
  }
  if (isHash(v)) return v;
  c.reply.error(ERR_WRONGTYPE);
  return null;
}

// ─── writes ───────────────────────────────────────────────────────────────────────────────────────────

function hsetGeneric(c: Client, argv: string[], legacy: boolean): void {
  if (argv.length % 2 === 1) {
    c.reply.error(`ERR wrong number of arguments for '${legacy ? "hmset" : "hset"}' command`);
    return;
  }
  const key = argv[1];
  const h = hashForWriteOrCreate(c, key);
  if (h === null) return;
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) {
    if (!h.has(argv[i])) created++;
    h.set(argv[i], argv[i + 1]);
  }
  modified(c, key, Notify.HASH, "hset", (argv.length - 2) / 2);
  if (legacy) c.reply.ok();
  else c.reply.integer(created);
}

function hsetCommand(c: Client, argv: string[]): void {
  hsetGeneric(c, argv, false);
}

function hmsetCommand(c: Client, argv: string[]): void {
  hsetGeneric(c, argv, true);
}

function hsetnxCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const h = hashForWriteOrCreate(c, key);
  if (h === null) return;
  if (h.has(argv[2])) {
    c.reply.integer(0);
    return;
  }
  h.set(argv[2], argv[3]);
  modified(c, key, Notify.HASH, "hset");
  c.reply.integer(1);
}

function hdelCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const v = c.db.lookupKeyWrite(key);
  if (v === undefined) {
    c.reply.integer(0);
    return;
  }
  if (!isHash(v)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (v.delete(argv[i])) deleted++;
    if (v.size === 0) break;
  }
  if (deleted > 0) {
    modified(c, key, Notify.HASH, "hdel", deleted);
    if (v.size === 0) {
      c.db.delete(key);
      c.server.notifyKeyspaceEvent(Notify.GENERIC, "del", key, c.db.id);
    }
  }
  c.reply.integer(deleted);
}

function hincrbyCommand(c: Client, argv: string[]): void {
  const incr = getExactLongLongOrReply(c, argv[3]);
  if (incr === null) return;
  const key = argv[1];
  const h = hashForWriteOrCreate(c, key);
  if (h === null) return;
  const cur = h.get(argv[2]);
  let old = 0n;
  if (cur !== undefined) {
    const n = parseInt64(cur);
    if (n === null) {
      c.reply.error("ERR hash value is not an integer");
      return;
    }
    old = n;
  }
  const value = old + BigInt(incr);
  if (value > INT64_MAX || value < INT64_MIN) {
    c.reply.error(ERR_OVERFLOW);
    return;
  }
  h.set(argv[2], String(value));
  modified(c, key, Notify.HASH, "hincrby");
  c.reply.integer(value);
}

/** HINCRBYFLOAT in x87 long double, as Redis; replicated as HSET with the final text. */
function hincrbyfloatCommand(c: Client, argv: string[]): void {
  const incr = parseLongDouble(argv[3]);
  if (incr === null) {
    c.reply.error(ERR_NOT_FLOAT);
    return;
  }
  if (incr.inf) {
    c.reply.error("ERR value is NaN or Infinity");
    return;
  }
  const key = argv[1];
  const h = hashForWriteOrCreate(c, key);
  if (h === null) return;
  const cur = h.get(argv[2]);
  let old = ZERO;
  if (cur !== undefined) {
    const v = parseLongDouble(cur);
    if (v === null) {
      c.reply.error("ERR hash value is not a float");
      return;
    }
    old = v;
  }
  const sum = addLongDouble(old, incr);
  if (sum.inf) {
    c.reply.error(ERR_INCR_NAN);
    return;
  }
  const text = formatLongDoubleHuman(sum);
  h.set(argv[2], text);
  modified(c, key, Notify.HASH, "hincrbyfloat");
  c.reply.bulk(text);
  rewriteCommandVector(c, ["HSET", key, argv[2], text]);
}

const ZERO = { neg: false, mant: 0n, exp: 0, inf: false };

// ─── reads ────────────────────────────────────────────────────────────────────────────────────────────

function hgetCommand(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  c.reply.bulkOrNull(h?.get(argv[2]));
}

function hmgetCommand(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  c.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.reply.bulkOrNull(h?.get(argv[i]));
}

function hexistsCommand(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  c.reply.integer(h?.has(argv[2]) ? 1 : 0);
}

function hlenCommand(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  c.reply.integer(h === undefined ? 0 : h.size);
}

function hstrlenCommand(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  c.reply.integer(h?.get(argv[2])?.length ?? 0);
}

function hkeysCommand(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  if (h === undefined) {
    c.reply.arrayHeader(0);
    return;
  }
  c.reply.arrayHeader(h.size);
  for (const f of h.keys()) c.reply.bulk(f);
}

function hvalsCommand(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  if (h === undefined) {
    c.reply.arrayHeader(0);
    return;
  }
  c.reply.arrayHeader(h.size);
  for (const v of h.values()) c.reply.bulk(v);
}

function hgetallCommand(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  if (h === undefined) {
    c.reply.mapHeader(0);
    return;
  }
  c.reply.mapHeader(h.size);
  for (const [f, v] of h) {
    c.reply.bulk(f);
    c.reply.bulk(v);
  }
}

// ─── HRANDFIELD ───────────────────────────────────────────────────────────────────────────────────────

/** The field at a uniformly random position (a walk: Maps have no random access). */
function randomEntry(h: RedisHash): [string, string] {
  let i = Math.floor(Math.random() * h.size);
  for (const e of h) if (i-- === 0) return e;
  throw new Error("unreachable: empty hash");
}

function hrandfieldCommand(c: Client, argv: string[]): void {
  if (argv.length >= 3) {
    hrandfieldWithCount(c, argv);
    return;
  }
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  if (h === undefined) c.reply.nullBulk();
  else c.reply.bulk(randomEntry(h)[0]);
}

/** HRANDFIELD key count [WITHVALUES]: the count is checked before the rest of the syntax, as in Redis. */
function hrandfieldWithCount(c: Client, argv: string[]): void {
  const l = getRangeLongOrReply(c, argv[2], -LONG_MAX, LONG_MAX);
  if (l === null) return;
  if (argv.length > 4 || (argv.length === 4 && argv[3].toLowerCase() !== "withvalues")) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const withValues = argv.length === 4;
  const unique = l >= 0;
  const count = Math.abs(l);
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  if (h === undefined || count === 0) {
    c.reply.arrayHeader(0);
    return;
  }
  const resp3Pairs = withValues && c.reply.proto === 3;
  const emit = (f: string, v: string) => {
    if (resp3Pairs) c.reply.arrayHeader(2);
    c.reply.bulk(f);
    if (withValues) c.reply.bulk(v);
  };
  const header = (n: number) => c.reply.arrayHeader(withValues && !resp3Pairs ? n * 2 : n);
  if (!unique || count === 1) {
    // With repetitions: each pick independent.
    const entries = [...h];
    header(count);
    for (let i = 0; i < count; i++) {
      const [f, v] = entries[Math.floor(Math.random() * entries.length)];
      emit(f, v);
    }
    return;
  }
  if (count >= h.size) {
    header(h.size);
    for (const [f, v] of h) emit(f, v);
    return;
  }
  // Distinct picks: a partial Fisher-Yates over the entries.
  const entries = [...h];
  header(count);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (entries.length - i));
    const t = entries[i];
    entries[i] = entries[j];
    entries[j] = t;
    emit(entries[i][0], entries[i][1]);
  }
}

// ─── HSCAN ────────────────────────────────────────────────────────────────────────────────────────────

const hscanCursors = new CursorRegistry<[string, string]>();

/**
 * HSCAN key cursor [MATCH pattern] [COUNT count]. A hash small enough for Redis's listpack encoding comes
 * back whole with cursor 0, in order, as redis-server answers; larger ones are walked with a parked Map
 * iterator, COUNT entries per call.
 */
function hscanCommand(c: Client, argv: string[]): void {
  const scan = startKeyScan(c, argv, hashForRead);
  if (scan === null) return;
  const { value: h, cursor, count, pattern } = scan;
  const out: string[] = [];
  let next = 0;
  if (isListpackSized(c, h)) {
    for (const [f, v] of h) if (pattern === null || globMatch(pattern, f)) out.push(f, v);
  } else {
    next = walkParked(
      hscanCursors,
      h,
      cursor,
      () => h.entries(),
      count,
      ([f, v]) => {
        if (pattern === null || globMatch(pattern, f)) out.push(f, v);
      },
    );
  }
  replyScanPage(c, next, out);
}

/** Whether Redis would keep this hash as a listpack (entries and lengths within the configured limits). */
function isListpackSized(c: Client, h: RedisHash): boolean {
  if (h.size > c.server.config.getInt("hash-max-listpack-entries")) return false;
  const maxLen = c.server.config.getInt("hash-max-listpack-value");
  for (const [f, v] of h) if (f.length > maxLen || v.length > maxLen) return false;
  return true;
}

export const hashCommands: CommandDef[] = [
  { name: "hset", handler: hsetCommand },
  { name: "hmset", handler: hmsetCommand },
  { name: "hsetnx", handler: hsetnxCommand },
  { name: "hdel", handler: hdelCommand },
  { name: "hincrby", handler: hincrbyCommand },
  { name: "hincrbyfloat", handler: hincrbyfloatCommand },
  { name: "hget", handler: hgetCommand },
  { name: "hmget", handler: hmgetCommand },
  { name: "hexists", handler: hexistsCommand },
  { name: "hlen", handler: hlenCommand },
  { name: "hstrlen", handler: hstrlenCommand },
  { name: "hkeys", handler: hkeysCommand },
  { name: "hvals", handler: hvalsCommand },
  { name: "hgetall", handler: hgetallCommand },
  { name: "hrandfield", handler: hrandfieldCommand },
  { name: "hscan", handler: hscanCommand },
];
