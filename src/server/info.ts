import { totalmem } from "node:os";
import type { Server } from "./server.js";

/**
 * INFO: named sections in Redis's order, each rendering "field:value" lines with Redis's field names.
 * Other modules replace sections they own (`persistence` by the persistence layer, `replication` by the
 * replication layer) through `setSection`.
 */

export type InfoFields = [string, string | number][];
export type SectionRenderer = () => InfoFields;

export const TANDEM_VERSION = "0.1.0";
/** The Redis version whose behaviour and wire format Tandem follows; clients read it to pick features. */
export const REDIS_COMPAT_VERSION = "7.0.15";

const DEFAULT_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "modules",
  "errorstats",
  "cluster",
  "keyspace",
];
/** INFO all/everything: commandstats after modules, latencystats after errorstats, as Redis orders them. */
const ALL_SECTIONS = [
  ...DEFAULT_SECTIONS.slice(0, 8),
  "commandstats",
  DEFAULT_SECTIONS[8],
  "latencystats",
  ...DEFAULT_SECTIONS.slice(9),
];

const TITLES: Record<string, string> = {
  server: "Server",
  clients: "Clients",
  memory: "Memory",
  persistence: "Persistence",
  stats: "Stats",
  replication: "Replication",
  cpu: "CPU",
  modules: "Modules",
  commandstats: "Commandstats",
  errorstats: "Errorstats",
  latencystats: "Latencystats",
  cluster: "Cluster",
  keyspace: "Keyspace",
};

/** Redis's STATS_METRIC_SAMPLES: instantaneous_* are averages over the last 16 samples (100 ms apart). */
const METRIC_SAMPLES = 16;
const METRIC_PERIOD_MS = 100;

/** One instantaneous metric: a ring of per-second rates from successive samples of a counter. */
class InstantaneousMetric {
  private readonly rates = new Float64Array(METRIC_SAMPLES);
  private index = 0;
  private lastTime = 0;
  private lastValue = 0;

  sample(now: number, value: number): void {
    if (this.lastTime !== 0 && now > this.lastTime) {
      this.rates[this.index] = ((value - this.lastValue) * 1000) / (now - this.lastTime);
      this.index = (this.index + 1) % METRIC_SAMPLES;
    }
    this.lastTime = now;
    this.lastValue = value;
  }

  get value(): number {
    let sum = 0;
    for (const r of this.rates) sum += r;
    return sum / METRIC_SAMPLES;
  }
}

export class InfoBuilder {
  private readonly sections = new Map<string, SectionRenderer>();
  private lastMetricSample = 0;
  private readonly opsPerSec = new InstantaneousMetric();
  private readonly inputBytesPerSec = new InstantaneousMetric();
  private readonly outputBytesPerSec = new InstantaneousMetric();
  /** Extra fields other modules append to a section they do not own (e.g. sync_full in stats). */
  private readonly extras = new Map<string, SectionRenderer[]>();

  constructor(private readonly server: Server) {
    this.sections.set("server", () => this.serverSection());
    this.sections.set("clients", () => this.clientsSection());
    this.sections.set("memory", () => this.memorySection());
    this.sections.set("persistence", () => [
      ["loading", server.loading ? 1 : 0],
      ["rdb_changes_since_last_save", server.dirty],
      ["aof_enabled", server.config.getBool("appendonly") ? 1 : 0],
    ]);
    this.sections.set("stats", () => this.statsSection());
    this.sections.set("replication", () => [
      ["role", server.replication.isReplica() ? "slave" : "master"],
      ["connected_slaves", 0],
    ]);
    this.sections.set("cpu", () => this.cpuSection());
    this.sections.set("modules", () => []);
    this.sections.set("commandstats", () => this.commandStats());
    this.sections.set("errorstats", () =>
      [...server.stats.errorsByPrefix].map(([p, n]) => [`errorstat_${p}`, `count=${n}`] as [string, string]),
    );
    this.sections.set("cluster", () => [["cluster_enabled", 0]]);
    this.sections.set("keyspace", () => this.keyspaceSection());
  }

  /** Called from the server cron: samples the counters behind instantaneous_* every 100 ms, as Redis. */
  trackInstantaneousMetrics(now: number): void {
    if (now - this.lastMetricSample < METRIC_PERIOD_MS) return;
    this.lastMetricSample = now;
    const st = this.server.stats;
    this.opsPerSec.sample(now, st.commandsProcessed);
    this.inputBytesPerSec.sample(now, st.netInputBytes);
    this.outputBytesPerSec.sample(now, st.netOutputBytes);
  }

  setSection(name: string, render: SectionRenderer): void {
    this.sections.set(name, render);
  }

  addFields(name: string, render: SectionRenderer): void {
    const list = this.extras.get(name) ?? [];
    list.push(render);
    this.extras.set(name, list);
  }

