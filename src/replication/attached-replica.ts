import type { ReplicaClientHandle } from "./replication-host.js";

/** Queued stream bytes up to this size are joined into one Buffer for the write; more go out as a writev. */
const CONCAT_LIMIT = 64 * 1024;

/**
 * One replica attached to us, as the master side tracks it (Redis's slave fields of `client`): where it is
 * in its sync, what it announced in REPLCONF, and its last ACK.
 */

/** Redis's SLAVE_STATE_* in sync order. */
export const SlaveState = {
  /** Waiting for a snapshot to start (repl-diskless-sync-delay, or another snapshot running). */
  WAIT_BGSAVE_START: 6,
  /** +FULLRESYNC sent; the RDB is being produced/sent. */
  WAIT_BGSAVE_END: 7,
  /** The RDB is being sent (disk-style payload). */
  SEND_BULK: 8,
  /** Gets the stream. */
  ONLINE: 9,
} as const;
export type SlaveState = (typeof SlaveState)[keyof typeof SlaveState];

const STATE_NAMES: Record<SlaveState, string> = {
  [SlaveState.WAIT_BGSAVE_START]: "wait_bgsave",
  [SlaveState.WAIT_BGSAVE_END]: "wait_bgsave",
  [SlaveState.SEND_BULK]: "send_bulk",
  [SlaveState.ONLINE]: "online",
};

export const SlaveCapa = { EOF: 1, PSYNC2: 2 } as const;

export class AttachedReplica {
  state: SlaveState = SlaveState.WAIT_BGSAVE_START;
  /** Offset it acknowledged last (REPLCONF ACK). */
  ackOffset = 0;
  /** Unix ms of its last ACK (lag in INFO; min-replicas-max-lag). */
  ackTime = Date.now();
  /** When it started waiting for a snapshot (repl-diskless-sync-delay). */
  waitSince = Date.now();
  /** The master offset its RDB corresponds to (+FULLRESYNC's offset). */
  psyncInitialOffset = 0;
  /** Stream produced while its RDB is prepared/sent; flushed when it goes online. */
  pending: Buffer[] = [];
  /** Diskless transfer done: goes online on its first ACK (Redis's repl_put_online_on_ack). */
  putOnlineOnAck = false;
  /** Newline keepalives are allowed until the RDB payload header has been sent. */
  payloadStarted = false;
  capa = 0;
  /** Came with SYNC (no +FULLRESYNC line, no ACKs). */
  oldSync = false;

  constructor(
    readonly client: ReplicaClientHandle,
    /** REPLCONF listening-port. */
    readonly listeningPort: number,
    /** REPLCONF ip-address, or the peer's address. */
    readonly ip: string,
  ) {}

  get stateName(): string {
    return STATE_NAMES[this.state];
  }

  /**
   * Stream bytes for an online replica, written once per event-loop turn by `flushOutput` (as Redis
   * writes to replicas in beforeSleep): one write per propagated command was the master's biggest cost
   * under a many-client write load.
   */
  private out: Buffer[] = [];
  private outBytes = 0;

  /**
   * Takes stream bytes: queued for the next flush when online, else kept for when it is. Returns true
   * when the replica now has output waiting for a flush.
   */
  feed(data: Buffer): boolean {
    if (this.state === SlaveState.ONLINE) {
      this.out.push(data);
      this.outBytes += data.length;
      return true;
    }
    if (this.state !== SlaveState.WAIT_BGSAVE_START) this.pending.push(data);
    return false;
  }

  /** Writes the queued stream bytes in one go. */
  flushOutput(): void {
    const out = this.out;
    if (out.length === 0) return;
    this.out = [];
    const n = this.outBytes;
    this.outBytes = 0;
    const socket = this.client.socket;
    if (socket.destroyed) return;
    if (out.length === 1) {
      socket.write(out[0]);
    } else if (n < CONCAT_LIMIT) {
      socket.write(Buffer.concat(out, n));
    } else {
      // Large pieces (a big value's SET) are not copied again: one corked writev.
      socket.cork();
      for (let i = 0; i < out.length; i++) socket.write(out[i]);
      socket.uncork();
    }
  }

  /** Sends what was kept while syncing and starts streaming. */
  putOnline(): void {
    this.state = SlaveState.ONLINE;
    this.putOnlineOnAck = false;
    this.ackTime = Date.now();
    const pending = this.pending;
    this.pending = [];
    const socket = this.client.socket;
    if (pending.length > 0) {
      socket.cork();
      for (const b of pending) socket.write(b);
      socket.uncork();
    }
  }
}
