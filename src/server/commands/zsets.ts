import { globMatch } from "../../command-table/glob-match.js";
import { d2string } from "../../resp/format-double.js";
import { CursorRegistry } from "../../store/cursor-registry.js";
import type { RedisValue } from "../../store/redis-value.js";
import { RedisZSet, type ZSkipNode } from "../../store/redis-zset.js";
import {
  getDoubleOrReply,
  getExactLongLongOrReply,
  getLongLongOrReply,
  getPositiveLongOrReply,
  getRangeLongOrReply,
  getTimeoutOrReply,
  LONG_MAX,
  UNIT_SECONDS,
} from "../arguments.js";
import { blockingDenied } from "../blocking.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import {
  ERR_COUNT_NOT_POSITIVE,
  ERR_LIMIT_NEGATIVE,
  ERR_NUMKEYS_NOT_POSITIVE,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  errValueOutOfRange,
} from "../shared-replies.js";
import { strtod, strtodResult } from "../strtod.js";
import { lookupRead, modified, rewriteCommandVector } from "./helpers.js";
import { replyScanPage, startKeyScan, walkParked } from "./scan-args.js";

/**
 * The sorted-set family, following Redis 7.0's t_zset.c: the same argument parsing order, the same
 * error texts, the same reply shapes in RESP2 and RESP3. Ranges of every kind (rank, score, lex) are
 * turned into a rank interval on the skiplist first, then walked node by node.
 *
 * Redis keeps small sorted sets as listpacks; we always use the skiplist. Where the encoding shows in
 * replies (ZSCAN returning a small set in one page, in order) we answer as the listpack would, since that
 * is both correct SCAN behaviour and what clients of a real server see for small sets.
 */

const ERR_NAN = "ERR resulting score is not a number (NaN)";
const ERR_MINMAX_FLOAT = "ERR min or max is not a float";
const ERR_MINMAX_LEX = "ERR min or max not valid string range item";

// ─── number parsing (strtod, as Redis's parsers use it) ─────────────────────────────────────────────────

/** string2d, under the name geo.ts imports it by. */
export { parseDoubleArg as parseScore } from "../arguments.js";

/** A score range (zrangespec); `parseScoreRange` fills the shared one. */
interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** One end of a score range as zslParseRange reads it: "(" for exclusive, then anything strtod takes. */
function parseRangeEnd(s: string, out: ScoreRange, isMin: boolean): boolean {
  const ex = s.charCodeAt(0) === 40; // '('
  const v = strtod(s, ex ? 1 : 0);
  if (strtodResult.end !== s.length || Number.isNaN(v)) return false;
  if (isMin) {
    out.min = v;
    out.minex = ex;
  } else {
    out.max = v;
    out.maxex = ex;
  }
  return true;
}

function parseScoreRange(min: string, max: string): ScoreRange | null {
  const r: ScoreRange = { min: 0, max: 0, minex: false, maxex: false };
  return parseRangeEnd(min, r, true) && parseRangeEnd(max, r, false) ? r : null;
}

/** A lex range end: "-" and "+" are the extremes, "[x" inclusive, "(x" exclusive (zslParseLexRangeItem). */
interface LexEnd {
  /** -1 for "-", 1 for "+", 0 for a real string. */
  inf: number;
  value: string;
  ex: boolean;
}

function parseLexEnd(s: string): LexEnd | null {
  const c = s[0];
  if (c === "+" || c === "-") return s.length === 1 ? { inf: c === "+" ? 1 : -1, value: "", ex: true } : null;
  if (c === "(" || c === "[") return { inf: 0, value: s.slice(1), ex: c === "(" };
  return null;
}

// ─── range → ranks ──────────────────────────────────────────────────────────────────────────────────────

/** First rank of the score range (the number of members below it). */
function scoreRangeStart(z: RedisZSet, r: ScoreRange): number {
  return z.countBelow(r.min, r.minex);
}

/** One past the last rank of the score range. */
function scoreRangeEnd(z: RedisZSet, r: ScoreRange): number {
  return z.countBelow(r.max, !r.maxex);
}

function lexRangeStart(z: RedisZSet, min: LexEnd): number {
  if (min.inf !== 0) return min.inf < 0 ? 0 : z.size;
  return z.countBelowMember(min.value, min.ex);
}

function lexRangeEnd(z: RedisZSet, max: LexEnd): number {
  if (max.inf !== 0) return max.inf < 0 ? 0 : z.size;
  return z.countBelowMember(max.value, !max.ex);
}

// ─── shared helpers ─────────────────────────────────────────────────────────────────────────────────────

function isZSet(v: RedisValue): v is RedisZSet {
  return v instanceof RedisZSet;
}

/** Deletes the key once its sorted set is empty and sends the "del" event; true if it did. */
function deleteIfEmpty(c: Client, key: string, z: RedisZSet): boolean {
  if (z.size !== 0) return false;
  c.db.delete(key);
  c.server.notifyKeyspaceEvent(Notify.GENERIC, "del", key, c.db.id);
  return true;
}

/**
 * Stores a sorted set under `key` (Redis's setKey) and wakes clients blocked on it. Redis 7.0 signals ready
 * keys from dbAdd only, so overwriting an existing key (a string a BZPOPMIN waiter saw absent before) wakes
 * nobody, exactly as redis-server behaves.
 */
