import type { ProxyConfig } from "../config/proxy-config.js";
import type { Backend } from "./backend.js";

/**
 * Chooses the backend for each read among the replicas that are eligible right now, by policy. The
 * eligible list is recomputed by the lag monitor (each poll, and at once when a connection is lost), so a
 * pick is a few field reads — no allocation on the hot path.
 */
export class Router {
  /** Replicas that may serve reads now. */
  eligible: Backend[] = [];
  private rr = 0;

  constructor(
    readonly master: Backend,
    readonly replicas: readonly Backend[],
    private readonly config: ProxyConfig,
  ) {}

  /** Recomputes the eligible list from each replica's `eligible` flag. Returns the replicas that left it. */
  refresh(): Backend[] {
    const next: Backend[] = [];
    for (const r of this.replicas) if (r.eligible && !r.draining) next.push(r);
    const left = this.eligible.filter((b) => !next.includes(b));
    this.eligible = next;
    return left;
  }

  /** A replica for a read, or null when none is eligible. */
  pickReplica(): Backend | null {
    const list = this.eligible;
    const n = list.length;
    if (n === 0) return null;
    if (n === 1) return list[0];
    switch (this.config.readPolicy) {
      case "least-outstanding": {
        // Ties go round-robin so idle replicas share the load instead of the first one taking it all.
        const offset = this.rr++ % n;
        let best = list[offset];
        for (let i = 1; i < n; i++) {
          const b = list[(offset + i) % n];
          if (b.outstanding < best.outstanding) best = b;
        }
        return best;
      }
      case "weighted": {
        // Smooth weighted round-robin: deterministic, and it interleaves instead of sending bursts.
        let total = 0;
        let best = list[0];
        for (let i = 0; i < n; i++) {
          const b = list[i];
          b.currentWeight += b.weight;
          total += b.weight;
          if (b.currentWeight > best.currentWeight) best = b;
        }
        best.currentWeight -= total;
        return best;
      }
      default:
        return list[this.rr++ % n];
    }
  }

  /** The backend for a read: a replica, or the master / null (`no_eligible_replica: error`) when none. */
  pickRead(): Backend | null {
    const r = this.pickReplica();
    if (r !== null) return r;
    return this.config.noEligibleReplica === "master" ? this.master : null;
  }
}
