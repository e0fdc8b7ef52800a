import { constants as bufferConstants } from "node:buffer";
import { addLongDouble, formatLongDoubleHuman, parseLongDouble } from "../../store/long-double.js";
import { STRING_NOT_INT, STRING_RAW } from "../../store/object-encoding.js";
import {
  getExactLongLongOrReply,
  getLongLongOrReply,
  INT64_MAX,
  INT64_MIN,
  parseInt64,
  parseInteger,
} from "../arguments.js";
import { type Client, ClientFlag } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import {
  ERR_INCR_NAN,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OVERFLOW,
  ERR_STRING_TOO_LONG,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
} from "../shared-replies.js";
import { lookupRead, modified, rewriteCommandVector } from "./helpers.js";
import { commitString, isRawString, lookupRawRead, rawSlice, writableString } from "./string-bytes.js";

/**
 * The string family. Values are latin1 strings; numbers are parsed from them on demand, as Redis does
 * with its int-encoded strings, and bit and range operations work on char codes (one per byte).
 */

/** The engine's longest string: growing past it is refused like growing past proto-max-bulk-len. */
const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH;

// ─── GET / SET ───────────────────────────────────────────────────────────────────────────────────────────

function getCommand(c: Client, argv: string[]): void {
  const v = lookupRead(c, argv[1]);
  if (v === undefined) c.reply.nullBulk();
  else if (typeof v !== "string") c.reply.error(ERR_WRONGTYPE);
  else c.reply.bulk(v);
}

const SET_NX = 1;
const SET_XX = 2;
const SET_GET = 4;
const SET_KEEPTTL = 8;
const SET_EX = 16;
const SET_PX = 32;
const SET_EXAT = 64;
const SET_PXAT = 128;
const SET_PERSIST = 256;
const SET_ANY_EXPIRE = SET_EX | SET_PX | SET_EXAT | SET_PXAT;

/** SET's options start after the value, GETEX's after the key; each accepts its own subset. */
const FOR_SET = 0;
const FOR_GET = 1;

/** Parsed SET/GETEX options; `expireArg` is the text after EX/PX/EXAT/PXAT (the last one given). */
interface StringOptions {
  flags: number;
  expireArg: string;
}

const parsedOptions: StringOptions = { flags: 0, expireArg: "" };

/**
 * Redis's parseExtendedStringArgumentsOrReply: the same option may repeat (the last expiry wins), but
 * conflicting ones (NX with XX, two different expiry kinds, KEEPTTL/PERSIST with an expiry) are a syntax
 * error. Returns the shared result object, or null after replying the error.
 */
