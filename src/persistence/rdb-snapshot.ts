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
 * The hook finds the captured Map the key lives in (by identity, so SWAPDB is handled), marks the key
 * hooked (the walk skips hooked keys) and serializes its current value (the pre-image); a key absent
 * from the captured Map was created after the start and is only marked. Pre-images of databases the
 * walk has not reached wait in a per-db buffer and are emitted right after that database's SELECTDB;
 * those of the db being walked wait until a pass over the walk's log of emitted keys tells whether the
 * walk had emitted the key before the write (then the pre-image is dropped). The walk itself records
 * its keys in plain arrays: no per-key hashing on the hot loop.
 */

import type { Database } from "../store/database.js";
import type { Keyspace } from "../store/keyspace.js";
import type { StoredValue } from "../store/redis-value.js";
import { Crc64 } from "./crc64.js";
import { addKeyspaceListener, type KeyspaceListener, removeKeyspaceListener } from "./keyspace-hooks.js";
import { RdbEncoder } from "./rdb-encoder.js";
import { RDB_OPCODE_EOF, RDB_OPCODE_FUNCTION2, RDB_VERSION } from "./rdb-format.js";

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
  dict: Map<string, StoredValue>;
  expires: Map<string, number>;
  sizeAtStart: number;
  expiresAtStart: number;
  /** What the walk and the hook know of this db's keys; null once the db is finished in the dump. */
  visited: DbWalkState | null;
  /** Pre-images taken before the walk reached this db. */
  pending: RdbEncoder | null;
  started: boolean;
}

const MAX_BUFFERED = 1024 * 1024;
/** Undecided pre-images below this many never start a round before their db's walk ends. */
const RESOLVE_MIN_BATCH = 1024;

/**
 * The keys the walk emitted from one db, in order. Deciding "did the walk already emit this key?" is only
 * needed when a write hits a key, which is rare next to the walk itself, so the walk only appends to
 * plain arrays (no hashing per key: a Set of a million keys cost more than serializing them, and its
 * rehashes stalled the loop) and the question is answered later by scanning this log (see `Snapshot`).
 * Segments keep every append O(1) without copying a million-entry array when it grows.
 */
const SEGMENT = 65536;

class WalkedLog {
  readonly segments: string[][] = [[]];
  length = 0;

  push(key: string): void {
    let last = this.segments[this.segments.length - 1];
    if (last.length >= SEGMENT) {
      last = [];
      this.segments.push(last);
    }
    last.push(key);
    this.length++;
  }
}

/**
 * A pre-image taken while the walk was inside this db, whose fate depends on whether the walk had
 * already emitted the key before the write: emitted → dropped; not emitted → appended to the dump.
 */
interface UndecidedPreimage {
  bytes: Buffer[];
}

/** Enough undecided pre-images wait to pay for a scan of the walked log (see `Snapshot.step`). */
function roundIsWorthIt(st: DbWalkState): boolean {
  return st.undecided.size >= Math.max(RESOLVE_MIN_BATCH, st.walked.length >>> 3);
}

/** One pass over the walked log that settles a batch of undecided pre-images. */
interface ResolveRound {
  batch: Map<string, UndecidedPreimage>;
  /** Next log index to check; the round covers the log as it was when the round started. */
  pos: number;
  end: number;
}

/** What the walk knows about one db's keys. */
class DbWalkState {
  /** Keys the write hook dealt with (pre-image taken or pending, or created after the start). */
  readonly hooked = new Set<string>();
  readonly walked = new WalkedLog();
  /** Pre-images waiting for a round, and the round running. */
  undecided = new Map<string, UndecidedPreimage>();
  round: ResolveRound | null = null;
  /** The walk has met every key of this db (only undecided pre-images may remain). */
  iterDone = false;
}

/** The walk's state; also the keyspace listener that takes pre-images. */
class Snapshot implements KeyspaceListener {
  readonly enc: RdbEncoder;
  /** Serializes undecided pre-images on the side (their bytes wait until their fate is known). */
  private readonly side: RdbEncoder;
  private readonly dbs: CapturedDb[] = [];
  private dbIndex = 0;
  private iter: MapIterator<string> | null = null;
  private valueIter: MapIterator<StoredValue> | null = null;
  private readonly crc = new Crc64();
  private readonly checksum: boolean;
  finished = false;
  readonly progress: SnapshotProgress = { keys: 0, bytes: 0 };

