import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from "node:tls";
import type { Logger } from "pino";
import type { BackendAddress, ProxyConfig } from "../config/proxy-config.js";
import { Backend } from "./backend.js";
import { RouteCache } from "./command-route.js";
import { ReplicationHistory } from "./consistency.js";
import { DrainController } from "./drain.js";
import { LagMonitor } from "./lag-monitor.js";
import { ProxyObservability } from "./observability/proxy-observability.js";
import { ProxyStats } from "./observability/proxy-stats.js";
import { OffsetWaits } from "./offset-waits.js";
import { Router } from "./router.js";
import { ScriptCache } from "./script-cache.js";
import { type NodeAddress, type SentinelTopology, SentinelWatcher } from "./sentinel-watcher.js";
import { Session, type SessionContext } from "./session.js";
import { promotedMaster } from "./topology.js";
import { WriteBatcher } from "./write-batcher.js";

/**
 * The proxy's front server: accepts client connections (one Session each) and owns everything sessions
 * share — the backends, the router, the route cache, the lag monitor and the master's replication history
 * it keeps, the offset waits of read-your-writes and durability, and the drain controller. Everything it
 * knows about the backends it learns over the wire.
 *
 * The topology (which node is the master, which nodes exist) follows either the roles the lag monitor
 * polls (no Sentinel: a demoted master and a promoted replica are noticed; see topology.ts) or what
 * Sentinel reports (`sentinel:`; sentinel-watcher.ts). Either way a switch is one call: switchMaster().
 */
export class ProxyServer implements SessionContext {
  readonly router: Router;
  readonly routes = new RouteCache();
  readonly scripts = new ScriptCache();
  /** Backend connections' write batching (one flush per turn for all of this proxy's connections). */
  private readonly writes = new WriteBatcher();
  readonly history = new ReplicationHistory();
  readonly waits: OffsetWaits;
  readonly monitor: LagMonitor;
  readonly drains: DrainController;
  /** Counters sessions bump on the slow paths (read-your-writes and durability waits, connections). */
  readonly stats = new ProxyStats();
  /** Metrics, state-change logs, lag history and the HTTP admin listener (/metrics, /status, /). */
  readonly observability: ProxyObservability;
  private readonly server: Server;
  /** The `tls:` listener (null without one); its sessions read through 'data' events. */
  private readonly tlsServer: TlsServer | null = null;
  private readonly sessions = new Set<Session>();
  /** Sessions with replies ready, flushed once per backend read (one chunk of replies = one write each). */
  private readonly touched: Session[] = [];
  private nextId = 1;
  private readonly sentinel: SentinelWatcher | null;
  private started = false;

