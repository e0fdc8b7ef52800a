import type { ConnectionOptions } from "node:tls";
import { createPool, type Pool } from "generic-pool";
import CircuitBreaker from "opossum";
import type { BackendAddress, ProxyConfig } from "../config/proxy-config.js";
import { BackendConnection, type ConnectionHost } from "./backend-connection.js";
import { BackendError, RELEASED } from "./backend-error.js";
import type { ReplicationHistory } from "./consistency.js";
import { BackendStats } from "./observability/backend-stats.js";
import { OffsetProbe, ROLE_PROBE, WAITOFFSET_PROBE } from "./offset-probe.js";
import type { WriteBatcher } from "./write-batcher.js";

/**
 * One backend server as the proxy sees it: a few shared multiplexed connections (a session always uses
 * the same one, so its commands to this backend stay in order), a generic-pool of dedicated connections
 * for transactions, blocking commands and subscriptions, an opossum circuit breaker, and the health and
 * replication state the lag monitor keeps up to date.
 */

export interface BackendHealth {
  /** Last time a health poll succeeded (ms since epoch; 0 = never / lost). */
  lastOkAt: number;
  role: "master" | "slave" | "";
  /** master_replid: the replication history this node is on. */
  replid: string;
  /** master_replid2: the history this one continues (after a promotion), "" when none. */
  replid2: string;
  /** On a replica, the master it replicates from (master_host:master_port), "" on a master. */
  masterOf: string;
  /** The node's replication offset (master_repl_offset on a master, slave_repl_offset on a replica). */
  offset: number;
  linkUp: boolean;
  syncing: boolean;
  loading: boolean;
  /** Bytes behind the master, and ms since it last held everything the master had. */
  lagBytes: number;
  lagMs: number;
  /** The node answers WAITOFFSET (a Tandem server): offsets come by long-poll. */
  waitOffset: boolean;
  /** Why the replica is not eligible ("" when it is). */
  reason: string;
  /** The last loss of this node (connection or health poll) since it last answered a poll; null if none. */
  lastFailure: BackendError | null;
  /** The error word of a read answered -LOADING / -MASTERDOWN since the last poll ("" if none). */
  unavailableReply: string;
}

/** Redis error replies mean the server is alive: they never count against the breaker. */
function isReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === "ReplyError";
}

/** The proxy closing its own connections: not a failure of the backend. */
const SHUTTING_DOWN = new BackendError("TANDEM_BACKEND_RELEASED", "proxy shutting down");

export type DrainState = "none" | "draining" | "drained";

export class Backend implements ConnectionHost {
  readonly label: string;
  readonly tls: ConnectionOptions | null;
  outstanding = 0;
  /** Traffic counters for the metrics (plain numbers; read at scrape time). */
  readonly stats = new BackendStats();
  /** Set by the router: may serve reads now. */
  eligible = false;
  /**
   * Operators' drain (PROXY DRAIN, drain.ts): a draining or drained replica gets no new reads; drained
   * once its in-flight requests have finished.
   */
  drain: DrainState = "none";
  readonly health: BackendHealth = {
    lastOkAt: 0,
    role: "",
    replid: "",
    replid2: "",
    masterOf: "",
    offset: 0,
    linkUp: false,
    syncing: false,
    loading: false,
    lagBytes: 0,
    lagMs: 0,
    waitOffset: false,
    reason: "not polled yet",
    lastFailure: null,
    unavailableReply: "",
  };
  readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  /** Scripts (SHA1, lowercase) the proxy has loaded on this node (forgotten when a connection is lost). */
  readonly scripts = new Set<string>();
  /** Smooth weighted round-robin state. */
  currentWeight = 0;
  /** Shared connections speaking RESP2, and (created on first use) RESP3 for sessions after HELLO 3. */
  private readonly shared: (BackendConnection | null)[];
  private readonly shared3: (BackendConnection | null)[];
  private readonly pool: Pool<BackendConnection>;
  private closing = false;
  /** Called when a connection is lost (the router re-evaluates eligibility at once). */
  onConnectionLost: (b: Backend, err: BackendError) => void = () => {};
  /** Called when a read was answered -LOADING / -MASTERDOWN (the router re-evaluates at once). */
  onUnavailable: (b: Backend, reply: string) => void = () => {};

