/**
 * A sorted-set value, built as Redis builds its "skiplist" encoding: a dictionary member → node for O(1)
 * score lookups, plus a skiplist ordered by (score, member) whose forward links carry spans, so ranks,
 * rank lookups, inserts and deletes are all O(log n) on average.
 *
 * Ordering is Redis's: by score, then by member bytes (latin1 strings compare code unit by code unit,
 * which is byte order). Ranks in this API are 0-based; the skiplist internals count from 1 as Redis's
 * zsl* functions do, with the header at rank 0.
 */

import { encodingConfig } from "./encoding-config.js";
import {
  ARRAY_BASE,
  DETACHED,
  HEAP_NUMBER,
  MAP_SLOT,
  type MemoryAccount,
  OBJECT_BASE,
  stringBytes,
  TABLE_BASE,
  tableCapacity,
} from "./memory-model.js";

/** Redis's encodings of a sorted set. */
export const ZSET_LISTPACK = 0;
export const ZSET_SKIPLIST = 1;

// ─── skiplist nodes ──────────────────────────────────────────────────────────────────────────────────────

/** Redis's ZSKIPLIST_MAXLEVEL and ZSKIPLIST_P: 32 levels is plenty for 2^64 elements at p = 1/4. */
const MAX_LEVEL = 32;
const LEVEL_P = 0.25;

/** A node's levels above 1, interleaved: [next at level 2, span at level 2, next at level 3, ...]. */
type UpperLevels = (ZSkipNode | number | null)[];

/**
 * A skiplist node. Levels 0 and 1 (every node has level 0, a quarter also level 1) are held in the
 * node's own fields, the rarer levels above in one array of link/span pairs: a search touches as few
 * separate objects per step as JavaScript allows, which is what an insert into a large, cache-cold set
 * pays for, and the node is no larger on average than with arrays for every level.
 */
export class ZSkipNode {
  /** The next node in ascending order (the level-0 link). */
  next: ZSkipNode | null = null;
  /** How many level-0 steps the level-0 link jumps (1 when there is a next node). */
  span0 = 0;
  /** The level-1 link and its span (unused below level 2). */
  next1: ZSkipNode | null = null;
  span1 = 0;
  backward: ZSkipNode | null = null;
  /** Links and spans of levels 2.., or null for a node of level 1 or 2. */
  readonly up: UpperLevels | null;
  readonly level: number;

  constructor(
    readonly member: string,
    public score: number,
    level: number,
  ) {
    this.level = level;
    if (level <= 2) {
      this.up = null;
    } else {
      const up: UpperLevels = new Array(2 * (level - 2));
      for (let i = 0; i < up.length; i += 2) {
        up[i] = null;
        up[i + 1] = 0;
      }
      this.up = up;
    }
  }
}

/** The next node at level i. */
function fwd(x: ZSkipNode, i: number): ZSkipNode | null {
  if (i === 0) return x.next;
  if (i === 1) return x.next1;
  return (x.up as UpperLevels)[2 * i - 4] as ZSkipNode | null;
}

function setFwd(x: ZSkipNode, i: number, n: ZSkipNode | null): void {
  if (i === 0) x.next = n;
  else if (i === 1) x.next1 = n;
  else (x.up as UpperLevels)[2 * i - 4] = n;
}

/** The span of x's link at level i. */
function spanOf(x: ZSkipNode, i: number): number {
  if (i === 0) return x.span0;
  if (i === 1) return x.span1;
  return (x.up as UpperLevels)[2 * i - 3] as number;
}

function setSpan(x: ZSkipNode, i: number, v: number): void {
  if (i === 0) x.span0 = v;
  else if (i === 1) x.span1 = v;
  else (x.up as UpperLevels)[2 * i - 3] = v;
}

/** A node: the object with its nine fields, its boxed score and, above level 2, its array of levels. */
function nodeBytes(level: number): number {
  return OBJECT_BASE + 72 + HEAP_NUMBER + (level > 2 ? ARRAY_BASE + (level - 2) * 16 : 0);
}

/** The zset object, its dict's table header and the header node (32 levels). */
const BASE_BYTES = OBJECT_BASE + 64 + TABLE_BASE + nodeBytes(MAX_LEVEL);

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < LEVEL_P) level++;
  return level;
}

/** (score, member) of `n` sorts before (score, member)? */
function nodeBefore(n: ZSkipNode, score: number, member: string): boolean {
  return n.score < score || (n.score === score && n.member < member);
}

/**
 * Scratch vectors for insert/delete (Redis's `update[]` and `rank[]`). Commands run one at a time on
 * the event loop, so one shared pair avoids two allocations per write.
 */
