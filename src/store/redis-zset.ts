/**
 * A sorted-set value: member → score, plus the members ordered by (score, member) for ranks and ranges.
 * Ordering is Redis's: by score, then by member bytes (latin1 strings compare as bytes).
 */
export class RedisZSet {
  readonly scores = new Map<string, number>();
  /** Members in (score, member) order. */
  private ordered: string[] = [];

  get size(): number {
    return this.scores.size;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** Inserts or updates; true when the member is new. */
  add(member: string, score: number): boolean {
    const old = this.scores.get(member);
    if (old !== undefined) {
      if (old === score) return false;
      this.ordered.splice(this.indexOf(member, old), 1);
    }
    this.scores.set(member, score);
    this.ordered.splice(this.lowerBound(score, member), 0, member);
    return old === undefined;
  }

  delete(member: string): boolean {
    const old = this.scores.get(member);
    if (old === undefined) return false;
    this.ordered.splice(this.indexOf(member, old), 1);
    this.scores.delete(member);
    return true;
  }

  /** 0-based rank in ascending order, or undefined. */
  rank(member: string): number | undefined {
    const s = this.scores.get(member);
    return s === undefined ? undefined : this.indexOf(member, s);
  }

  /** Member at a 0-based ascending rank. */
  memberAt(rank: number): string | undefined {
    return this.ordered[rank];
  }

  /** Index of the first member whose (score, member) is ≥ the given pair. */
  lowerBound(score: number, member: string): number {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.ordered[mid];
      const s = this.scores.get(m) as number;
      if (s < score || (s === score && m < member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first member with score ≥ `score` (or > when exclusive). */
  scoreBound(score: number, exclusive: boolean): number {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.scores.get(this.ordered[mid]) as number;
      if (s < score || (exclusive && s === score)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(member: string, score: number): number {
    return this.lowerBound(score, member);
  }

  /** [member, score] pairs in ascending order. */
  *entries(): IterableIterator<[string, number]> {
    for (const m of this.ordered) yield [m, this.scores.get(m) as number];
  }
}
