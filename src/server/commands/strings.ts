import { parseInteger } from "../arguments.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import { ERR_NOT_INTEGER, ERR_OVERFLOW, ERR_SYNTAX, ERR_WRONGTYPE } from "../shared-replies.js";
import { lookupRead, modified, rewriteCommandVector } from "./helpers.js";

/**
 * The string family. Values are latin1 strings; numbers are parsed from them on demand, as Redis does
 * with its int-encoded strings.
 */

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

/**
 * SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL]. Any expiry is propagated as an
 * absolute PXAT, so replicas and the AOF agree on the instant.
 */
function setCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const value = argv[2];
  if (argv.length === 3) {
    c.db.setKey(key, value);
    modified(c, key, Notify.STRING, "set");
    c.reply.ok();
    return;
  }
  let flags = 0;
  let unit = "";
  let expireArg = "";
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i].toLowerCase();
    const hasNext = i + 1 < argv.length;
    if (opt === "nx" && !(flags & SET_XX)) flags |= SET_NX;
    else if (opt === "xx" && !(flags & SET_NX)) flags |= SET_XX;
    else if (opt === "get") flags |= SET_GET;
    else if (opt === "keepttl" && unit === "") flags |= SET_KEEPTTL;
    else if (
      (opt === "ex" || opt === "px" || opt === "exat" || opt === "pxat") &&
      unit === "" &&
      !(flags & SET_KEEPTTL) &&
      hasNext
    ) {
      unit = opt;
      expireArg = argv[++i];
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  let when = 0;
  if (unit !== "") {
    const n = parseInteger(expireArg);
    if (n === null) {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
    if (n <= 0 || ((unit === "ex" || unit === "exat") && n > Number.MAX_SAFE_INTEGER / 1000)) {
      c.reply.error("ERR invalid expire time in 'set' command");
      return;
    }
    when =
      unit === "ex" ? Date.now() + n * 1000 : unit === "px" ? Date.now() + n : unit === "exat" ? n * 1000 : n;
  }
  const old = flags & (SET_GET | SET_NX | SET_XX) ? c.db.lookupKeyWrite(key) : undefined;
  if (flags & SET_GET && old !== undefined && typeof old !== "string") {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  if ((flags & SET_NX && old !== undefined) || (flags & SET_XX && old === undefined)) {
    if (flags & SET_GET) c.reply.bulkOrNull(old as string | undefined);
    else c.reply.nullBulk();
    return;
  }
  c.db.setKey(key, value, (flags & SET_KEEPTTL) !== 0);
  if (when > 0) c.db.setExpire(key, when);
  modified(c, key, Notify.STRING, "set");
  if (when > 0) c.server.notifyKeyspaceEvent(Notify.GENERIC, "expire", key, c.db.id);
  if (when > 0 || flags & SET_GET) {
    const prop = ["SET", key, value];
    if (when > 0) prop.push("PXAT", String(when));
    else if (flags & SET_KEEPTTL) prop.push("KEEPTTL");
    rewriteCommandVector(c, prop);
  }
  if (flags & SET_GET) c.reply.bulkOrNull(old as string | undefined);
  else c.reply.ok();
}

// ─── INCR / DECR ─────────────────────────────────────────────────────────────────────────────────────────

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Adds `by` to the integer at key (created as 0) with Redis's overflow rules; replies the new value. */
function incrBy(c: Client, key: string, by: bigint | number): void {
  const v = c.db.lookupKeyWrite(key);
  if (v !== undefined && typeof v !== "string") {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  let result: number | bigint;
  const cur = v === undefined ? 0 : parseInteger(v);
  if (cur === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (typeof by === "number" && Number.isSafeInteger(cur + by)) {
    result = cur + by;
  } else {
    const r = BigInt(cur) + BigInt(by);
    if (r > INT64_MAX || r < INT64_MIN) {
      c.reply.error(ERR_OVERFLOW);
      return;
    }
    result = r;
  }
  const text = String(result);
  c.db.setKey(key, text, true);
  modified(c, key, Notify.STRING, "incrby");
  c.reply.integer(result);
}

function incrByArg(s: string, negate: boolean): bigint | number | null {
  const n = parseInteger(s);
  if (n !== null) {
    if (negate && n === Number.MIN_SAFE_INTEGER - 1) return null;
    return negate ? -n : n;
  }
  // Outside the safe range parseInteger refuses inexact values; retry exactly with BigInt.
  if (!/^-?(0|[1-9]\d*)$/.test(s)) return null;
  const b = BigInt(s);
  if (b > INT64_MAX || b < INT64_MIN) return null;
  if (negate && b === INT64_MIN) return null;
  return negate ? -b : b;
}

function incrCommand(c: Client, argv: string[]): void {
  incrBy(c, argv[1], 1);
}

function decrCommand(c: Client, argv: string[]): void {
  incrBy(c, argv[1], -1);
}

function incrbyCommand(c: Client, argv: string[]): void {
  const by = incrByArg(argv[2], false);
  if (by === null) c.reply.error(ERR_NOT_INTEGER);
  else incrBy(c, argv[1], by);
}

function decrbyCommand(c: Client, argv: string[]): void {
  const by = incrByArg(argv[2], true);
  if (by === null) {
    // DECRBY of INT64_MIN cannot be negated: Redis says "decrement would overflow".
    c.reply.error(argv[2] === "-9223372036854775808" ? "ERR decrement would overflow" : ERR_NOT_INTEGER);
  } else {
    incrBy(c, argv[1], by);
  }
}

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
  for (let i = 1; i < argv.length; i += 2) {
    c.db.setKey(argv[i], argv[i + 1]);
    modified(c, argv[i], Notify.STRING, "set");
  }
  c.reply.ok();
}

export const stringCommands: CommandDef[] = [
  { name: "get", handler: getCommand },
  { name: "set", handler: setCommand },
  { name: "incr", handler: incrCommand },
  { name: "decr", handler: decrCommand },
  { name: "incrby", handler: incrbyCommand },
  { name: "decrby", handler: decrbyCommand },
  { name: "mget", handler: mgetCommand },
  { name: "mset", handler: msetCommand },
];