export function storeZSet(c: Client, key: string, z: RedisZSet): void {
  // Redis's setKey looks the key up for writing too (expiring a stale one first), then dbAdd or dbOverwrite.
  const created = c.db.lookupKeyWrite(key) === undefined;
  c.db.setKey(key, z);
  if (created) c.server.blocking.signalKeyAsReady(c.db, key);
}

/** Writes `count` members walking from the node at `startRank`, forward or backward. */
function replyNodes(
  c: Client,
  z: RedisZSet,
  startRank: number,
  count: number,
  rev: boolean,
  withscores: boolean,
) {
  const r = c.reply;
  const nested = withscores && r.proto === 3;
  r.arrayHeader(withscores && !nested ? count * 2 : count);
  let node = count > 0 ? z.nodeAt(startRank) : null;
  for (let i = 0; i < count && node !== null; i++) {
    if (nested) r.arrayHeader(2);
    r.bulk(node.member);
    if (withscores) r.double(node.score);
    node = rev ? node.backward : node.next;
  }
}

/** The members of a node walk as a new sorted set (for the *STORE variants). */
function collectNodes(z: RedisZSet, startRank: number, count: number, rev: boolean): RedisZSet {
  const out = new RedisZSet();
  let node = count > 0 ? z.nodeAt(startRank) : null;
  for (let i = 0; i < count && node !== null; i++) {
    out.add(node.member, node.score);
    node = rev ? node.backward : node.next;
  }
  return out;
}

// ─── ZADD / ZINCRBY ─────────────────────────────────────────────────────────────────────────────────────

const ZADD_NX = 1;
const ZADD_XX = 2;
const ZADD_GT = 4;
const ZADD_LT = 8;
const ZADD_INCR = 16;
const ZADD_CH = 32;

