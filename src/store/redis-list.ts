import { encodingConfig } from "./encoding-config.js";
import { ARRAY_BASE, DETACHED, type MemoryAccount, OBJECT_BASE, stringBytes } from "./memory-model.js";

/** The object with its fields, and the array's headers. */
const BASE_BYTES = OBJECT_BASE + 40 + ARRAY_BASE;

/**
 * A list value: a growable ring buffer of latin1 strings, O(1) at both ends and O(1) by index.
 * (Redis uses a quicklist of listpacks; the commands only need deque operations and indexing. Redis 7.0
 * reports every list as "quicklist", whatever its size, so there is no encoding to track; what a DUMP of
 * it looks like depends on the node size Redis fixed when the list was created, kept in `fill`.)
 *
 * It keeps its size estimate (memory-model.ts) and reports changes to the holding database's account.
 */
export class RedisList {
  private items: (string | undefined)[];
  private head = 0;
  private count = 0;
  bytes: number;
  acct: MemoryAccount = DETACHED;
  /** list-max-listpack-size when the list was created (quicklistSetOptions): its nodes' fill. */
  fill = encodingConfig.listMaxListpackSize;

  constructor(capacity = 4) {
    this.items = new Array(capacity);
    this.bytes = BASE_BYTES + capacity * 8;
  }

  private account(d: number): void {
    this.bytes += d;
    this.acct.bytes += d;
  }

  get length(): number {
    return this.count;
  }

  private grow(): void {
    const cap = this.items.length;
    const next: (string | undefined)[] = new Array(cap * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % cap];
    this.items = next;
    this.head = 0;
    this.account(cap * 8);
  }

  pushBack(v: string): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = v;
    this.count++;
    this.account(stringBytes(v.length));
  }

  pushFront(v: string): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = v;
    this.count++;
    this.account(stringBytes(v.length));
  }

  popFront(): string | undefined {
    if (this.count === 0) return undefined;
    const v = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    this.account(-stringBytes((v as string).length));
    return v;
  }

  popBack(): string | undefined {
    if (this.count === 0) return undefined;
    const i = (this.head + this.count - 1) % this.items.length;
    const v = this.items[i];
    this.items[i] = undefined;
    this.count--;
    this.account(-stringBytes((v as string).length));
    return v;
  }

  /** Element at index 0..length-1 (no negative indexes here; callers normalize as Redis does). */
  at(index: number): string | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.items[(this.head + index) % this.items.length];
  }

  set(index: number, v: string): void {
    const i = (this.head + index) % this.items.length;
    this.account(stringBytes(v.length) - stringBytes((this.items[i] as string).length));
    this.items[i] = v;
  }

  /** Elements start..end inclusive, already clamped by the caller. */
  range(start: number, end: number): string[] {
    const out: string[] = [];
    const cap = this.items.length;
    for (let i = start; i <= end; i++) out.push(this.items[(this.head + i) % cap] as string);
    return out;
  }

  toArray(): string[] {
    return this.count === 0 ? [] : this.range(0, this.count - 1);
  }

  /** Replaces the whole content (used by LREM, LINSERT, LTRIM after computing the new sequence). */
  replaceAll(values: string[]): void {
    let cap = 4;
    while (cap < values.length) cap *= 2;
    this.items = new Array(cap);
    let bytes = BASE_BYTES + cap * 8;
    for (let i = 0; i < values.length; i++) {
      this.items[i] = values[i];
      bytes += stringBytes(values[i].length);
    }
    this.head = 0;
    this.count = values.length;
    this.account(bytes - this.bytes);
  }

  /** A copy (Redis's listTypeDup, for COPY). */
  clone(): RedisList {
    const l = RedisList.from(this.toArray());
    l.fill = this.fill;
    return l;
  }

  static from(values: readonly string[]): RedisList {
    const l = new RedisList();
    l.replaceAll(values.slice());
    return l;
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) % this.items.length] as string;
  }
}
