/**
 * Point-in-time RDB snapshots without fork.
 *
 *   snapshotRdb(keyspace, aux?): AsyncGenerator<Buffer>
 *
 * The view is taken the moment `snapshotRdb` is CALLED (not at the first `next()`): from then on every
 * write to a key the walk has not serialized yet first serializes that key's pre-image. The generator
 * yields the complete RDB file (header, aux fields, databases, EOF, CRC64) in chunks of roughly 64 KiB to
 * 1 MiB, produced in slices of a few milliseconds with a `setImmediate` between slices, so clients keep
 * being served. Ending the iteration early (`break`, `return()`) detaches it from the keyspace; a
 * generator that is simply abandoned keeps its hook attached, so always finish or `return()` it.
 * Several snapshots may run at once (BGSAVE plus full syncs).
 *
 *   saveRdbSync(keyspace, aux?): Buffer[]   — the same bytes, produced in one go (SAVE, DEBUG RELOAD).
 *
 * How the view stays consistent (see DESIGN.md "Snapshot without fork"): each database's `dict` and
 * `expires` Maps are captured at the start. Database.flush and SWAPDB replace or exchange Maps instead
 * of clearing them, so a captured Map only ever changes through writes that run the write hook first.
 * The hook finds the captured Map the key lives in (by identity, so SWAPDB is handled), and if the walk
 * has not visited that key yet it serializes the key's current value (the pre-image) and marks it
 * visited; a key absent from the captured Map was created after the start and is only marked visited,
 * so the walk skips it. Pre-images of databases the walk has not reached wait in a per-db buffer and are
 * emitted right after that database's SELECTDB.
 */

import type { Database } from "../store/database.js";
import type { Keyspace } from "../store/keyspace.js";
import type { RedisValue } from "../store/redis-value.js";
import { Crc64 } from "./crc64.js";
import { addKeyspaceListener, type KeyspaceListener, removeKeyspaceListener } from "./keyspace-hooks.js";
import { RdbEncoder } from "./rdb-encoder.js";
import { RDB_OPCODE_EOF, RDB_VERSION } from "./rdb-format.js";

/** Aux fields and options of one dump. */
export interface RdbAux {
  /** Replication ID and offset of the history this dump belongs to (Redis writes them when replicating). */
  replId?: string;
  replOffset?: number;
  /** The db the replication stream had selected (repl-stream-db). */
  replStreamDb?: number;
  /** aof-base 1: the dump is the base of a multi-part AOF. */
  aofBase?: boolean;
  /** LZF-compress strings longer than 20 bytes (rdbcompression; default true). */
  compression?: boolean;
  /** Append a real CRC64 (rdbchecksum; default true); otherwise 8 zero bytes, as Redis does. */
  checksum?: boolean;
  /** Time budget of one slice in ms (default 4). */
  sliceMs?: number;
}

/** The Redis version written in the redis-ver aux field (the version whose format we follow). */
export const RDB_REDIS_VER = "7.0.15";

/** Snapshot progress, for INFO (keys written so far). */
export interface SnapshotProgress {
  keys: number;
  bytes: number;
}

interface CapturedDb {
  id: number;
  dict: Map<string, RedisValue>;
  expires: Map<string, number>;
  sizeAtStart: number;
  expiresAtStart: number;
  /** Keys already serialized, or created after the start; null once the walk finished this db. */
  visited: VisitedKeys | null;
  /** Pre-images taken before the walk reached this db. */
  pending: RdbEncoder | null;
  started: boolean;
}

const MAX_BUFFERED = 1024 * 1024;

/**
 * The keys a snapshot has dealt with in one db. Keys the walk emitted go into capped segments: one Set
 * of a million keys would rehash in one go (~70 ms measured at 524,288 entries), a stall this design
 * exists to avoid; segments of 65,536 rehash in a few ms. The walk itself only asks `hooked`, the
 * (usually small) set of keys the write hook took or saw created.
 */
const SEGMENT = 65536;

class VisitedKeys {
  readonly hooked = new Set<string>();
  private readonly walked: Set<string>[] = [new Set()];

