import { Listpack } from "./listpack.js";
import {
  DETACHED,
  MAP_SLOT,
  type MemoryAccount,
  OBJECT_BASE,
  stringBytes,
  TABLE_BASE,
} from "./memory-model.js";
import {
  addDelta,
  compareId,
  compareParts,
  encodeId,
  MAX_ID,
  type StreamID,
  subDelta,
  type U64,
  U64_MAX,
  ZERO_ID,
} from "./stream-id.js";
import { type SizeOwner, StreamIdMap } from "./stream-id-map.js";

/**
 * A stream value, laid out as Redis 7.0 lays it out (t_stream.c): a sequence of nodes ordered by their
 * master ID, each node one listpack holding up to stream-node-max-entries entries (or
 * stream-node-max-bytes bytes), entries delta-encoded against the node's master ID and, when they carry
 * the same field names as the node's first entry, stored without the names. Redis indexes the nodes with
 * a radix tree keyed by the 128-bit master ID; a sorted array with binary search serves the same lookups
 * here (append at the end, seek the node holding an ID, drop nodes from the front when trimming).
 *
 * Keeping Redis's node boundaries and listpack bytes exactly has three consequences that matter:
 * approximate trimming (MAXLEN ~ / MINID ~) removes the same whole nodes as Redis does, so XLEN answers
 * the same; XINFO STREAM reports the same radix-tree keys; and the RDB form (listpacks keyed by master
 * ID) is written and read without conversion. It is also compact: an entry costs a few bytes plus its
 * values, far less than a JS object per entry.
 *
 * Consumer groups (streamCG), consumers and their pending entries lists (NACKs shared between the
 * group's PEL and the owning consumer's PEL) follow Redis's structures one for one.
 */

export const STREAM_ITEM_FLAG_NONE = 0;
export const STREAM_ITEM_FLAG_DELETED = 1;
export const STREAM_ITEM_FLAG_SAMEFIELDS = 2;

/** Redis's STREAM_LISTPACK_MAX_SIZE: no node grows past 1 GiB, whatever the configuration. */
export const STREAM_LISTPACK_MAX_SIZE = 1 << 30;
const STREAM_LISTPACK_MAX_PRE_ALLOCATE = 4096;

/** A signed 64-bit counter (entries_read, delivery counts): a number while safe, else a bigint. */
export type I64 = number | bigint;

