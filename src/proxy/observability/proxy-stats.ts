/**
 * Proxy-wide counters of the slow paths (read-your-writes waits, durability waits, connections), plain
 * numbers bumped where things happen (Session, ProxyServer) and read by prom-client at scrape time.
 */
export class ProxyStats {
  /** Client connections accepted since start. */
  connectionsReceived = 0;
  /** Reads that waited in the proxy for their token or for a replica that has it. */
  rywWaits = 0;
  /** Total time those reads waited (ms). */
  rywWaitMs = 0;
  /** Reads under read-your-writes that went to the master because no replica had their token in time. */
  rywMasterFallbacks = 0;
  /** Write replies held until replicas had the write (PROXY DURABILITY). */
  durabilityWaits = 0;
  /** Held write replies answered -NOTREPLICATED (timeout, or the master's offset unknown). */
  durabilityTimeouts = 0;
  /** Failovers the proxy followed (a new master; counted by the topology code). */
  failoversFollowed = 0;
}
