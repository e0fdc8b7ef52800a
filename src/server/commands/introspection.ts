import { readFileSync } from "node:fs";
import { getExactLongLongOrReply, getRangeLongOrReply, LONG_MAX } from "../arguments.js";
import { type Client, ClientFlag } from "../client.js";
import type { CommandDef, RegisteredCommand } from "../command-registry.js";
import { REDIS_COMPAT_VERSION } from "../info.js";
import { analyzeLatency, type LatencyTimeSeries } from "../latency-monitor.js";
import { isLocal } from "./debug.js";
import { replyHelp } from "./helpers.js";
import { lolwut } from "./lolwut.js";

/**
 * Ops commands: MONITOR, SLOWLOG, LATENCY, LOLWUT and MODULE, with Redis 7.0's replies. The state they
 * read lives on the server (monitors.ts, slowlog.ts, latency-monitor.ts) and is fed by the dispatcher.
 */

/** Redis's addReplySubcommandSyntaxError. */
function subcommandSyntaxError(c: Client, argv: string[]): void {
  c.reply.error(
    `ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try ${argv[0].toUpperCase()} HELP.`,
  );
}

// ─── MONITOR ─────────────────────────────────────────────────────────────────────────────────────────────

function monitorCommand(c: Client): void {
  // Redis's CLIENT_DENY_BLOCKING (a transaction expects one reply per command).
  if (c.flags & ClientFlag.MULTI) {
    c.reply.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  // Already a monitor (or a replica): ignored without a reply, as Redis.
  if (c.flags & (ClientFlag.MONITOR | ClientFlag.SLAVE)) return;
  c.server.monitors.add(c);
  c.reply.ok();
}

// ─── SLOWLOG ─────────────────────────────────────────────────────────────────────────────────────────────

function slowlogGet(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    subcommandSyntaxError(c, argv);
    return;
  }
  const log = c.server.slowlog;
  let count = 10;
  if (argv.length === 3) {
    const n = getRangeLongOrReply(
      c,
      argv[2],
      -1,
      LONG_MAX,
      "ERR count should be greater than or equal to -1",
    );
    if (n === null) return;
    count = n === -1 ? log.entries.length : n;
  }
  const entries = log.entries.slice(0, count);
  c.reply.arrayHeader(entries.length);
  for (const e of entries) {
    c.reply.arrayHeader(6);
    c.reply.integer(e.id);
    c.reply.integer(e.time);
    c.reply.integer(e.duration);
    c.reply.bulkArray(e.argv);
    c.reply.bulk(e.peer);
    c.reply.bulk(e.name);
  }
}

function slowlogLen(c: Client): void {
  c.reply.integer(c.server.slowlog.entries.length);
}

function slowlogReset(c: Client): void {
  c.server.slowlog.reset();
  c.reply.ok();
}

function slowlogHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv[0], [
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
  ]);
}

// ─── LATENCY ─────────────────────────────────────────────────────────────────────────────────────────────

function latencyLatest(c: Client): void {
  const events = c.server.latency.events;
  c.reply.arrayHeader(events.size);
  for (const [name, ts] of events) {
    const last = ts.latest();
    c.reply.arrayHeader(4);
    c.reply.bulk(name);
    c.reply.integer(last.time);
    c.reply.integer(last.latency);
    c.reply.integer(ts.max);
  }
}

function latencyHistory(c: Client, argv: string[]): void {
  const ts = c.server.latency.events.get(argv[2]);
  const samples = ts?.ordered() ?? [];
  c.reply.arrayHeader(samples.length);
  for (const s of samples) {
    c.reply.arrayHeader(2);
    c.reply.integer(s.time);
    c.reply.integer(s.latency);
  }
}

function latencyReset(c: Client, argv: string[]): void {
  const lm = c.server.latency;
  if (argv.length === 2) {
    c.reply.integer(lm.reset(null));
    return;
  }
  let n = 0;
  for (let j = 2; j < argv.length; j++) n += lm.reset(argv[j]);
  c.reply.integer(n);
}