/** `parsed`: the scores already as numbers (GEOADD, which computed them), else parsed from argv. */
function zaddGeneric(c: Client, argv: string[], flags: number, parsed: number[] | null = null): void {
  const key = argv[1];
  let scoreidx = 2;
  for (; scoreidx < argv.length; scoreidx++) {
    const opt = argv[scoreidx];
    if (opt.length > 4) break;
    const o = opt.toLowerCase();
    if (o === "nx") flags |= ZADD_NX;
    else if (o === "xx") flags |= ZADD_XX;
    else if (o === "ch") flags |= ZADD_CH;
    else if (o === "incr") flags |= ZADD_INCR;
    else if (o === "gt") flags |= ZADD_GT;
    else if (o === "lt") flags |= ZADD_LT;
    else break;
  }
  const incr = (flags & ZADD_INCR) !== 0;
  const nx = (flags & ZADD_NX) !== 0;
  const xx = (flags & ZADD_XX) !== 0;
  const gt = (flags & ZADD_GT) !== 0;
  const lt = (flags & ZADD_LT) !== 0;
  const rest = argv.length - scoreidx;
  if (rest % 2 !== 0 || rest === 0) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const elements = rest / 2;
  if (nx && xx) {
    c.reply.error("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    c.reply.error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  if (incr && elements > 1) {
    c.reply.error("ERR INCR option supports a single increment-element pair");
    return;
  }
  // All scores are parsed before anything changes: the command applies fully or not at all.
  const scores: number[] = parsed ?? new Array(elements);
  for (let j = 0; parsed === null && j < elements; j++) {
    const s = getDoubleOrReply(c, argv[scoreidx + j * 2]);
    if (s === null) return;
    scores[j] = s;
  }
  const v = c.db.lookupKeyWrite(key);
  if (v !== undefined && !isZSet(v)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  let z = v;
  if (z === undefined && !xx) {
    z = new RedisZSet();
    c.db.setKey(key, z);
    // A new key (dbAdd in Redis): clients blocked in BZPOPMIN/BZMPOP on it are served after this command.
    c.server.blocking.signalKeyAsReady(c.db, key);
  }
  if (z !== undefined) {
    for (let j = 0; j < elements; j++) {
      score = scores[j];
      const member = argv[scoreidx + 1 + j * 2];
      const cur = z.score(member);
      if (cur !== undefined) {
        if (nx) continue;
        if (incr) {
          score += cur;
          if (Number.isNaN(score)) {
            c.reply.error(ERR_NAN);
            finishZadd(c, key, incr, added, updated);
            return;
          }
        }
        if ((lt && score >= cur) || (gt && score <= cur)) continue;
        processed++;
        if (score !== cur) {
          z.add(member, score + 0);
          updated++;
        }
      } else if (!xx) {
        // "+ 0" stores -0 as 0: Redis's listpack keeps "-0" as the integer 0, so ZSCORE reads 0.
        z.add(member, score + 0);
        added++;
        processed++;
      }
    }
  }
  if (incr) {
    if (processed > 0) c.reply.double(score);
    else c.reply.nullBulk();
  } else {
    c.reply.integer(flags & ZADD_CH ? added + updated : added);
  }
  finishZadd(c, key, incr, added, updated);
}

function finishZadd(c: Client, key: string, incr: boolean, added: number, updated: number): void {
  if (added + updated > 0) modified(c, key, Notify.ZSET, incr ? "zincr" : "zadd", added + updated);
}

export function zaddCommand(c: Client, argv: string[]): void {
  zaddGeneric(c, argv, 0);
}

/** ZADD whose scores (one per member, in order) are already numbers: what GEOADD runs. */
export function zaddWithScores(c: Client, argv: string[], scores: number[]): void {
  zaddGeneric(c, argv, 0, scores);
}

function zincrbyCommand(c: Client, argv: string[]): void {
  zaddGeneric(c, argv, ZADD_INCR);
}

// ─── ZREM / ZREMRANGEBY* ────────────────────────────────────────────────────────────────────────────────

function zremCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const z = c.db.lookupKeyWrite(key);
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  if (!isZSet(z)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (z.delete(argv[i])) {
      deleted++;
      if (z.size === 0) break;
    }
  }
  if (deleted > 0) {
    modified(c, key, Notify.ZSET, "zrem", deleted);
    deleteIfEmpty(c, key, z);
  }
  c.reply.integer(deleted);
}

type RangeKind = "rank" | "score" | "lex";

function zremrangeGeneric(c: Client, argv: string[], kind: RangeKind): void {
  const key = argv[1];
  let start = 0;
  let end = 0;
  let range: ScoreRange | null = null;
  let lexMin: LexEnd | null = null;
  let lexMax: LexEnd | null = null;
  if (kind === "rank") {
    const s = getLongLongOrReply(c, argv[2]);
    if (s === null) return;
    const e = getLongLongOrReply(c, argv[3]);
    if (e === null) return;
    start = s;
    end = e;
  } else if (kind === "score") {
    range = parseScoreRange(argv[2], argv[3]);
    if (range === null) {
      c.reply.error(ERR_MINMAX_FLOAT);
      return;
    }
  } else {
    lexMin = parseLexEnd(argv[2]);
    lexMax = parseLexEnd(argv[3]);
    if (lexMin === null || lexMax === null) {
      c.reply.error(ERR_MINMAX_LEX);
      return;
    }
  }
  const z = c.db.lookupKeyWrite(key);
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  if (!isZSet(z)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  let from: number;
  let to: number; // exclusive
  if (kind === "rank") {
    const llen = z.size;
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
      c.reply.integer(0);
      return;
    }
    if (end >= llen) end = llen - 1;
    from = start;
    to = end + 1;
  } else if (kind === "score") {
    from = scoreRangeStart(z, range!);
    to = scoreRangeEnd(z, range!);
  } else {
    from = lexRangeStart(z, lexMin!);
    to = lexRangeEnd(z, lexMax!);
  }
  const deleted = Math.max(0, to - from);
  if (deleted > 0) {
    const doomed: string[] = new Array(deleted);
    let node = z.nodeAt(from);
    for (let i = 0; i < deleted && node !== null; i++, node = node.next) doomed[i] = node.member;
    for (const m of doomed) z.delete(m);
    modified(c, key, Notify.ZSET, `zremrangeby${kind}`, deleted);
    deleteIfEmpty(c, key, z);
  }
  c.reply.integer(deleted);
}

// ─── ZCARD / ZSCORE / ZMSCORE / ZRANK / ZCOUNT / ZLEXCOUNT ──────────────────────────────────────────────

/** Reads a sorted set; replies WRONGTYPE (returns null) for other types, undefined when missing. */
function readZSet(c: Client, key: string): RedisZSet | undefined | null {
  const v = lookupRead(c, key);
  if (v === undefined) return undefined;
  if (!isZSet(v)) {
    c.reply.error(ERR_WRONGTYPE);
    return null;
  }
  return v;
}

function zcardCommand(c: Client, argv: string[]): void {
  const z = readZSet(c, argv[1]);
  if (z === null) return;
  c.reply.integer(z === undefined ? 0 : z.size);
}

function zscoreCommand(c: Client, argv: string[]): void {
  const z = readZSet(c, argv[1]);
  if (z === null) return;
  const s = z?.score(argv[2]);
  if (s === undefined) c.reply.nullBulk();
  else c.reply.double(s);
}

function zmscoreCommand(c: Client, argv: string[]): void {
  const z = readZSet(c, argv[1]);
  if (z === null) return;
  c.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const s = z?.score(argv[i]);
    if (s === undefined) c.reply.nullBulk();
    else c.reply.double(s);
  }
}

function zrankGeneric(c: Client, argv: string[], rev: boolean): void {
  const z = readZSet(c, argv[1]);
  if (z === null) return;
  const r = z?.rank(argv[2]);
  if (r === undefined) c.reply.nullBulk();
  else c.reply.integer(rev ? z!.size - 1 - r : r);
}

function zcountCommand(c: Client, argv: string[]): void {
  const range = parseScoreRange(argv[2], argv[3]);
  if (range === null) {
    c.reply.error(ERR_MINMAX_FLOAT);
    return;
  }
  const z = readZSet(c, argv[1]);
  if (z === null) return;
  c.reply.integer(z === undefined ? 0 : Math.max(0, scoreRangeEnd(z, range) - scoreRangeStart(z, range)));
}

