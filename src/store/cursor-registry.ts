/**
 * SCAN-family cursors. Redis's cursors walk hash-table buckets; ours park a live Map/Set iterator under a
 * cursor number. A JS Map iterator visits every entry present for the whole scan exactly once even while
 * the map changes, which is the guarantee SCAN documents (and a little more: no duplicates).
 *
 * Parked iterators are bounded: the least recently used ones are dropped past `capacity`. A cursor that is
 * unknown (dropped, or from before a restart) ends the scan with an empty page rather than starting over,
 * so a client can never loop forever.
 */
export class CursorRegistry<T> {
  private next = 1;
  private readonly parked = new Map<number, { owner: object; it: Iterator<T> }>();

  constructor(private readonly capacity = 10_000) {}

  /** Parks an iterator over `owner` (the map or set it walks) and returns its cursor number. */
  park(owner: object, it: Iterator<T>): number {
    const id = this.next;
    this.next = this.next >= 0x7fffffff ? 1 : this.next + 1;
    this.parked.set(id, { owner, it });
    if (this.parked.size > this.capacity) {
      const oldest = this.parked.keys().next().value as number;
      this.parked.delete(oldest);
    }
    return id;
  }

  /** Takes back the iterator parked under `cursor` for `owner` (undefined if unknown or another owner's). */
  take(owner: object, cursor: number): Iterator<T> | undefined {
    const entry = this.parked.get(cursor);
    if (entry === undefined || entry.owner !== owner) return undefined;
    this.parked.delete(cursor);
    return entry.it;
  }
}
