import type { Logger } from "pino";
import type { Backend } from "../backend.js";
import { AdminServer } from "./admin-server.js";
import { type BackendStatus, backendStatus } from "./backend-status.js";
import { LagHistory, type LagSeries } from "./lag-history.js";
import { type ObservedProxy, ProxyMetrics } from "./proxy-metrics.js";
import { StateLog } from "./state-log.js";

/**
 * Everything the proxy shows about itself, in one object per proxy: the metrics registry, the state-change
 * log, each replica's lag history (sampled once a second into a ring buffer, so the status page's chart
 * covers the last ten minutes as soon as it loads) and the HTTP admin listener serving them.
 */

export const LAG_SAMPLE_MS = 1000;
/** Ten minutes of samples. */
export const LAG_SAMPLES = 600;

export interface StatusReport {
  /** When the report was made (ms since the epoch). */
  readonly time: number;
  readonly proxy: {
    readonly listen: string;
    readonly pid: number;
    readonly uptimeSeconds: number;
    readonly clients: number;
    readonly readPolicy: string;
  };
  readonly limits: { readonly maxLagBytes: number; readonly maxLagMs: number };
  readonly topology: { readonly master: string; readonly replicas: readonly string[] };
  /** Master first, then the replicas: PROXY BACKENDS' fields. */
  readonly backends: readonly BackendStatus[];
  readonly lagHistory: {
    readonly intervalMs: number;
    readonly capacity: number;
    /** By replica address. */
    readonly replicas: Readonly<Record<string, LagSeries>>;
  };
}

export class ProxyObservability {
  readonly metrics: ProxyMetrics;
  readonly stateLog: StateLog;
  /** By backend address, so a history outlives a Backend object the topology code replaces. */
  private readonly lag = new Map<string, LagHistory>();
  private sampler: NodeJS.Timeout | null = null;
  private readonly admin: AdminServer | null = null;
  private readonly startedAt = Date.now();

  constructor(
    private readonly proxy: ObservedProxy,
    log: Logger,
  ) {
    this.metrics = new ProxyMetrics(proxy);
    this.stateLog = new StateLog(log);
    for (const b of this.backends()) this.stateLog.watch(b);
    const a = proxy.config.admin;
    if (a.listen !== null)
      this.admin = new AdminServer(a.listen.host, a.listen.port, a.password, {
        metrics: async () => ({ text: await this.metrics.text(), contentType: this.metrics.contentType }),
        status: () => this.status(),
      });
  }

  /** Starts sampling lag and, unless `admin.listen` is off, the admin listener (AdminListenError if it cannot bind). */
  async start(): Promise<void> {
    this.sample();
    this.sampler = setInterval(() => this.sample(), LAG_SAMPLE_MS);
    this.sampler.unref();
    await this.admin?.listen();
  }

  /** The admin listener's port (0 when it is off or not started). */
  get adminPort(): number {
    return this.admin?.boundPort ?? 0;
  }

  async stop(): Promise<void> {
    if (this.sampler !== null) clearInterval(this.sampler);
    this.sampler = null;
    await this.admin?.close();
  }

  /** One lag sample per replica (and breaker watches for backends the topology added since). */
  sample(): void {
    const now = Date.now();
    for (const b of this.backends()) this.stateLog.watch(b);
    for (const r of this.proxy.router.replicas) {
      let h = this.lag.get(r.label);
      if (h === undefined) {
        h = new LagHistory(LAG_SAMPLES);
        this.lag.set(r.label, h);
      }
      h.push(now, r.health.lagMs, r.health.lagBytes);
    }
  }

  status(): StatusReport {
    const { router, config } = this.proxy;
    const now = Date.now();
    const replicas: Record<string, LagSeries> = {};
    for (const r of router.replicas) {
      const h = this.lag.get(r.label);
      replicas[r.label] = h === undefined ? { t: [], lagMs: [], lagBytes: [] } : h.series();
    }
    return {
      time: now,
      proxy: {
        listen: `${config.listen.host}:${this.proxy.boundPort}`,
        pid: process.pid,
        uptimeSeconds: Math.round((now - this.startedAt) / 1000),
        clients: this.proxy.sessionCount,
        readPolicy: config.readPolicy,
      },
      limits: { maxLagBytes: config.maxLagBytes, maxLagMs: config.maxLagMs },
      topology: { master: router.master.label, replicas: router.replicas.map((r) => r.label) },
      backends: this.backends().map((b) => backendStatus(b, b === router.master, now, config)),
      lagHistory: { intervalMs: LAG_SAMPLE_MS, capacity: LAG_SAMPLES, replicas },
    };
  }

  private backends(): Backend[] {
    return [this.proxy.router.master, ...this.proxy.router.replicas];
  }
}