  /** The INFO text for the given arguments (none = default sections). */
  render(args: readonly string[]): string {
    let names: string[];
    if (args.length === 0) {
      names = DEFAULT_SECTIONS;
    } else {
      const wanted = new Set<string>();
      for (const a of args) {
        const l = a.toLowerCase();
        const group =
          l === "all" || l === "everything" ? ALL_SECTIONS : l === "default" ? DEFAULT_SECTIONS : [l];
        for (const s of group) wanted.add(s);
      }
      names = ALL_SECTIONS.filter((s) => wanted.has(s));
    }
    let out = "";
    let n = 0;
    for (const name of names) {
      const render = this.sections.get(name);
      if (!render) continue;
      if (n++ > 0) out += "\r\n";
      out += `# ${TITLES[name]}\r\n`;
      const fields = render();
      for (const extra of this.extras.get(name) ?? []) fields.push(...extra());
      for (const [k, v] of fields) out += `${k}:${v}\r\n`;
    }
    return out;
  }

  // ─── built-in sections ─────────────────────────────────────────────────────────────────────────────

  private serverSection(): InfoFields {
    const s = this.server;
    const uptime = Math.floor((Date.now() - s.startedAt) / 1000);
    return [
      ["redis_version", REDIS_COMPAT_VERSION],
      ["tandem_version", TANDEM_VERSION],
      ["redis_git_sha1", "00000000"],
      ["redis_git_dirty", 0],
      ["redis_build_id", "0"],
      ["redis_mode", "standalone"],
      ["os", `${process.platform} ${process.arch}`],
      ["arch_bits", 64],
      ["monotonic_clock", "POSIX clock_gettime"],
      ["multiplexing_api", "libuv"],
      ["atomicvar_api", "c11-builtin"],
      ["gcc_version", "0.0.0"],
      ["node_version", process.versions.node],
      ["process_id", process.pid],
      ["process_supervised", "no"],
      ["run_id", s.runId],
      // Redis: the plain port, or the TLS port when only TLS listens.
      ["tcp_port", s.boundPort || s.config.getInt("port") || s.tls.boundPort],
      ["server_time_usec", Date.now() * 1000],
      ["uptime_in_seconds", uptime],
      ["uptime_in_days", Math.floor(uptime / 86400)],
      ["hz", s.config.getInt("hz")],
      ["configured_hz", s.config.getInt("hz")],
      ["lru_clock", Math.floor(Date.now() / 1000) & 0xffffff],
      ["executable", process.argv[1] ?? ""],
      ["config_file", s.config.file ?? ""],
      ["io_threads_active", 0],
    ];
  }

  private clientsSection(): InfoFields {
    let blocked = 0;
    let maxIn = 0;
    let maxOut = 0;
    for (const c of this.server.clients.values()) {
      if (c.block) blocked++;
      maxIn = Math.max(maxIn, c.parser.bufferedBytes);
      maxOut = Math.max(maxOut, c.socket?.writableLength ?? 0);
    }
    return [
      ["connected_clients", this.server.clients.size],
      ["cluster_connections", 0],
      ["maxclients", this.server.maxClients],
      ["client_recent_max_input_buffer", maxIn],
      ["client_recent_max_output_buffer", maxOut],
      ["blocked_clients", blocked],
      ["tracking_clients", this.server.tracking.clients],
      ["clients_in_timeout_table", blocked],
    ];
  }

  /**
   * The memory section, with Redis 7.0's field names. used_memory and its parts are Tandem's own estimate
   * (used-memory.ts, store/memory-model.ts); the allocator_* fields are the V8 heap as the collector sees
   * it (used, committed) and the process RSS.
   */
  private memorySection(): InfoFields {
    const server = this.server;
    const m = process.memoryUsage();
    const mem = server.usedMemory;
    const used = mem.total();
    const peak = Math.max(mem.peak, used);
    const startup = mem.startup;
    const overhead = mem.overhead();
    const dataset = Math.max(0, used - overhead);
    const netUsage = used > startup ? used - startup : 1;
    const allocated = m.heapUsed + m.external;
    const active = m.heapTotal + m.external;
    const resident = m.rss;
    const maxmemory = server.evictor.maxmemory;
    const backlog = mem.replicationBacklog();
    const aof = mem.aofBuffer();
    let clientsMem = 0;
    for (const c of server.clients.values()) {
      clientsMem += c.parser.bufferedBytes + c.reply.pendingBytes + (c.socket?.writableLength ?? 0);
    }
    return [
      ["used_memory", used],
      ["used_memory_human", human(used)],
      ["used_memory_rss", m.rss],
      ["used_memory_rss_human", human(m.rss)],
      ["used_memory_peak", peak],
      ["used_memory_peak_human", human(peak)],
      ["used_memory_peak_perc", `${((used * 100) / peak).toFixed(2)}%`],
      ["used_memory_overhead", overhead],
      ["used_memory_startup", startup],
      ["used_memory_dataset", dataset],
      ["used_memory_dataset_perc", `${((dataset * 100) / netUsage).toFixed(2)}%`],
      ["allocator_allocated", allocated],
      ["allocator_active", active],
      ["allocator_resident", resident],
      ["total_system_memory", totalmem()],
      ["total_system_memory_human", human(totalmem())],
      ["maxmemory", maxmemory],
      ["maxmemory_human", human(maxmemory)],
      ["maxmemory_policy", server.config.get("maxmemory-policy")],
      ["allocator_frag_ratio", (active / Math.max(1, allocated)).toFixed(2)],
      ["allocator_frag_bytes", active - allocated],
      ["allocator_rss_ratio", (resident / Math.max(1, active)).toFixed(2)],
      ["allocator_rss_bytes", resident - active],
      ["rss_overhead_ratio", "1.00"],
      ["rss_overhead_bytes", 0],
      ["mem_fragmentation_ratio", (m.rss / Math.max(1, used)).toFixed(2)],
      ["mem_fragmentation_bytes", m.rss - used],
      ["mem_not_counted_for_evict", mem.notCounted()],
      ["mem_replication_backlog", backlog],
      ["mem_total_replication_buffers", backlog],
      ["mem_clients_slaves", 0],
      ["mem_clients_normal", clientsMem],
      ["mem_cluster_links", 0],
      ["mem_aof_buffer", aof],
      ["mem_allocator", "v8"],
      ["active_defrag_running", 0],
      ["lazyfree_pending_objects", 0],
      ["lazyfreed_objects", 0],
    ];
  }