export function i64(v: bigint): I64 {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

export function incrI64(v: I64): I64 {
  if (typeof v === "number" && v < Number.MAX_SAFE_INTEGER) return v + 1;
  return i64(BigInt.asIntN(64, BigInt(v) + 1n));
}

export function subI64(a: I64 | U64, b: I64): I64 {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return i64(BigInt.asIntN(64, BigInt(a) - BigInt(b)));
}

// ─── nodes ───────────────────────────────────────────────────────────────────────────────────────────────

export class StreamNode {
  /** The master ID: the node's key in Redis's rax. */
  ms: U64;
  seq: U64;
  lp: Listpack;
  /** Field names of the master entry (what SAMEFIELDS entries refer to). */
  masterFields: string[];
  /** Offset of the first entry's flags (or of the terminator when the node holds no entry). */
  firstEntry: number;
  /** Valid and deleted entries, as the master entry's first two elements say. */
  count: number;
  deleted: number;

  constructor(ms: U64, seq: U64, lp: Listpack) {
    this.ms = ms;
    this.seq = seq;
    this.lp = lp;
    let p = lp.first;
    if (p < 0) throw new Error("empty listpack inside stream");
    this.count = lp.getSmall(p);
    p = lp.next(p);
    this.deleted = lp.getSmall(p);
    p = lp.next(p);
    const nf = lp.getSmall(p);
    p = lp.next(p);
    const fields: string[] = new Array(nf);
    for (let i = 0; i < nf; i++) {
      fields[i] = lp.getString(p);
      p = lp.next(p);
    }
    this.masterFields = fields;
    this.firstEntry = lp.next(p); // past the master entry's zero terminator
  }

  /** Rewrites the master entry's valid/deleted counters (lpReplaceInteger twice). */
  setCounts(count: number, deleted: number): void {
    const lp = this.lp;
    let shift = 0;
    if (count !== this.count) shift += lp.replaceInt(6, count);
    if (deleted !== this.deleted) shift += lp.replaceInt(lp.next(6), deleted);
    this.firstEntry += shift;
    this.count = count;
    this.deleted = deleted;
  }

  /** The ID of the node's last entry, tombstones included (lpGetEdgeStreamID, last). */
  lastEntryId(): StreamID | null {
    const lp = this.lp;
    let p = lp.last();
    const lpCount = lp.getSmall(p);
    if (lpCount === 0) return null;
    for (let i = 0; i < lpCount; i++) p = lp.prev(p);
    p = lp.next(p); // past the flags
    const ms = addDelta(this.ms, lp.getInt(p));
    p = lp.next(p);
    return { ms, seq: addDelta(this.seq, lp.getInt(p)) };
  }
}

// ─── consumer groups ─────────────────────────────────────────────────────────────────────────────────────

/** A pending (delivered, not yet acknowledged) entry. */
export interface StreamNACK {
  deliveryTime: number;
  deliveryCount: I64;
  /** Null only transiently (XCLAIM FORCE before the owner is set; RDB loading before consumers). */
  consumer: StreamConsumer | null;
}

/*
 * Size estimates of consumer-group state (memory-model.ts), so a stream's MEMORY USAGE and used_memory grow
 * with its groups, consumers and pending entries as Redis's do. A group PEL entry is its ID object, two
 * array slots in its chunk and the NACK; a consumer PEL entry its own ID object and two slots (the NACK
 * is the group's). A consumer is its object, its PEL map, its name and its slot in the group's Map; a
 * group the same plus its last-ID object and its consumers Map.
 */
const ID_OBJECT = OBJECT_BASE + 16;
const GROUP_PEL_ENTRY = ID_OBJECT + 16 + OBJECT_BASE + 24;
const CONSUMER_PEL_ENTRY = ID_OBJECT + 16;
const PEL_MAP = OBJECT_BASE + 32;

function consumerBytes(name: string): number {
  return OBJECT_BASE + 24 + PEL_MAP + stringBytes(name.length) + MAP_SLOT;
}

function groupBytes(name: string): number {
  return OBJECT_BASE + 32 + ID_OBJECT + PEL_MAP + TABLE_BASE + stringBytes(name.length) + MAP_SLOT;
}

export class StreamConsumer {
  readonly pel = new StreamIdMap<StreamNACK>();
  constructor(
    readonly name: string,
    public seenTime: number,
  ) {}
}

export class StreamCG {
  readonly pel = new StreamIdMap<StreamNACK>();
  readonly consumers = new Map<string, StreamConsumer>();
  /** The stream whose size estimate counts this group (null for a group held by none). */
  private readonly owner: SizeOwner | null;

  constructor(
    public lastId: StreamID,
    /** -1 when unknown (SCG_INVALID_ENTRIES_READ). */
    public entriesRead: I64,
    owner: SizeOwner | null = null,
  ) {
    this.owner = owner;
    if (owner !== null) this.pel.attach(owner, GROUP_PEL_ENTRY);
  }

  /** Consumers in Redis's rax order (byte order of the names). */
  sortedConsumers(): StreamConsumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Adds a consumer (its name must be new); it and its pending entries count in the stream's size. */
  addConsumer(consumer: StreamConsumer): void {
    this.consumers.set(consumer.name, consumer);
    if (this.owner === null) return;
    this.owner.account(consumerBytes(consumer.name));
    consumer.pel.attach(this.owner, CONSUMER_PEL_ENTRY);
  }

  /** streamDelConsumer: the consumer and its pending entries (from the group PEL too) go. */
  deleteConsumer(consumer: StreamConsumer): void {
    consumer.pel.forEach((id) => {
      this.pel.delete(id);
    });
    this.consumers.delete(consumer.name);
    if (this.owner === null) return;
    consumer.pel.detach();
    this.owner.account(-consumerBytes(consumer.name));
  }

  /** Bytes this group adds to its stream's estimate, consumers and pending entries included. */
  estimatedBytes(name: string): number {
    let n = groupBytes(name) + this.pel.size * GROUP_PEL_ENTRY;
    for (const consumer of this.consumers.values())
      n += consumerBytes(consumer.name) + consumer.pel.size * CONSUMER_PEL_ENTRY;
    return n;
  }
}

export const SCG_INVALID_ENTRIES_READ = -1;

// ─── the stream ──────────────────────────────────────────────────────────────────────────────────────────

export type AppendResult = StreamID | "EDOM" | "ERANGE";

export type TrimStrategy = "none" | "maxlen" | "minid";

export interface TrimArgs {
  strategy: TrimStrategy;
  approx: boolean;
  /** 0: no limit on the entries removed. */
  limit: number;
  maxlen: number;
  minid: StreamID;
}

export class RedisStream {
  /**
   * Size estimate (memory-model.ts): the nodes' listpack bytes plus a node object each, kept current by
   * append/delete/trim, and the consumer groups with their consumers and PELs (StreamCG reports those);
   * every change is reported to `acct`.
   */
  bytes = OBJECT_BASE;
  acct: MemoryAccount = DETACHED;
  nodes: StreamNode[] = [];
  length = 0;
  lastId: StreamID = { ms: 0, seq: 0 };
  /** The first non-tombstone entry, 0-0 when empty. */
  firstId: StreamID = { ms: 0, seq: 0 };
  maxDeletedId: StreamID = { ms: 0, seq: 0 };
  entriesAdded: U64 = 0;
  /** Created on demand, as Redis's s->cgroups. */
  cgroups: Map<string, StreamCG> | null = null;

  // ─── appending (streamAppendItem) ──────────────────────────────────────────────────────────────────

  /**
   * Adds an entry whose field/value pairs are argv[at..at+2n). With `useId` the ID is given (its sequence
   * generated when !seqGiven); otherwise it is generated from `now`. Returns the new ID, "EDOM" when the
   * ID is not greater than the top item (or the sequence would overflow), "ERANGE" when too large.
   */
  append(
    argv: readonly string[],
    at: number,
    numFields: number,
    useId: StreamID | null,
    seqGiven: boolean,
    nodeMaxBytes: number,
    nodeMaxEntries: number,
    now: number,
  ): AppendResult {
    let id: StreamID;
    const last = this.lastId;
    if (useId !== null) {
      if (seqGiven) {
        id = { ms: useId.ms, seq: useId.seq };
      } else if (last.ms === useId.ms) {
        if (last.seq === U64_MAX) return "EDOM";
        id = { ms: last.ms, seq: addDelta(last.seq, 1) };
      } else {
        id = { ms: useId.ms, seq: useId.seq };
      }
    } else if (now > last.ms) {
      id = { ms: now, seq: 0 };
    } else if (last.seq !== U64_MAX) {
      id = { ms: last.ms, seq: addDelta(last.seq, 1) };
    } else if (last.ms !== U64_MAX) {
      id = { ms: addDelta(last.ms, 1), seq: 0 };
    } else {
      id = { ms: 0, seq: 0 }; // wrapped: refused below
    }
    if (compareParts(id.ms, id.seq, last.ms, last.seq) <= 0) return "EDOM";

    let totelelen = 0;
    for (let i = 0; i < numFields * 2; i++) totelelen += argv[at + i].length;
    if (totelelen > STREAM_LISTPACK_MAX_SIZE) return "ERANGE";

    let node: StreamNode | null = this.nodes.length === 0 ? null : this.nodes[this.nodes.length - 1];
    if (node !== null) {
      let maxBytes = nodeMaxBytes;
      if (maxBytes === 0 || maxBytes > STREAM_LISTPACK_MAX_SIZE) maxBytes = STREAM_LISTPACK_MAX_SIZE;
      if (
        node.lp.size + totelelen >= maxBytes ||
        (nodeMaxEntries && node.count + node.deleted >= nodeMaxEntries)
      ) {
        node.lp.shrinkToFit();
        node = null;
      }
    }

    let flags = STREAM_ITEM_FLAG_NONE;
    const sizeBefore = node === null ? -OBJECT_BASE : node.lp.size;
    if (node === null) {
      let prealloc = STREAM_LISTPACK_MAX_PRE_ALLOCATE;
      if (nodeMaxBytes > 0 && nodeMaxBytes < prealloc) prealloc = nodeMaxBytes;
      const lp = Listpack.create(prealloc);
      lp.appendInt(1);
      lp.appendInt(0);
      lp.appendInt(numFields);
      for (let i = 0; i < numFields; i++) lp.appendString(argv[at + i * 2]);
      lp.appendInt(0);
      node = new StreamNode(id.ms, id.seq, lp);
      // Nodes stay sorted by master ID, as rax keys. The new ID is above the top ID, which is above every
      // live entry, so the node lands last, except after XSETID lowered the top ID below a node holding
      // only deleted entries: then it goes before that node (and later entries still go to the last one).
      const last = this.nodes[this.nodes.length - 1];
      if (last === undefined || compareParts(last.ms, last.seq, id.ms, id.seq) < 0) this.nodes.push(node);
      else this.nodes.splice(this.nodeIndexFor(id) + 1, 0, node);
      flags |= STREAM_ITEM_FLAG_SAMEFIELDS;
    } else {
      node.setCounts(node.count + 1, node.deleted);
      const mf = node.masterFields;
      if (mf.length === numFields) {
        let i = 0;
        for (; i < numFields; i++) if (mf[i] !== argv[at + i * 2]) break;
        if (i === numFields) flags |= STREAM_ITEM_FLAG_SAMEFIELDS;
      }
    }

    const lp = node.lp;
    lp.appendInt(flags);
    lp.appendInt(subDelta(id.ms, node.ms));
    lp.appendInt(subDelta(id.seq, node.seq));
    const same = (flags & STREAM_ITEM_FLAG_SAMEFIELDS) !== 0;
    if (!same) lp.appendInt(numFields);
    for (let i = 0; i < numFields; i++) {
      if (!same) lp.appendString(argv[at + i * 2]);
      lp.appendString(argv[at + i * 2 + 1]);
    }
    lp.appendInt(same ? numFields + 3 : numFields * 2 + 4);
    this.account(lp.size - sizeBefore);

    this.length++;
    this.entriesAdded = addDelta(this.entriesAdded, 1);
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
    return id;
  }

  // ─── lookups ───────────────────────────────────────────────────────────────────────────────────────

  /** Index of the last node whose master ID is ≤ id (raxSeek "<="), or -1. */
  nodeIndexFor(id: StreamID): number {
    const ns = this.nodes;
    let lo = 0;
    let hi = ns.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const n = ns[mid];
      if (compareParts(n.ms, n.seq, id.ms, id.seq) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** streamEntryExists: true when `id` is a live (non-deleted) entry. */
  entryExists(id: StreamID): boolean {
    const it = new StreamIterator(this, id, id, false);
    return it.next();
  }

  /** streamGetEdgeID: the first or last entry's ID; max (first) or 0-0 (last) when there is none. */
  edgeId(first: boolean, skipTombstones: boolean): StreamID {
    const it = new StreamIterator(this, null, null, !first);
    it.skipTombstones = skipTombstones;
    if (it.next()) return { ms: it.ms, seq: it.seq };
    return first ? { ms: MAX_ID.ms, seq: MAX_ID.seq } : { ms: 0, seq: 0 };
  }

  /** streamLastValidID. */
  lastValidId(): StreamID {
    const it = new StreamIterator(this, null, null, true);
    if (it.next()) return { ms: it.ms, seq: it.seq };
    return { ms: 0, seq: 0 };
  }

  // ─── deleting (streamDeleteItem / streamIteratorRemoveEntry) ────────────────────────────────────────

  /** Marks the live entry `id` deleted; false when there is no such entry. */
  deleteItem(id: StreamID): boolean {
    const it = new StreamIterator(this, id, id, false);
    if (!it.next()) return false;
    const ni = it.nodeIndex;
    const node = this.nodes[ni];
    node.lp.replaceInt(it.flagsPos, it.flags | STREAM_ITEM_FLAG_DELETED);
    if (node.count === 1) {
      // The node's last live entry: the whole node goes.
      this.nodes.splice(ni, 1);
      this.account(-(OBJECT_BASE + node.lp.size));
    } else {
      node.setCounts(node.count - 1, node.deleted + 1);
    }
    this.length--;
    return true;
  }

  // ─── trimming (streamTrim) ─────────────────────────────────────────────────────────────────────────

  /** Trims from the head; returns the number of entries removed. */
  trim(args: TrimArgs): number {
    if (args.strategy === "none") return 0;
    const byLen = args.strategy === "maxlen";
    const { maxlen, minid, approx, limit } = args;
    const nodes = this.nodes;
    let deleted = 0;
    let removed = 0; // whole nodes removed from the front
    while (removed < nodes.length) {
      if (byLen && this.length <= maxlen) break;
      const node = nodes[removed];
      const entries = node.count;
      if (limit && deleted + entries > limit) break;

      let removeNode: boolean;
      if (byLen) {
        removeNode = this.length - entries >= maxlen;
      } else {
        const last = node.lastEntryId();
        removeNode = last !== null && compareId(last, minid) < 0;
      }
      if (removeNode) {
        this.length -= entries;
        deleted += entries;
        removed++;
        continue;
      }
      if (approx) break;

      // Mark entries deleted inside this node until the condition holds.
      const lp = node.lp;
      let deletedFromLp = 0;
      const nmf = node.masterFields.length;
      let p = node.firstEntry;
      while (!lp.isEnd(p)) {
        const flagsPos = p;
        const flags = lp.getSmall(p);
        p = lp.next(p);
        const msDelta = lp.getInt(p);
        p = lp.next(p);
        const seqDelta = lp.getInt(p);
        p = lp.next(p);
        let stop: boolean;
        if (byLen) {
          stop = this.length <= maxlen;
        } else {
          stop =
            compareParts(addDelta(node.ms, msDelta), addDelta(node.seq, seqDelta), minid.ms, minid.seq) >= 0;
        }
        if (stop) break;
        let toSkip: number;
        if (flags & STREAM_ITEM_FLAG_SAMEFIELDS) {
          toSkip = nmf;
        } else {
          toSkip = lp.getSmall(p) * 2;
          p = lp.next(p);
        }
        while (toSkip-- > 0) p = lp.next(p);
        p = lp.next(p); // the lp-count
        if (!(flags & STREAM_ITEM_FLAG_DELETED)) {
          lp.replaceInt(flagsPos, flags | STREAM_ITEM_FLAG_DELETED); // same size: flags stay < 128
          deletedFromLp++;
          this.length--;
        }
      }
      deleted += deletedFromLp;
      node.setCounts(entries - deletedFromLp, node.deleted + deletedFromLp);
      break;
    }
    if (removed > 0) {
      let freed = 0;
      for (let i = 0; i < removed; i++) freed += OBJECT_BASE + nodes[i].lp.size;
      nodes.splice(0, removed);
      this.account(-freed);
    }
    if (this.length === 0) this.firstId = { ms: 0, seq: 0 };
    else if (deleted) this.firstId = this.edgeId(true, true);
    return deleted;
  }

  // ─── consumer groups ───────────────────────────────────────────────────────────────────────────────

  lookupCG(name: string): StreamCG | undefined {
    return this.cgroups?.get(name);
  }

  /** streamCreateCG: null when the name exists. */
  createCG(name: string, id: StreamID, entriesRead: I64): StreamCG | null {
    if (this.cgroups === null) {
      this.cgroups = new Map();
      this.account(TABLE_BASE);
    }
    if (this.cgroups.has(name)) return null;
    const cg = new StreamCG({ ms: id.ms, seq: id.seq }, entriesRead, this);
    this.cgroups.set(name, cg);
    this.account(groupBytes(name));
    return cg;
  }

  /** XGROUP DESTROY: the group, its consumers and PEL go; false when there is no such group. */
  destroyCG(name: string): boolean {
    const cg = this.cgroups?.get(name);
    if (cg === undefined) return false;
    this.account(-cg.estimatedBytes(name));
    (this.cgroups as Map<string, StreamCG>).delete(name);
    return true;
  }

  /** Group names in Redis's rax order. */
  sortedGroupNames(): string[] {
    if (this.cgroups === null) return [];
    return [...this.cgroups.keys()].sort();
  }

  // ─── counters of the consumer-group lag (7.0) ──────────────────────────────────────────────────────

  /** streamRangeHasTombstones. */
  rangeHasTombstones(start: StreamID | null, end: StreamID | null): boolean {
    const md = this.maxDeletedId;
    if (this.length === 0 || (md.ms === 0 && md.seq === 0)) return false;
    if (compareId(this.firstId, md) > 0) return false;
    const s = start ?? ZERO_ID;
    const e = end ?? MAX_ID;
    return compareId(s, md) <= 0 && compareId(md, e) <= 0;
  }

  /** streamEstimateDistanceFromFirstEverEntry: an entries_read for `id`, or -1 when unknowable. */
  estimateDistanceFromFirstEverEntry(id: StreamID): I64 {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && compareId(id, this.lastId) < 1) return this.entriesAdded as I64;
    const cmpLast = compareId(id, this.lastId);
    if (cmpLast === 0) return this.entriesAdded as I64;
    if (cmpLast > 0) return SCG_INVALID_ENTRIES_READ;
    const cmpIdFirst = compareId(id, this.firstId);
    const md = this.maxDeletedId;
    if ((md.ms === 0 && md.seq === 0) || compareId(md, this.firstId) < 0) {
      if (cmpIdFirst < 0) return subI64(this.entriesAdded, this.length);
      if (cmpIdFirst === 0) return incrI64(subI64(this.entriesAdded, this.length));
    }
    return SCG_INVALID_ENTRIES_READ;
  }

  /** streamReplyWithCGLag's value: the lag, or null when it cannot be computed. */
  groupLag(cg: StreamCG): I64 | null {
    if (this.entriesAdded === 0) return 0;
    if (cg.entriesRead !== SCG_INVALID_ENTRIES_READ && !this.rangeHasTombstones(cg.lastId, null)) {
      return subI64(this.entriesAdded, cg.entriesRead);
    }
    const read = this.estimateDistanceFromFirstEverEntry(cg.lastId);
    if (read !== SCG_INVALID_ENTRIES_READ) return subI64(this.entriesAdded, read);
    return null;
  }

  // ─── XINFO's radix tree figures ────────────────────────────────────────────────────────────────────

  /**
   * rax->numnodes of Redis's radix tree over the nodes' 128-bit keys. Redis's rax keeps itself fully
   * compressed, so its node count follows from the key set: the root, every key's leaf, every branching
   * point, and the start of every branch leaving one.
   */
  radixTreeNodes(): number {
    const n = this.nodes.length;
    if (n === 0) return 1;
    const keys = Buffer.allocUnsafe(n * 16);
    for (let i = 0; i < n; i++) encodeId(this.nodes[i], keys, i * 16);
    const lcp = (a: number, b: number): number => {
      let d = 0;
      while (d < 16 && keys[a * 16 + d] === keys[b * 16 + d]) d++;
      return d;
    };
    // Nodes in the subtree of a rax node at depth d covering keys [lo, hi).
    const nodeAt = (lo: number, hi: number, d: number): number => {
      if (hi - lo === 1) return d === 16 ? 1 : 2;
      const e = lcp(lo, hi - 1);
      return e > d ? 1 + branch(lo, hi, e) : branch(lo, hi, d);
    };
    const branch = (lo: number, hi: number, e: number): number => {
      let total = 1;
      let i = lo;
      while (i < hi) {
        const byte = keys[i * 16 + e];
        let j = i + 1;
        while (j < hi && keys[j * 16 + e] === byte) j++;
        total += nodeAt(i, j, e + 1);
        i = j;
      }
      return total;
    };
    return nodeAt(0, n, 0);
  }

  // ─── copying (COPY, streamDup) ─────────────────────────────────────────────────────────────────────

  /** Reports a change of the size estimate (the stream's consumer groups report through it too). */
  account(d: number): void {
    this.bytes += d;
    this.acct.bytes += d;
  }

  clone(): RedisStream {
    const s = new RedisStream();
    for (const n of this.nodes) {
      const lp = Listpack.fromBytes(n.lp.bytes());
      s.nodes.push(new StreamNode(n.ms, n.seq, lp));
      s.bytes += OBJECT_BASE + lp.size;
    }
    s.length = this.length;
    s.lastId = { ...this.lastId };
    s.firstId = { ...this.firstId };
    s.maxDeletedId = { ...this.maxDeletedId };
    s.entriesAdded = this.entriesAdded;
    if (this.cgroups === null) return s;
    s.cgroups = new Map();
    s.bytes += TABLE_BASE;
    for (const name of this.sortedGroupNames()) {
      const cg = this.cgroups.get(name) as StreamCG;
      const ncg = s.createCG(name, cg.lastId, cg.entriesRead) as StreamCG;
      cg.pel.forEach((id, nack) => {
        ncg.pel.insert(id, {
          deliveryTime: nack.deliveryTime,
          deliveryCount: nack.deliveryCount,
          consumer: null,
        });
      });
      for (const consumer of cg.consumers.values()) {
        const nc = new StreamConsumer(consumer.name, consumer.seenTime);
        ncg.addConsumer(nc);
        consumer.pel.forEach((id) => {
          const nack = ncg.pel.get(id) as StreamNACK;
          nack.consumer = nc;
          nc.pel.insert(id, nack);
        });
      }
    }
    return s;
  }
}

// ─── the iterator (streamIterator) ───────────────────────────────────────────────────────────────────────

/**
 * Walks the entries between two IDs (inclusive), forwards or backwards, skipping deleted entries unless
 * told otherwise. After `next()` returns true, `ms`/`seq`/`numFields` describe the entry and
 * `fieldValues()` reads it. The stream must not change while iterating.
 */
export class StreamIterator {
  skipTombstones = true;
  ms: U64 = 0;
  seq: U64 = 0;
  flags = 0;
  numFields = 0;
  /** Where the current entry's flags are, in nodes[nodeIndex]. */
  flagsPos = 0;
  nodeIndex: number;

  private readonly s: RedisStream;
  private readonly start: StreamID;
  private readonly end: StreamID;
  private readonly rev: boolean;
  /** The node holding the current entry (read it with `dataPos`). */
  node: StreamNode | null = null;
  /** Forwards: the next entry's flags. Backwards: the lp-count closing the next entry to look at. */
  private pos = 0;
  private done = false;
  /** Offset of the current entry's first field name (fields given) or first value (SAMEFIELDS). */
  dataPos = 0;

  constructor(s: RedisStream, start: StreamID | null, end: StreamID | null, rev: boolean) {
    this.s = s;
    this.start = start ?? ZERO_ID;
    this.end = end ?? MAX_ID;
    this.rev = rev;
    const nodes = s.nodes;
    if (!rev) {
      const st = this.start;
      const i = st.ms !== 0 || st.seq !== 0 ? s.nodeIndexFor(st) : -1;
      this.nodeIndex = Math.max(i, 0);
    } else {
      const i = s.nodeIndexFor(this.end);
      // No node starts at or before `end`: nothing can be emitted.
      this.nodeIndex = i;
      if (i < 0) this.done = true;
    }
    if (this.nodeIndex >= nodes.length) this.done = true;
  }

  private enterNode(): void {
    const node = this.s.nodes[this.nodeIndex];
    this.node = node;
    // Forwards: the first entry's flags. Backwards: the last element, the last entry's lp-count (or the
    // master entry's zero terminator when the node holds no entry).
    this.pos = this.rev ? node.lp.last() : node.firstEntry;
  }

  /** Parses the entry at `p`; returns the offset after it. */
  private parseEntry(p: number): number {
    const node = this.node as StreamNode;
    const lp = node.lp;
    this.flagsPos = p;
    const flags = lp.getSmall(p);
    this.flags = flags;
    p = lp.next(p);
    this.ms = addDelta(node.ms, lp.getInt(p));
    p = lp.next(p);
    this.seq = addDelta(node.seq, lp.getInt(p));
    p = lp.next(p);
    let toSkip: number;
    if (flags & STREAM_ITEM_FLAG_SAMEFIELDS) {
      this.numFields = node.masterFields.length;
      toSkip = this.numFields;
    } else {
      this.numFields = lp.getSmall(p);
      p = lp.next(p);
      toSkip = this.numFields * 2;
    }
    this.dataPos = p;
    while (toSkip-- > 0) p = lp.next(p);
    return lp.next(p);
  }

  next(): boolean {
    if (this.done) return false;
    const nodes = this.s.nodes;
    for (;;) {
      if (this.node === null) {
        if (this.nodeIndex < 0 || this.nodeIndex >= nodes.length) {
          this.done = true;
          return false;
        }
        this.enterNode();
      }
      const node = this.node as StreamNode;
      if (!this.rev) {
        const lp = node.lp;
        while (!lp.isEnd(this.pos)) {
          this.pos = this.parseEntry(this.pos);
          // As Redis: only an entry that could be emitted ends the walk when past `end` (a tombstone
          // may hold a higher ID than a later live entry, after XSETID lowered the top ID).
          const st = this.start;
          if (compareParts(this.ms, this.seq, st.ms, st.seq) < 0) continue;
          if (this.skipTombstones && this.flags & STREAM_ITEM_FLAG_DELETED) continue;
          const en = this.end;
          if (compareParts(this.ms, this.seq, en.ms, en.seq) > 0) {
            this.done = true;
            return false;
          }
          return true;
        }
        this.node = null;
        this.nodeIndex++;
      } else {
        const lp = node.lp;
        for (;;) {
          // Walk back over the entry: its lp-count says how many elements precede it, from its flags.
          const lpCount = lp.getSmall(this.pos);
          if (lpCount === 0) break; // the master entry: this node is done
          let p = this.pos;
          for (let k = 0; k < lpCount; k++) p = lp.prev(p);
          this.parseEntry(p);
          this.pos = lp.prev(p);
          const en = this.end;
          if (compareParts(this.ms, this.seq, en.ms, en.seq) > 0) continue;
          if (this.skipTombstones && this.flags & STREAM_ITEM_FLAG_DELETED) continue;
          const st = this.start;
          if (compareParts(this.ms, this.seq, st.ms, st.seq) < 0) {
            this.done = true;
            return false;
          }
          return true;
        }
        this.node = null;
        this.nodeIndex--;
      }
    }
  }

  /** The current entry's field/value pairs, flat. */
  fieldValues(): string[] {
    const node = this.node as StreamNode;
    const lp = node.lp;
    const n = this.numFields;
    const out: string[] = new Array(n * 2);
    let p = this.dataPos;
    if (this.flags & STREAM_ITEM_FLAG_SAMEFIELDS) {
      const mf = node.masterFields;
      for (let i = 0; i < n; i++) {
        out[2 * i] = mf[i];
        out[2 * i + 1] = lp.getString(p);
        p = lp.next(p);
      }
    } else {
      for (let i = 0; i < 2 * n; i++) {
        out[i] = lp.getString(p);
        p = lp.next(p);
      }
    }
    return out;
  }
}
