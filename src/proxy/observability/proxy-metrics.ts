import { Counter, collectDefaultMetrics, Gauge, type Metric, type MetricType, Registry } from "prom-client";
import type { ProxyConfig } from "../../config/proxy-config.js";
import type { Backend } from "../backend.js";
import type { Router } from "../router.js";
import { type BackendStatus, backendStatus } from "./backend-status.js";
import type { ProxyStats } from "./proxy-stats.js";

/**
 * The proxy's Prometheus metrics, in a Registry of its own (never prom-client's global one, so two proxies
 * in one process do not mix). Nothing here runs per request: the hot path bumps plain numbers
 * (BackendStats, ProxyStats, Backend.outstanding), and every metric reads them in its collect() callback
 * when /metrics is scraped. Names follow redis_exporter where it has one (connected_slave_lag_seconds,
 * connected_slave_offset_bytes, master_repl_offset, connected_clients, connections_received_total).
 * docs/metrics.md lists them all.
 */

/** What the metrics read from the proxy (ProxyServer is one). */
export interface ObservedProxy {
  readonly config: ProxyConfig;
  readonly router: Router;
  readonly stats: ProxyStats;
  /** Client connections open now. */
  readonly sessionCount: number;
  /** The port the proxy listens on. */
  readonly boundPort: number;
}

export const METRIC_PREFIX = "tandem_proxy_";

type BackendLabel = "backend" | "role";
const BACKEND_LABELS: BackendLabel[] = ["backend", "role"];
const BREAKER_STATES = ["closed", "half-open", "open"] as const;
const DRAIN_STATES = ["none", "draining", "drained"] as const;

interface Row {
  readonly b: Backend;
  readonly labels: { backend: string; role: "master" | "replica" };
  readonly status: BackendStatus;
}

export class ProxyMetrics {
  readonly registry = new Registry();

