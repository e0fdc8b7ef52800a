import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ProxyConfig } from "../config/proxy-config.js";
import type { Backend } from "./backend.js";
import { BackendError } from "./backend-error.js";
import type { ReplicationHistory } from "./consistency.js";
import type { OffsetWaits } from "./offset-waits.js";
import type { Router } from "./router.js";
import { reachable } from "./topology.js";

/**
 * The control plane: one ioredis client per backend learns role, replid, offset, link and sync/loading
 * state by `INFO replication` every poll interval; on Tandem servers (detected with `COMMAND INFO
 * waitoffset`) a second client long-polls `WAITOFFSET <last+1> <interval>` so offsets arrive the moment
 * they move. Every poll goes through the backend's circuit breaker (timeouts and connection errors open
 * it; Redis error replies do not).
 *
 * Lag: bytes = master offset − replica offset; ms = age of the oldest master offset sample the replica
 * has not reached (how long it has been missing data). A replica whose last good poll is older than
 * max_lag_ms is treated as unreachable, which is what catches a SIGSTOPped process.
 *
 * Read-your-writes: the monitor keeps the master's ReplicationHistory (replid, replid2, the replids it
 * left) and hands every offset it learns to the OffsetWaits. While a read or a durable write waits,
 * replicas that cannot be long-polled (real Redis) are asked `ROLE` back to back instead of once per poll
 * interval, so their offsets arrive within a round trip there too.
 */

interface OffsetSample {
  t: number;
  offset: number;
}

const MAX_SAMPLES = 1200;

export class LagMonitor {
  private readonly clients = new Map<Backend, Redis>();
  private readonly waiters = new Map<Backend, Redis>();
  private readonly inFlight = new Set<Backend>();
  /** Replicas with an on-demand ROLE in flight (see pollOffsetsNow). */
  private readonly roleInFlight = new Set<Backend>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Master offsets over time (increasing), for lag in ms. */
  private samples: OffsetSample[] = [];
  /** The replid the samples belong to. */
  private samplesReplid = "";
  /** When the master last answered a poll (kept when a lost connection zeroes its lastOkAt). */
  private masterSeenAt = 0;
  /** Called after every successful poll (the topology follows roles from here). */
  onPolled: (b: Backend) => void = () => {};
  /** Called when a replica becomes eligible or is excluded (the state-change log). */
  onEligibilityChange: (b: Backend) => void = () => {};

  constructor(
    private readonly router: Router,
    private readonly config: ProxyConfig,
    private readonly log: Logger,
    private readonly history: ReplicationHistory,
    private readonly waits: OffsetWaits,
  ) {
    waits.wantFreshOffsets = () => this.pollOffsetsNow();
  }

  start(): void {
    for (const b of this.router.nodes) this.watch(b);
    this.timer = setInterval(() => this.tick(), this.config.health.pollIntervalMs);
    this.tick();
  }

  /** Starts polling a backend (every node at start; later, nodes Sentinel reports). */
  watch(b: Backend): void {
    if (this.stopped || this.clients.has(b)) return;
    b.onConnectionLost = (backend, err) => {
      // Do not wait for the next poll: a broken data connection means reads must go elsewhere now.
      backend.health.lastOkAt = 0;
      backend.health.lastFailure = err;
      // The master may come back on another history: new probes get no replid until it is polled again.
      if (backend === this.router.master) this.history.forget();
      this.evaluate();
    };
    b.onUnavailable = (backend, reply) => {
      // Until the next poll says otherwise (a loading replica's INFO still answers).
      backend.health.loading = true;
      backend.health.unavailableReply = reply.split(" ")[0];
      this.evaluate();
    };
    const c = this.client(b);
    this.clients.set(b, c);
    void this.detectWaitOffset(b, c);
  }

  /** Stops polling a backend that left the topology. */
  unwatch(b: Backend): void {
    this.clients.get(b)?.disconnect();
    this.waiters.get(b)?.disconnect();
    this.clients.delete(b);
    this.waiters.delete(b);
  }