function latencyGraph(c: Client, argv: string[]): void {
  const ts = c.server.latency.events.get(argv[2]);
  if (ts === undefined) {
    c.reply.error(`ERR No samples available for event '${argv[2]}'`);
    return;
  }
  c.reply.verbatim(latencyGraphText(argv[2], ts));
}

/** latencyCommandGenSparkeline: a header, a rule, and an 80-column sparkline of the samples. */
function latencyGraphText(event: string, ts: LatencyTimeSeries): string {
  const now = Math.floor(Date.now() / 1000);
  const samples = ts.ordered();
  let min = 0;
  let max = 0;
  const seq: { value: number; label: string }[] = [];
  for (const s of samples) {
    if (seq.length === 0) min = max = s.latency;
    else {
      if (s.latency > max) max = s.latency;
      if (s.latency < min) min = s.latency;
    }
    const elapsed = now - s.time;
    const label =
      elapsed < 60
        ? `${elapsed}s`
        : elapsed < 3600
          ? `${Math.floor(elapsed / 60)}m`
          : elapsed < 86400
            ? `${Math.floor(elapsed / 3600)}h`
            : `${Math.floor(elapsed / 86400)}d`;
    seq.push({ value: s.latency, label });
  }
  let out = `${event} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n`;
  out += "-".repeat(80) + "\n";
  return out + sparkline(seq, 80, 4);
}

/** Redis's sparklineRender with SPARKLINE_FILL: rows of `_o#|` above the labels, printed vertically. */
function sparkline(seq: { value: number; label: string }[], columns: number, rows: number): string {
  let out = "";
  let lo = 0;
  let hi = 0;
  seq.forEach((s, i) => {
    if (i === 0) lo = hi = s.value;
    else if (s.value < lo) lo = s.value;
    else if (s.value > hi) hi = s.value;
  });
  const fill = "_o#";
  const steps = fill.length * rows;
  let relmax = hi - lo;
  if (relmax === 0) relmax = 1;
  for (let start = 0; start < seq.length; start += columns) {
    const len = Math.min(columns, seq.length - start);
    if (start !== 0) out += "\n";
    for (let row = 0; ; row++) {
      let loop = false;
      const chars: string[] = new Array(len).fill(" ");
      for (let j = 0; j < len; j++) {
        const s = seq[start + j];
        const relval = s.value - lo;
        let step = Math.trunc(Math.trunc(relval * steps) / relmax);
        if (step < 0) step = 0;
        if (step >= steps) step = steps - 1;
        if (row < rows) {
          const charidx = step - (rows - row - 1) * fill.length;
          loop = true;
          if (charidx >= 0 && charidx < fill.length) chars[j] = fill[charidx];
          else if (charidx >= fill.length) chars[j] = "|";
        } else {
          // One blank row between the graph and the labels (label_margin_top), then a label char per row.
          if (row - rows < 1) {
            loop = true;
            break;
          }
          const at = row - rows - 1;
          if (s.label.length > at) {
            loop = true;
            chars[j] = s.label[at];
          }
        }
      }
      if (!loop) break;
      out += chars.join("") + "\n";
    }
  }
  return out;
}

function latencyDoctor(c: Client): void {
  c.reply.verbatim(latencyReport(c));
}