function zlexcountCommand(c: Client, argv: string[]): void {
  const min = parseLexEnd(argv[2]);
  const max = parseLexEnd(argv[3]);
  if (min === null || max === null) {
    c.reply.error(ERR_MINMAX_LEX);
    return;
  }
  const z = readZSet(c, argv[1]);
  if (z === null) return;
  c.reply.integer(z === undefined ? 0 : Math.max(0, lexRangeEnd(z, max) - lexRangeStart(z, min)));
}

// ─── ZRANGE and friends (zrangeGenericCommand) ──────────────────────────────────────────────────────────

/**
 * ZRANGE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX and ZRANGESTORE.
 * `argStart` is the index of the source key; `kind`/`rev` are fixed by the command name or, when
 * undefined, chosen by BYSCORE/BYLEX/REV options (ZRANGE, ZRANGESTORE).
 */
function zrangeGeneric(
  c: Client,
  argv: string[],
  argStart: number,
  store: boolean,
  fixedKind: RangeKind | undefined,
  fixedRev: boolean | undefined,
): void {
  const key = argv[argStart];
  let minIdx = argStart + 1;
  let maxIdx = argStart + 2;
  let kind = fixedKind;
  let rev = fixedRev;
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = argStart + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const opt = argv[j].toLowerCase();
    if (!store && opt === "withscores") withscores = true;
    else if (opt === "limit" && left >= 2) {
      const o = getLongLongOrReply(c, argv[j + 1]);
      if (o === null) return;
      const l = getLongLongOrReply(c, argv[j + 2]);
      if (l === null) return;
      offset = o;
      limit = l;
      j += 2;
    } else if (rev === undefined && opt === "rev") rev = true;
    else if (kind === undefined && opt === "bylex") kind = "lex";
    else if (kind === undefined && opt === "byscore") kind = "score";
    else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (rev === undefined) rev = false;
  if (kind === undefined) kind = "rank";
  if (limit !== -1 && kind === "rank") {
    c.reply.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (withscores && kind === "lex") {
    c.reply.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  if (rev && kind !== "rank") {
    // Reverse score and lex ranges are written max first.
    minIdx = argStart + 2;
    maxIdx = argStart + 1;
  }
  let start = 0;
  let end = 0;
  let range: ScoreRange | null = null;
  let lexMin: LexEnd | null = null;
  let lexMax: LexEnd | null = null;
  if (kind === "rank") {
    const s = getLongLongOrReply(c, argv[minIdx]);
    if (s === null) return;
    const e = getLongLongOrReply(c, argv[maxIdx]);
    if (e === null) return;
    start = s;
    end = e;
  } else if (kind === "score") {
    range = parseScoreRange(argv[minIdx], argv[maxIdx]);
    if (range === null) {
      c.reply.error(ERR_MINMAX_FLOAT);
      return;
    }
  } else {
    lexMin = parseLexEnd(argv[minIdx]);
    lexMax = parseLexEnd(argv[maxIdx]);
    if (lexMin === null || lexMax === null) {
      c.reply.error(ERR_MINMAX_LEX);
      return;
    }
  }
  const v = lookupRead(c, key);
  if (v === undefined) {
    if (store) storeRangeResult(c, argv[1], null);
    else c.reply.arrayHeader(0);
    return;
  }
  if (!isZSet(v)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  // Reduce every kind of range to a first rank (in walking order) and a count.
  let first = 0;
  let count = 0;
  if (kind === "rank") {
    const llen = v.size;
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start <= end && start < llen) {
      if (end >= llen) end = llen - 1;
      count = end - start + 1;
      first = rev ? llen - 1 - start : start;
    }
  } else {
    const from = kind === "score" ? scoreRangeStart(v, range!) : lexRangeStart(v, lexMin!);
    const to = kind === "score" ? scoreRangeEnd(v, range!) : lexRangeEnd(v, lexMax!);
    // A negative offset walks off the end in Redis's loop: nothing is returned.
    if (to > from && offset >= 0 && offset < v.size) {
      count = to - from - offset;
      if (limit >= 0 && limit < count) count = limit;
      if (count < 0) count = 0;
      first = rev ? to - 1 - offset : from + offset;
    }
  }
  if (store) storeRangeResult(c, argv[1], count > 0 ? collectNodes(v, first, count, rev) : null);
  else replyNodes(c, v, first, count, rev, withscores);
}

/** ZRANGESTORE's end (zrangeResultFinalizeStore): store a non-empty result, else delete dst. */
function storeRangeResult(c: Client, dst: string, result: RedisZSet | null): void {
  if (result !== null && result.size > 0) {
    storeZSet(c, dst, result);
    modified(c, dst, Notify.ZSET, "zrangestore");
    c.reply.integer(result.size);
  } else {
    c.reply.integer(0);
    if (c.db.delete(dst)) modified(c, dst, Notify.GENERIC, "del");
  }
}

// ─── ZPOPMIN / ZPOPMAX / ZMPOP ──────────────────────────────────────────────────────────────────────────

/**
 * genericZpopCommand: pops up to `count` (-1: a single pop, flat reply) from the first existing key.
 * `emitKey` adds the key name (BZPOP*, ZMPOP), `nested` uses [member, score] pairs.
 */
export function genericZpop(
  c: Client,
  keys: readonly string[],
  max: boolean,
  emitKey: boolean,
  count: number,
  nested: boolean,
  nilWhenEmpty: boolean,
): void {
  let key = "";
  let z: RedisZSet | undefined;
  for (let i = 0; i < keys.length; i++) {
    const v = c.db.lookupKeyWrite(keys[i]);
    if (v === undefined) continue;
    if (!isZSet(v)) {
      c.reply.error(ERR_WRONGTYPE);
      return;
    }
    key = keys[i];
    z = v;
    break;
  }
  const r = c.reply;
  if (z === undefined) {
    if (nilWhenEmpty) r.nullArray();
    else r.arrayHeader(0);
    return;
  }
  if (count === 0) {
    r.arrayHeader(0);
    return;
  }
  const single = count === -1;
  if (single) count = 1;
  const llen = z.size;
  const n = Math.min(count, llen);
  if (!nested && !emitKey) r.arrayHeader(n * 2);
  else if (nested && !emitKey) r.arrayHeader(n);
  else if (!nested && emitKey) {
    r.arrayHeader(n * 2 + 1);
    r.bulk(key);
  } else {
    r.arrayHeader(2);
    r.bulk(key);
    r.arrayHeader(n);
  }
  for (let i = 0; i < n; i++) {
    const node = (max ? z.last : z.first) as ZSkipNode;
    const member = node.member;
    const score = node.score;
    z.delete(member);
    if (nested) r.arrayHeader(2);
    r.bulk(member);
    r.double(score);
  }
  modified(c, key, Notify.ZSET, max ? "zpopmax" : "zpopmin", n);
  deleteIfEmpty(c, key, z);
  // ZMPOP and the blocking pops replicate as the plain pop they performed.
  if (emitKey) {
    const name = max ? "ZPOPMAX" : "ZPOPMIN";
    rewriteCommandVector(c, single ? [name, key] : [name, key, String(n)]);
  }
}

function zpopMinMax(c: Client, argv: string[], max: boolean): void {
  if (argv.length > 3) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const n = getPositiveLongOrReply(c, argv[2]);
    if (n === null) return;
    count = n;
  }
  genericZpop(c, [argv[1]], max, false, count, c.reply.proto > 2 && count !== -1, false);
}

/** Parsed ZMPOP/BZMPOP arguments, or null after replying an error. */
export interface ZmpopArgs {
  keys: string[];
  max: boolean;
  count: number;
}

/** zmpopGenericCommand's parsing: numkeys at `numkeysIdx`, keys, MIN|MAX, [COUNT n]. */
export function parseZmpopArgs(c: Client, argv: string[], numkeysIdx: number): ZmpopArgs | null {
  const numkeys = getRangeLongOrReply(c, argv[numkeysIdx], 1, LONG_MAX, ERR_NUMKEYS_NOT_POSITIVE);
  if (numkeys === null) return null;
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= argv.length) {
    c.reply.error(ERR_SYNTAX);
    return null;
  }
  const where = argv[whereIdx].toLowerCase();
  if (where !== "min" && where !== "max") {
    c.reply.error(ERR_SYNTAX);
    return null;
  }
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (count === -1 && argv[j].toLowerCase() === "count" && more > 0) {
      j++;
      const n = getRangeLongOrReply(c, argv[j], 1, LONG_MAX, ERR_COUNT_NOT_POSITIVE);
      if (n === null) return null;
      count = n;
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return {
    keys: argv.slice(numkeysIdx + 1, whereIdx),
    max: where === "max",
    count: count === -1 ? 1 : count,
  };
}

function zmpopCommand(c: Client, argv: string[]): void {
  const a = parseZmpopArgs(c, argv, 1);
  if (a === null) return;
  genericZpop(c, a.keys, a.max, true, a.count, true, true);
}

// ─── BZPOPMIN / BZPOPMAX / BZMPOP ───────────────────────────────────────────────────────────────────────

/** What a client blocked in BZPOPMIN/BZPOPMAX/BZMPOP waits to do; `count` is -1 for BZPOPMIN/BZPOPMAX. */
interface BlockedZpop {
  max: boolean;
  count: number;
}

/**
 * Serves a client blocked on a sorted set that became ready (Redis's serveClientsBlockedOnSortedSetKey):
 * the same pop and reply as if the key had been there, propagated as ZPOPMIN/ZPOPMAX with the number of
 * members actually popped when BZMPOP gave a COUNT.
 */
function serveBlockedZpop(c: Client, key: string, data: unknown): boolean {
  const z = c.db.lookupKeyWrite(key);
  if (z === undefined || !isZSet(z)) return false;
  const { max, count } = data as BlockedZpop;
  const popped = Math.min(count, z.size);
  const nested = count !== -1;
  genericZpop(c, [key], max, true, count, nested, nested);
  const name = max ? "ZPOPMAX" : "ZPOPMIN";
  c.server.propagator.add(c.db.id, count === -1 ? [name, key] : [name, key, String(popped)]);
  return true;
}

/**
 * blockingGenericZpopCommand: pop from the first key holding a sorted set (WRONGTYPE stops at the first key
 * of another type), else block on all of them. Inside MULTI it answers a null array at once, as Redis does
 * for a timeout. genericZpop rewrites the propagated command to ZPOPMIN/ZPOPMAX.
 */
function blockingZpop(c: Client, keys: string[], max: boolean, deadline: number, count: number): void {
  const nested = count !== -1;
  for (let i = 0; i < keys.length; i++) {
    const v = c.db.lookupKeyWrite(keys[i]);
    if (v === undefined) continue;
    if (!isZSet(v)) {
      c.reply.error(ERR_WRONGTYPE);
      return;
    }
    genericZpop(c, [keys[i]], max, true, count, nested, nested);
    return;
  }
  if (blockingDenied(c)) {
    c.reply.nullArray();
    return;
  }
  const data: BlockedZpop = { max, count };
  c.server.blocking.blockForKeys(c, "zset", keys, deadline, serveBlockedZpop, data);
}

/** BZPOPMIN/BZPOPMAX key [key ...] timeout: the timeout is checked before the keys, as in Redis. */
function bzpopMinMax(c: Client, argv: string[], max: boolean): void {
  const deadline = getTimeoutOrReply(c, argv[argv.length - 1], UNIT_SECONDS);
  if (deadline === null) return;
  blockingZpop(c, argv.slice(1, -1), max, deadline, -1);
}

/** BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT n]: Redis parses numkeys..COUNT before the timeout. */
function bzmpopCommand(c: Client, argv: string[]): void {
  const a = parseZmpopArgs(c, argv, 2);
  if (a === null) return;
  const deadline = getTimeoutOrReply(c, argv[1], UNIT_SECONDS);
  if (deadline === null) return;
  blockingZpop(c, a.keys, a.max, deadline, a.count);
}

// ─── ZRANDMEMBER ────────────────────────────────────────────────────────────────────────────────────────

function zrandmemberCommand(c: Client, argv: string[]): void {
  if (argv.length >= 3) {
    // getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX), exact: WITHSCORES checks the value again below.
    const l = getExactLongLongOrReply(c, argv[2]);
    if (l === null) return;
    if (l < -LONG_MAX) {
      c.reply.error(errValueOutOfRange(-LONG_MAX, LONG_MAX));
      return;
    }
    let withscores = false;
    if (argv.length > 4 || (argv.length === 4 && argv[3].toLowerCase() !== "withscores")) {
      c.reply.error(ERR_SYNTAX);
      return;
    }
    if (argv.length === 4) {
      withscores = true;
      if (l < -LONG_MAX / 2n || l > LONG_MAX / 2n) {
        c.reply.error("ERR value is out of range");
        return;
      }
    }
    zrandmemberWithCount(c, argv[1], BigInt(l), withscores);
    return;
  }
  const z = readZSet(c, argv[1]);
  if (z === null) return;
  if (z === undefined) c.reply.nullBulk();
  else c.reply.bulk(z.memberAt(Math.floor(Math.random() * z.size))!);
}

function zrandmemberWithCount(c: Client, key: string, l: bigint, withscores: boolean): void {
  const v = lookupRead(c, key);
  const r = c.reply;
  if (v === undefined) {
    r.arrayHeader(0);
    return;
  }
  if (!isZSet(v)) {
    r.error(ERR_WRONGTYPE);
    return;
  }
  const uniq = l >= 0n;
  const want = uniq ? l : -l;
  if (want === 0n) {
    r.arrayHeader(0);
    return;
  }
  const size = v.size;
  const nested = withscores && r.proto === 3;
  const emit = (node: ZSkipNode) => {
    if (nested) r.arrayHeader(2);
    r.bulk(node.member);
    if (withscores) r.double(node.score);
  };
  if (!uniq || want === 1n) {
    // Sampling with repetition; the count is bounded only by the client's patience, as in Redis.
    const count = Number(want);
    r.arrayHeader(withscores && !nested ? count * 2 : count);
    for (let i = 0; i < count; i++) emit(v.nodeAt(Math.floor(Math.random() * size))!);
    return;
  }
  const count = want >= BigInt(size) ? size : Number(want);
  r.arrayHeader(withscores && !nested ? count * 2 : count);
  if (count === size) {
    // The whole set, walked from the top down as Redis's zset iterator (zuiNext) walks it.
    for (let n = v.last; n !== null; n = n.backward) emit(n);
    return;
  }
  // A partial Fisher-Yates over ranks picks `count` distinct members in random order.
  const ranks = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (size - i));
    const pick = ranks.get(j) ?? j;
    ranks.set(j, ranks.get(i) ?? i);
    emit(v.nodeAt(pick)!);
  }
}

