import { valueBytes } from "../../store/database.js";
import { isCanonicalInt64 } from "../../store/encoding-config.js";
import { HEAP_NUMBER, MAP_SLOT, stringBytes } from "../../store/memory-model.js";
import { objectEncoding, stringEncoding } from "../../store/object-encoding.js";
import type { StoredValue } from "../../store/redis-value.js";
import { getLongLongOrReply } from "../arguments.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { ERR_SYNTAX } from "../shared-replies.js";
import { lookupReadNoTouch } from "./helpers.js";

/**
 * OBJECT and MEMORY (object.c in Redis 7.0).
 *
 * OBJECT ENCODING names the encoding Redis would hold the same value in (store/object-encoding.ts);
 * IDLETIME and FREQ read the per-key access clock (store/access-clock.ts); REFCOUNT is 2147483647 where
 * Redis would share the object (the integers 0..9999 when no LRU/LFU maxmemory policy needs a clock per
 * key), 1 otherwise.
 *
 * MEMORY USAGE, STATS and DOCTOR report Tandem's size estimate (store/memory-model.ts, used-memory.ts),
 * with Redis's field names.
 */

// ─── OBJECT ──────────────────────────────────────────────────────────────────────────────────────────────

const ERR_LFU_NOT_SELECTED =
  "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const ERR_LFU_SELECTED =
  "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/** OBJ_SHARED_REFCOUNT. */
const SHARED_REFCOUNT = 2147483647;
/** OBJ_SHARED_INTEGERS. */
const SHARED_INTEGERS = 10000;

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

function replyHelp(c: Client, lines: readonly string[]): void {
  c.reply.arrayHeader(lines.length);
  for (const line of lines) c.reply.simple(line);
}

/** objectCommandLookupOrReply: a read that is not an access; replies null when the key is absent. */
function objectLookup(c: Client, key: string): StoredValue | undefined {
  const v = lookupReadNoTouch(c, key);
  if (v === undefined) c.reply.nullBulk();
  return v;
}

/** The clock stored for a key. */
function clockOf(c: Client, key: string): number {
  return c.db.accessClockOf(key);
}

const objectSubcommands = {
  encoding(c: Client, argv: string[]): void {
    const v = objectLookup(c, argv[2]);
    if (v !== undefined) c.reply.bulk(objectEncoding(c.db, argv[2], v));
  },
  refcount(c: Client, argv: string[]): void {
    const key = argv[2];
    const v = objectLookup(c, key);
    if (v === undefined) return;
    let shared = false;
    if (typeof v === "string" && c.server.evictor.sharesIntegers && v.length <= 4 && isCanonicalInt64(v)) {
      const note = c.db.stringEncodings.size === 0 ? undefined : c.db.stringEncodings.get(key);
      shared = stringEncoding(v, note) === "int" && Number(v) >= 0 && Number(v) < SHARED_INTEGERS;
    }
    c.reply.integer(shared ? SHARED_REFCOUNT : 1);
  },
  idletime(c: Client, argv: string[]): void {
    if (objectLookup(c, argv[2]) === undefined) return;
    const clock = c.server.keyspace.clock;
    if (clock.lfu) {
      c.reply.error(ERR_LFU_SELECTED);
      return;
    }
    c.reply.integer(Math.floor(clock.idleMs(clockOf(c, argv[2])) / 1000));
  },
  freq(c: Client, argv: string[]): void {
    if (objectLookup(c, argv[2]) === undefined) return;
    const clock = c.server.keyspace.clock;
    if (!clock.lfu) {
      c.reply.error(ERR_LFU_NOT_SELECTED);
      return;
    }
    c.reply.integer(clock.decrAndReturn(clockOf(c, argv[2])));
  },
  help(c: Client): void {
    replyHelp(c, OBJECT_HELP);
  },
};

// ─── MEMORY ──────────────────────────────────────────────────────────────────────────────────────────────

const MEMORY_HELP = [
  "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
  "HELP",
  "    Prints this help.",
];

/**
 * MEMORY USAGE key [SAMPLES count]: the key's string, its slots in the main and access-clock tables, its
 * TTL slot and boxed time if it has one, and the value's estimate. Our values keep an exact running
 * estimate (store/memory-model.ts), so SAMPLES is validated as Redis does but has nothing to sample. As in
 * Redis the key is looked up without expiring it and without counting as an access.
 */
