import type { Server } from "./server.js";

/**
 * Wires the introspection features to their configuration: the slow log, the latency monitor and
 * per-command histograms, and client-side caching's table bound (Redis calls trackingLimitUsedSlots from
 * the cron too, so a lowered limit applies on an idle server).
 */
export function installIntrospection(server: Server): void {
  const config = server.config;
  config.onChange("slowlog-log-slower-than", (v) => server.slowlog.setSlowerThan(Number(v)));
  config.onChange("slowlog-max-len", (v) => server.slowlog.setMaxLen(Number(v)));
  config.onChange("latency-monitor-threshold", (v) => server.latency.setThreshold(Number(v)));
  config.onChange("latency-tracking", (v) => (server.latencyTracking = v === "yes"));
  config.onChange("tracking-table-max-keys", (v) => (server.tracking.maxKeys = Number(v)));
  // BCAST invalidations go out at the end of the turn, before the replies of that turn (Redis's beforeSleep).
  server.beforeSleepHooks.unshift(() => server.tracking.broadcastInvalidations());
  server.cronTasks.push(() => {
    if (server.tracking.clients !== 0) server.tracking.limitUsedSlots();
  });
}
