import assert from "node:assert";
import type { Database } from "../store/database.js";
import { Notify } from "./notify-flags.js";
import type { Server } from "./server.js";

/**
 * maxmemory and maxmemory-policy, as Redis 7.0's evict.c: before each command, when used memory (see
 * used-memory.ts) is over maxmemory, keys are deleted until enough is freed. The victims are chosen by
 * sampling, never by a full scan:
 *
 * - LRU, LFU and volatile-ttl fill an eviction pool of the 16 best candidates seen so far with
 *   `maxmemory-samples` keys per database per round (the whole key space, or only keys with a TTL for the
 *   volatile-* policies), scored by idle time, by 255 minus the decayed LFU counter, or by how soon the
 *   key expires; the best one still present is evicted.
 * - allkeys-random and volatile-random take a random key from each database in turn.
 *
 * A JS Map has no random access: samples come from a cursor per table that moves round its keys, skipping
 * a random number of them before each batch, so every key is reachable and no sample costs more than a
 * few steps (Redis's dictGetSomeKeys also reads a run of neighbouring buckets from a random start).
 *
 * Each eviction is propagated to replicas and the AOF as DEL (UNLINK with lazyfree-lazy-eviction), fires
 * the "evicted" keyspace event and counts in evicted_keys. A replica never evicts on its own while
 * replica-ignore-maxmemory is yes (the default): its master's DELs keep it in step. When nothing can be
 * evicted (noeviction, or a volatile-* policy and no key with a TTL), commands flagged denyoom — and any
 * command queued in MULTI — get -OOM; the rest still run. The loop stops after a time set by
 * maxmemory-eviction-tenacity and continues on the next event-loop turns, as Redis's eviction time proc.
 */

export const EVICT_OK = 0;
export const EVICT_RUNNING = 1;
export const EVICT_FAIL = 2;

const FLAG_LRU = 1;
const FLAG_LFU = 2;
const FLAG_ALLKEYS = 4;
const FLAG_TTL = 8;
const FLAG_RANDOM = 16;
const NO_EVICTION = 0;

/** maxmemory-policy → Redis's MAXMEMORY_FLAG_* bits (noeviction has none). */
const POLICIES: Record<string, number> = {
  "volatile-lru": FLAG_LRU,
  "volatile-lfu": FLAG_LFU,
  "volatile-random": FLAG_RANDOM,
  "volatile-ttl": FLAG_TTL,
  "allkeys-lru": FLAG_LRU | FLAG_ALLKEYS,
  "allkeys-lfu": FLAG_LFU | FLAG_ALLKEYS,
  "allkeys-random": FLAG_RANDOM | FLAG_ALLKEYS,
  noeviction: NO_EVICTION,
};

/** EVPOOL_SIZE. */
const POOL_SIZE = 16;

interface PoolEntry {
  idle: number;
  key: string | null;
  dbid: number;
}

export class Evictor {
  maxmemory = 0;
  private policy = NO_EVICTION;
  private samples = 5;
  private tenacity = 10;
  private lazy = false;
  private replicaIgnores = true;
  /** stat_evictedkeys. */
  evictedKeys = 0;
  /** Time spent over maxmemory (INFO's total_eviction_exceeded_time), and since when it is over now. */
  totalExceededMs = 0;
  exceededSince = 0;
  private readonly pool: PoolEntry[] = [];
  private nextDb = 0;
  private procRunning = false;
  /** Sampling cursors, one per table (a replaced table simply gets a new one). */
  private readonly cursors = new WeakMap<Map<string, unknown>, Iterator<string>>();

  constructor(private readonly server: Server) {
    for (let i = 0; i < POOL_SIZE; i++) this.pool.push({ idle: 0, key: null, dbid: 0 });
    const cfg = server.config;
    let atStart = true; // onChange calls the listener at once with the start-up value: no CONFIG SET yet
    cfg.onChange("maxmemory", (v) => {
      this.maxmemory = Number(v);
      if (this.maxmemory === 0) return;
      const used = server.usedMemory.total() - server.usedMemory.notCounted();
      if (this.maxmemory < used && !atStart)
        server.log.warn(
          `WARNING: the new maxmemory value set via CONFIG SET (${this.maxmemory}) is smaller than the current memory usage (${used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.`,
        );
      // Redis evicts right away from CONFIG SET (updateMaxmemory); we do it as soon as the reply is out,
      // before any further command.
      setImmediate(() => this.performEvictions());
    });
    atStart = false;
    cfg.onChange("maxmemory-policy", (v) => {
      this.policy = POLICIES[v] ?? NO_EVICTION;
      server.keyspace.clock.lfu = (this.policy & FLAG_LFU) !== 0;
      for (const e of this.pool) e.key = null; // scores of the old policy mean nothing now
    });
    cfg.onChange("maxmemory-samples", (v) => (this.samples = Number(v)));
    cfg.onChange("maxmemory-eviction-tenacity", (v) => (this.tenacity = Number(v)));
    cfg.onChange("lazyfree-lazy-eviction", (v) => (this.lazy = v === "yes"));
    cfg.onChange("replica-ignore-maxmemory", (v) => (this.replicaIgnores = v === "yes"));
    cfg.onChange("lfu-log-factor", (v) => (server.keyspace.clock.lfuLogFactor = Number(v)));
    cfg.onChange("lfu-decay-time", (v) => (server.keyspace.clock.lfuDecayTime = Number(v)));
  }