// ─── ZUNION / ZINTER / ZDIFF (+STORE), ZINTERCARD ───────────────────────────────────────────────────────

enum SetOp {
  UNION,
  INTER,
  DIFF,
}

enum Aggregate {
  SUM,
  MIN,
  MAX,
}

/** One input: a sorted set, a plain set (every member scores 1) or a missing key (empty). */
interface OpSource {
  zset: RedisZSet | null;
  set: Set<string> | null;
  weight: number;
}

function sourceSize(s: OpSource): number {
  return s.zset !== null ? s.zset.size : s.set !== null ? s.set.size : 0;
}

function sourceScore(s: OpSource, member: string): number | undefined {
  if (s.zset !== null) return s.zset.score(member);
  if (s.set !== null) return s.set.has(member) ? 1 : undefined;
  return undefined;
}

/** Calls fn(member, score) for every member of a source. */
function forEachInSource(s: OpSource, fn: (member: string, score: number) => boolean | undefined): void {
  if (s.zset !== null) {
    for (let n = s.zset.first; n !== null; n = n.next) if (fn(n.member, n.score) === false) return;
  } else if (s.set !== null) {
    for (const m of s.set) if (fn(m, 1) === false) return;
  }
}

function aggregate(target: number, value: number, agg: Aggregate): number {
  if (agg === Aggregate.SUM) {
    const r = target + value;
    // inf + -inf: Redis turns the NaN into 0 rather than storing it.
    return Number.isNaN(r) ? 0 : r;
  }
  // C's comparisons, not Math.min/max: they differ on -0 and NaN, and the replies must match Redis's.
  // biome-ignore lint/complexity/useMathMinMax: exact C semantics
  if (agg === Aggregate.MIN) return value < target ? value : target;
  // biome-ignore lint/complexity/useMathMinMax: exact C semantics
  return value > target ? value : target;
}