  constructor(
    readonly address: BackendAddress,
    private readonly config: ProxyConfig,
    readonly afterReplies: () => void,
    private readonly history: ReplicationHistory,
    readonly writes: WriteBatcher,
  ) {
    this.label = `${address.host}:${address.port}`;
    this.tls = config.backendTls?.options ?? null;
    this.shared = new Array(config.pool.sharedConnections).fill(null);
    this.shared3 = new Array(config.pool.sharedConnections).fill(null);
    this.breaker = new CircuitBreaker((action: () => Promise<unknown>) => action(), {
      timeout: false,
      errorThresholdPercentage: config.breaker.errorThresholdPercentage,
      resetTimeout: config.breaker.resetTimeoutMs,
      volumeThreshold: config.breaker.volumeThreshold,
      rollingCountTimeout: 10_000,
      errorFilter: isReplyError,
      name: this.label,
    });
    this.pool = createPool<BackendConnection>(
      {
        create: () => this.openDedicated(),
        destroy: async (c) => c.destroy(RELEASED),
        validate: async (c) => !c.closed,
      },
      {
        max: config.pool.dedicatedMax,
        min: 0,
        acquireTimeoutMillis: config.pool.acquireTimeoutMs,
        testOnBorrow: true,
        idleTimeoutMillis: 30_000,
        evictionRunIntervalMillis: 10_000,
      },
    );
  }

  get weight(): number {
    return this.address.weight;
  }

  get draining(): boolean {
    return this.drain !== "none";
  }

  newProbe(): OffsetProbe {
    return new OffsetProbe(this.health.waitOffset ? WAITOFFSET_PROBE : ROLE_PROBE, this.history);
  }

  /** Dedicated connections borrowed now (transactions, blocking commands, subscriptions). */
  get borrowed(): number {
    return this.pool.borrowed;
  }

  // ─── connections ──────────────────────────────────────────────────────────────────────────────────────

  /** The shared connection for a session (by its id), reconnected lazily after a loss. */
  sharedConnection(sessionId: number, proto: number): BackendConnection {
    const set = proto === 3 ? this.shared3 : this.shared;
    const i = sessionId % set.length;
    let c = set[i];
    if (c === null || c.closed) {
      const cfg = this.config;
      c = new BackendConnection(
        this,
        this.address,
        cfg.backendPassword,
        cfg.pool.connectTimeoutMs,
        false,
        proto,
      );
      set[i] = c;
    }
    return c;
  }

  /** A dedicated connection (transaction, blocking command, subscription); give it back with release(). */
  acquire(): Promise<BackendConnection> {
    return this.pool.acquire();
  }

  /** Returns a dedicated connection; `reusable` false when it holds state (MULTI, WATCH, blocked, subscribed). */
  release(conn: BackendConnection, reusable: boolean): void {
    if (reusable && !conn.closed && this.pool.isBorrowedResource(conn))
      void this.pool.release(conn).catch(() => {});
    else if (this.pool.isBorrowedResource(conn)) void this.pool.destroy(conn).catch(() => {});
    else conn.destroy(RELEASED);
  }

  private openDedicated(): Promise<BackendConnection> {
    return new Promise((resolve, reject) => {
      const c = new BackendConnection(
        this,
        this.address,
        this.config.backendPassword,
        this.config.pool.connectTimeoutMs,
        true,
      );
      const onError = (err: Error) =>
        reject(
          new BackendError(
            "TANDEM_BACKEND_CONNECT_FAILED",
            `cannot connect to backend ${this.label}: ${err.message}`,
          ),
        );
      c.socket.once("error", onError);
      c.socket.once(c.connectEvent, () => {
        c.socket.off("error", onError);
        resolve(c);
      });
    });
  }

  /** Hands this backend's pending reads to other backends (it stopped being eligible). */
  abandonReads(): void {
    for (const c of this.shared) if (c !== null && !c.closed) c.abandonReads();
    for (const c of this.shared3) if (c !== null && !c.closed) c.abandonReads();
  }

  unavailable(reply: string): void {
    this.onUnavailable(this, reply);
  }

  connectionLost(conn: BackendConnection, err: BackendError): void {
    if (this.closing) return;
    const i = this.shared.indexOf(conn);
    if (i >= 0) this.shared[i] = null;
    const j = this.shared3.indexOf(conn);
    if (j >= 0) this.shared3[j] = null;
    if (err.isFailure) {
      // The node may have restarted with an empty script cache.
      this.scripts.clear();
      // A connection error counts against the breaker, like a failed health poll.
      this.breaker.fire(() => Promise.reject(err)).catch(() => {});
      this.onConnectionLost(this, err);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const c of [...this.shared, ...this.shared3]) c?.destroy(SHUTTING_DOWN);
    this.breaker.shutdown();
    await this.pool.drain().catch(() => {});
    await this.pool.clear().catch(() => {});
  }
}