function parseStringOptions(c: Client, argv: string[], kind: number): StringOptions | null {
  let flags = 0;
  let expireArg = "";
  for (let j = kind === FOR_GET ? 2 : 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const hasNext = j + 1 < argv.length;
    if (opt === "nx" && !(flags & SET_XX) && kind === FOR_SET) flags |= SET_NX;
    else if (opt === "xx" && !(flags & SET_NX) && kind === FOR_SET) flags |= SET_XX;
    else if (opt === "get" && kind === FOR_SET) flags |= SET_GET;
    else if (opt === "keepttl" && !(flags & (SET_PERSIST | SET_ANY_EXPIRE)) && kind === FOR_SET)
      flags |= SET_KEEPTTL;
    else if (opt === "persist" && kind === FOR_GET && !(flags & (SET_ANY_EXPIRE | SET_KEEPTTL)))
      flags |= SET_PERSIST;
    else if (
      hasNext &&
      !(flags & (SET_KEEPTTL | SET_PERSIST)) &&
      ((opt === "ex" && !(flags & (SET_EXAT | SET_PX | SET_PXAT))) ||
        (opt === "px" && !(flags & (SET_EX | SET_EXAT | SET_PXAT))) ||
        (opt === "exat" && !(flags & (SET_EX | SET_PX | SET_PXAT))) ||
        (opt === "pxat" && !(flags & (SET_EX | SET_EXAT | SET_PX))))
    ) {
      flags |= opt === "ex" ? SET_EX : opt === "px" ? SET_PX : opt === "exat" ? SET_EXAT : SET_PXAT;
      expireArg = argv[++j];
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  parsedOptions.flags = flags;
  parsedOptions.expireArg = expireArg;
  return parsedOptions;
}

/**
 * Redis's getExpireMillisecondsOrReply: the absolute unix time in ms for an EX/PX/EXAT/PXAT argument,
 * or -1 after replying the error. Checked in 64-bit arithmetic as Redis does (a sum past INT64_MAX wraps
 * negative there, and is refused).
 */
function expireMillis(c: Client, arg: string, flags: number, command: string): number {
  const n = getExactLongLongOrReply(c, arg);
  if (n === null) return -1;
  const seconds = (flags & (SET_EX | SET_EXAT)) !== 0;
  if (typeof n === "number" && n > 0) {
    // Within 2^53 the sum is exact in doubles: no BigInt for the usual SET EX / SETEX.
    const sum = (seconds ? n * 1000 : n) + (flags & (SET_EX | SET_PX) ? Date.now() : 0);
    if (Number.isSafeInteger(sum)) return sum;
  }
  let ms = BigInt(n);
  if (ms <= 0n || (seconds && ms > INT64_MAX / 1000n)) {
    c.reply.error(`ERR invalid expire time in '${command}' command`);
    return -1;
  }
  if (seconds) ms *= 1000n;
  if (flags & (SET_EX | SET_PX)) ms += BigInt(Date.now());
  if (ms > INT64_MAX) {
    c.reply.error(`ERR invalid expire time in '${command}' command`);
    return -1;
  }
  return Number(ms);
}

/**
 * The string at `key` for GET-like replies (Redis's getGenericCommand): replies it (or null) and returns
 * true, or replies WRONGTYPE and returns false.
 */
function getGeneric(c: Client, key: string): boolean {
  const v = lookupRead(c, key);
  if (v === undefined) c.reply.nullBulk();
  else if (typeof v !== "string") {
    c.reply.error(ERR_WRONGTYPE);
    return false;
  } else c.reply.bulk(v);
  return true;
}

/**
 * Redis's setGenericCommand, shared by SET, SETNX, SETEX and PSETEX. `okReply`/`abortReply` are what
 * SETNX answers instead of +OK / null. Any expiry is propagated as an absolute PXAT, so replicas and the
 * AOF agree on the instant.
 */
function setGeneric(
  c: Client,
  flags: number,
  key: string,
  value: string,
  expireArg: string | null,
  command: string,
  okReply: number,
  abortReply: number,
): void {
  let when = 0;
  if (expireArg !== null) {
    when = expireMillis(c, expireArg, flags, command);
    if (when < 0) return;
  }
  if (flags & SET_GET && !getGeneric(c, key)) return;
  const found = c.db.lookupKeyWrite(key) !== undefined;
  if ((flags & SET_NX && found) || (flags & SET_XX && !found)) {
    if (!(flags & SET_GET)) {
      if (abortReply < 0) c.reply.nullBulk();
      else c.reply.integer(abortReply);
    }
    return;
  }
  c.db.setKey(key, value, (flags & SET_KEEPTTL) !== 0);
  if (expireArg !== null) c.db.setExpire(key, when);
  modified(c, key, Notify.STRING, "set");
  if (expireArg !== null) {
    rewriteCommandVector(c, ["SET", key, value, "PXAT", String(when)]);
    c.server.notifyKeyspaceEvent(Notify.GENERIC, "expire", key, c.db.id);
  } else if (flags & SET_GET) {
    // Replicas get the command without GET (it may be repeated).
    rewriteCommandVector(
      c,
      c.argv.filter((a, i) => i < 3 || a.length !== 3 || a.toLowerCase() !== "get"),
    );
  }
  if (!(flags & SET_GET)) {
    if (okReply < 0) c.reply.ok();
    else c.reply.integer(okReply);
  }
}

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL]. */
function setCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  if (argv.length === 3) {
    // The common case, kept free of option parsing. Redis's setKey looks the key up first (expiring it,
    // counting an access); setKey stamps the LRU clock itself, so the lookup is needed only for an LFU
    // counter or when some key has a TTL.
    if (c.server.keyspace.clock.lfu || c.db.expires.size !== 0) c.db.lookupKeyWrite(key);
    c.db.setKey(key, argv[2]);
    modified(c, key, Notify.STRING, "set");
    c.reply.ok();
    return;
  }
  const opts = parseStringOptions(c, argv, FOR_SET);
  if (opts === null) return;
  const flags = opts.flags;
  setGeneric(c, flags, key, argv[2], flags & SET_ANY_EXPIRE ? opts.expireArg : null, "set", -1, -1);
}