  /** True with an LFU policy (OBJECT FREQ is answered, IDLETIME is not). */
  get lfu(): boolean {
    return (this.policy & FLAG_LFU) !== 0;
  }

  /**
   * Redis shares the integers 0..9999 between keys (refcount 2147483647) unless maxmemory is set with an
   * LRU or LFU policy, which needs a clock per key (MAXMEMORY_FLAG_NO_SHARED_INTEGERS).
   */
  get sharesIntegers(): boolean {
    return this.maxmemory === 0 || (this.policy & (FLAG_LRU | FLAG_LFU)) === 0;
  }

  /** isSafeToPerformEvictions. */
  private safe(): boolean {
    const s = this.server;
    if (s.loading) return false;
    if (s.replication.isReplica() && this.replicaIgnores) return false;
    // While clients are paused the dataset must stay as it is.
    if (s.clientPause?.active) return false;
    return true;
  }

  /** getMaxmemoryState: bytes to free, or 0 when within the limit. */
  private toFree(): number {
    const mem = this.server.usedMemory;
    const reported = mem.total();
    if (reported <= this.maxmemory) return 0;
    const used = Math.max(0, reported - mem.notCounted());
    return used <= this.maxmemory ? 0 : used - this.maxmemory;
  }

  /** performEvictions: EVICT_OK, EVICT_RUNNING (continuing on later turns) or EVICT_FAIL. */
  performEvictions(): number {
    if (this.maxmemory === 0 || !this.safe()) return EVICT_OK;
    let result = EVICT_FAIL;
    const toFree = this.toFree();
    if (toFree === 0) {
      result = EVICT_OK;
    } else if (this.policy !== NO_EVICTION) {
      result = this.evictLoop(toFree);
    }
    this.updateMetrics(result);
    return result;
  }

  private evictLoop(toFree: number): number {
    const server = this.server;
    const keyspace = server.keyspace;
    const limitUs = this.timeLimitUs();
    const start = performance.now();
    let freed = 0;
    let keysFreed = 0;
    while (freed < toFree) {
      const best = this.policy & FLAG_RANDOM ? this.pickRandom() : this.pickFromPool();
      if (best === null) return EVICT_FAIL;
      const db = keyspace.dbs[best.dbid];
      const before = keyspace.bytes;
      if (db.delete(best.key)) {
        this.evictedKeys++;
        server.signalModifiedKey(db, best.key);
        server.notifyKeyspaceEvent(Notify.EVICTED, "evicted", best.key, db.id);
        server.propagator.add(db.id, [this.lazy ? "UNLINK" : "DEL", best.key]);
      }
      freed += before - keyspace.bytes;
      keysFreed++;
      if (keysFreed % 16 === 0) {
        if ((performance.now() - start) * 1000 > limitUs) {
          // Enough for this turn: the rest continues between commands (Redis's eviction time proc).
          this.startProc();
          break;
        }
      }
    }
    return this.procRunning ? EVICT_RUNNING : EVICT_OK;
  }

  /** evictionTimeLimitUs: maxmemory-eviction-tenacity 0..10 is 0..500 µs, then 15% more per step. */
  private timeLimitUs(): number {
    const t = this.tenacity;
    if (t <= 10) return 50 * t;
    if (t < 100) return 500 * 1.15 ** (t - 10);
    return Number.POSITIVE_INFINITY;
  }

  private startProc(): void {
    if (this.procRunning) return;
    this.procRunning = true;
    const step = (): void => {
      if (this.performEvictions() === EVICT_RUNNING) setImmediate(step);
      else this.procRunning = false;
    };
    setImmediate(step);
  }