/** createLatencyReport: Redis's report, advice included, from the events Tandem records. */
function latencyReport(c: Client): string {
  const s = c.server;
  const lm = s.latency;
  if (lm.events.size === 0 && lm.configuredMs === 0) {
    return `I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n`;
  }
  const advise = new Set<string>();
  let advices = 0;
  let report = "";
  let eventnum = 0;
  const now = Math.floor(Date.now() / 1000);
  const slowerThan = Number(s.config.get("slowlog-log-slower-than"));
  for (const [event, ts] of lm.events) {
    eventnum++;
    if (eventnum === 1) {
      report +=
        "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    }
    const st = analyzeLatency(ts, now);
    report += `${eventnum}. ${event}: ${st.samples} latency spikes (average ${st.avg}ms, mean deviation ${st.mad}ms, period ${(st.period / st.samples).toFixed(2)} sec). Worst all time event ${ts.max}ms.`;
    const add = (...names: string[]) => {
      for (const n of names) advise.add(n);
      advices += names.length;
    };
    switch (event.toLowerCase()) {
      case "command":
        if (slowerThan < 0) add("slowlog-enabled");
        else if (Math.trunc(slowerThan / 1000) > lm.configuredMs) add("slowlog-tuning");
        add("slowlog-inspect", "large-objects");
        break;
      case "fast-command":
        add("scheduler");
        break;
      case "aof-write-pending-fsync":
        add("local-disk", "disk-contention", "ssd", "data-writeback");
        break;
      case "aof-write-active-child":
        add("no-appendfsync", "data-writeback", "ssd");
        break;
      case "aof-write-alone":
        add("local-disk", "data-writeback", "ssd");
        break;
      case "aof-fsync-always":
        add("relax-fsync-policy");
        break;
      case "aof-fstat":
      case "rdb-unlink-temp-file":
        add("disk-contention", "local-disk");
        break;
      case "aof-rewrite-diff-write":
      case "aof-rename":
        add("write-load-info", "data-writeback", "ssd", "local-disk");
        break;
      case "expire-cycle":
        add("hz", "large-objects");
        break;
      case "eviction-del":
        add("large-objects");
        break;
      case "eviction-cycle":
        add("mass-eviction");
        break;
    }
    report += "\n";
  }
  if (anonHugePagesInUse()) {
    advise.add("disable-thp");
    advices++;
  }
  if (eventnum === 0 && advices === 0) {
    return (
      report +
      "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
    );
  }
  if (eventnum > 0 && advices === 0) {
    return (
      report +
      "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n"
    );
  }
  report += "\nI have a few advices for you:\n\n";
  const thresholdUs = lm.configuredMs * 1000;
  if (advise.has("slowlog-enabled")) {
    report += `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${thresholdUs}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
  }
  if (advise.has("slowlog-tuning")) {
    report += `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${thresholdUs}'.\n`;
  }
  if (advise.has("slowlog-inspect")) {
    report +=
      "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n";
  }
  if (advise.has("scheduler")) {
    report +=
      "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
      "  1) Lower the system load.\n" +
      "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
      '  3) Check if you have a "noisy neighbour" problem.\n' +
      "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
      "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n";
  }
  if (advise.has("local-disk")) {
    report +=
      "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n";
  }
  if (advise.has("ssd")) {
    report +=
      "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n";
  }
  if (advise.has("data-writeback")) {
    report +=
      "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n";
  }
  if (advise.has("disk-contention")) {
    report +=
      "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n";
  }
  if (advise.has("no-appendfsync")) {
    report +=
      "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n";
  }
  if (advise.has("relax-fsync-policy") && s.config.get("appendfsync") === "always") {
    report +=
      "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n";
  }
  if (advise.has("write-load-info")) {
    report +=
      "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n";
  }
  if (advise.has("hz") && s.config.getInt("hz") < 100) {
    report +=
      "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
  }
  if (advise.has("large-objects")) {
    report +=
      "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n";
  }
  if (advise.has("mass-eviction")) {
    report +=
      "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n";
  }
  if (advise.has("disable-thp")) {
    report +=
      "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n";
  }
  return report;
}

/** THPGetAnonHugePagesSize() > 0, read from the kernel's summary of this process's mappings. */
function anonHugePagesInUse(): boolean {
  try {
    const m = /^AnonHugePages:\s+(\d+)/m.exec(readFileSync("/proc/self/smaps_rollup", "latin1"));
    return m !== null && Number(m[1]) > 0;
  } catch {
    return false;
  }
}

/** LATENCY HISTOGRAM [command ...]: per-command cumulative distributions (latency-tracking). */
function latencyHistogram(c: Client, argv: string[]): void {
  const reg = c.server.registry;
  const found: RegisteredCommand[] = [];
  const addWithSubs = (cmd: RegisteredCommand) => {
    if (cmd.latencyHistogram !== null) found.push(cmd);
    if (cmd.subcommands)
      for (const sub of cmd.subcommands.values()) if (sub.latencyHistogram) found.push(sub);
  };
  if (argv.length === 2) {
    for (const cmd of reg.commands.values()) addWithSubs(cmd);
  } else {
    for (let j = 2; j < argv.length; j++) {
      const name = argv[j].toLowerCase();
      const bar = name.indexOf("|");
      const cmd =
        bar < 0
          ? reg.commands.get(name)
          : reg.commands.get(name.slice(0, bar))?.subcommands?.get(name.slice(bar + 1));
      if (cmd !== undefined) addWithSubs(cmd);
    }
  }
  c.reply.mapHeader(found.length);
  for (const cmd of found) {
    const h = cmd.latencyHistogram!;
    c.reply.bulk(cmd.fullName);
    c.reply.mapHeader(2);
    c.reply.bulk("calls");
    c.reply.integer(h.totalCount);
    c.reply.bulk("histogram_usec");
    const buckets = h.cumulativeBuckets();
    c.reply.mapHeader(buckets.length);
    for (const [us, n] of buckets) {
      c.reply.integer(us);
      c.reply.integer(n);
    }
  }
}

function latencyHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv[0], [
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
  ]);
}

