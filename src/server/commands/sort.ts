import { RedisList } from "../../store/redis-list.js";
import type { RedisValue } from "../../store/redis-value.js";
import { RedisZSet, ZSET_SKIPLIST } from "../../store/redis-zset.js";
import { getLongLongOrReply } from "../arguments.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import { ERR_SYNTAX, ERR_WRONGTYPE } from "../shared-replies.js";
import { cErrno, strtod, strtodResult } from "../strtod.js";
import { lookupRead, modified } from "./helpers.js";

/**
 * SORT and SORT_RO, following Redis 7.0's sort.c.
 */

// ─── SORT / SORT_RO ──────────────────────────────────────────────────────────────────────────────────────

/** One element being sorted: the element, its numeric weight, or (ALPHA with BY) the BY value. */
interface SortItem {
  obj: string;
  score: number;
  cmp: string | null;
}

/** string2ll's canonical integers: no sign but "-", no leading zero, no "-0". */
const INT_RE = /^(0|-?[1-9]\d*)$/;

/**
 * Whether Redis would hold this text as an integer-encoded object (a listpack integer entry, or a string
 * value that tryObjectEncoding turned into OBJ_ENCODING_INT). SORT casts those to double directly and
 * never calls strtod on them, so they cannot trip over a stale errno.
 */
function looksIntEncoded(s: string): boolean {
  if (s.length === 0 || s.length > 20 || !INT_RE.test(s)) return false;
  if (s.length < 19) return true;
  const b = BigInt(s);
  return b <= 9223372036854775807n && b >= -9223372036854775808n;
}

/** The length of `s` read as a C string: up to its first NUL. */
function cLength(s: string): number {
  const nul = s.indexOf("\0");
  return nul < 0 ? s.length : nul;
}

/**
 * Filled by lookupKeyByPattern: whether the value it found is one Redis hands back integer-encoded (a
 * string value stored as an integer, or an integer field of a listpack-encoded hash). One per SORT call.
 */
interface PatternValueKind {
  isInt: boolean;
}

/** A hash Redis would still keep in its listpack encoding, whose integer values come back as integers. */
function listpackSizedHash(c: Client, h: Map<string, string>): boolean {
  if (h.size > c.server.config.getInt("hash-max-listpack-entries")) return false;
  const maxLen = c.server.config.getInt("hash-max-listpack-value");
  for (const [f, v] of h) if (f.length > maxLen || v.length > maxLen) return false;
  return true;
}

/**
 * lookupKeyByPattern: "#" is the element itself; otherwise the first "*" is replaced by the element and
 * the key read as a string, or with "->field" after the "*", as a hash field. Null when there is no "*",
 * the key is missing or of another type, or the field is absent. Redis scans the pattern as a C string
 * (strchr/strstr stop at a NUL byte), but copies the key and field by their full lengths.
 */
function lookupKeyByPattern(
  c: Client,
  pattern: string,
  subst: string,
  kind: PatternValueKind | null = null,
): string | null {
  if (kind !== null) kind.isInt = false;
  if (pattern.charCodeAt(0) === 35 && (pattern.length === 1 || pattern.charCodeAt(1) === 0)) return subst;
  const clen = cLength(pattern);
  const star = pattern.indexOf("*");
  if (star < 0 || star >= clen) return null;
  const arrow = pattern.indexOf("->", star + 1);
  const hasField = arrow >= 0 && arrow + 2 < clen;
  const key = pattern.slice(0, star) + subst + pattern.slice(star + 1, hasField ? arrow : pattern.length);
  const v = c.db.lookupKeyRead(key);
  if (v === undefined) return null;
  if (hasField) {
    if (!(v instanceof Map)) return null;
    const field = v.get(pattern.slice(arrow + 2));
    if (field === undefined) return null;
    if (kind !== null) kind.isInt = looksIntEncoded(field) && listpackSizedHash(c, v);
    return field;
  }
  if (typeof v !== "string") return null;
  if (kind !== null) kind.isInt = looksIntEncoded(v);
  return v;
}

/** Byte order of latin1 strings (compareStringObjects: memcmp, then the shorter first). */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * strcoll in the C locale Redis runs under: strcmp, which stops at the first NUL, so "a\0x" and "a"
 * compare equal (and then keep or lose their order as the sort algorithm decides).
 */