  private updateMetrics(result: number): void {
    if (result === EVICT_OK) {
      if (this.exceededSince !== 0) {
        this.totalExceededMs += performance.now() - this.exceededSince;
        this.exceededSince = 0;
      }
    } else if (this.exceededSince === 0) {
      this.exceededSince = performance.now();
    }
  }

  /** The table a policy samples: every key, or the keys with a TTL. */
  private tableOf(db: Database): Map<string, unknown> {
    return this.policy & FLAG_ALLKEYS ? db.dict : db.expires;
  }

  // ─── the eviction pool (LRU, LFU, volatile-ttl) ───────────────────────────────────────────────────────

  private pickFromPool(): { key: string; dbid: number } | null {
    const dbs = this.server.keyspace.dbs;
    const pool = this.pool;
    for (;;) {
      let total = 0;
      for (let i = 0; i < dbs.length; i++) {
        const table = this.tableOf(dbs[i]);
        if (table.size !== 0) {
          this.populate(i, dbs[i], table);
          total += table.size;
        }
      }
      if (total === 0) return null;
      // Best (highest score) first; an entry whose key is gone is a ghost, skipped.
      for (let k = POOL_SIZE - 1; k >= 0; k--) {
        const e = pool[k];
        if (e.key === null) continue;
        const key = e.key;
        const dbid = e.dbid;
        e.key = null;
        e.idle = 0;
        if (this.tableOf(dbs[dbid]).has(key)) return { key, dbid };
      }
    }
  }

  /** evictionPoolPopulate: scores `maxmemory-samples` keys and keeps the best in the sorted pool. */
  private populate(dbid: number, db: Database, table: Map<string, unknown>): void {
    const keys = this.sample(table, this.samples);
    const pool = this.pool;
    const clock = this.server.keyspace.clock;
    for (const key of keys) {
      let idle: number;
      if (this.policy & FLAG_LRU) {
        idle = clock.idleMs(db.accessClockOf(key));
      } else if (this.policy & FLAG_LFU) {
        idle = 255 - clock.decrAndReturn(db.accessClockOf(key));
      } else {
        // volatile-ttl: the sooner it expires, the better.
        idle = Number.MAX_SAFE_INTEGER - (db.expires.get(key) ?? 0);
      }
      let k = 0;
      while (k < POOL_SIZE && pool[k].key !== null && pool[k].idle < idle) k++;
      if (k === 0 && pool[POOL_SIZE - 1].key !== null) continue; // worse than everything in a full pool
      if (k < POOL_SIZE && pool[k].key === null) {
        // an empty slot: take it
      } else if (pool[POOL_SIZE - 1].key === null) {
        // room on the right: shift k.. right by one
        const last = pool.pop();
        assert(last !== undefined, "the pool always has POOL_SIZE entries");
        pool.splice(k, 0, last);
      } else {
        // full: drop the worst (leftmost) and insert just before k
        k--;
        const first = pool.shift();
        assert(first !== undefined, "the pool always has POOL_SIZE entries");
        pool.splice(k, 0, first);
      }
      const e = pool[k];
      e.key = key;
      e.idle = idle;
      e.dbid = dbid;
    }
  }

  // ─── random policies ──────────────────────────────────────────────────────────────────────────────────

  private pickRandom(): { key: string; dbid: number } | null {
    const dbs = this.server.keyspace.dbs;
    for (let i = 0; i < dbs.length; i++) {
      const j = ++this.nextDb % dbs.length;
      const table = this.tableOf(dbs[j]);
      if (table.size !== 0) return { key: this.sample(table, 1)[0], dbid: j };
    }
    return null;
  }

  // ─── sampling ─────────────────────────────────────────────────────────────────────────────────────────

  /** Up to `count` distinct keys of `table`, from its moving cursor after a random skip. */
  private sample(table: Map<string, unknown>, count: number): string[] {
    if (table.size <= count) return [...table.keys()];
    let it = this.cursors.get(table);
    if (it === undefined) {
      it = table.keys();
      this.cursors.set(table, it);
    }
    let skip = Math.floor(Math.random() * Math.min(count, table.size - count + 1));
    const out: string[] = [];
    let restarts = 0;
    while (out.length < count) {
      const next = it.next();
      if (next.done) {
        if (++restarts > 2) break;
        it = table.keys();
        this.cursors.set(table, it);
        continue;
      }
      if (skip > 0) {
        skip--;
        continue;
      }
      out.push(next.value);
    }
    return out;
  }
}