  private statsSection(): InfoFields {
    const s = this.server;
    const st = s.stats;
    return [
      ["total_connections_received", st.connectionsReceived],
      ["total_commands_processed", st.commandsProcessed],
      ["instantaneous_ops_per_sec", Math.round(this.opsPerSec.value)],
      ["total_net_input_bytes", st.netInputBytes],
      ["total_net_output_bytes", st.netOutputBytes],
      ["instantaneous_input_kbps", (this.inputBytesPerSec.value / 1024).toFixed(2)],
      ["instantaneous_output_kbps", (this.outputBytesPerSec.value / 1024).toFixed(2)],
      ["rejected_connections", st.rejectedConnections],
      ["expired_keys", st.expiredKeys],
      ["evicted_keys", s.evictor.evictedKeys],
      ["evicted_clients", 0],
      ["total_eviction_exceeded_time", Math.round(s.evictor.totalExceededMs)],
      [
        "current_eviction_exceeded_time",
        s.evictor.exceededSince === 0 ? 0 : Math.round(performance.now() - s.evictor.exceededSince),
      ],
      ["keyspace_hits", st.keyspaceHits],
      ["keyspace_misses", st.keyspaceMisses],
      ["pubsub_channels", s.pubsub.channels.size],
      ["pubsub_patterns", s.pubsub.patterns.size],
      ["pubsubshard_channels", s.pubsub.shardChannels.size],
      ["tracking_total_keys", s.tracking.totalKeys],
      ["tracking_total_items", s.tracking.totalItems],
      ["tracking_total_prefixes", s.tracking.prefixTable.size],
      ["total_error_replies", st.errorReplies],
      ["tandem_command_exceptions", st.commandExceptions],
    ];
  }

  private cpuSection(): InfoFields {
    const u = process.cpuUsage();
    return [
      ["used_cpu_sys", (u.system / 1e6).toFixed(6)],
      ["used_cpu_user", (u.user / 1e6).toFixed(6)],
      ["used_cpu_sys_children", "0.000000"],
      ["used_cpu_user_children", "0.000000"],
    ];
  }

  private commandStats(): InfoFields {
    const out: InfoFields = [];
    const add = (
      name: string,
      c: { calls: number; usec: number; rejectedCalls: number; failedCalls: number },
    ) => {
      if (c.calls === 0 && c.rejectedCalls === 0 && c.failedCalls === 0) return;
      const per = c.calls === 0 ? 0 : c.usec / c.calls;
      out.push([
        `cmdstat_${name}`,
        `calls=${c.calls},usec=${Math.round(c.usec)},usec_per_call=${per.toFixed(2)},rejected_calls=${c.rejectedCalls},failed_calls=${c.failedCalls}`,
      ]);
    };
    for (const [name, cmd] of this.server.registry.commands) {
      add(name, cmd);
      if (cmd.subcommands) for (const [sub, s] of cmd.subcommands) add(`${name}|${sub}`, s);
    }
    return out;
  }

  private keyspaceSection(): InfoFields {
    const out: InfoFields = [];
    const now = Date.now();
    for (const db of this.server.keyspace.dbs) {
      if (db.size === 0) continue;
      let ttlSum = 0;
      let n = 0;
      for (const when of db.expires.values()) {
        if (when > now) {
          ttlSum += when - now;
          n++;
        }
        if (n >= 64) break; // Redis's avg_ttl is a sampled estimate too
      }
      out.push([
        `db${db.id}`,
        `keys=${db.size},expires=${db.expires.size},avg_ttl=${n ? Math.round(ttlSum / n) : 0}`,
      ]);
    }
    return out;
  }
}

/** Redis's bytesToHuman: "1.50M". */
export function human(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ["K", "M", "G", "T", "P"];
  let v = n;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)}${units[i]}`;
}