  constructor(keyspace: Keyspace, aux: RdbAux) {
    this.enc = new RdbEncoder(aux.compression !== false);
    this.side = new RdbEncoder(aux.compression !== false);
    this.checksum = aux.checksum !== false;
    for (const db of keyspace.dbs) {
      this.dbs.push({
        id: db.id,
        dict: db.dict,
        expires: db.expires,
        sizeAtStart: db.dict.size,
        expiresAtStart: db.expires.size,
        visited: new DbWalkState(),
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
    // Function libraries come before the databases, as in Redis's rdbSaveRio.
    for (const code of keyspace.functions?.libraryCodes() ?? []) {
      e.byte(RDB_OPCODE_FUNCTION2);
      e.string(code);
    }
  }

  // ─── pre-images (KeyspaceListener) ─────────────────────────────────────────────────────────────────────

  beforeWrite(db: Database, key: string): void {
    const dict = db.dict;
    let c: CapturedDb | undefined = this.dbs[db.id];
    if (c === undefined || c.dict !== dict) c = this.dbs.find((x) => x.dict === dict);
    if (c === undefined) return; // a Map created after the start (FLUSHDB): not part of the view
    const st = c.visited;
    if (st === null || st.hooked.has(key)) return;
    // Recorded even when the walk already emitted it: deleted and re-created, the key would be met
    // again at the end of the Map's iteration order.
    st.hooked.add(key);
    const v = c.dict.get(key);
    if (v === undefined) return; // created after the start
    // The walk has met every key: an existing key not hooked before was emitted by it.
    if (st.iterDone) return;
    const expire = c.expires.size === 0 ? undefined : c.expires.get(key);
    if (!c.started) {
      // The walk has not reached this db: certainly not emitted yet.
      c.pending ??= new RdbEncoder(this.enc.compress);
      c.pending.keyValue(key, v, expire);
      this.progress.keys++;
      return;
    }
    // Inside this db's walk: whether the key was already emitted is settled later by a round.
    this.side.keyValue(key, v, expire);
    st.undecided.set(key, { bytes: this.side.take() });
  }

  beforeFlush(_db: Database): void {
    // Nothing to do: flush replaces the Maps, so the captured ones keep the view (see the file comment).
  }

  /**
   * Settles undecided pre-images for about `deadline`: a round takes the current batch and scans the
   * walked log (a small Map lookup per entry, no hashing into a big set); keys found there were emitted
   * by the walk before their write (dropped), the others were not (their pre-image is emitted now — the
   * walk skips hooked keys, so never twice). True when done for now: nothing undecided with `drain` (the
   * db's walk ended), else no round running and too few pre-images waiting to start one.
   */
  private resolve(st: DbWalkState, deadline: number, drain: boolean): boolean {
    for (;;) {
      let round = st.round;
      if (round === null) {
        if (st.undecided.size === 0) return true;
        if (!drain && !roundIsWorthIt(st)) return true;
        round = { batch: st.undecided, pos: 0, end: st.walked.length };
        st.undecided = new Map();
        st.round = round;
      }
      const { batch, end } = round;
      const log = st.walked;
      let pos = round.pos;
      while (pos < end && batch.size > 0) {
        const segIdx = Math.floor(pos / SEGMENT);
        const seg = log.segments[segIdx];
        const stop = Math.min(end - segIdx * SEGMENT, seg.length);
        for (let i = pos - segIdx * SEGMENT; i < stop; i++) if (batch.size > 0) batch.delete(seg[i]);
        pos = segIdx * SEGMENT + stop;
        if (pos < end && performance.now() >= deadline) {
          round.pos = pos;
          return false;
        }
      }
      for (const p of batch.values()) {
        for (const b of p.bytes) this.enc.raw(b);
        this.progress.keys++;
      }
      st.round = null;
    }
  }

  // ─── the walk ──────────────────────────────────────────────────────────────────────────────────────────

  /** Serializes keys for about `budgetMs`; true when the whole file (EOF included) has been produced. */
  step(budgetMs: number): boolean {
    if (this.finished) return true;
    const now = performance.now();
    const deadline = now + budgetMs;
    const enc = this.enc;
    const startTotal = enc.total;
    for (;;) {
      if (this.iter === null) {
        const cur = this.dbs[this.dbIndex];
        if (cur?.started && cur.visited !== null) {
          // The walk met every key of this db; its undecided pre-images are settled before moving on.
          if (!this.resolve(cur.visited, deadline, true)) return false;
          cur.visited = null;
          this.dbIndex++;
        }
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
        // Keys and values by two iterators in lockstep, not entries(): an [key, value] array per entry made
        // a BGSAVE of 1M keys allocate ~68 MB of short-lived objects (34 scavenges, ~7 MB promoted, and
        // with it a major GC inside most saves); a get() per key instead costs a cache miss per key. Both
        // iterators walk the same table in the same order, and a change to the Map between slices (an
        // insert at the end, a delete) moves both the same way.
        this.iter = c.dict.keys();
        this.valueIter = c.dict.values();
      }
      const c = this.dbs[this.dbIndex];
      const st = c.visited as DbWalkState;
      // Writes since the last slice: settle their pre-images with at most half of this slice, so the
      // walk keeps moving under a steady write load. A round scans the whole walked log, so one starts
      // only once enough pre-images wait to pay for it (an eighth of the log): the scans add up to a few
      // log entries per written key, where a round per slice made them quadratic under a write load that
      // touches every key (a full sync under redis-benchmark spent most of its time here). The rest are
      // settled when the db's walk ends.
      if ((st.round !== null || roundIsWorthIt(st)) && !this.resolve(st, now + budgetMs / 2, false)) {
        if (performance.now() >= deadline) return false;
      }
      const hooked = st.hooked;
      const walked = st.walked;
      const expires = c.expires;
      const iter = this.iter;
      const valueIter = this.valueIter as MapIterator<StoredValue>;
      let n = 0;
      for (;;) {
        const r = iter.next();
        const v = valueIter.next();
        if (r.done) {
          st.iterDone = true;
          this.iter = null;
          this.valueIter = null;
          break;
        }
        const key = r.value;
        // Keys the walk meets only once (Map iteration), so only the hook's keys need checking here.
        if (hooked.size !== 0 && hooked.has(key)) continue;
        walked.push(key);
        enc.keyValue(key, v.value as StoredValue, expires.size === 0 ? undefined : expires.get(key));
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
