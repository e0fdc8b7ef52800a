import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import type { ProxyConfig } from "../config/proxy-config.js";
import { Backend } from "./backend.js";
import { RouteCache } from "./command-route.js";
import { ReplicationHistory } from "./consistency.js";
import { DrainController } from "./drain.js";
import { LagMonitor } from "./lag-monitor.js";
import { ProxyObservability } from "./observability/proxy-observability.js";
import { ProxyStats } from "./observability/proxy-stats.js";
import { OffsetWaits } from "./offset-waits.js";
import { Router } from "./router.js";
import { Session, type SessionContext } from "./session.js";

/**
 * The proxy's front server: accepts client connections (one Session each) and owns everything sessions
 * share — the backends, the router, the route cache, the lag monitor and the master's replication history
 * it keeps, the offset waits of read-your-writes and durability, and the drain controller. Everything it
 * knows about the backends it learns over the wire.
 */
export class ProxyServer implements SessionContext {
  readonly router: Router;
  readonly routes = new RouteCache();
  readonly history = new ReplicationHistory();
  readonly waits: OffsetWaits;
  readonly monitor: LagMonitor;
  readonly drains: DrainController;
  /** Counters sessions bump on the slow paths (read-your-writes and durability waits, connections). */
  readonly stats = new ProxyStats();
  /** Metrics, state-change logs, lag history and the HTTP admin listener (/metrics, /status, /). */
  readonly observability: ProxyObservability;
  private readonly server: Server;
  private readonly sessions = new Set<Session>();
  /** Sessions with replies ready, flushed once per backend read (one chunk of replies = one write each). */
  private readonly touched: Session[] = [];
  private nextId = 1;

  constructor(
    readonly config: ProxyConfig,
    readonly log: Logger,
  ) {
    const afterReplies = () => this.flushTouched();
    const master = new Backend(config.master, true, config, afterReplies, this.history);
    const replicas = config.replicas.map((r) => new Backend(r, false, config, afterReplies, this.history));
    this.router = new Router(master, replicas, config);
    this.waits = new OffsetWaits(this.router, this.history);
    this.monitor = new LagMonitor(this.router, config, log, this.history, this.waits);
    this.drains = new DrainController(this.router, config, log, () => this.monitor.evaluate());
    // Paused: each Session re-wraps its socket for direct reads before any byte is read.
    this.server = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
    this.observability = new ProxyObservability(this, log);
    this.monitor.onEligibilityChange = (b) => this.observability.stateLog.eligibilityChanged(b);
  }

  /**
   * Listens and starts health monitoring, then the admin listener (rejects with AdminListenError when its
   * address cannot be bound); resolves with the bound port.
   */
  listen(): Promise<number> {
    this.drains.load();
    const listening = new Promise<number>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host: this.config.listen.host, port: this.config.listen.port }, () => {
        this.server.off("error", reject);
        this.monitor.start();
        resolve(this.boundPort);
      });
    });
    return listening.then(async (port) => {
      await this.observability.start();
      return port;
    });
  }

  get boundPort(): number {
    const a = this.server.address();
    return typeof a === "object" && a ? a.port : 0;
  }

  private accept(socket: Socket): void {
    this.stats.connectionsReceived++;
    const s = new Session(this.nextId++, socket, this);
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
    await this.observability.stop();
    await new Promise<void>((r) => {
      this.server.close(() => r());
      for (const s of [...this.sessions]) s.close();
    });
    await this.monitor.stop();
    await Promise.all([this.router.master, ...this.router.replicas].map((b) => b.close()));
  }
}
