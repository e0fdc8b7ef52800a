import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import type { ProxyConfig } from "../config/proxy-config.js";
import { Backend } from "./backend.js";
import { LagMonitor } from "./lag-monitor.js";
import { Router } from "./router.js";
import { flushTouchedSessions, Session, type SessionContext } from "./session.js";

/**
 * The proxy's front server: accepts client connections (one Session each) and owns the backends, the
 * router and the lag monitor. Everything it knows about the backends it learns over the wire.
 */
export class ProxyServer implements SessionContext {
  readonly router: Router;
  readonly monitor: LagMonitor;
  private readonly server: Server;
  private readonly sessions = new Set<Session>();
  private nextId = 1;

  constructor(
    readonly config: ProxyConfig,
    readonly log: Logger,
  ) {
    const master = new Backend(config.master, true, config, flushTouchedSessions);
    const replicas = config.replicas.map((r) => new Backend(r, false, config, flushTouchedSessions));
    this.router = new Router(master, replicas, config);
    this.monitor = new LagMonitor(this.router, config, log);
    // Paused: each Session re-wraps its socket for direct reads before any byte is read.
    this.server = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  /** Listens and starts health monitoring; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host: this.config.listen.host, port: this.config.listen.port }, () => {
        this.server.off("error", reject);
        this.monitor.start();
        resolve(this.boundPort);
      });
    });
  }

  get boundPort(): number {
    const a = this.server.address();
    return typeof a === "object" && a ? a.port : 0;
  }

  private accept(socket: Socket): void {
    const s = new Session(this.nextId++, socket, this);
    this.sessions.add(s);
  }

  sessionClosed(s: Session): void {
    this.sessions.delete(s);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => {
      this.server.close(() => r());
      for (const s of [...this.sessions]) s.close();
    });
    await this.monitor.stop();
    await Promise.all([this.router.master, ...this.router.replicas].map((b) => b.close()));
  }
}