const update: ZSkipNode[] = new Array(MAX_LEVEL);
const rankAt: number[] = new Array(MAX_LEVEL).fill(0);

// ─── the sorted set ──────────────────────────────────────────────────────────────────────────────────────

export class RedisZSet {
  /** member → its skiplist node (the node holds the score). */
  readonly dict = new Map<string, ZSkipNode>();
  private readonly header = new ZSkipNode("", 0, MAX_LEVEL);
  private tail: ZSkipNode | null = null;
  private level = 1;
  /**
   * The encoding Redis 7.0 would have for the same history: listpack until an insert makes it exceed
   * zset-max-listpack-entries or adds a member longer than zset-max-listpack-value, then skiplist for good
   * (zsetAdd). OBJECT ENCODING reports it and DUMP/RDB save in it.
   */
  enc = ZSET_LISTPACK;
  /** Size estimate (memory-model.ts), reported to the holding database's account. */
  bytes = BASE_BYTES;
  acct: MemoryAccount = DETACHED;
  private cap = 0;

  private account(d: number): void {
    this.bytes += d;
    this.acct.bytes += d;
  }

  /** Member string and dict slot changes after the dict's size changed by one. */
  private resized(memberDelta: number): void {
    const cap = this.dict.size === 0 ? 0 : tableCapacity(this.dict.size);
    const d = memberDelta + (cap - this.cap) * MAP_SLOT;
    this.cap = cap;
    this.account(d);
  }

  get size(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    return this.dict.get(member)?.score;
  }

  has(member: string): boolean {
    return this.dict.has(member);
  }

  /** Inserts or updates; true when the member is new. */
  add(member: string, score: number): boolean {
    const node = this.dict.get(member);
    if (node === undefined) {
      this.dict.set(member, this.insert(member, score));
      this.resized(stringBytes(member.length));
      if (
        this.enc === ZSET_LISTPACK &&
        (this.dict.size > encodingConfig.zsetMaxListpackEntries ||
          member.length > encodingConfig.zsetMaxListpackValue)
      )
        this.enc = ZSET_SKIPLIST;
      return true;
    }
    if (node.score !== score) this.updateScore(node, score);
    return false;
  }

  delete(member: string): boolean {
    const node = this.dict.get(member);
    if (node === undefined) return false;
    this.dict.delete(member);
    this.unlink(node.score, member);
    this.resized(-stringBytes(member.length));
    return true;
  }