function setnxCommand(c: Client, argv: string[]): void {
  setGeneric(c, SET_NX, argv[1], argv[2], null, "setnx", 1, 0);
}

function setexCommand(c: Client, argv: string[]): void {
  setGeneric(c, SET_EX, argv[1], argv[3], argv[2], "setex", -1, -1);
}

function psetexCommand(c: Client, argv: string[]): void {
  setGeneric(c, SET_PX, argv[1], argv[3], argv[2], "psetex", -1, -1);
}

// ─── GETSET / GETDEL / GETEX ─────────────────────────────────────────────────────────────────────────────

/** GETSET key value: propagated as SET. */
function getsetCommand(c: Client, argv: string[]): void {
  if (!getGeneric(c, argv[1])) return;
  c.db.lookupKeyWrite(argv[1]); // Redis's setKey looks the key up again (a second access)
  c.db.setKey(argv[1], argv[2]);
  modified(c, argv[1], Notify.STRING, "set");
  rewriteCommandVector(c, ["SET", argv[1], argv[2]]);
}

/** GETDEL key: propagated as DEL. */
function getdelCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  if (!getGeneric(c, key)) return;
  if (c.db.delete(key)) {
    rewriteCommandVector(c, ["DEL", key]);
    modified(c, key, Notify.GENERIC, "del");
  }
}

/**
 * GETEX key [EX s|PX ms|EXAT ts|PXAT ms|PERSIST]. Never propagated as is: as PEXPIREAT, as DEL when an
 * absolute time has already passed, or as PERSIST.
 */
function getexCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const opts = parseStringOptions(c, argv, FOR_GET);
  if (opts === null) return;
  const flags = opts.flags;
  const expireArg = opts.expireArg;
  const v = lookupRead(c, key);
  if (v === undefined) {
    c.reply.nullBulk();
    return;
  }
  if (typeof v !== "string") {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  let when = 0;
  if (flags & SET_ANY_EXPIRE) {
    when = expireMillis(c, expireArg, flags, "getex");
    if (when < 0) return;
  }
  c.reply.bulk(v);
  if (
    flags & (SET_EXAT | SET_PXAT) &&
    when <= Date.now() &&
    !c.server.loading &&
    !c.server.keyspace.isReplica
  ) {
    c.db.delete(key);
    rewriteCommandVector(c, ["DEL", key]);
    modified(c, key, Notify.GENERIC, "del");
  } else if (flags & SET_ANY_EXPIRE) {
    c.db.setExpire(key, when);
    rewriteCommandVector(c, ["PEXPIREAT", key, String(when)]);
    modified(c, key, Notify.GENERIC, "expire");
  } else if (flags & SET_PERSIST) {
    if (c.db.removeExpire(key)) {
      rewriteCommandVector(c, ["PERSIST", key]);
      modified(c, key, Notify.GENERIC, "persist");
    }
  }
}

// ─── INCR / DECR / INCRBYFLOAT ───────────────────────────────────────────────────────────────────────────