function compareCStrings(a: string, b: string): number {
  const na = a.indexOf("\0");
  const nb = b.indexOf("\0");
  return compareBytes(na < 0 ? a : a.slice(0, na), nb < 0 ? b : b.slice(0, nb));
}

type SortCompare = (a: SortItem, b: SortItem) => number;

/**
 * sortCompare, with the settings Redis keeps in server.sort_* for its qsort callback bound into the
 * returned function (one per SORT call, so nothing is shared between calls or servers).
 */
function sortComparator(desc: boolean, alpha: boolean, byPattern: boolean, store: boolean): SortCompare {
  return (a, b) => {
    let cmp: number;
    if (!alpha) {
      // Equal scores fall back to the elements' bytes so the order is defined.
      cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.obj, b.obj);
    } else if (byPattern) {
      if (a.cmp === null || b.cmp === null) cmp = a.cmp === b.cmp ? 0 : a.cmp === null ? -1 : 1;
      else cmp = store ? compareBytes(a.cmp, b.cmp) : compareCStrings(a.cmp, b.cmp);
    } else {
      cmp = store ? compareBytes(a.obj, b.obj) : compareCStrings(a.obj, b.obj);
    }
    return desc ? -cmp : cmp;
  };
}

// ─── pqsort (partial quicksort) ──────────────────────────────────────────────────────────────────────────

/*
 * With BY and a LIMIT window Redis sorts with pqsort: Bentley & McIlroy's quicksort (as in BSD libc)
 * that skips partitions lying wholly outside the window. It is not stable, so elements whose BY values
 * tie (ALPHA with equal or missing values) come out in the order its swaps leave them; to answer as
 * Redis does we follow the same steps: pivot choice, three-way partition, swaps and cut-offs.
 * Everything else goes through glibc's qsort, a stable merge sort, which Array.prototype.sort matches.
 */

function swapItems(v: SortItem[], i: number, j: number): void {
  const t = v[i];
  v[i] = v[j];
  v[j] = t;
}

/** Swaps the runs v[i..i+n) and v[j..j+n), element by element from the front. */
function swapRuns(v: SortItem[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swapItems(v, i + k, j + k);
}

function median3(sortCompare: SortCompare, v: SortItem[], a: number, b: number, c: number): number {
  return sortCompare(v[a], v[b]) < 0
    ? sortCompare(v[b], v[c]) < 0
      ? b
      : sortCompare(v[a], v[c]) < 0
        ? c
        : a
    : sortCompare(v[b], v[c]) > 0
      ? b
      : sortCompare(v[a], v[c]) < 0
        ? a
        : c;
}

function insertionSort(sortCompare: SortCompare, v: SortItem[], base: number, n: number): void {
  for (let m = base + 1; m < base + n; m++)
    for (let l = m; l > base && sortCompare(v[l - 1], v[l]) > 0; l--) swapItems(v, l, l - 1);
}

/** Whether v[base..base+n) lies wholly before or wholly after the window [lo, hi]. */
function outsideWindow(base: number, n: number, lo: number, hi: number): boolean {
  return (lo < base && hi < base) || (lo >= base + n && hi >= base + n);
}

/** Sorts v[base..base+n) enough that positions lo..hi hold what a full sort would put there. */
function partialQuicksort(
  sortCompare: SortCompare,
  v: SortItem[],
  base: number,
  n: number,
  lo: number,
  hi: number,
): void {
  for (;;) {
    if (n < 7) {
      insertionSort(sortCompare, v, base, n);
      return;
    }
    let pm = base + Math.floor(n / 2);
    if (n > 7) {
      let pl = base;
      let pn = base + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = median3(sortCompare, v, pl, pl + d, pl + 2 * d);
        pm = median3(sortCompare, v, pm - d, pm, pm + d);
        pn = median3(sortCompare, v, pn - 2 * d, pn - d, pn);
      }
      pm = median3(sortCompare, v, pl, pm, pn);
    }
    swapItems(v, base, pm);
    // Three-way partition: equal keys gather at both ends (pa, pd), then move to the middle. BSD's
    // "no swap in this pass: finish by insertion sort" shortcut is absent: redis-server 7.0 orders ties
    // as the algorithm does without it (checked side by side).
    let pa = base + 1;
    let pb = pa;
    let pc = base + n - 1;
    let pd = pc;
    for (;;) {
      let r = 0;
      while (pb <= pc && (r = sortCompare(v[pb], v[base])) <= 0) {
        if (r === 0) swapItems(v, pa++, pb);
        pb++;
      }
      while (pb <= pc && (r = sortCompare(v[pc], v[base])) >= 0) {
        if (r === 0) swapItems(v, pc, pd--);
        pc--;
      }
      if (pb > pc) break;
      swapItems(v, pb++, pc--);
    }
    const end = base + n;
    let r = Math.min(pa - base, pb - pa);
    swapRuns(v, base, pb - r, r);
    r = Math.min(pd - pc, end - pd - 1);
    swapRuns(v, pb, end - r, r);
    r = pb - pa;
    if (r > 1 && !outsideWindow(base, r, lo, hi)) partialQuicksort(sortCompare, v, base, r, lo, hi);
    r = pd - pc;
    if (r <= 1) return;
    base = end - r;
    n = r;
    if (outsideWindow(base, n, lo, hi)) return;
  }
}

