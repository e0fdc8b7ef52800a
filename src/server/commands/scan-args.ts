import type { CursorRegistry } from "../../store/cursor-registry.js";
import { eqi, getLongLongOrReply } from "../arguments.js";
import type { Client } from "../client.js";
import { ERR_SYNTAX } from "../shared-replies.js";
import { cErrno } from "../strtod.js";

/**
 * The arguments SCAN, HSCAN, SSCAN and ZSCAN share, read as Redis 7.0's parseScanCursorOrReply and
 * scanGenericCommand read them. Each parser replies with Redis's exact error and returns null on error.
 */

// ─── cursor ──────────────────────────────────────────────────────────────────────────────────────────────

const ERR_INVALID_CURSOR = "ERR invalid cursor";
/** What strtoul consumes whole: an optional sign, then digits; or nothing at all (cursor 0). */
const CURSOR_RE = /^([+-]?\d+)?$/;
const ULONG_MAX = 18446744073709551615n;
const ULONG_RANGE = 18446744073709551616n;

/**
 * parseScanCursorOrReply: strtoul base 10 with no leading space, the whole text consumed and no
 * overflow. As strtoul does, "-n" is accepted and wraps to 2^64 - n, and "" and "-0" are cursor 0.
 * Returns the cursor as a number: exact up to 2^53, which covers every cursor we hand out; larger
 * ones can only name no parked walk anyway.
 */
export function parseScanCursor(c: Client, text: string): number | null {
  // Redis sets errno = 0 before strtoul and leaves ERANGE behind on overflow (SORT can see it).
  cErrno.erange = false;
  if (!CURSOR_RE.test(text)) {
    c.reply.error(ERR_INVALID_CURSOR);
    return null;
  }
  if (text.length === 0) return 0;
  const negative = text.charCodeAt(0) === 45; // '-'
  const digits = text.charCodeAt(0) === 43 || negative ? text.slice(1) : text;
  if (digits.length < 16) {
    const n = Number(digits);
    if (!negative || n === 0) return n;
    return Number(ULONG_RANGE - BigInt(n));
  }
  const b = BigInt(digits);
  if (b > ULONG_MAX) {
    cErrno.erange = true;
    c.reply.error(ERR_INVALID_CURSOR);
    return null;
  }
  return Number(negative && b !== 0n ? ULONG_RANGE - b : b);
}

// ─── COUNT / MATCH / TYPE ────────────────────────────────────────────────────────────────────────────────

/** The options of one SCAN-family call. */
export interface ScanOptions {
  /** Work per call (elements visited), at least 1. */
  count: number;
  /** The MATCH glob, or null when there is none or it is "*" (matches everything). */
  pattern: string | null;
  /** The TYPE filter as given (SCAN only), or null. */
  type: string | null;
}

/** Reused for every call: the hot path allocates nothing; valid until the next parseScanOptions. */
const options: ScanOptions = { count: 10, pattern: null, type: null };

/**
 * scanGenericCommand's option loop over argv[from..]: COUNT <n> (a 64-bit integer, at least 1), MATCH
 * <pattern>, and with `allowType` (SCAN over the keyspace) TYPE <type>. An option without its value, or
 * anything else, is a syntax error.
 */
export function parseScanOptions(
  c: Client,
  argv: string[],
  from: number,
  { allowType }: { allowType: boolean },
): ScanOptions | null {
  options.count = 10;
  options.pattern = null;
  options.type = null;
  for (let i = from; i < argv.length; i += 2) {
    const opt = argv[i];
    const hasValue = i + 1 < argv.length;
    if (hasValue && eqi(opt, "count")) {
      const n = getLongLongOrReply(c, argv[i + 1]);
      if (n === null) return null;
      if (n < 1) {
        c.reply.error(ERR_SYNTAX);
        return null;
      }
      options.count = n;
    } else if (hasValue && eqi(opt, "match")) {
      const p = argv[i + 1];
      options.pattern = p === "*" ? null : p;
    } else if (hasValue && allowType && eqi(opt, "type")) {
      options.type = argv[i + 1];
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return options;
}

// ─── HSCAN, SSCAN, ZSCAN ─────────────────────────────────────────────────────────────────────────────────

/** Where a scan over one key's elements starts: its value, the cursor and the options. */
export interface KeyScan<T> {
  value: T;
  cursor: number;
  count: number;
  pattern: string | null;
}

const EMPTY_SCAN_PAGE = "*2\r\n$1\r\n0\r\n*0\r\n";

/**
 * The start HSCAN, SSCAN and ZSCAN share, in Redis's order: the cursor; the key through the family's typed
 * read (null: it replied WRONGTYPE; undefined: no key, so an empty page with the options left unchecked,
 * as redis-server answers); then the options. Null once a reply has been sent.
 */
export function startKeyScan<T>(
  c: Client,
  argv: string[],
  read: (c: Client, key: string) => T | null | undefined,
): KeyScan<T> | null {
  const cursor = parseScanCursor(c, argv[2]);
  if (cursor === null) return null;
  const value = read(c, argv[1]);
  if (value === null) return null;
  if (value === undefined) {
    c.reply.raw(EMPTY_SCAN_PAGE);
    return null;
  }
  const opts = parseScanOptions(c, argv, 3, { allowType: false });
  if (opts === null) return null;
  return { value, cursor, count: opts.count, pattern: opts.pattern };
}

/**
 * Visits up to `count` entries of the walk parked under `cursor` (a fresh one from `start` at cursor 0)
 * and parks the rest. Returns the next cursor: 0 when the walk ended, or when the cursor names no walk.
 */
export function walkParked<E>(
  cursors: CursorRegistry<E>,
  owner: object,
  cursor: number,
  start: () => Iterator<E>,
  count: number,
  visit: (entry: E) => void,
): number {
  const it = cursor === 0 ? start() : cursors.take(owner, cursor);
  if (it === undefined) return 0;
  for (let seen = 0; seen < count; seen++) {
    const step = it.next();
    if (step.done) return 0;
    visit(step.value);
  }
  return cursors.park(owner, it);
}

/** A SCAN-family reply: the next cursor and the page. */
export function replyScanPage(c: Client, next: number, page: string[]): void {
  c.reply.arrayHeader(2);
  c.reply.bulk(String(next));
  c.reply.bulkArray(page);
}
