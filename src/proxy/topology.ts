import type { BackendHealth } from "./backend.js";

/**
 * Following the master without Sentinel: the rule that picks a new master from the roles the lag monitor
 * polls. Kept apart from the polling so it can be tested with plain objects.
 *
 * The current master stays master while it is reachable and reports `role:master` — even if another node
 * reports `role:master` too (a replica promoted by hand while the old master still runs: two masters, and
 * the proxy keeps writing where it wrote, until the old one is made a replica). It is replaced when it
 * reports `role:slave` (demoted: `REPLICAOF host port`) or has not answered for `staleMs`, and some other
 * reachable node reports `role:master`. Among several such nodes:
 *   1. the one the old master now replicates from (its master_host:master_port);
 *   2. else the one most other nodes replicate from;
 *   3. else the one with the highest offset (it holds the most of the old history).
 */

export interface TopologyNode {
  readonly label: string;
  readonly health: Readonly<BackendHealth>;
}

/** A reachable node: polled successfully within the last `staleMs`. */
export function reachable(n: TopologyNode, now: number, staleMs: number): boolean {
  return n.health.lastOkAt > 0 && now - n.health.lastOkAt <= staleMs;
}

/** The node writes should move to, or null when the current master stays. */
export function promotedMaster<T extends TopologyNode>(
  current: T,
  nodes: readonly T[],
  now: number,
  staleMs: number,
): T | null {
  const up = reachable(current, now, staleMs);
  if (up && current.health.role !== "slave") return null;
  const candidates = nodes.filter(
    (n) => n !== current && n.health.role === "master" && reachable(n, now, staleMs),
  );
  if (candidates.length === 0) return null;
  if (candidates.length === 1) return candidates[0];
  if (up) {
    const followed = candidates.find((c) => c.label === current.health.masterOf);
    if (followed) return followed;
  }
  let best = candidates[0];
  let bestScore = -1;
  for (const c of candidates) {
    let followers = 0;
    for (const n of nodes) if (n.health.masterOf === c.label && reachable(n, now, staleMs)) followers++;
    if (followers > bestScore || (followers === bestScore && c.health.offset > best.health.offset)) {
      best = c;
      bestScore = followers;
    }
  }
  return best;
}