function memoryUsage(c: Client, argv: string[]): void {
  for (let j = 3; j < argv.length; j++) {
    if (argv[j].toLowerCase() === "samples" && j + 1 < argv.length) {
      const n = getLongLongOrReply(c, argv[j + 1]);
      if (n === null) return;
      if (n < 0) {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      j++;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const key = argv[2];
  const db = c.db;
  const v = db.dict.get(key);
  if (v === undefined) {
    c.reply.nullBulk();
    return;
  }
  let usage = stringBytes(key.length) + 2 * MAP_SLOT + valueBytes(v);
  if (db.expires.size !== 0 && db.expires.has(key)) usage += MAP_SLOT + HEAP_NUMBER;
  c.reply.integer(usage);
}

/** What MEMORY STATS and DOCTOR read (Redis's getMemoryOverheadData). */
function overheadData(c: Client) {
  const server = c.server;
  const mem = server.usedMemory;
  const m = process.memoryUsage();
  const total = mem.total();
  const peak = Math.max(mem.peak, total);
  const startup = mem.startup;
  const overhead = mem.overhead();
  let clientsNormal = 0;
  for (const cl of server.clients.values()) {
    clientsNormal += cl.parser.bufferedBytes + cl.reply.pendingBytes + (cl.socket?.writableLength ?? 0);
  }
  let keys = 0;
  for (const db of server.keyspace.dbs) keys += db.size;
  const netUsage = total > startup ? total - startup : 1;
  const dataset = Math.max(0, total - overhead);
  const allocated = m.heapUsed + m.external;
  const active = m.heapTotal + m.external;
  const resident = m.rss;
  return {
    peak,
    total,
    startup,
    backlog: mem.replicationBacklog(),
    clientsNormal,
    aof: mem.aofBuffer(),
    overhead,
    keys,
    bytesPerKey: keys === 0 ? 0 : Math.floor(netUsage / keys),
    dataset,
    // Redis keeps these ratios in floats.
    datasetPerc: Math.fround((dataset * 100) / netUsage),
    peakPerc: Math.fround((total * 100) / peak),
    allocated,
    active,
    resident,
    allocatorFrag: Math.fround(active / Math.max(1, allocated)),
    allocatorRss: Math.fround(resident / Math.max(1, active)),
    totalFrag: Math.fround(resident / Math.max(1, total)),
  };
}

function memoryStats(c: Client): void {
  const h = overheadData(c);
  const r = c.reply;
  const dbs = c.server.keyspace.dbs.filter((db) => db.size !== 0);
  r.mapHeader(27 + dbs.length);
  const int = (name: string, n: number) => {
    r.bulk(name);
    r.integer(Math.round(n));
  };
  const dbl = (name: string, d: number) => {
    r.bulk(name);
    r.double(d);
  };
  int("peak.allocated", h.peak);
  int("total.allocated", h.total);
  int("startup.allocated", h.startup);
  int("replication.backlog", h.backlog);
  int("clients.slaves", 0);
  int("clients.normal", h.clientsNormal);
  int("cluster.links", 0);
  int("aof.buffer", h.aof);
  int("lua.caches", 0);
  int("functions.caches", 0);
  for (const db of dbs) {
    r.bulk(`db.${db.id}`);
    r.mapHeader(3);
    int("overhead.hashtable.main", db.overheadMain);
    int("overhead.hashtable.expires", db.overheadExpires);
    int("overhead.hashtable.slot-to-keys", 0);
  }
  int("overhead.total", h.overhead);
  int("keys.count", h.keys);
  int("keys.bytes-per-key", h.bytesPerKey);
  int("dataset.bytes", h.dataset);
  dbl("dataset.percentage", h.datasetPerc);
  dbl("peak.percentage", h.peakPerc);
  int("allocator.allocated", h.allocated);
  int("allocator.active", h.active);
  int("allocator.resident", h.resident);
  dbl("allocator-fragmentation.ratio", h.allocatorFrag);
  int("allocator-fragmentation.bytes", h.active - h.allocated);
  dbl("allocator-rss.ratio", h.allocatorRss);
  int("allocator-rss.bytes", h.resident - h.active);
  dbl("rss-overhead.ratio", 1);
  int("rss-overhead.bytes", 0);
  dbl("fragmentation", h.totalFrag);
  int("fragmentation.bytes", h.resident - h.total);
}

/**
 * MEMORY DOCTOR: Redis's checks and texts on our figures. The allocator checks read the V8 heap (used vs
 * committed, committed vs RSS); there are no scripts to count.
 */
function memoryDoctor(c: Client): void {
  const h = overheadData(c);
  const MB10 = 10 << 20;
  const reports: string[] = [];
  let empty = false;
  // Redis calls an instance "empty" under 5 MB allocated, its start-up taking under 1 MB; ours starts with
  // the V8 heap of the process, so the test is on what was added since start-up.
  if (h.total - h.startup < 1024 * 1024 * 5) {
    empty = true;
  } else {
    if (h.peak / h.total > 1.5)
      reports.push(
        " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n",
      );
    if (h.totalFrag > 1.4 && h.resident - h.total > MB10)
      reports.push(
        ' * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is "v8".\n\n',
      );
    if (h.allocatorFrag > 1.1 && h.active - h.allocated > MB10)
      reports.push(
        " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n",
      );
    if (h.allocatorRss > 1.1 && h.resident - h.active > MB10)
      reports.push(
        " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n",
      );
    const clients = Math.max(1, c.server.clients.size);
    if (h.clientsNormal / clients > 1024 * 200)
      reports.push(
        " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n",
      );
  }
  let s: string;
  if (empty) {
    s =
      "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
  } else if (reports.length === 0) {
    s =
      "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
  } else {
    s = `Sam, I detected a few issues in this Redis instance memory implants:\n\n${reports.join("")}I'm here to keep you safe, Sam. I want to help you.\n`;
  }
  c.reply.verbatim(s);
}

const memorySubcommands = {
  usage: memoryUsage,
  stats: memoryStats,
  doctor: memoryDoctor,
  /** Redis built without jemalloc answers this; V8's heap statistics are in MEMORY STATS and INFO. */
  "malloc-stats"(c: Client): void {
    c.reply.bulk("Stats not supported for the current allocator");
  },
  /**
   * The allocator's purge for V8 is a full garbage collection, which returns freed pages: run when the
   * process has it (`--expose-gc`, as `tandem server` runs), and blocking for its duration, as jemalloc's
   * purge blocks Redis.
   */
  purge(c: Client): void {
    (globalThis as { gc?: () => void }).gc?.();
    c.reply.ok();
  },
  help(c: Client): void {
    replyHelp(c, MEMORY_HELP);
  },
};

export const objectCommands: CommandDef[] = [
  { name: "object", subcommands: objectSubcommands },
  { name: "memory", subcommands: memorySubcommands },
];
