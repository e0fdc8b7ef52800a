import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadRdbSync } from "../../persistence/rdb-loader.js";
import type { Database } from "../../store/database.js";
import type { Keyspace } from "../../store/keyspace.js";
import { StreamIterator } from "../../store/redis-stream.js";
import {
  MutableString,
  RedisList,
  RedisStream,
  type RedisValue,
  RedisZSet,
  type StoredValue,
} from "../../store/redis-value.js";
import { getPositiveLongOrReply } from "../arguments.js";
import type { Client } from "../client.js";
import { collectAfterBulkLoad } from "../collect-after-bulk-load.js";
import type { CommandDef } from "../command-registry.js";
import { ERR_SYNTAX } from "../shared-replies.js";
import { strtod } from "../strtod.js";

/**
 * Command family: DEBUG — SLEEP, RELOAD, POPULATE, DIGEST, DIGEST-VALUE, honouring
 * `enable-debug-command no|yes|local` with Redis's error text.
 *
 * DEBUG DIGEST is our own deterministic hash (SHA-1 based, 40 hex digits, all zeros for an empty
 * dataset): two nodes print the same digest exactly when they hold the same keys, values and TTLs in
 * the same databases. It is not byte-equal to Redis's digest, whose inner mixing differs.
 */

const ERR_DEBUG_NOT_ALLOWED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

export function isLocal(c: Client): boolean {
  const ip = c.addr.slice(0, c.addr.lastIndexOf(":"));
  return c.socket === null || ip === "127.0.0.1" || ip === "::1" || ip === "::ffff:127.0.0.1" || ip === "";
}

// ─── digests ─────────────────────────────────────────────────────────────────────────────────────────────

const ZERO_DIGEST = "0".repeat(40);

function sha1(): ReturnType<typeof createHash> {
  return createHash("sha1");
}

function feedString(h: ReturnType<typeof createHash>, s: string): void {
  h.update(`${s.length}:`, "latin1");
  h.update(s, "latin1");
}

/** XOR of per-element digests: an order-independent digest of an unordered collection. */
function xorInto(acc: Buffer, d: Buffer): void {
  for (let i = 0; i < 20; i++) acc[i] ^= d[i];
}

function valueDigest(v: RedisValue): Buffer {
  const h = sha1();
  if (typeof v === "string") {
    h.update("string\0");
    feedString(h, v);
  } else if (v instanceof RedisList) {
    h.update("list\0");
    for (const e of v) feedString(h, e);
  } else if (v instanceof Set) {
    h.update("set\0");
    const acc = Buffer.alloc(20);
    for (const m of v) {
      const e = sha1();
      feedString(e, m);
      xorInto(acc, e.digest());
    }
    h.update(acc);
  } else if (v instanceof Map) {
    h.update("hash\0");
    const acc = Buffer.alloc(20);
    for (const [f, val] of v) {
      const e = sha1();
      feedString(e, f);
      feedString(e, val);
      xorInto(acc, e.digest());
    }
    h.update(acc);
  } else if (v instanceof RedisStream) {
    // Entries only, as Redis's digest of a stream (groups are not part of it).
    h.update("stream\0");
    const it = new StreamIterator(v, null, null, false);
    while (it.next()) {
      feedString(h, `${it.ms}.${it.seq}`);
      for (const x of it.fieldValues()) feedString(h, x);
    }
  } else if (v instanceof RedisZSet) {
    h.update("zset\0");
    const score = Buffer.alloc(8);
    for (const [m, s] of v.entries()) {
      feedString(h, m);
      score.writeDoubleLE(s === 0 ? 0 : s); // -0 and 0 are the same score
      h.update(score);
    }
  }
  return h.digest();
}

function keyDigest(db: Database, key: string, v: StoredValue): Buffer {
  const h = sha1();
  feedString(h, key);
  h.update(valueDigest(v instanceof MutableString ? v.toString() : v));
  const when = db.getExpire(key);
  if (when !== undefined) h.update(`!!expire!!${when}`);
  return h.digest();
}