  walkedHas(key: string): boolean {
    const w = this.walked;
    for (let i = w.length - 1; i >= 0; i--) if (w[i].has(key)) return true;
    return false;
  }

  addWalked(key: string): void {
    let last = this.walked[this.walked.length - 1];
    if (last.size >= SEGMENT) {
      last = new Set();
      this.walked.push(last);
    }
    last.add(key);
  }
}

/** The walk's state; also the keyspace listener that takes pre-images. */
class Snapshot implements KeyspaceListener {
  readonly enc: RdbEncoder;
  private readonly dbs: CapturedDb[] = [];
  private dbIndex = 0;
  private iter: MapIterator<[string, RedisValue]> | null = null;
  private readonly crc = new Crc64();
  private readonly checksum: boolean;
  finished = false;
  readonly progress: SnapshotProgress = { keys: 0, bytes: 0 };

  constructor(keyspace: Keyspace, aux: RdbAux) {
    this.enc = new RdbEncoder(aux.compression !== false);
    this.checksum = aux.checksum !== false;
    for (const db of keyspace.dbs) {
      this.dbs.push({
        id: db.id,
        dict: db.dict,
        expires: db.expires,
        sizeAtStart: db.dict.size,
        expiresAtStart: db.expires.size,
        visited: new VisitedKeys(),
        pending: null,
        started: false,
      });
    }
    const e = this.enc;
    e.rawLatin1(`REDIS${String(RDB_VERSION).padStart(4, "0")}`);
    e.aux("redis-ver", RDB_REDIS_VER);
    e.aux("redis-bits", "64");
    e.aux("ctime", String(Math.floor(Date.now() / 1000)));
    e.aux("used-mem", String(process.memoryUsage().heapUsed));
    if (aux.replId !== undefined) {
      e.aux("repl-stream-db", String(aux.replStreamDb ?? 0));
      e.aux("repl-id", aux.replId);
      e.aux("repl-offset", String(aux.replOffset ?? 0));
    }
    e.aux("aof-base", aux.aofBase ? "1" : "0");
  }

  // ─── pre-images (KeyspaceListener) ─────────────────────────────────────────────────────────────────────

  beforeWrite(db: Database, key: string): void {
    const dict = db.dict;
    let c: CapturedDb | undefined = this.dbs[db.id];
    if (c === undefined || c.dict !== dict) c = this.dbs.find((x) => x.dict === dict);
    if (c === undefined) return; // a Map created after the start (FLUSHDB): not part of the view
    const visited = c.visited;
    if (visited === null || visited.hooked.has(key)) return;
    // Recorded even when the walk already emitted it: deleted and re-created, the key would be met
    // again at the end of the Map's iteration order.
    visited.hooked.add(key);
    if (visited.walkedHas(key)) return;
    const v = c.dict.get(key);
    if (v === undefined) return; // created after the start
    let target = this.enc;
    if (!c.started) {
      c.pending ??= new RdbEncoder(this.enc.compress);
      target = c.pending;
    }
    target.keyValue(key, v, c.expires.size === 0 ? undefined : c.expires.get(key));
    this.progress.keys++;
  }

  beforeFlush(_db: Database): void {
    // Nothing to do: flush replaces the Maps, so the captured ones keep the view (see the file comment).
  }

  // ─── the walk ──────────────────────────────────────────────────────────────────────────────────────────