  constructor(private readonly proxy: ObservedProxy) {
    const registers = [this.registry];
    const rows = () => this.rows();
    const stats = proxy.stats;
    const p = METRIC_PREFIX;

    // ─── per backend ──────────────────────────────────────────────────────────────────────────────────
    const backendCounter = (name: string, help: string, value: (r: Row) => number) =>
      new Counter({
        name: p + name,
        help,
        labelNames: BACKEND_LABELS,
        registers,
        collect() {
          this.reset();
          for (const r of rows()) this.inc(r.labels, value(r));
        },
      });
    const backendGauge = (name: string, help: string, value: (r: Row) => number | null) =>
      new Gauge({
        name: p + name,
        help,
        labelNames: BACKEND_LABELS,
        registers,
        collect() {
          this.reset();
          for (const r of rows()) {
            const v = value(r);
            if (v !== null) this.set(r.labels, v);
          }
        },
      });
    const stateSet = (name: string, help: string, states: readonly string[], current: (r: Row) => string) =>
      new Gauge({
        name: p + name,
        help,
        labelNames: [...BACKEND_LABELS, "state"],
        registers,
        collect() {
          this.reset();
          for (const r of rows()) {
            const now = current(r);
            for (const state of states) this.set({ ...r.labels, state }, state === now ? 1 : 0);
          }
        },
      });

    backendCounter(
      "backend_requests_total",
      "Requests sent to the backend for clients (a read moved to another backend counts there again).",
      (r) => r.b.stats.requests,
    );
    new Counter({
      name: `${p}backend_errors_total`,
      help: "Requests that failed on the backend: kind=reply, an error reply; kind=connection, no reply because the connection was lost.",
      labelNames: [...BACKEND_LABELS, "kind"],
      registers,
      collect() {
        this.reset();
        for (const r of rows()) {
          this.inc({ ...r.labels, kind: "reply" }, r.b.stats.errorReplies);
          this.inc({ ...r.labels, kind: "connection" }, r.b.stats.connectionErrors);
        }
      },
    });
    new BackendLatency(
      `${p}backend_request_duration_seconds`,
      "Time from a request's write to the backend to its reply, on the shared connections (timed per written batch).",
      registers,
      rows,
    );
    backendGauge("backend_in_flight_requests", "Requests sent to the backend and not answered yet.", (r) =>
      Number(r.status.in_flight),
    );
    backendGauge(
      "backend_dedicated_connections",
      "Dedicated connections borrowed now (transactions, blocking commands, subscriptions).",
      (r) => Number(r.status.dedicated),
    );
    backendGauge(
      "backend_up",
      "1 while the backend answers health polls within max_lag_ms (PROXY BACKENDS state up), else 0.",
      (r) => (r.status.state === "up" ? 1 : 0),
    );
    backendGauge(
      "backend_eligible",
      "1 when the backend may serve reads now (a replica: in sync, within the lag limits, breaker closed, not drained; the master: up), else 0.",
      (r) => (r.status.eligible === "yes" ? 1 : 0),
    );
    stateSet(
      "backend_breaker_state",
      "The backend's circuit breaker: 1 for its current state (closed, half-open, open), 0 for the others.",
      BREAKER_STATES,
      (r) => r.status.breaker,
    );
    stateSet(
      "backend_drain_state",
      "Operators' drain (PROXY DRAIN): 1 for the current state (none, draining, drained), 0 for the others.",
      DRAIN_STATES,
      (r) => r.status.drain,
    );
    backendGauge(
      "master_repl_offset",
      "The master's replication offset (master_repl_offset) as the proxy last learned it.",
      (r) => (r.labels.role === "master" ? r.status.offset : null),
    );
    backendGauge(
      "connected_slave_offset_bytes",
      "A replica's replication offset (slave_repl_offset) as the proxy last learned it.",
      (r) => (r.labels.role === "replica" ? r.status.offset : null),
    );
    backendGauge(
      "connected_slave_lag_bytes",
      "How many bytes of the master's replication stream a replica has not applied.",
      (r) => (r.labels.role === "replica" ? r.status.lag_bytes : null),
    );
    backendGauge(
      "connected_slave_lag_seconds",
      "How long a replica has been missing data the master has (0 when it has everything).",
      (r) => (r.labels.role === "replica" ? r.status.lag_ms / 1000 : null),
    );

    // ─── proxy-wide ───────────────────────────────────────────────────────────────────────────────────
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name: p + name,
        help,
        registers,
        collect() {
          this.set(value());
        },
      });
    const counter = (name: string, help: string, value: () => number) =>
      new Counter({
        name: p + name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    gauge("connected_clients", "Client connections open now.", () => proxy.sessionCount);
    counter("connections_received_total", "Client connections accepted since start.", () => {
      return stats.connectionsReceived;
    });
    gauge("eligible_replicas", "Replicas that may serve reads now.", () => proxy.router.eligible.length);
    counter(
      "ryw_waits_total",
      "Reads under read-your-writes that waited in the proxy for their token or a replica that has it.",
      () => stats.rywWaits,
    );
    counter("ryw_wait_seconds_total", "Time those reads waited, in total.", () => stats.rywWaitMs / 1000);
    counter(
      "ryw_master_fallbacks_total",
      "Reads under read-your-writes sent to the master because no replica had their token in time.",
      () => stats.rywMasterFallbacks,
    );
    counter(
      "durability_waits_total",
      "Write replies held until enough replicas had the write (PROXY DURABILITY).",
      () => stats.durabilityWaits,
    );
    counter(
      "durability_timeouts_total",
      "Held write replies answered -NOTREPLICATED (not enough replicas in time, or the offset unknown).",
      () => stats.durabilityTimeouts,
    );
    counter(
      "failovers_followed_total",
      "Times the proxy followed a failover to a new master.",
      () => stats.failoversFollowed,
    );

    // Node's process metrics (CPU, memory, event loop lag, GC...), unprefixed as dashboards expect them.
    collectDefaultMetrics({ register: this.registry });
  }

  /** The topology code calls this each time it follows a failover to a new master. */
  failoverFollowed(): void {
    this.proxy.stats.failoversFollowed++;
  }

  /** The exposition text (what /metrics serves), and its content type. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every backend, master first, with its labels and PROXY BACKENDS state (read at scrape time). */
  private rows(): Row[] {
    const { router, config } = this.proxy;
    const now = Date.now();
    const out: Row[] = [];
    const add = (b: Backend, isMaster: boolean) =>
      out.push({
        b,
        labels: { backend: b.label, role: isMaster ? "master" : "replica" },
        status: backendStatus(b, isMaster, now, config),
      });
    add(router.master, true);
    for (const r of router.replicas) add(r, false);
    return out;
  }
}

/**
 * The latency histogram. prom-client's Histogram only learns values through observe(), which would mean
 * a call per request; this metric instead reports the backends' own LatencyHistogram counts (cumulative
 * `le` buckets, _sum, _count) when scraped. It is registered as the Registry reads metrics: a name, and
 * get() returning the metric object (what prom-client's own metrics return).
 */
class BackendLatency {
  readonly type = "histogram" as unknown as MetricType;
  readonly aggregator = "sum" as const;

  constructor(
    readonly name: string,
    readonly help: string,
    registers: Registry[],
    private readonly rows: () => Row[],
  ) {
    for (const r of registers) r.registerMetric(this as unknown as Metric);
  }

  async get() {
    const name = this.name;
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const r of this.rows()) {
      const h = r.b.stats.latency;
      const cumulative = h.cumulative();
      for (let i = 0; i < cumulative.length; i++) {
        const le = i < h.bounds.length ? h.bounds[i] : "+Inf";
        values.push({ labels: { ...r.labels, le }, value: cumulative[i], metricName: `${name}_bucket` });
      }
      values.push({ labels: r.labels, value: h.sum, metricName: `${name}_sum` });
      values.push({ labels: r.labels, value: h.count, metricName: `${name}_count` });
    }
    return { name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Registry.resetMetrics(): the counts belong to the backends and are never reset from here. */
  reset(): void {}
}