  /** 0-based rank in ascending order, or undefined. */
  rank(member: string): number | undefined {
    const node = this.dict.get(member);
    if (node === undefined) return undefined;
    let x = this.header;
    let rank = 0;
    const score = node.score;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && (nodeBefore(f, score, member) || f === node)) {
        rank += spanOf(x, i);
        x = f;
        f = fwd(x, i);
      }
      if (x === node) return rank - 1;
    }
    return rank - 1;
  }

  /** Member at a 0-based ascending rank. */
  memberAt(rank: number): string | undefined {
    return this.nodeAt(rank)?.member;
  }

  /** The node at a 0-based ascending rank (walk on with `.next` / `.backward`), or null. */
  nodeAt(rank: number): ZSkipNode | null {
    if (rank < 0 || rank >= this.dict.size) return null;
    if (rank === this.dict.size - 1) return this.tail;
    const target = rank + 1;
    let x = this.header;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && traversed + spanOf(x, i) <= target) {
        traversed += spanOf(x, i);
        x = f;
        f = fwd(x, i);
      }
      if (traversed === target) return x;
    }
    return null;
  }

  /** The lowest node, or null when empty. */
  get first(): ZSkipNode | null {
    return this.header.next;
  }

  /** The highest node, or null when empty. */
  get last(): ZSkipNode | null {
    return this.tail;
  }

  /**
   * How many members have a score below `score` (or, with `orEqual`, at most `score`). With a score
   * range this gives its ranks: [countBelow(min, minex), countBelow(max, !maxex)).
   */
  countBelow(score: number, orEqual: boolean): number {
    let x = this.header;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && (f.score < score || (orEqual && f.score === score))) {
        rank += spanOf(x, i);
        x = f;
        f = fwd(x, i);
      }
    }
    return rank;
  }

  /** The first node whose score is ≥ `score` (zslNthInRange's start for an inclusive minimum), or null. */
  firstAtLeast(score: number): ZSkipNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && f.score < score) {
        x = f;
        f = fwd(x, i);
      }
    }
    return x.next;
  }

  /**
   * How many leading members sort below `member` by bytes (or at most `member` with `orEqual`), walking
   * the skiplist as Redis's lex range functions do. Meaningful when all scores are equal, as ZRANGEBYLEX
   * documents.
   */
  countBelowMember(member: string, orEqual: boolean): number {
    let x = this.header;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && (f.member < member || (orEqual && f.member === member))) {
        rank += spanOf(x, i);
        x = f;
        f = fwd(x, i);
      }
    }
    return rank;
  }

  /** [member, score] pairs in ascending order. */
  *entries(): IterableIterator<[string, number]> {
    for (let x = this.header.next; x !== null; x = x.next) yield [x.member, x.score];
  }

  /** Removes every member. */
  clear(): void {
    this.dict.clear();
    for (let i = 0; i < MAX_LEVEL; i++) {
      setFwd(this.header, i, null);
      setSpan(this.header, i, 0);
    }
    this.tail = null;
    this.level = 1;
    this.cap = 0;
    this.account(BASE_BYTES - this.bytes);
  }

  /** A copy with the same encoding (Redis's zsetDup, for COPY). */
  clone(): RedisZSet {
    const z = new RedisZSet();
    for (let x = this.header.next; x !== null; x = x.next) z.add(x.member, x.score);
    z.enc = this.enc;
    return z;
  }

  // ─── skiplist internals (zslInsert, zslDeleteNode, zslUpdateScore) ─────────────────────────────────────

  /**
   * Links a new node (the member must not be present), or `reuse`, a node just unlinked, at its new
   * score: a score update keeps its node (and its level) instead of leaving one behind for the collector.
   */
  private insert(member: string, score: number, reuse: ZSkipNode | null = null): ZSkipNode {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rankAt[i] = i === this.level - 1 ? 0 : rankAt[i + 1];
      let f = fwd(x, i);
      while (f !== null && nodeBefore(f, score, member)) {
        rankAt[i] += spanOf(x, i);
        x = f;
        f = fwd(x, i);
      }
      update[i] = x;
    }
    const level = reuse === null ? randomLevel() : reuse.level;
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rankAt[i] = 0;
        update[i] = this.header;
        setSpan(this.header, i, this.dict.size);
      }
      this.level = level;
    }
    let node: ZSkipNode;
    if (reuse === null) {
      node = new ZSkipNode(member, score, level);
    } else {
      node = reuse;
      node.score = score;
    }
    this.account(nodeBytes(level));
    for (let i = 0; i < level; i++) {
      const u = update[i];
      setFwd(node, i, fwd(u, i));
      setFwd(u, i, node);
      setSpan(node, i, spanOf(u, i) - (rankAt[0] - rankAt[i]));
      setSpan(u, i, rankAt[0] - rankAt[i] + 1);
    }
    for (let i = level; i < this.level; i++) setSpan(update[i], i, spanOf(update[i], i) + 1);
    node.backward = update[0] === this.header ? null : update[0];
    const after = node.next;
    if (after !== null) after.backward = node;
    else this.tail = node;
    return node;
  }

  /** Unlinks the node holding (score, member). */
  private unlink(score: number, member: string): void {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && nodeBefore(f, score, member)) {
        x = f;
        f = fwd(x, i);
      }
      update[i] = x;
    }
    const node = x.next;
    if (node === null || node.member !== member) throw new Error("sorted set skiplist out of sync");
    this.unlinkNode(node);
  }

  /** zslDeleteNode: `update` holds the predecessors of `node` at every level. */
  private unlinkNode(node: ZSkipNode): void {
    this.account(-nodeBytes(node.level));
    for (let i = 0; i < this.level; i++) {
      const u = update[i];
      if (fwd(u, i) === node) {
        setSpan(u, i, spanOf(u, i) + spanOf(node, i) - 1);
        setFwd(u, i, fwd(node, i));
      } else {
        setSpan(u, i, spanOf(u, i) - 1);
      }
    }
    const after = node.next;
    if (after !== null) after.backward = node.backward;
    else this.tail = node.backward;
    while (this.level > 1 && fwd(this.header, this.level - 1) === null) this.level--;
  }

  /**
   * Changes a member's score. When the node stays in place relative to its neighbours only the score
   * changes (Redis's zslUpdateScore fast path); otherwise it is unlinked and linked again.
   */
  private updateScore(node: ZSkipNode, score: number): void {
    const prev = node.backward;
    const next = node.next;
    if (
      (prev === null || nodeBefore(prev, score, node.member)) &&
      (next === null || !nodeBefore(next, score, node.member))
    ) {
      node.score = score;
      return;
    }
    this.unlink(node.score, node.member);
    this.insert(node.member, score, node);
  }
}