/**
 * A set Redis would hold as an intset (only integers, at most set-max-intset-entries) iterates in
 * ascending order, which is the order the sort starts from, and so the order ALPHA BY ties keep.
 * Null for other sets: those iterate in hash order, which we cannot reproduce.
 */
function intsetOrder(c: Client, set: Set<string>): string[] | null {
  if (set.size > c.server.config.getInt("set-max-intset-entries")) return null;
  let small = true;
  for (const m of set) {
    if (!looksIntEncoded(m)) return null;
    if (m.length > 15) small = false;
  }
  const members = [...set];
  if (small) return members.sort((a, b) => Number(a) - Number(b));
  return members.sort((a, b) => {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

// ─── sortCommandGeneric ──────────────────────────────────────────────────────────────────────────────────

/** BY and GET patterns read keys no argument names: the user must be able to read every key (as Redis). */
function readsAnyKey(c: Client, argv: string[]): boolean {
  return c.user.unrestricted || (c.cmd !== null && c.server.acl.readsAnyKey(c.user, c.cmd.spec, argv));
}

function sortGeneric(c: Client, argv: string[], readonly: boolean): void {
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let dontsort = false;
  let sortby: string | null = null;
  let storekey: string | null = null;
  const gets: string[] = [];
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const opt = argv[j].toLowerCase();
    if (opt === "asc") desc = false;
    else if (opt === "desc") desc = true;
    else if (opt === "alpha") alpha = true;
    else if (opt === "limit" && left >= 2) {
      const s = getLongLongOrReply(c, argv[j + 1]);
      if (s === null) return;
      const n = getLongLongOrReply(c, argv[j + 2]);
      if (n === null) return;
      limitStart = s;
      limitCount = n;
      j += 2;
    } else if (!readonly && opt === "store" && left >= 1) {
      storekey = argv[++j];
    } else if (opt === "by" && left >= 1) {
      sortby = argv[++j];
      // A BY pattern without "*" (strchr: before any NUL) names no per-element key: "don't sort".
      const star = sortby.indexOf("*");
      dontsort = star < 0 || star >= cLength(sortby);
      if (!dontsort && !readsAnyKey(c, argv)) {
        c.reply.error("ERR BY option of SORT denied due to insufficient ACL permissions.");
        return;
      }
    } else if (opt === "get" && left >= 1) {
      if (!readsAnyKey(c, argv)) {
        c.reply.error("ERR GET option of SORT denied due to insufficient ACL permissions.");
        return;
      }
      gets.push(argv[++j]);
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const v: RedisValue | undefined = lookupRead(c, argv[1]);
  if (v !== undefined && !(v instanceof RedisList) && !(v instanceof Set) && !(v instanceof RedisZSet)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  // Storing the unsorted order of a set would make the result depend on hash order (and differ on
  // replicas): Redis sorts it alphabetically instead.
  if (dontsort && v instanceof Set && storekey !== null) {
    dontsort = false;
    alpha = true;
    sortby = null;
  }
  // Redis converts a sorted set it sorts to the skiplist encoding, for good (SORT and SORT_RO alike).
  if (v instanceof RedisZSet) v.enc = ZSET_SKIPLIST;
  let vectorlen = v === undefined ? 0 : v instanceof RedisList ? v.length : v.size;
  let start = Math.min(Math.max(limitStart, 0), vectorlen);
  limitCount = Math.min(Math.max(limitCount, -1), vectorlen);
  let end = limitCount < 0 ? vectorlen - 1 : start + limitCount - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;

  // Build the vector. Unsorted lists and sorted sets only load the LIMIT window.
  const vector: SortItem[] = [];
  /** List elements that are listpack integers come back integer-encoded: no strtod for them. */
  const elementsMayBeInts = v instanceof RedisList;
  const item = (obj: string): SortItem => ({ obj, score: 0, cmp: null });
  if (v instanceof RedisList) {
    if (dontsort) {
      if (end >= start) {
        const len = v.length;
        for (let i = 0; i < end - start + 1; i++)
          vector.push(item(v.at(desc ? len - start - 1 - i : start + i)!));
        end -= start;
        start = 0;
      }
    } else {
      for (const e of v) vector.push(item(e));
    }
  } else if (v instanceof Set) {
    for (const e of intsetOrder(c, v) ?? v) vector.push(item(e));
  } else if (v instanceof RedisZSet) {
    if (dontsort) {
      const len = v.size;
      const rangelen = start !== 0 || end !== vectorlen - 1 ? end - start + 1 : vectorlen;
      let node = desc ? v.nodeAt(len - 1 - start) : v.nodeAt(start);
      for (let i = 0; i < rangelen && node !== null; i++) {
        vector.push(item(node.member));
        node = desc ? node.backward : node.next;
      }
      end -= start;
      start = 0;
    } else {
      for (const m of v.dict.keys()) vector.push(item(m));
    }
  }
  vectorlen = vector.length;

  let conversionError = false;
  if (!dontsort) {
    const kind: PatternValueKind = { isInt: false };
    for (const it of vector) {
      let byval: string | null;
      let isInt: boolean;
      if (sortby !== null) {
        byval = lookupKeyByPattern(c, sortby, it.obj, kind);
        if (byval === null) continue;
        isInt = kind.isInt;
      } else {
        byval = it.obj;
        isInt = elementsMayBeInts && looksIntEncoded(byval);
      }
      if (alpha) {
        if (sortby !== null) it.cmp = byval;
      } else if (isInt) {
        it.score = Number(byval);
      } else {
        // errno is not reset first: a range error left by an earlier strtod fails this one too.
        it.score = strtod(byval, 0);
        const stop = strtodResult.end;
        if ((stop < byval.length && byval.charCodeAt(stop) !== 0) || cErrno.erange || Number.isNaN(it.score))
          conversionError = true;
      }
    }
    const sortCompare = sortComparator(desc, alpha, sortby !== null, storekey !== null);
    if (sortby !== null && (start !== 0 || end !== vectorlen - 1))
      partialQuicksort(sortCompare, vector, 0, vectorlen, start, end);
    else vector.sort(sortCompare);
  }

  const outputlen = gets.length > 0 ? gets.length * (end - start + 1) : end - start + 1;
  if (conversionError) {
    c.reply.error("ERR One or more scores can't be converted into double");
    return;
  }
  if (storekey === null) {
    const r = c.reply;
    r.arrayHeader(outputlen);
    for (let j = start; j <= end; j++) {
      if (gets.length === 0) r.bulk(vector[j].obj);
      for (const g of gets) r.bulkOrNull(lookupKeyByPattern(c, g, vector[j].obj));
    }
    return;
  }
  const out = new RedisList();
  for (let j = start; j <= end; j++) {
    if (gets.length === 0) out.pushBack(vector[j].obj);
    for (const g of gets) out.pushBack(lookupKeyByPattern(c, g, vector[j].obj) ?? "");
  }
  if (outputlen > 0) {
    c.db.lookupKeyWrite(storekey);
    c.db.setKey(storekey, out);
    modified(c, storekey, Notify.LIST, "sortstore", outputlen);
  } else if (c.db.delete(storekey)) {
    modified(c, storekey, Notify.GENERIC, "del");
  }
  c.reply.integer(outputlen);
}

/** Command family: SORT and SORT_RO. */
export const sortCommands: CommandDef[] = [
  { name: "sort", handler: (c, a) => sortGeneric(c, a, false) },
  { name: "sort_ro", handler: (c, a) => sortGeneric(c, a, true) },
];