  /** Serializes keys for about `budgetMs`; true when the whole file (EOF included) has been produced. */
  step(budgetMs: number): boolean {
    if (this.finished) return true;
    const deadline = performance.now() + budgetMs;
    const enc = this.enc;
    const startTotal = enc.total;
    for (;;) {
      if (this.iter === null) {
        while (this.dbIndex < this.dbs.length && this.dbs[this.dbIndex].sizeAtStart === 0) {
          const skip = this.dbs[this.dbIndex++];
          skip.visited = null;
        }
        if (this.dbIndex >= this.dbs.length) {
          enc.byte(RDB_OPCODE_EOF);
          this.finished = true;
          return true;
        }
        const c = this.dbs[this.dbIndex];
        enc.selectDb(c.id, c.sizeAtStart, c.expiresAtStart);
        c.started = true;
        if (c.pending !== null) {
          for (const chunk of c.pending.take()) enc.raw(chunk);
          c.pending = null;
        }
        this.iter = c.dict.entries();
      }
      const c = this.dbs[this.dbIndex];
      const visited = c.visited as VisitedKeys;
      const hooked = visited.hooked;
      const expires = c.expires;
      const iter = this.iter;
      let n = 0;
      for (;;) {
        const r = iter.next();
        if (r.done) {
          c.visited = null;
          this.iter = null;
          this.dbIndex++;
          break;
        }
        const key = r.value[0];
        // Keys the walk meets only once (Map iteration), so only the hook's keys need checking here.
        if (hooked.size !== 0 && hooked.has(key)) continue;
        visited.addWalked(key);
        enc.keyValue(key, r.value[1], expires.size === 0 ? undefined : expires.get(key));
        this.progress.keys++;
        if ((++n & 63) === 0 && (performance.now() >= deadline || enc.total - startTotal >= MAX_BUFFERED)) {
          return false;
        }
      }
    }
  }

  /** Takes the produced bytes, updating the checksum; after the end, appends the CRC64 trailer. */
  take(): Buffer[] {
    const chunks = this.enc.take();
    for (const ch of chunks) {
      this.crc.update(ch);
      this.progress.bytes += ch.length;
    }
    if (this.finished) {
      const trailer = this.checksum ? this.crc.digestLE() : Buffer.alloc(8);
      chunks.push(trailer);
      this.progress.bytes += 8;
    }
    return chunks;
  }
}

// ─── the async generator ─────────────────────────────────────────────────────────────────────────────────

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

class SnapshotGenerator implements AsyncGenerator<Buffer, void, undefined> {
  private queue: Buffer[] = [];
  private done = false;
  private detached = false;
  private producing = false;

  constructor(
    private readonly keyspace: Keyspace,
    private readonly snap: Snapshot,
    private readonly sliceMs: number,
  ) {
    addKeyspaceListener(keyspace, snap);
  }

  get progress(): SnapshotProgress {
    return this.snap.progress;
  }

  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    removeKeyspaceListener(this.keyspace, this.snap);
  }

  async next(): Promise<IteratorResult<Buffer, void>> {
    if (this.producing) throw new Error("snapshotRdb: concurrent next() calls are not supported");
    this.producing = true;
    try {
      while (this.queue.length === 0) {
        if (this.done) {
          this.detach();
          return { value: undefined, done: true };
        }
        const finished = this.snap.step(this.sliceMs);
        const chunks = this.snap.take();
        for (const ch of chunks) this.queue.push(ch);
        if (finished) {
          this.done = true;
          this.detach();
        } else {
          // Let clients run between slices even when the consumer reads without awaiting any I/O.
          await immediate();
        }
      }
      return { value: this.queue.shift() as Buffer, done: false };
    } finally {
      this.producing = false;
    }
  }

  async return(): Promise<IteratorResult<Buffer, void>> {
    this.done = true;
    this.queue = [];
    this.detach();
    return { value: undefined, done: true };
  }

  async throw(err: unknown): Promise<IteratorResult<Buffer, void>> {
    await this.return();
    throw err;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** A point-in-time RDB of the keyspace as of this call, streamed in slices (see the file comment). */
export function snapshotRdb(
  keyspace: Keyspace,
  aux: RdbAux = {},
): AsyncGenerator<Buffer, void, undefined> & {
  readonly progress: SnapshotProgress;
} {
  return new SnapshotGenerator(keyspace, new Snapshot(keyspace, aux), aux.sliceMs ?? 4);
}

/** The same RDB bytes, produced synchronously (SAVE blocks the server, as in Redis). */
export function saveRdbSync(keyspace: Keyspace, aux: RdbAux = {}): Buffer[] {
  const snap = new Snapshot(keyspace, aux);
  const out: Buffer[] = [];
  while (!snap.step(1e9)) for (const ch of snap.take()) out.push(ch);
  for (const ch of snap.take()) out.push(ch);
  return out;
}