function zsetOpGeneric(
  c: Client,
  argv: string[],
  dst: string | null,
  numkeysIdx: number,
  op: SetOp,
  cardOnly: boolean,
) {
  const setnum = getLongLongOrReply(c, argv[numkeysIdx]);
  if (setnum === null) return;
  if (setnum < 1) {
    c.reply.error(
      `ERR at least 1 input key is needed for '${c.cmd?.fullName ?? argv[0].toLowerCase()}' command`,
    );
    return;
  }
  if (setnum > argv.length - (numkeysIdx + 1)) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const src: OpSource[] = new Array(setnum);
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const v = lookupRead(c, argv[j]);
    let zset: RedisZSet | null = null;
    let set: Set<string> | null = null;
    if (v !== undefined) {
      if (isZSet(v)) zset = v;
      else if (v instanceof Set) set = v;
      else {
        c.reply.error(ERR_WRONGTYPE);
        return;
      }
    }
    src[i] = { zset, set, weight: 1 };
  }
  let agg = Aggregate.SUM;
  let withscores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const opt = argv[j].toLowerCase();
    if (op !== SetOp.DIFF && !cardOnly && remaining >= setnum + 1 && opt === "weights") {
      j++;
      for (let i = 0; i < setnum; i++, j++) {
        const w = getDoubleOrReply(c, argv[j], "ERR weight value is not a float");
        if (w === null) return;
        src[i].weight = w;
      }
    } else if (op !== SetOp.DIFF && !cardOnly && remaining >= 2 && opt === "aggregate") {
      const a = argv[j + 1].toLowerCase();
      if (a === "sum") agg = Aggregate.SUM;
      else if (a === "min") agg = Aggregate.MIN;
      else if (a === "max") agg = Aggregate.MAX;
      else {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      j += 2;
    } else if (dst === null && !cardOnly && opt === "withscores") {
      withscores = true;
      j++;
    } else if (cardOnly && remaining >= 2 && opt === "limit") {
      const l = getPositiveLongOrReply(c, argv[j + 1], ERR_LIMIT_NEGATIVE);
      if (l === null) return;
      limit = l;
      j += 2;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  // Smallest input first, as Redis orders them (stable, so equal sizes keep their argument order).
  if (op !== SetOp.DIFF) src.sort((a, b) => sourceSize(a) - sourceSize(b));
  const result = new RedisZSet();
  let cardinality = 0;
  if (op === SetOp.INTER) {
    if (sourceSize(src[0]) > 0) {
      forEachInSource(src[0], (member, s0) => {
        let score = src[0].weight * s0;
        if (Number.isNaN(score)) score = 0;
        let k = 1;
        for (; k < setnum; k++) {
          const s = sourceScore(src[k], member);
          if (s === undefined) break;
          score = aggregate(score, s * src[k].weight, agg);
        }
        if (k !== setnum) return true;
        if (cardOnly) {
          cardinality++;
          if (limit !== 0 && cardinality >= limit) return false;
        } else {
          result.add(member, score);
        }
        return true;
      });
    }
  } else if (op === SetOp.UNION) {
    const acc = new Map<string, number>();
    for (let i = 0; i < setnum; i++) {
      const w = src[i].weight;
      forEachInSource(src[i], (member, s) => {
        let score = w * s;
        if (Number.isNaN(score)) score = 0;
        const cur = acc.get(member);
        acc.set(member, cur === undefined ? score : aggregate(cur, score, agg));
        return true;
      });
    }
    for (const [m, s] of acc) result.add(m, s);
  } else {
    forEachInSource(src[0], (member, s) => {
      for (let k = 1; k < setnum; k++) if (sourceScore(src[k], member) !== undefined) return true;
      result.add(member, s);
      return true;
    });
  }
  if (dst !== null) {
    if (result.size > 0) {
      // Stored results pass through Redis's listpack, which turns -0 into 0 (see ZADD).
      for (let n = result.first; n !== null; n = n.next) n.score += 0;
      storeZSet(c, dst, result);
      c.reply.integer(result.size);
      modified(
        c,
        dst,
        Notify.ZSET,
        op === SetOp.UNION ? "zunionstore" : op === SetOp.INTER ? "zinterstore" : "zdiffstore",
      );
    } else {
      c.reply.integer(0);
      if (c.db.delete(dst)) modified(c, dst, Notify.GENERIC, "del");
    }
  } else if (cardOnly) {
    c.reply.integer(cardinality);
  } else {
    replyNodes(c, result, 0, result.size, false, withscores);
  }
}

// ─── ZSCAN ──────────────────────────────────────────────────────────────────────────────────────────────

/** Parked dict iterators of sorted sets too large to return in one page. */
const zscanCursors = new CursorRegistry<[string, ZSkipNode]>();

function zscanCommand(c: Client, argv: string[]): void {
  const scan = startKeyScan(c, argv, readZSet);
  if (scan === null) return;
  const { value: z, cursor, count, pattern } = scan;
  const out: string[] = [];
  let next = 0;
  if (z.size <= c.server.config.getInt("zset-max-listpack-entries")) {
    // Small sets come back whole, in order, with cursor 0 — what Redis does for its listpack encoding.
    for (let n = z.first; n !== null; n = n.next) {
      if (pattern === null || globMatch(pattern, n.member)) out.push(n.member, d2string(n.score));
    }
  } else {
    next = walkParked(
      zscanCursors,
      z,
      cursor,
      () => z.dict.entries(),
      count,
      ([member, node]) => {
        if (pattern === null || globMatch(pattern, member)) out.push(member, d2string(node.score));
      },
    );
  }
  replyScanPage(c, next, out);
}

// ─── the family ─────────────────────────────────────────────────────────────────────────────────────────

/** Command family: the sorted-set family. */
export const zsetCommands: CommandDef[] = [
  { name: "zadd", handler: zaddCommand },
  { name: "zincrby", handler: zincrbyCommand },
  { name: "zrem", handler: zremCommand },
  { name: "zremrangebyrank", handler: (c, a) => zremrangeGeneric(c, a, "rank") },
  { name: "zremrangebyscore", handler: (c, a) => zremrangeGeneric(c, a, "score") },
  { name: "zremrangebylex", handler: (c, a) => zremrangeGeneric(c, a, "lex") },
  { name: "zcard", handler: zcardCommand },
  { name: "zscore", handler: zscoreCommand },
  { name: "zmscore", handler: zmscoreCommand },
  { name: "zrank", handler: (c, a) => zrankGeneric(c, a, false) },
  { name: "zrevrank", handler: (c, a) => zrankGeneric(c, a, true) },
  { name: "zcount", handler: zcountCommand },
  { name: "zlexcount", handler: zlexcountCommand },
  { name: "zrange", handler: (c, a) => zrangeGeneric(c, a, 1, false, undefined, undefined) },
  { name: "zrangestore", handler: (c, a) => zrangeGeneric(c, a, 2, true, undefined, undefined) },
  { name: "zrevrange", handler: (c, a) => zrangeGeneric(c, a, 1, false, "rank", true) },
  { name: "zrangebyscore", handler: (c, a) => zrangeGeneric(c, a, 1, false, "score", false) },
  { name: "zrevrangebyscore", handler: (c, a) => zrangeGeneric(c, a, 1, false, "score", true) },
  { name: "zrangebylex", handler: (c, a) => zrangeGeneric(c, a, 1, false, "lex", false) },
  { name: "zrevrangebylex", handler: (c, a) => zrangeGeneric(c, a, 1, false, "lex", true) },
  { name: "zpopmin", handler: (c, a) => zpopMinMax(c, a, false) },
  { name: "zpopmax", handler: (c, a) => zpopMinMax(c, a, true) },
  { name: "zmpop", handler: zmpopCommand },
  { name: "bzpopmin", handler: (c, a) => bzpopMinMax(c, a, false) },
  { name: "bzpopmax", handler: (c, a) => bzpopMinMax(c, a, true) },
  { name: "bzmpop", handler: bzmpopCommand },
  { name: "zrandmember", handler: zrandmemberCommand },
  { name: "zunion", handler: (c, a) => zsetOpGeneric(c, a, null, 1, SetOp.UNION, false) },
  { name: "zinter", handler: (c, a) => zsetOpGeneric(c, a, null, 1, SetOp.INTER, false) },
  { name: "zdiff", handler: (c, a) => zsetOpGeneric(c, a, null, 1, SetOp.DIFF, false) },
  { name: "zintercard", handler: (c, a) => zsetOpGeneric(c, a, null, 1, SetOp.INTER, true) },
  { name: "zunionstore", handler: (c, a) => zsetOpGeneric(c, a, a[1], 2, SetOp.UNION, false) },
  { name: "zinterstore", handler: (c, a) => zsetOpGeneric(c, a, a[1], 2, SetOp.INTER, false) },
  { name: "zdiffstore", handler: (c, a) => zsetOpGeneric(c, a, a[1], 2, SetOp.DIFF, false) },
  { name: "zscan", handler: zscanCommand },
];