/** Adds `by` to the integer at key (created as 0) with Redis's overflow rules; replies the new value. */
function incrBy(c: Client, key: string, by: bigint | number): void {
  const v = c.db.lookupKeyWrite(key);
  if (v !== undefined && typeof v !== "string") {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  let cur: number | bigint | null = v === undefined ? 0 : parseInteger(v);
  if (cur === null) {
    // parseInteger refuses values beyond 2^53 it cannot hold exactly; int64 ones are still integers.
    cur = parseInt64(v as string);
    if (cur === null) {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
  }
  let result: number | bigint;
  if (typeof by === "number" && typeof cur === "number" && Number.isSafeInteger(cur + by)) {
    result = cur + by;
  } else {
    const r = BigInt(cur) + BigInt(by);
    if (r > INT64_MAX || r < INT64_MIN) {
      c.reply.error(ERR_OVERFLOW);
      return;
    }
    result = r;
  }
  c.db.setKey(key, String(result), true);
  modified(c, key, Notify.STRING, "incrby");
  c.reply.integer(result);
}

function incrCommand(c: Client, argv: string[]): void {
  incrBy(c, argv[1], 1);
}

function decrCommand(c: Client, argv: string[]): void {
  incrBy(c, argv[1], -1);
}

function incrbyCommand(c: Client, argv: string[]): void {
  const by = getExactLongLongOrReply(c, argv[2]);
  if (by !== null) incrBy(c, argv[1], by);
}

function decrbyCommand(c: Client, argv: string[]): void {
  const by = getExactLongLongOrReply(c, argv[2]);
  if (by === null) return;
  // -INT64_MIN is not an int64 (past 2^53 the getter gives a BigInt).
  if (by === INT64_MIN) c.reply.error("ERR decrement would overflow");
  else incrBy(c, argv[1], typeof by === "number" ? -by : -by); // each branch negates its own type
}

/**
 * INCRBYFLOAT key increment, in x87 long double arithmetic as Redis (see store/long-double.ts), keeping
 * the TTL. Propagated as SET key value KEEPTTL so replicas store the exact same text.
 */
function incrbyfloatCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const v = c.db.lookupKeyWrite(key);
  if (v !== undefined && typeof v !== "string") {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  const cur = v === undefined ? ZERO_LONG_DOUBLE : parseLongDouble(v);
  const incr = cur === null ? null : parseLongDouble(argv[2]);
  if (cur === null || incr === null) {
    c.reply.error(ERR_NOT_FLOAT);
    return;
  }
  const sum = addLongDouble(cur, incr);
  if (sum.inf) {
    c.reply.error(ERR_INCR_NAN);
    return;
  }
  const text = formatLongDoubleHuman(sum);
  c.db.setKey(key, text, true);
  c.db.stringEncodings.set(key, STRING_NOT_INT); // createStringObjectFromLongDouble: never int-encoded
  modified(c, key, Notify.STRING, "incrbyfloat");
  c.reply.bulk(text);
  rewriteCommandVector(c, ["SET", key, text, "KEEPTTL"]);
}

const ZERO_LONG_DOUBLE = { neg: false, mant: 0n, exp: 0, inf: false };

// ─── multi-key ───────────────────────────────────────────────────────────────────────────────────────────

function mgetCommand(c: Client, argv: string[]): void {
  c.reply.arrayHeader(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = lookupRead(c, argv[i]);
    if (typeof v === "string") c.reply.bulk(v);
    else c.reply.nullBulk();
  }
}

function msetCommand(c: Client, argv: string[]): void {
  if (argv.length % 2 === 0) {
    c.reply.error("ERR wrong number of arguments for 'mset' command");
    return;
  }
  const db = c.db;
  // As Redis's setKey, an access to each key being replaced: needed for expiry and an LFU counter (setKey
  // stamps the LRU clock itself), as in SET.
  const lookup = c.server.keyspace.clock.lfu || db.expires.size !== 0;
  for (let i = 1; i < argv.length; i += 2) {
    if (lookup) db.lookupKeyWrite(argv[i]);
    db.setKey(argv[i], argv[i + 1]);
    modified(c, argv[i], Notify.STRING, "set");
  }
  c.reply.ok();
}

/** MSETNX: all keys are set, or none when any of them exists. */
function msetnxCommand(c: Client, argv: string[]): void {
  if (argv.length % 2 === 0) {
    c.reply.error("ERR wrong number of arguments for 'msetnx' command");
    return;
  }
  for (let i = 1; i < argv.length; i += 2) {
    if (c.db.lookupKeyWrite(argv[i]) !== undefined) {
      c.reply.integer(0);
      return;
    }
  }
  for (let i = 1; i < argv.length; i += 2) {
    c.db.setKey(argv[i], argv[i + 1]);
    modified(c, argv[i], Notify.STRING, "set");
  }
  c.reply.integer(1);
}

// ─── APPEND / STRLEN / GETRANGE / SETRANGE ───────────────────────────────────────────────────────────────

/**
 * Redis's checkStringLength: growing a string past proto-max-bulk-len is refused (except for our
 * master's stream, which must always apply). JS strings also have a hard engine limit just below 512MB,
 * which is refused the same way rather than crashing.
 */
function checkStringLength(c: Client, size: number, append: number): boolean {
  if (c.flags & ClientFlag.MASTER && size + append <= MAX_STRING_LENGTH) return true;
  if (size + append > c.server.protoMaxBulkLen || size + append > MAX_STRING_LENGTH) {
    c.reply.error(ERR_STRING_TOO_LONG);
    return false;
  }
  return true;
}

function appendCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const v = c.db.lookupRawWrite(key);
  let len: number;
  if (v === undefined) {
    c.db.setKey(key, argv[2]);
    len = argv[2].length;
  } else {
    if (!isRawString(v)) {
      c.reply.error(ERR_WRONGTYPE);
      return;
    }
    if (!checkStringLength(c, v.length, argv[2].length)) return;
    if (typeof v === "string") {
      // V8 concatenation builds a rope, so repeated APPENDs do not copy the whole value each time.
      const nv = v + argv[2];
      c.db.setKey(key, nv, true);
      c.db.stringEncodings.set(key, STRING_RAW); // dbUnshareStringValue
      len = nv.length;
    } else {
      // Already bytes (SETBIT/SETRANGE left it so): appended in place, with sds-like spare room.
      v.append(argv[2]);
      len = v.length;
    }
  }
  modified(c, key, Notify.STRING, "append");
  c.reply.integer(len);
}

function strlenCommand(c: Client, argv: string[]): void {
  const v = lookupRawRead(c, argv[1]);
  if (v === undefined) c.reply.integer(0);
  else if (!isRawString(v)) c.reply.error(ERR_WRONGTYPE);
  else c.reply.integer(v.length);
}

/** getLongLongOrReply under the name bitops.ts imports it by (GETRANGE-style start/end arguments). */
export const rangeArg = getLongLongOrReply;

/** GETRANGE key start end (and its old name SUBSTR): inclusive, negative indexes from the end. */
function getrangeCommand(c: Client, argv: string[]): void {
  let start = getLongLongOrReply(c, argv[2]);
  if (start === null) return;
  let end = getLongLongOrReply(c, argv[3]);
  if (end === null) return;
  const v = lookupRawRead(c, argv[1]);
  if (v === undefined) {
    c.reply.bulk("");
    return;
  }
  if (!isRawString(v)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  const len = v.length;
  if (start < 0 && end < 0 && start > end) {
    c.reply.bulk("");
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) c.reply.bulk("");
  else c.reply.bulk(rawSlice(v, start, end + 1));
}

function setrangeCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const value = argv[3];
  const offset = getLongLongOrReply(c, argv[2]);
  if (offset === null) return;
  if (offset < 0) {
    c.reply.error("ERR offset is out of range");
    return;
  }
  const v = c.db.lookupRawWrite(key);
  if (v === undefined) {
    if (value.length === 0) {
      c.reply.integer(0);
      return;
    }
    if (!checkStringLength(c, offset, value.length)) return;
  } else {
    if (!isRawString(v)) {
      c.reply.error(ERR_WRONGTYPE);
      return;
    }
    if (value.length === 0) {
      c.reply.integer(v.length);
      return;
    }
    if (!checkStringLength(c, offset, value.length)) return;
  }
  // Written in place into the value's bytes (a large value stays bytes, so the next SETRANGE is O(1)).
  const ms = writableString(c, key, v, offset + value.length);
  ms.buf.latin1Write(value, offset, value.length);
  const len = ms.length;
  commitString(c, key, ms);
  modified(c, key, Notify.STRING, "setrange");
  c.reply.integer(len);
}

// ─── LCS ─────────────────────────────────────────────────────────────────────────────────────────────────

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN], Redis's dynamic-programming table. */
function lcsCommand(c: Client, argv: string[]): void {
  const va = lookupRead(c, argv[1]);
  const vb = lookupRead(c, argv[2]);
  if ((va !== undefined && typeof va !== "string") || (vb !== undefined && typeof vb !== "string")) {
    c.reply.error("ERR The specified keys must contain string values");
    return;
  }
  const a = (va as string | undefined) ?? "";
  const b = (vb as string | undefined) ?? "";
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    if (opt === "idx") getIdx = true;
    else if (opt === "len") getLen = true;
    else if (opt === "withmatchlen") withMatchLen = true;
    else if (opt === "minmatchlen" && j + 1 < argv.length) {
      const n = getLongLongOrReply(c, argv[++j]);
      if (n === null) return;
      minMatchLen = Math.max(n, 0);
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (getIdx && getLen) {
    c.reply.error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  const alen = a.length;
  const blen = b.length;
  const cells = (alen + 1) * (blen + 1);
  if (cells * 4 > c.server.protoMaxBulkLen) {
    c.reply.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  const w = blen + 1;
  let lcs: Uint32Array;
  try {
    lcs = new Uint32Array(cells);
  } catch {
    // Redis's ztrymalloc failing: the table fits proto-max-bulk-len but not in memory.
    c.reply.error("ERR Insufficient memory, failed allocating transient memory for LCS");
    return;
  }
  for (let i = 1; i <= alen; i++) {
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= blen; j++) {
      if (ca === b.charCodeAt(j - 1)) lcs[i * w + j] = lcs[(i - 1) * w + j - 1] + 1;
      else {
        const l1 = lcs[(i - 1) * w + j];
        const l2 = lcs[i * w + j - 1];
        lcs[i * w + j] = Math.max(l1, l2);
      }
    }
  }
  const total = lcs[alen * w + blen];
  if (getLen) {
    c.reply.integer(total);
    return;
  }
  // Walk back from the end, building the string and (for IDX) the matching ranges, newest first.
  const chars: number[] = new Array(total);
  let idx = total;
  const ranges: number[][] = [];
  let aStart = alen; // alen means "no range open"
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars[idx - 1] = a.charCodeAt(i - 1);
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (lcs[(i - 1) * w + j] > lcs[i * w + j - 1]) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minMatchLen === 0 || matchLen >= minMatchLen) ranges.push([aStart, aEnd, bStart, bEnd, matchLen]);
      aStart = alen;
    }
  }
  if (!getIdx) {
    let text = "";
    for (let k = 0; k < total; k += 8192) text += String.fromCharCode(...chars.slice(k, k + 8192));
    c.reply.bulk(text);
    return;
  }
  c.reply.mapHeader(2);
  c.reply.bulk("matches");
  c.reply.arrayHeader(ranges.length);
  for (const [as, ae, bs, be, ml] of ranges) {
    c.reply.arrayHeader(withMatchLen ? 3 : 2);
    c.reply.arrayHeader(2);
    c.reply.integer(as);
    c.reply.integer(ae);
    c.reply.arrayHeader(2);
    c.reply.integer(bs);
    c.reply.integer(be);
    if (withMatchLen) c.reply.integer(ml);
  }
  c.reply.bulk("len");
  c.reply.integer(total);
}

export const stringCommands: CommandDef[] = [
  { name: "get", handler: getCommand },
  { name: "set", handler: setCommand },
  { name: "setnx", handler: setnxCommand },
  { name: "setex", handler: setexCommand },
  { name: "psetex", handler: psetexCommand },
  { name: "getset", handler: getsetCommand },
  { name: "getdel", handler: getdelCommand },
  { name: "getex", handler: getexCommand },
  { name: "incr", handler: incrCommand },
  { name: "decr", handler: decrCommand },
  { name: "incrby", handler: incrbyCommand },
  { name: "decrby", handler: decrbyCommand },
  { name: "incrbyfloat", handler: incrbyfloatCommand },
  { name: "mget", handler: mgetCommand },
  { name: "mset", handler: msetCommand },
  { name: "msetnx", handler: msetnxCommand },
  { name: "append", handler: appendCommand },
  { name: "strlen", handler: strlenCommand },
  { name: "getrange", handler: getrangeCommand },
  { name: "substr", handler: getrangeCommand },
  { name: "setrange", handler: setrangeCommand },
  { name: "lcs", handler: lcsCommand },
];
