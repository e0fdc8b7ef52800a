import { compareParts, type StreamID } from "./stream-id.js";

/**
 * A map ordered by stream ID, for consumer groups' pending entries lists (Redis keeps them in a rax keyed
 * by the 128-bit big-endian ID). Kept as a list of sorted chunks of at most CHUNK entries: a lookup is two
 * binary searches, and the usual traffic (new deliveries appended at the end, acknowledgements taken from
 * the front) touches one small chunk, without shifting a large array.
 */

const CHUNK = 128;

/** Where a map reports the size estimate of its entries (memory-model.ts): the stream holding it. */
export interface SizeOwner {
  account(delta: number): void;
}

interface Chunk<V> {
  ids: StreamID[];
  vals: V[];
}

export class StreamIdMap<V> {
  private chunks: Chunk<V>[] = [];
  size = 0;
  /** Told of every entry added or removed, `entryBytes` each (null: nobody counts this map). */
  owner: SizeOwner | null = null;
  entryBytes = 0;

  /** Starts reporting to `owner`, counting the entries already held. */
  attach(owner: SizeOwner, entryBytes: number): void {
    this.owner = owner;
    this.entryBytes = entryBytes;
    if (this.size !== 0) owner.account(this.size * entryBytes);
  }

  /** Stops reporting, discounting the entries held (the map is being dropped). */
  detach(): void {
    if (this.owner !== null && this.size !== 0) this.owner.account(-this.size * this.entryBytes);
    this.owner = null;
  }

  /** Index of the chunk that holds, or would hold, `id`. */
  private chunkFor(id: StreamID): number {
    const cs = this.chunks;
    let lo = 0;
    let hi = cs.length - 1;
    // Last chunk whose first ID is ≤ id (or 0).
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const f = cs[mid].ids[0];
      if (compareParts(f.ms, f.seq, id.ms, id.seq) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Position of the first ID ≥ id inside a chunk. */
  private static lowerBound(ids: StreamID[], id: StreamID): number {
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = ids[mid];
      if (compareParts(m.ms, m.seq, id.ms, id.seq) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(id: StreamID): V | undefined {
    if (this.size === 0) return undefined;
    const c = this.chunks[this.chunkFor(id)];
    const i = StreamIdMap.lowerBound(c.ids, id);
    if (i < c.ids.length) {
      const k = c.ids[i];
      if (k.ms === id.ms && k.seq === id.seq) return c.vals[i];
    }
    return undefined;
  }

  has(id: StreamID): boolean {
    return this.get(id) !== undefined;
  }

  /** Inserts when absent (raxTryInsert); false when the ID is already there. */
  insert(id: StreamID, v: V): boolean {
    const key: StreamID = { ms: id.ms, seq: id.seq };
    if (this.chunks.length === 0) {
      if (this.owner !== null) this.owner.account(this.entryBytes);
      this.chunks.push({ ids: [key], vals: [v] });
      this.size = 1;
      return true;
    }
    const ci = this.chunkFor(id);
    const c = this.chunks[ci];
    const i = StreamIdMap.lowerBound(c.ids, id);
    if (i < c.ids.length) {
      const k = c.ids[i];
      if (k.ms === id.ms && k.seq === id.seq) return false;
    }
    if (this.owner !== null) this.owner.account(this.entryBytes);
    if (i === c.ids.length) {
      c.ids.push(key);
      c.vals.push(v);
    } else {
      c.ids.splice(i, 0, key);
      c.vals.splice(i, 0, v);
    }
    this.size++;
    if (c.ids.length > CHUNK) {
      // Split; appends at the very end leave a full chunk behind instead of two half-empty ones.
      const at = ci === this.chunks.length - 1 && i === c.ids.length - 1 ? CHUNK : c.ids.length >>> 1;
      const right: Chunk<V> = { ids: c.ids.splice(at), vals: c.vals.splice(at) };
      this.chunks.splice(ci + 1, 0, right);
    }
    return true;
  }

  /** Inserts or replaces. */
  set(id: StreamID, v: V): void {
    if (this.insert(id, v)) return;
    const c = this.chunks[this.chunkFor(id)];
    c.vals[StreamIdMap.lowerBound(c.ids, id)] = v;
  }

  /** Removes an ID; returns its value, or undefined when absent. */
  delete(id: StreamID): V | undefined {
    if (this.size === 0) return undefined;
    const ci = this.chunkFor(id);
    const c = this.chunks[ci];
    const i = StreamIdMap.lowerBound(c.ids, id);
    if (i >= c.ids.length) return undefined;
    const k = c.ids[i];
    if (k.ms !== id.ms || k.seq !== id.seq) return undefined;
    const v = c.vals[i];
    if (this.owner !== null) this.owner.account(-this.entryBytes);
    if (i === 0) {
      c.ids.shift();
      c.vals.shift();
    } else {
      c.ids.splice(i, 1);
      c.vals.splice(i, 1);
    }
    this.size--;
    if (c.ids.length === 0) this.chunks.splice(ci, 1);
    return v;
  }

  firstId(): StreamID | undefined {
    return this.size === 0 ? undefined : this.chunks[0].ids[0];
  }

  lastId(): StreamID | undefined {
    if (this.size === 0) return undefined;
    const c = this.chunks[this.chunks.length - 1];
    return c.ids[c.ids.length - 1];
  }

  /** The first entry whose ID is ≥ id (raxSeek ">="), or undefined. */
  ceil(id: StreamID): [StreamID, V] | undefined {
    if (this.size === 0) return undefined;
    let ci = this.chunkFor(id);
    let c = this.chunks[ci];
    let i = StreamIdMap.lowerBound(c.ids, id);
    if (i === c.ids.length) {
      ci++;
      if (ci === this.chunks.length) return undefined;
      c = this.chunks[ci];
      i = 0;
    }
    return [c.ids[i], c.vals[i]];
  }

  /** The first entry whose ID is > id, or undefined. */
  higher(id: StreamID): [StreamID, V] | undefined {
    const e = this.ceil(id);
    if (e === undefined) return undefined;
    if (e[0].ms !== id.ms || e[0].seq !== id.seq) return e;
    // Step past the equal key.
    let ci = this.chunkFor(id);
    let c = this.chunks[ci];
    let i = StreamIdMap.lowerBound(c.ids, id) + 1;
    if (i === c.ids.length) {
      ci++;
      if (ci === this.chunks.length) return undefined;
      c = this.chunks[ci];
      i = 0;
    }
    return [c.ids[i], c.vals[i]];
  }

  /** Entries in ID order, from the first ID ≥ `from` (all when omitted). Do not change the map meanwhile. */
  *entries(from?: StreamID): Generator<[StreamID, V]> {
    let ci = 0;
    let i = 0;
    if (from !== undefined && this.size !== 0) {
      ci = this.chunkFor(from);
      i = StreamIdMap.lowerBound(this.chunks[ci].ids, from);
    }
    for (; ci < this.chunks.length; ci++, i = 0) {
      const c = this.chunks[ci];
      for (; i < c.ids.length; i++) yield [c.ids[i], c.vals[i]];
    }
  }

  /** Calls `fn` for every entry in ID order (no generator overhead). */
  forEach(fn: (id: StreamID, v: V) => void): void {
    for (const c of this.chunks) for (let i = 0; i < c.ids.length; i++) fn(c.ids[i], c.vals[i]);
  }
}
