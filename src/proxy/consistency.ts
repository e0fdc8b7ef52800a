import type { ConsistencyLevel } from "../config/proxy-config.js";

/**
 * Read-your-writes: consistency levels, causal tokens and the master's replication history they are
 * compared against.
 *
 * A token is `<replid>:<offset>`: "everything the master had at this offset of this history". A replica
 * satisfies it when it is on the master's current history and has applied at least that offset. Offsets
 * are bytes of ONE history and are never compared across replids (DESIGN.md, "the offset is bytes"):
 * - a token of the current history compares directly;
 * - a token of the history the current one continues (the master was promoted: its replid2, up to
 *   second_repl_offset) compares by offset too — PSYNC2 keeps offsets continuous across a promotion, and
 *   anything past the fork point was lost in the failover, so the master has nothing newer to offer;
 * - a token of an older history the proxy saw the master leave is satisfied by any replica on the current
 *   history (their data started from the master's after the switch);
 * - a token of a history the proxy has never seen the master on (another proxy's, newer than what the lag
 *   monitor knows, or garbage) is not comparable: such reads go to the master until the monitor sees the
 *   master on that history.
 */

export type { ConsistencyLevel };
export const CONSISTENCY_LEVELS: readonly ConsistencyLevel[] = ["eventual", "session", "strong"];

export interface CausalToken {
  readonly replid: string;
  readonly offset: number;
}

/** Offset to use when a token cannot be compared by offset: the read must go to the master. */
export const NOT_COMPARABLE = -1;

const REPLID = /^[0-9a-f]{40}$/;

/** Parses `<replid>:<offset>` (40 lowercase hex digits, a decimal offset); null when malformed. */
export function parseToken(text: string): CausalToken | null {
  const colon = text.indexOf(":");
  if (colon !== 40) return null;
  const replid = text.slice(0, 40);
  const off = text.slice(41);
  if (!REPLID.test(replid) || !/^\d{1,16}$/.test(off)) return null;
  const offset = Number(off);
  return Number.isSafeInteger(offset) ? { replid, offset } : null;
}

export function formatToken(t: CausalToken): string {
  return `${t.replid}:${t.offset}`;
}

const PAST_MAX = 32;

/** The master's replication history as the lag monitor last saw it. */
export class ReplicationHistory {
  /** master_replid ("" until the first poll). */
  replid = "";
  /** master_replid2 and second_repl_offset: the history this one continues, and where it forked. */
  replid2 = "";
  secondReplOffset = -1;
  /** Replids the master has been seen on before its current one (bounded, oldest dropped). */
  private readonly past = new Set<string>();
  /** The replid before forget(): the master may come back on it (a dropped connection, not a new history). */
  private forgotten = "";

  /** Records a poll of the master; returns true when its history changed. */
  observe(replid: string, replid2: string, secondReplOffset: number): boolean {
    if (replid === "") return false;
    this.replid2 = replid2;
    this.secondReplOffset = secondReplOffset;
    const before = this.replid !== "" ? this.replid : this.forgotten;
    this.forgotten = "";
    if (replid === this.replid) return false;
    this.replid = replid;
    if (before === replid) return false;
    if (before !== "") {
      this.past.add(before);
      if (this.past.size > PAST_MAX) this.past.delete(this.past.values().next().value as string);
    }
    this.past.delete(replid);
    return true;
  }

  /**
   * The connection to the master was lost: it may come back on another history (a restart without
   * persistence, a failover behind the same address). Until the next poll no probe gets a replid (a new
   * write's history is unknown); replicas and tokens of the last history seen are still compared (serving).
   */
  forget(): void {
    if (this.replid === "") return;
    this.forgotten = this.replid;
    this.replid = "";
  }

  /**
   * The history replicas are judged against: the master's, or while the master is unreachable the one it
   * was last seen on. A replica on it that has applied offset X holds everything the master had at X
   * there, whatever the master comes back with; what is unknown until the next poll is only which
   * history NEW writes (and so new probes) belong to.
   */
  get serving(): string {
    return this.replid !== "" ? this.replid : this.forgotten;
  }

  /**
   * The offset of the serving history a replica must have applied to satisfy `t`, or NOT_COMPARABLE when
   * the token's history is unknown (the read goes to the master).
   */
  requiredOffset(replid: string, offset: number): number {
    const current = this.serving;
    if (current === "") return NOT_COMPARABLE;
    if (replid === current) return offset;
    if (this.replid === "") return NOT_COMPARABLE; // the master's history is unknown: nothing else compares
    if (replid === this.replid2 && this.secondReplOffset > 0)
      return Math.min(offset, this.secondReplOffset - 1);
    if (this.past.has(replid)) return 0;
    return NOT_COMPARABLE;
  }
}