  constructor(
    readonly config: ProxyConfig,
    readonly log: Logger,
  ) {
    const master = this.newBackend(config.master);
    const replicas = config.replicas.map((r) => this.newBackend(r));
    this.router = new Router(master, replicas, config, config.sentinel !== null);
    this.waits = new OffsetWaits(this.router, this.history);
    this.monitor = new LagMonitor(this.router, config, log, this.history, this.waits);
    this.drains = new DrainController(this.router, config, log, () => this.monitor.evaluate());
    this.sentinel =
      config.sentinel === null
        ? null
        : new SentinelWatcher(
            config.sentinel,
            log,
            config.pool.connectTimeoutMs,
            (t, why) => this.applyTopology(t, why),
            config.sentinel.tls ? (config.backendTls?.options ?? null) : null,
          );
    if (this.sentinel === null) this.monitor.onPolled = () => this.followRoles();
    // Paused: each Session re-wraps its socket for direct reads before any byte is read.
    this.server = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket, true));
    const tls = config.tls;
    if (tls !== null) {
      // yes: no certificate fails the handshake, a bad one is refused; optional: a certificate is asked
      // for and, when one comes, must verify (checked below: node:tls lets it through in this mode).
      this.tlsServer = createTlsServer({
        ...tls.context,
        noDelay: true,
        requestCert: tls.authClients !== "no",
        rejectUnauthorized: tls.authClients === "yes",
      });
      this.tlsServer.on("secureConnection", (socket: TLSSocket) => {
        if (tls.authClients === "optional" && !socket.authorized && presentedCertificate(socket)) {
          socket.destroy();
          return;
        }
        this.accept(socket, false);
      });
      this.tlsServer.on("tlsClientError", (err) =>
        this.log.debug({ err: err.message }, "TLS handshake with a client failed"),
      );
    }
    this.observability = new ProxyObservability(this, log);
    this.monitor.onEligibilityChange = (b) => this.observability.stateLog.eligibilityChanged(b);
  }

  private newBackend(a: NodeAddress | BackendAddress): Backend {
    const weight = "weight" in a ? a.weight : 1;
    return new Backend(
      { host: a.host, port: a.port, weight },
      this.config,
      () => this.flushTouched(),
      this.history,
      this.writes,
    );
  }

  /**
   * Listens and starts health monitoring; resolves with the bound port. Under Sentinel without a
   * `master:` in the file, the topology is resolved first (retrying until a sentinel knows the master).
   */
  async listen(): Promise<number> {
    if (this.sentinel !== null && !this.config.masterGiven)
      this.applyTopology(await this.sentinel.resolveUntilFound(), "sentinel at startup");
    this.drains.load();
    await listenOn(this.server, this.config.listen);
    if (this.tlsServer !== null && this.config.tls !== null) {
      try {
        await listenOn(this.tlsServer, this.config.tls.listen);
      } catch (err) {
        this.server.close();
        const e = err as NodeJS.ErrnoException;
        const a = this.config.tls.listen;
        throw new TlsListenError(
          `cannot listen on ${a.host}:${a.port} (tls.listen): ${e.code === "EADDRINUSE" ? `port ${a.port} is already in use` : e.message}`,
        );
      }
    }
    this.started = true;
    this.monitor.start();
    if (this.sentinel !== null) {
      // Writes wait for the master's own role:master; have it before the first client can write.
      await this.monitor.pollNow(this.router.master);
      this.sentinel.follow();
    }
    await this.observability.start();
    return this.boundPort;
  }

  // ─── topology ───────────────────────────────────────────────────────────────────────────────────────

  /** Without Sentinel, after each poll: moves writes to a promoted node when the master was demoted. */
  private followRoles(): void {
    const r = this.router;
    const next = promotedMaster(r.master, r.nodes, Date.now(), this.config.maxLagMs);
    if (next !== null)
      this.switchMaster(
        next,
        r.nodes.filter((b) => b !== next),
        "roles polled",
      );
  }

  /** What Sentinel reports: nodes it lists are added, nodes it no longer lists removed, its master followed. */
  private applyTopology(t: SentinelTopology, why: string): void {
    const known = new Map(this.router.nodes.map((b) => [b.label, b]));
    const added: Backend[] = [];
    const get = (a: NodeAddress): Backend => {
      const k = `${a.host}:${a.port}`;
      let b = known.get(k);
      if (b === undefined) {
        b = this.newBackend(a);
        known.set(k, b);
        added.push(b);
      }
      return b;
    };
    const master = get(t.master);
    const replicas = [...new Set(t.replicas.map(get))].filter((b) => b !== master);
    const removed = this.router.nodes.filter((b) => b !== master && !replicas.includes(b));
    if (master !== this.router.master) this.switchMaster(master, replicas, why);
    else this.router.setNodes(master, replicas);
    for (const b of added) {
      this.drains.adopt(b);
      if (this.started) this.monitor.watch(b);
      this.log.info({ backend: b.label, why }, "backend added (reported by sentinel)");
    }
    for (const b of removed) {
      this.monitor.unwatch(b);
      b.abandonReads();
      void b.close();
      this.log.info({ backend: b.label, why }, "backend removed (no longer reported by sentinel)");
    }
    if (this.started) this.monitor.evaluate();
  }

  /**
   * Writes go to `master` from now on. It is polled at once: under Sentinel, writes wait for its own
   * `role:master` (Router.masterWritable); the history is re-learned from it (tokens of the history it
   * continues stay comparable: consistency.ts).
   */
  private switchMaster(master: Backend, replicas: readonly Backend[], why: string): void {
    const old = this.router.master;
    this.router.setNodes(master, replicas);
    this.history.forget();
    this.observability.metrics.failoverFollowed();
    this.log.warn({ from: old.label, to: master.label, why }, "following a new master");
    if (this.started) void this.monitor.pollNow(master);
  }

  get boundPort(): number {
    const a = this.server.address();
    return typeof a === "object" && a ? a.port : 0;
  }

  /** The TLS listener's port (0 without `tls:`). */
  get tlsBoundPort(): number {
    const a = this.tlsServer?.address();
    return typeof a === "object" && a ? a.port : 0;
  }

  /** `directReads`: a plain socket, re-wrapped for reads into the shared buffer (see direct-reads.ts). */
  private accept(socket: Socket, directReads: boolean): void {
    this.stats.connectionsReceived++;
    const s = new Session(this.nextId++, socket, this, directReads);
    this.sessions.add(s);
  }

  markTouched(s: Session): void {
    this.touched.push(s);
  }

  private flushTouched(): void {
    const t = this.touched;
    for (let i = 0; i < t.length; i++) {
      const s = t[i];
      s.touchedMark = false;
      s.flushReplies();
    }
    t.length = 0;
  }

  sessionClosed(s: Session): void {
    this.sessions.delete(s);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    this.drains.stop();
    this.sentinel?.stop();
    await this.observability.stop();
    this.tlsServer?.close();
    await new Promise<void>((r) => {
      this.server.close(() => r());
      for (const s of [...this.sessions]) s.close();
    });
    await this.monitor.stop();
    await Promise.all(this.router.nodes.map((b) => b.close()));
  }
}

/** The `tls:` listener could not bind (the message names its address). */
export class TlsListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TlsListenError";
  }
}

function listenOn(server: Server, at: { host: string; port: number }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: at.host, port: at.port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function presentedCertificate(socket: TLSSocket): boolean {
  const cert = socket.getPeerCertificate();
  return cert !== null && Object.keys(cert).length > 0;
}
