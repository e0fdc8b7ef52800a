import type { ProxyConfig } from "../config/proxy-config.js";
import type { Backend } from "./backend.js";

/**
 * Chooses the backend for each read among the replicas that are eligible right now, by policy. The
 * eligible list is recomputed by the lag monitor (each poll, each offset it learns, and at once when a
 * connection is lost), so a pick is a few field reads — no allocation on the hot path.
 *
 * Which node is the master, and which nodes exist, change only through setNodes() (the topology: roles
 * the lag monitor polls, or what Sentinel reports). Writes go to `master` while `masterWritable()`.
 *
 * Reads under read-your-writes ask for a minimum offset: only eligible replicas whose known offset
 * (health.offset, learned by the lag monitor) has reached it qualify.
 */
export class Router {
  /** Replicas that may serve reads now. */
  eligible: Backend[] = [];
  private rr = 0;

  /** Every backend the proxy knows: the master first, then the replicas. */
  nodes: readonly Backend[];

  constructor(
    public master: Backend,
    public replicas: readonly Backend[],
    private readonly config: ProxyConfig,
    /** Writes need the master's own word (`role:master` in a poll) before they go: Sentinel mode. */
    private readonly confirmMaster = false,
  ) {
    this.nodes = [master, ...replicas];
  }

  /** A new topology: `master` and the replicas (the eligible list is recomputed by the next refresh). */
  setNodes(master: Backend, replicas: readonly Backend[]): void {
    this.master = master;
    this.replicas = replicas;
    this.nodes = [master, ...replicas];
    // The new master may sit in the eligible list as a replica: it leaves it now, not at the next poll.
    if (this.eligible.includes(master)) this.eligible = this.eligible.filter((b) => b !== master);
  }

  /**
   * Whether writes may go to the master now: never to a node that reports `role:slave` (a demoted master
   * in a failover); under Sentinel, only once the node has itself reported `role:master`.
   */
  masterWritable(): boolean {
    const role = this.master.health.role;
    return role === "master" || (role === "" && !this.confirmMaster);
  }

  /**
   * Recomputes the eligible list from each replica's `eligible` flag and drain state. Returns the
   * replicas that left it (an empty shared array when none did: no allocation when nothing changed).
   */
  refresh(): readonly Backend[] {
    let same = true;
    let n = 0;
    for (const r of this.replicas) {
      if (r.eligible && !r.draining) {
        if (this.eligible[n] !== r) same = false;
        n++;
      }
    }
    if (same && n === this.eligible.length) return NONE;
    const next = this.replicas.filter((r) => r.eligible && !r.draining);
    const left = this.eligible.filter((b) => !next.includes(b));
    this.eligible = next;
    return left;
  }

  /** A replica for a read (with at least `minOffset` applied, when ≥ 0), or null when none qualifies. */
  pickReplica(minOffset = -1): Backend | null {
    const list = this.eligible;
    const n = list.length;
    if (n === 0) return null;
    if (n === 1) {
      const only = list[0];
      return minOffset < 0 || only.health.offset >= minOffset ? only : null;
    }
    switch (this.config.readPolicy) {
      case "least-outstanding": {
        // Ties go round-robin so idle replicas share the load instead of the first one taking it all.
        const offset = this.rr++ % n;
        let best: Backend | null = null;
        for (let i = 0; i < n; i++) {
          const b = list[(offset + i) % n];
          if (minOffset >= 0 && b.health.offset < minOffset) continue;
          if (best === null || b.outstanding < best.outstanding) best = b;
        }
        return best;
      }
      case "weighted": {
        // Smooth weighted round-robin over the qualifying replicas: deterministic, interleaved.
        let total = 0;
        let best: Backend | null = null;
        for (let i = 0; i < n; i++) {
          const b = list[i];
          if (minOffset >= 0 && b.health.offset < minOffset) continue;
          b.currentWeight += b.weight;
          total += b.weight;
          if (best === null || b.currentWeight > best.currentWeight) best = b;
        }
        if (best !== null) best.currentWeight -= total;
        return best;
      }
      default: {
        const start = this.rr++;
        for (let i = 0; i < n; i++) {
          const b = list[(start + i) % n];
          if (minOffset < 0 || b.health.offset >= minOffset) return b;
        }
        return null;
      }
    }
  }

  /** The backend for a read: a replica, or the master / null (`no_eligible_replica: error`) when none. */
  pickRead(): Backend | null {
    const r = this.pickReplica();
    if (r !== null) return r;
    return this.config.noEligibleReplica === "master" ? this.master : null;
  }

  /** True when some eligible replica has applied `offset` (it could serve a read that needs it). */
  someReplicaAt(offset: number): boolean {
    for (const b of this.eligible) if (b.health.offset >= offset) return true;
    return false;
  }
}

const NONE: readonly Backend[] = [];
