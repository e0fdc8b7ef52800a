import { RedisList } from "../../store/redis-list.js";
import type { RedisValue } from "../../store/redis-value.js";
import { RedisZSet } from "../../store/redis-zset.js";
import { parseInteger } from "../arguments.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGTYPE } from "../shared-replies.js";
import { strtod, strtodResult } from "../strtod.js";
import { lookupRead, modified } from "./helpers.js";

/**
 * SORT, SORT_RO and OBJECT, following Redis 7.0's sort.c and object.c.
 */

// ─── SORT / SORT_RO ──────────────────────────────────────────────────────────────────────────────────────

/** One element being sorted: the element, its numeric weight, or (ALPHA with BY) the BY value. */
interface SortItem {
  obj: string;
  score: number;
  cmp: string | null;
}

/**
 * lookupKeyByPattern: "#" is the element itself; otherwise the first "*" is replaced by the element and
 * the key read as a string, or with "->field" after the "*", as a hash field. Null when there is no "*",
 * the key is missing or of another type, or the field is absent.
 */
function lookupKeyByPattern(c: Client, pattern: string, subst: string): string | null {
  if (pattern === "#") return subst;
  const star = pattern.indexOf("*");
  if (star < 0) return null;
  const arrow = pattern.indexOf("->", star + 1);
  const hasField = arrow >= 0 && arrow + 2 < pattern.length;
  const key = pattern.slice(0, star) + subst + pattern.slice(star + 1, hasField ? arrow : pattern.length);
  const v = c.db.lookupKeyRead(key);
  if (v === undefined) return null;
  if (hasField) {
    if (!(v instanceof Map)) return null;
    return v.get(pattern.slice(arrow + 2)) ?? null;
  }
  return typeof v === "string" ? v : null;
}

/** Byte order of latin1 strings (compareStringObjects). */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
      const s = parseInteger(argv[j + 1]);
      const n = s === null ? null : parseInteger(argv[j + 2]);
      if (s === null || n === null) {
        c.reply.error(ERR_NOT_INTEGER);
        return;
      }
      limitStart = s;
      limitCount = n;
      j += 2;
    } else if (!readonly && opt === "store" && left >= 1) {
      storekey = argv[++j];
    } else if (opt === "by" && left >= 1) {
      sortby = argv[++j];
      // A BY pattern without "*" names no per-element key: it means "don't sort".
      dontsort = !sortby.includes("*");
    } else if (opt === "get" && left >= 1) {
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
    for (const e of v) vector.push(item(e));
  } else if (v instanceof RedisZSet) {
    if (dontsort) {
      const len = v.size;
      const rangelen = start !== 0 || end !== vectorlen - 1 ? end - start + 1 : vectorlen;
      let node = desc ? v.nodeAt(len - 1 - start) : v.nodeAt(start);
      for (let i = 0; i < rangelen && node !== null; i++) {
        vector.push(item(node.member));
        node = desc ? node.backward : node.forward[0];
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
    for (const it of vector) {
      let byval: string | null;
      if (sortby !== null) {
        byval = lookupKeyByPattern(c, sortby, it.obj);
        if (byval === null) continue;
      } else {
        byval = it.obj;
      }
      if (alpha) {
        if (sortby !== null) it.cmp = byval;
      } else {
        it.score = strtod(byval, 0);
        if (strtodResult.end !== byval.length || strtodResult.erange || Number.isNaN(it.score))
          conversionError = true;
      }
    }
    const sign = desc ? -1 : 1;
    const byPattern = sortby !== null;
    // Alphabetical order is strcoll's in Redis; with the C locale servers run under, that is byte order.
    vector.sort((a, b) => {
      let cmp: number;
      if (!alpha) {
        cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.obj, b.obj);
      } else if (byPattern) {
        if (a.cmp === null || b.cmp === null) cmp = a.cmp === b.cmp ? 0 : a.cmp === null ? -1 : 1;
        else cmp = compareBytes(a.cmp, b.cmp);
      } else {
        cmp = compareBytes(a.obj, b.obj);
      }
      return sign * cmp;
    });
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
    c.db.setKey(storekey, out);
    modified(c, storekey, Notify.LIST, "sortstore", outputlen);
  } else if (c.db.delete(storekey)) {
    modified(c, storekey, Notify.GENERIC, "del");
  }
  c.reply.integer(outputlen);
}

// ─── OBJECT ──────────────────────────────────────────────────────────────────────────────────────────────

/**
 * What OBJECT reports, and why — it describes OUR representation, not the one Redis would have chosen:
 *
 * - ENCODING: sorted sets are "skiplist" (a member dictionary plus a skiplist with spans, exactly what
 *   Redis's skiplist encoding is; we have no listpack form). Hashes and sets are "hashtable" (JS Map and
 *   Set). Strings are "raw": we keep every string as one latin1 string, with no integer or embedded form.
 *   Lists are "ringbuffer": a growable circular array, which has no Redis name (it is neither a
 *   quicklist nor a listpack), so we name it for what it is.
 * - REFCOUNT: always 1. Redis shares small integers between keys (refcount 2147483647); we share nothing.
 * - IDLETIME / FREQ: we keep no per-key access clock or LFU counter, so neither can be answered. FREQ
 *   without an LFU policy gets Redis's own refusal; otherwise both say plainly that we do not track it,
 *   rather than invent a number.
 */

const ERR_LFU_NOT_SELECTED =
  "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const ERR_LFU_SELECTED =
  "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

function encodingOf(v: RedisValue): string {
  if (typeof v === "string") return "raw";
  if (v instanceof RedisZSet) return "skiplist";
  if (v instanceof RedisList) return "ringbuffer";
  return "hashtable";
}

/** objectCommandLookup: a read that does not count as an access (no hit/miss statistics). */
function objectLookup(c: Client, key: string): RedisValue | undefined {
  const v = c.db.lookupKeyRead(key);
  if (v === undefined) c.reply.nullBulk();
  return v;
}

function lfuPolicy(c: Client): boolean {
  return c.server.config.get("maxmemory-policy").includes("lfu");
}

const OBJECT_HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
  "HELP",
  "    Prints this help.",
];

const objectSubcommands = {
  encoding(c: Client, argv: string[]): void {
    const v = objectLookup(c, argv[2]);
    if (v !== undefined) c.reply.bulk(encodingOf(v));
  },
  refcount(c: Client, argv: string[]): void {
    if (objectLookup(c, argv[2]) !== undefined) c.reply.integer(1);
  },
  idletime(c: Client, argv: string[]): void {
    if (objectLookup(c, argv[2]) === undefined) return;
    if (lfuPolicy(c)) c.reply.error(ERR_LFU_SELECTED);
    else c.reply.error("ERR idle time is not tracked by this server");
  },
  freq(c: Client, argv: string[]): void {
    if (objectLookup(c, argv[2]) === undefined) return;
    if (!lfuPolicy(c)) c.reply.error(ERR_LFU_NOT_SELECTED);
    else c.reply.error("ERR access frequency is not tracked by this server");
  },
  help(c: Client): void {
    c.reply.arrayHeader(OBJECT_HELP.length);
    for (const line of OBJECT_HELP) c.reply.simple(line);
  },
};

/** Command family: SORT, SORT_RO and OBJECT. */
export const sortCommands: CommandDef[] = [
  { name: "sort", handler: (c, a) => sortGeneric(c, a, false) },
  { name: "sort_ro", handler: (c, a) => sortGeneric(c, a, true) },
  { name: "object", subcommands: objectSubcommands },
];
