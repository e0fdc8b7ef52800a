import type { RegisteredCommand } from "./command-registry.js";
import type { InfoFields } from "./info.js";
import type { Server } from "./server.js";

/**
 * Wires the introspection features to their configuration: the slow log, the latency monitor and
 * per-command histograms, and client-side caching's table bound (the server's cron applies it too).
 */
export function installIntrospection(server: Server): void {
  const config = server.config;
  config.onChange("slowlog-log-slower-than", (v) => server.slowlog.setSlowerThan(Number(v)));
  config.onChange("slowlog-max-len", (v) => server.slowlog.setMaxLen(Number(v)));
  config.onChange("latency-monitor-threshold", (v) => server.latency.setThreshold(Number(v)));
  config.onChange("latency-tracking", (v) => (server.latencyTracking = v === "yes"));
  config.onChange("tracking-table-max-keys", (v) => (server.tracking.maxKeys = Number(v)));
  server.info.setSection("latencystats", () => latencyStats(server));
}

/**
 * INFO latencystats: per command with a histogram, `p50=…,p99=…,p99.9=…` in µs for the percentiles of
 * latency-tracking-info-percentiles (hdr_value_at_percentile's bucket bound, printed with %.3f).
 */
function latencyStats(server: Server): InfoFields {
  const out: InfoFields = [];
  if (!server.latencyTracking) return out;
  const spec = server.config.get("latency-tracking-info-percentiles");
  const percentiles = spec === "" ? [] : spec.split(" ");
  const add = (cmd: RegisteredCommand) => {
    const h = cmd.latencyHistogram;
    if (h === null) return;
    const parts = percentiles.map((p) => `p${p}=${(h.valueAtPercentile(Number(p)) / 1000).toFixed(3)}`);
    out.push([`latency_percentiles_usec_${cmd.fullName}`, parts.join(",")]);
  };
  for (const cmd of server.registry.commands.values()) {
    add(cmd);
    if (cmd.subcommands) for (const sub of cmd.subcommands.values()) add(sub);
  }
  return out;
}