  /** Polls one backend now (a new master to confirm); resolves when the poll is done. */
  pollNow(b: Backend): Promise<void> {
    return this.poll(b).then(() => this.evaluate());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const c of [...this.clients.values(), ...this.waiters.values()]) c.disconnect();
  }

  private client(b: Backend): Redis {
    const c = new Redis({
      host: b.address.host,
      port: b.address.port,
      password: this.config.backendPassword || undefined,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.config.pool.connectTimeoutMs,
      commandTimeout: this.config.breaker.timeoutMs,
      retryStrategy: () => Math.max(50, this.config.health.pollIntervalMs),
      lazyConnect: false,
      connectionName: "tandem-proxy-monitor",
      tls: b.tls ?? undefined,
    });
    c.on("error", () => {}); // reported through the breaker and health state, not as unhandled errors
    return c;
  }

  // ─── polling ──────────────────────────────────────────────────────────────────────────────────────────

  private tick(): void {
    if (this.stopped) return;
    for (const b of this.router.nodes) {
      if (this.inFlight.has(b)) continue;
      this.inFlight.add(b);
      void this.poll(b).finally(() => this.inFlight.delete(b));
    }
    this.evaluate();
  }

  private async poll(b: Backend): Promise<void> {
    const c = this.clients.get(b);
    if (!c) return;
    try {
      const text = (await b.breaker.fire(() => c.info("replication"))) as string;
      if (!this.clients.has(b)) return; // left the topology meanwhile
      this.apply(b, parseInfo(text));
      this.onPolled(b);
      // The master's history and reachability decide every replica's eligibility: a read must never be
      // routed on flags computed before the master came back on a new history.
      if (b === this.router.master) this.evaluate();
    } catch (err) {
      b.health.lastFailure = new BackendError(
        "TANDEM_BACKEND_POLL_FAILED",
        `health poll failed: ${(err as Error).message}`,
      );
    }
  }

  private apply(b: Backend, info: Map<string, string>): void {
    const h = b.health;
    const now = Date.now();
    h.lastOkAt = now;
    h.lastFailure = null;
    h.role = info.get("role") === "slave" ? "slave" : info.get("role") === "master" ? "master" : "";
    h.replid = info.get("master_replid") ?? "";
    h.replid2 = info.get("master_replid2") ?? "";
    if (/^0+$/.test(h.replid2)) h.replid2 = "";
    h.masterOf =
      h.role === "slave" ? `${info.get("master_host") ?? ""}:${info.get("master_port") ?? ""}` : "";
    const off = Number(info.get(h.role === "slave" ? "slave_repl_offset" : "master_repl_offset") ?? "0");
    if (!h.waitOffset || off > h.offset) h.offset = off;
    h.linkUp = h.role === "slave" ? info.get("master_link_status") === "up" : true;
    h.syncing = info.get("master_sync_in_progress") === "1";
    // Not in `INFO replication` on Redis; Tandem may add it. LOADING replicas also fail the INFO poll
    // with -LOADING on some servers, which keeps them ineligible anyway.
    h.loading = info.get("loading") === "1";
    if (b === this.router.master) {
      const changed = this.history.observe(
        h.replid,
        info.get("master_replid2") ?? "",
        Number(info.get("second_repl_offset") ?? "-1"),
      );
      if (changed) this.log.info({ replid: h.replid }, "master is on a new replication history");
      this.noteMasterOffset(now, h.offset, h.replid);
      this.masterSeenAt = now;
    }
  }

  private noteMasterOffset(now: number, offset: number, replid: string): void {
    if (replid !== this.samplesReplid) {
      this.samplesReplid = replid;
      this.samples = [];
    }
    const last = this.samples[this.samples.length - 1];
    if (last === undefined || offset > last.offset) {
      this.samples.push({ t: now, offset });
      if (this.samples.length > MAX_SAMPLES) this.samples.splice(0, this.samples.length - MAX_SAMPLES);
    }
  }

  // ─── WAITOFFSET long-poll (Tandem servers) ────────────────────────────────────────────────────────────

  private async detectWaitOffset(b: Backend, c: Redis): Promise<void> {
    while (!this.stopped && this.clients.get(b) === c) {
      try {
        const info = (await c.call("COMMAND", "INFO", "WAITOFFSET")) as unknown[];
        b.health.waitOffset = Array.isArray(info) && info[0] !== null && info[0] !== undefined;
        break;
      } catch {
        await new Promise((r) => setTimeout(r, Math.max(100, this.config.health.pollIntervalMs)));
      }
    }
    if (!b.health.waitOffset || this.stopped || this.clients.get(b) !== c) return;
    const w = this.client(b);
    w.options.commandTimeout = this.config.health.pollIntervalMs + this.config.breaker.timeoutMs;
    this.waiters.set(b, w);
    this.log.debug({ backend: b.label }, "backend supports WAITOFFSET: long-polling offsets");
    while (!this.stopped && this.waiters.get(b) === w) {
      try {
        const off = Number(
          await w.call("WAITOFFSET", String(b.health.offset + 1), String(this.config.health.pollIntervalMs)),
        );
        if (off > b.health.offset) {
          b.health.offset = off;
          if (b === this.router.master) this.noteMasterOffset(Date.now(), off, this.samplesReplid);
          this.evaluate();
        }
      } catch {
        await new Promise((r) => setTimeout(r, this.config.health.pollIntervalMs));
      }
    }
  }

  // ─── offsets on demand (real Redis replicas, while something waits) ────────────────────────────────────

  /** Asks every replica that cannot be long-polled for its offset now, and again while waits remain. */
  private pollOffsetsNow(): void {
    if (this.stopped) return;
    for (const r of this.router.replicas) {
      if (r.health.waitOffset || this.roleInFlight.has(r)) continue;
      const c = this.clients.get(r);
      if (c === undefined || c.status !== "ready") continue;
      this.roleInFlight.add(r);
      void this.roleOffset(r, c).then((answered) => {
        this.roleInFlight.delete(r);
        // Again only after a real answer (a round trip). A failure can come back within the same turn:
        // ioredis rejects at once on a socket that is closing but not yet reported closed, and asking
        // again from here would spin in microtasks without ever letting the close be processed (the
        // proxy hung at 100% CPU after kill -9 of a redis-server replica while reads waited). The next
        // poll, or the next wait, asks again.
        if (answered && this.waits.waiting > 0) this.pollOffsetsNow();
      });
    }
  }

  /** One ROLE to a replica; false when it failed (the regular poll reports why). */
  private async roleOffset(r: Backend, c: Redis): Promise<boolean> {
    try {
      const role = (await c.call("ROLE")) as unknown[];
      // A replica's ROLE: slave, master host, master port, link state, offset applied.
      if (role[0] !== "slave" || role[3] !== "connected") return true;
      const off = Number(role[4]);
      if (off > r.health.offset) {
        r.health.offset = off;
        this.evaluate();
      }
      return true;
    } catch {
      // The regular poll reports an unreachable replica; this one only speeds offsets up.
      return false;
    }
  }

  // ─── eligibility ──────────────────────────────────────────────────────────────────────────────────────

  /** Recomputes every replica's lag and eligibility and refreshes the router. */
  evaluate(): void {
    const now = Date.now();
    const master = this.router.master.health;
    // Lag in ms counts while the master is producing data. Once it is unreachable (dead, partitioned,
    // stopped) nothing new exists to miss: a replica's lag stays what it was when the master was last
    // heard from, so in-sync replicas keep serving reads through a failover instead of ageing out.
    const lagClock = reachable(this.router.master, now, this.config.maxLagMs)
      ? now
      : Math.min(now, master.lastOkAt > 0 ? master.lastOkAt : this.masterSeenAt);
    for (const r of this.router.replicas) {
      const h = r.health;
      h.lagBytes = Math.max(0, master.offset - h.offset);
      h.lagMs = this.lagMs(h.offset, lagClock);
      h.reason = this.whyIneligible(r, now);
      const was = r.eligible;
      r.eligible = h.reason === "";
      if (r.eligible !== was) this.onEligibilityChange(r);
    }
    const left = this.router.refresh();
    for (const b of left) {
      if (b.draining) continue; // a drain lets in-flight reads finish where they are
      b.abandonReads(); // (logged by onEligibilityChange)
    }
    this.waits.check();
  }

  private lagMs(offset: number, now: number): number {
    const s = this.samples;
    // The first sample the replica has not reached: it has been missing data since then.
    for (let i = 0; i < s.length; i++) if (s[i].offset > offset) return Math.max(0, now - s[i].t);
    return 0;
  }

  private whyIneligible(r: Backend, now: number): string {
    const h = r.health;
    const c = this.config;
    if (h.lastOkAt === 0) return h.lastFailure === null ? "not reachable" : describeFailure(h.lastFailure);
    if (now - h.lastOkAt > c.maxLagMs) return `no answer for ${now - h.lastOkAt} ms`;
    if (!r.breaker.closed) return "circuit breaker open";
    if (h.role !== "slave") return `role is ${h.role || "unknown"}`;
    // With the master reachable, a replica whose link is down is falling behind. With the master gone
    // (killed, partitioned: a failover is coming), every replica's link is down, and one that holds what
    // the master last had may still serve reads, judged by its lag like any other.
    if (!h.linkUp && reachable(this.router.master, now, c.maxLagMs)) return "master_link_status is down";
    if (h.syncing) return "sync in progress";
    if (h.loading) return h.unavailableReply !== "" ? `answered ${h.unavailableReply}` : "loading";
    // The master's history, or one that continues it (a replica already following a promoted peer).
    const serving = this.history.serving;
    if (serving === "" || (h.replid !== serving && h.replid2 !== serving))
      return "replicating another history (replid differs)";
    if (h.lagBytes > c.maxLagBytes) return `lag ${h.lagBytes} bytes > max_lag_bytes`;
    if (h.lagMs > c.maxLagMs) return `lag ${h.lagMs} ms > max_lag_ms`;
    return "";
  }
}

/** `INFO` text → field map. */
export function parseInfo(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && line[0] !== "#") m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** How a loss reads in /status and logs: connection losses say so; a failed poll says it itself. */
function describeFailure(err: BackendError): string {
  return err.code === "TANDEM_BACKEND_POLL_FAILED" ? err.message : `connection lost (${err.message})`;
}