// ─── LOLWUT ──────────────────────────────────────────────────────────────────────────────────────────────

/** LOLWUT [VERSION v] [...]: Redis 7.0 draws art only for versions 5 and 6; otherwise its version line. */
function lolwutCommand(c: Client, argv: string[]): void {
  let version = REDIS_COMPAT_VERSION;
  let args = argv.slice(1);
  if (argv.length >= 3 && argv[1].toLowerCase() === "version") {
    const v = getExactLongLongOrReply(c, argv[2]);
    if (v === null) return;
    // snprintf("%u.0.0", (unsigned int)ver): the low 32 bits, unsigned.
    version = `${Number(BigInt.asUintN(32, BigInt(v)))}.0.0`;
    args = argv.slice(3);
  }
  const art = lolwut(c, version, args);
  if (art === null) return; // an argument error was replied
  c.reply.verbatim(art);
}

// ─── MODULE ──────────────────────────────────────────────────────────────────────────────────────────────

const ERR_MODULE_NOT_ALLOWED =
  'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

/** enable-module-command (Redis's protected-command check for MODULE LOAD/LOADEX/UNLOAD). */
function moduleCommandAllowed(c: Client): boolean {
  const mode = c.server.config.get("enable-module-command");
  if (mode === "yes" || (mode === "local" && isLocal(c))) return true;
  c.reply.error(ERR_MODULE_NOT_ALLOWED);
  return false;
}

function moduleList(c: Client): void {
  c.reply.arrayHeader(0); // Tandem loads no modules
}

/** Tandem cannot load Redis modules (native shared objects): every load fails as a failed dlopen does. */
function moduleLoad(c: Client, argv: string[]): void {
  if (!moduleCommandAllowed(c)) return;
  c.log.warn({ path: argv[2] }, "Module failed to load: Tandem does not load Redis modules");
  c.reply.error("ERR Error loading the extension. Please check the server logs.");
}

function moduleUnload(c: Client): void {
  if (!moduleCommandAllowed(c)) return;
  c.reply.error("ERR Error unloading module: no such module with that name");
}

function moduleHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv[0], [
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
  ]);
}

export const introspectionCommands: CommandDef[] = [
  { name: "monitor", handler: monitorCommand },
  {
    name: "slowlog",
    subcommands: { get: slowlogGet, len: slowlogLen, reset: slowlogReset, help: slowlogHelp },
  },
  {
    name: "latency",
    subcommands: {
      latest: latencyLatest,
      history: latencyHistory,
      reset: latencyReset,
      graph: latencyGraph,
      doctor: latencyDoctor,
      histogram: latencyHistogram,
      help: latencyHelp,
    },
  },
  { name: "lolwut", handler: lolwutCommand },
  {
    name: "module",
    subcommands: {
      list: moduleList,
      load: moduleLoad,
      loadex: moduleLoad,
      unload: moduleUnload,
      help: moduleHelp,
    },
  },
];