/** The whole dataset's digest (DEBUG DIGEST). */
export function datasetDigest(keyspace: Keyspace): string {
  const acc = Buffer.alloc(20);
  let any = false;
  for (const db of keyspace.dbs) {
    if (db.size === 0) continue;
    any = true;
    const keys = Buffer.alloc(20);
    for (const [k, v] of db.dict) xorInto(keys, keyDigest(db, k, v));
    const h = sha1();
    h.update(`db${db.id}\0`);
    h.update(keys);
    xorInto(acc, h.digest());
  }
  return any ? acc.toString("hex") : ZERO_DIGEST;
}

// ─── subcommands ─────────────────────────────────────────────────────────────────────────────────────────

function debugSleep(c: Client, argv: string[]): void {
  // Redis reads the time with a bare strtod: whatever does not parse is 0, nothing is an error.
  const seconds = strtod(argv[2], 0);
  // Redis blocks the whole server here; so do we.
  if (seconds > 0 && Number.isFinite(seconds))
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
  c.reply.ok();
}

function debugReload(c: Client, argv: string[]): void {
  let save = true;
  let flush = true;
  let merge = false;
  for (let i = 2; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === "merge") merge = true;
    else if (o === "noflush") flush = false;
    else if (o === "nosave") save = false;
    else {
      c.reply.error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
      return;
    }
  }
  const server = c.server;
  const p = server.persistence;
  if (save && !p.saveSync()) {
    c.reply.error("ERR");
    return;
  }
  if (flush && !merge) {
    for (const db of server.keyspace.dbs) {
      server.signalFlushedDb(db);
      db.flush();
    }
  }
  try {
    const r = loadRdbSync(readFileSync(p.rdbPath), server.keyspace, { merge });
    p.loadedAux = r.aux;
  } catch (err) {
    server.log.warn(`DEBUG RELOAD: ${(err as Error).message}`);
    c.reply.error("ERR Error trying to load the RDB dump, check server logs.");
    return;
  }
  server.log.warn("DB reloaded by DEBUG RELOAD");
  collectAfterBulkLoad();
  c.reply.ok();
}

/** DEBUG POPULATE of at least this many keys counts as a bulk load (collect-after-bulk-load.ts). */
const BULK_LOAD_KEYS = 100_000;

function debugPopulate(c: Client, argv: string[]): void {
  if (argv.length < 3 || argv.length > 5) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const count = getPositiveLongOrReply(c, argv[2]);
  if (count === null) return;
  const prefix = argv.length > 3 ? argv[3] : "key";
  let size = 0;
  if (argv.length === 5) {
    const s = getPositiveLongOrReply(c, argv[4]);
    if (s === null) return;
    size = s;
  }
  const db = c.db;
  for (let j = 0; j < count; j++) {
    const key = `${prefix}:${j}`;
    if (db.lookupKeyWrite(key) !== undefined) continue;
    let val = `value:${j}`;
    // With a size, Redis copies "value:<j>" into a zero-filled buffer of that size.
    if (size > 0) val = size <= val.length ? val.slice(0, size) : val + "\0".repeat(size - val.length);
    db.setKey(key, val);
    c.server.signalModifiedKey(db, key);
  }
  if (count >= BULK_LOAD_KEYS) collectAfterBulkLoad();
  c.reply.ok();
}

function debugDigest(c: Client): void {
  c.reply.simple(datasetDigest(c.server.keyspace));
}

function debugDigestValue(c: Client, argv: string[]): void {
  c.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const v = c.db.lookupKeyRead(argv[i]);
    c.reply.simple(v === undefined ? ZERO_DIGEST : valueDigest(v).toString("hex"));
  }
}

const SUBCOMMANDS: Record<string, { min: number; run: (c: Client, argv: string[]) => void }> = {
  sleep: { min: 3, run: debugSleep },
  reload: { min: 2, run: debugReload },
  populate: { min: 3, run: debugPopulate },
  digest: { min: 2, run: debugDigest },
  "digest-value": { min: 2, run: debugDigestValue },
};

function debugCommand(c: Client, argv: string[]): void {
  const mode = c.server.config.get("enable-debug-command");
  if (mode === "no" || (mode === "local" && !isLocal(c))) {
    c.reply.error(ERR_DEBUG_NOT_ALLOWED);
    return;
  }
  const sub = SUBCOMMANDS[argv[1].toLowerCase()];
  if (sub === undefined || argv.length < sub.min) {
    c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try DEBUG HELP.`);
    return;
  }
  sub.run(c, argv);
}

export const debugCommands: CommandDef[] = [{ name: "debug", handler: debugCommand }];
