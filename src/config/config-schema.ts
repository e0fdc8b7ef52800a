import { parseMemory } from "./memory-units.js";
import { REDIS_70_DEFAULTS } from "./redis-defaults.js";

/**
 * The directives Tandem acts on, with their types, aliases and whether CONFIG SET may change them. Every
 * other Redis 7.0 parameter (REDIS_70_DEFAULTS) is accepted and kept for CONFIG GET, and reported once at
 * start-up as having no effect in Tandem.
 *
 * Values are kept in Redis's canonical CONFIG GET form: booleans "yes"/"no", memory in bytes, lists
 * space-joined.
 */

export type DirectiveKind = "int" | "memory" | "bool" | "string" | "enum" | "special";

export interface DirectiveSpec {
  readonly name: string;
  readonly kind: DirectiveKind;
  readonly aliases?: readonly string[];
  readonly default: string;
  readonly enumValues?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** CONFIG SET may change it while running. */
  readonly runtime: boolean;
  /** Several lines of it accumulate (save, client-output-buffer-limit) instead of replacing. */
  readonly accumulate?: boolean;
  /** Turns the arguments of one line into the canonical value, or throws a string reason. */
  readonly parse?: (args: readonly string[], previous: string, fromFile: boolean) => string;
  /**
   * What CONFIG SET runs once the new values are in place (Redis's apply functions): a name registered
   * with ServerConfig.setApplier, called once per CONFIG SET however many of its parameters changed. If it
   * fails, every parameter of that CONFIG SET is restored and the reason becomes the error.
   */
  readonly apply?: string;
  /** Applied on CONFIG SET even when the value is unchanged (Redis's VOLATILE_CONFIG: file names, reread). */
  readonly volatile?: boolean;
}

// ─── special parsers ──────────────────────────────────────────────────────────────────────────────────────

function parseSave(args: readonly string[], previous: string, fromFile: boolean): string {
  if (args.length === 1 && args[0] === "") return "";
  if (args.length % 2 !== 0) throw "Invalid save parameters";
  for (const a of args) {
    if (!/^\d+$/.test(a)) throw "Invalid save parameters";
  }
  const pairs = args.join(" ");
  // In a file, each `save` line adds a point; CONFIG SET replaces them all.
  return fromFile && previous !== "" && !previousIsDefault.has(previous) ? `${previous} ${pairs}` : pairs;
}
const previousIsDefault = new Set([REDIS_70_DEFAULTS.save]);

function parseHostPort(args: readonly string[]): string {
  if (args.length === 2 && args[0].toLowerCase() === "no" && args[1].toLowerCase() === "one") return "";
  if (args.length === 1 && args[0] === "") return "";
  if (args.length !== 2) throw "wrong number of arguments";
  const port = Number(args[1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw "Invalid master port";
  return `${args[0]} ${port}`;
}

const OBUF_CLASSES = ["normal", "replica", "slave", "pubsub"];

function parseObufLimits(args: readonly string[], previous: string): string {
  if (args.length % 4 !== 0) throw "Wrong number of arguments in buffer limit configuration.";
  const current = new Map<string, string[]>();
  const prev = previous.split(" ");
  for (let i = 0; i + 3 < prev.length; i += 4) current.set(prev[i], prev.slice(i + 1, i + 4));
  for (let i = 0; i < args.length; i += 4) {
    let cls = args[i].toLowerCase();
    if (!OBUF_CLASSES.includes(cls)) throw "Invalid client class specified in buffer limit configuration.";
    if (cls === "replica") cls = "slave";
    const hard = parseMemory(args[i + 1]);
    const soft = parseMemory(args[i + 2]);
    const secs = Number(args[i + 3]);
    if (hard === null || soft === null || !Number.isInteger(secs) || hard < 0 || soft < 0 || secs < 0) {
      throw "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    current.set(cls, [String(hard), String(soft), String(secs)]);
  }
  return ["normal", "slave", "pubsub"]
    .map((c) => `${c} ${(current.get(c) ?? ["0", "0", "0"]).join(" ")}`)
    .join(" ");
}

function parseKeyspaceEvents(args: readonly string[]): string {
  if (args.length !== 1) throw "wrong number of arguments";
  const v = args[0];
  if (!/^[KEg$lshzxeAtmdn]*$/.test(v)) throw "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
  return v;
}

/** A size_t memory value 0..LONG_MAX (Redis's stream-node-max-bytes); memtoull refuses a sign. */
function parseStreamNodeMaxBytes(args: readonly string[]): string {
  if (args.length !== 1) throw "wrong number of arguments";
  const n = parseMemory(args[0]);
  if (n === null || n < 0 || args[0].startsWith("-")) throw "argument must be a memory value";
  if (n >= 2 ** 63) throw "argument must be between 0 and 9223372036854775807 inclusive";
  return String(n);
}

/**
 * Redis's long long / size_t parameters bounded by LLONG_MAX or LONG_MAX: integers from `min` up, with
 * Redis's two error texts (the bound is printed exactly, beyond a double's precision).
 */
function parseLongFrom(min: number) {
  return (args: readonly string[]): string => {
    if (args.length !== 1) throw "wrong number of arguments";
    const v = args[0];
    if (
      !/^(0|-?[1-9]\d*)$/.test(v) ||
      BigInt(v) > 9223372036854775807n ||
      BigInt(v) < -9223372036854775808n
    ) {
      throw "argument couldn't be parsed into an integer";
    }
    if (BigInt(v) < BigInt(min)) throw `argument must be between ${min} and 9223372036854775807 inclusive`;
    return String(BigInt(v));
  };
}

/** latency-tracking-info-percentiles: doubles in [0, 100], kept as Redis prints them (%f, zeros trimmed). */
function parsePercentiles(args: readonly string[]): string {
  if (args.length === 1 && args[0] === "") return "";
  return args
    .map((a) => {
      const n = a.trim() === a && a !== "" ? Number(a) : Number.NaN;
      if (Number.isNaN(n)) throw "Invalid latency-tracking-info-percentiles parameters";
      if (n > 100 || n < 0)
        throw "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
      return n.toFixed(6).replace(/\.?0+$/, "");
    })
    .join(" ");
}

// ─── the table ────────────────────────────────────────────────────────────────────────────────────────────

const d = REDIS_70_DEFAULTS;
const INT_MAX = 2147483647;

/** A TLS file or directory name: reread on every CONFIG SET of it, even to the same name (new certificates). */
function tlsFile(name: string): DirectiveSpec {
  return { name, kind: "string", default: "", runtime: true, apply: "tls", volatile: true };
}

const specs: DirectiveSpec[] = [
  // networking and process
  { name: "port", kind: "int", default: "6379", min: 0, max: 65535, runtime: false },
  { name: "bind", kind: "special", default: "127.0.0.1 -::1", runtime: false, parse: (a) => a.join(" ") },
  { name: "protected-mode", kind: "bool", default: "yes", runtime: true },
  { name: "tcp-backlog", kind: "int", default: d["tcp-backlog"], min: 0, runtime: false },
  { name: "tcp-keepalive", kind: "int", default: d["tcp-keepalive"], min: 0, runtime: true },
  { name: "timeout", kind: "int", default: "0", min: 0, runtime: true },
  { name: "maxclients", kind: "int", default: "10000", min: 1, runtime: true },
  { name: "daemonize", kind: "bool", default: "no", runtime: false },
  { name: "pidfile", kind: "string", default: "", runtime: false },
  { name: "logfile", kind: "string", default: "", runtime: false },
  {
    name: "loglevel",
    kind: "enum",
    default: "notice",
    enumValues: ["debug", "verbose", "notice", "warning", "nothing"],
    runtime: true,
  },
  { name: "databases", kind: "int", default: "16", min: 1, max: 1 << 20, runtime: false },
  { name: "dir", kind: "string", default: "", runtime: true },
  { name: "hz", kind: "int", default: "10", min: 1, max: 500, runtime: true },
  // Scripts running longer than this (ms) make the server answer other clients -BUSY; 0 disables the check.
  {
    name: "busy-reply-threshold",
    kind: "int",
    aliases: ["lua-time-limit"],
    default: d["busy-reply-threshold"],
    min: 0,
    runtime: true,
  },
  { name: "requirepass", kind: "string", default: "", runtime: true },
  // HyperLogLog: a sparse value growing past this many bytes (header included) is promoted to dense.
  {
    name: "hll-sparse-max-bytes",
    kind: "memory",
    default: d["hll-sparse-max-bytes"],
    min: 0,
    runtime: true,
  },
  // ACL: the users file (ACL LOAD/SAVE), the ACL LOG's length, the channels a new user starts with
  { name: "aclfile", kind: "string", default: "", runtime: false },
  { name: "acllog-max-len", kind: "int", default: "128", min: 0, runtime: true },
  {
    name: "acl-pubsub-default",
    kind: "enum",
    default: "resetchannels",
    enumValues: ["allchannels", "resetchannels"],
    runtime: true,
  },
  {
    name: "proto-max-bulk-len",
    kind: "memory",
    default: d["proto-max-bulk-len"],
    min: 1024 * 1024,
    runtime: true,
  },
  {
    name: "client-query-buffer-limit",
    kind: "memory",
    default: d["client-query-buffer-limit"],
    min: 1024 * 1024,
    runtime: true,
  },
  {
    name: "client-output-buffer-limit",
    kind: "special",
    default: d["client-output-buffer-limit"],
    runtime: true,
    accumulate: true,
    parse: (a, prev) => parseObufLimits(a, prev),
  },
  { name: "notify-keyspace-events", kind: "special", default: "", runtime: true, parse: parseKeyspaceEvents },
  {
    name: "enable-debug-command",
    kind: "enum",
    default: "no",
    enumValues: ["no", "yes", "local"],
    runtime: false,
  },
  {
    name: "enable-module-command",
    kind: "enum",
    default: "no",
    enumValues: ["no", "yes", "local"],
    runtime: false,
  },
  {
    name: "shutdown-on-sigterm",
    kind: "string",
    default: "default",
    runtime: true,
  },
  {
    name: "shutdown-on-sigint",
    kind: "string",
    default: "default",
    runtime: true,
  },

  // introspection: slow log, latency monitor, client-side caching (src/server/introspection.ts)
  {
    name: "slowlog-log-slower-than",
    kind: "special",
    default: "10000",
    runtime: true,
    parse: parseLongFrom(-1),
  },
  { name: "slowlog-max-len", kind: "special", default: "128", runtime: true, parse: parseLongFrom(0) },
  {
    name: "latency-monitor-threshold",
    kind: "special",
    default: "0",
    runtime: true,
    parse: parseLongFrom(0),
  },
  { name: "latency-tracking", kind: "bool", default: "yes", runtime: true },
  {
    name: "latency-tracking-info-percentiles",
    kind: "special",
    default: "50 99 99.9",
    runtime: true,
    parse: parsePercentiles,
  },
  {
    name: "tracking-table-max-keys",
    kind: "special",
    default: "1000000",
    runtime: true,
    parse: parseLongFrom(0),
  },

  // persistence
  { name: "dbfilename", kind: "string", default: "dump.rdb", runtime: true },
  {
    name: "save",
    kind: "special",
    default: d.save,
    runtime: true,
    accumulate: true,
    parse: parseSave,
  },
  { name: "rdbcompression", kind: "bool", default: "yes", runtime: true },
  { name: "rdbchecksum", kind: "bool", default: "yes", runtime: false },
  { name: "stop-writes-on-bgsave-error", kind: "bool", default: "yes", runtime: true },
  { name: "appendonly", kind: "bool", default: "no", runtime: true },
  { name: "appendfilename", kind: "string", default: "appendonly.aof", runtime: false },
  { name: "appenddirname", kind: "string", default: "appendonlydir", runtime: false },
  {
    name: "appendfsync",
    kind: "enum",
    default: "everysec",
    enumValues: ["everysec", "always", "no"],
    runtime: true,
  },
  { name: "aof-load-truncated", kind: "bool", default: "yes", runtime: true },
  { name: "auto-aof-rewrite-percentage", kind: "int", default: "100", min: 0, runtime: true },
  {
    name: "auto-aof-rewrite-min-size",
    kind: "memory",
    default: d["auto-aof-rewrite-min-size"],
    runtime: true,
  },

  // replication
  {
    name: "replicaof",
    aliases: ["slaveof"],
    kind: "special",
    default: "",
    runtime: false,
    parse: (a) => parseHostPort(a),
  },
  { name: "masterauth", kind: "string", default: "", runtime: true },
  { name: "masteruser", kind: "string", default: "", runtime: true },
  { name: "replica-read-only", aliases: ["slave-read-only"], kind: "bool", default: "yes", runtime: true },
  {
    name: "replica-serve-stale-data",
    aliases: ["slave-serve-stale-data"],
    kind: "bool",
    default: "yes",
    runtime: true,
  },
  {
    name: "replica-priority",
    aliases: ["slave-priority"],
    kind: "int",
    default: "100",
    min: 0,
    runtime: true,
  },
  { name: "replica-announced", kind: "bool", default: "yes", runtime: true },
  { name: "replica-announce-ip", aliases: ["slave-announce-ip"], kind: "string", default: "", runtime: true },
  {
    name: "replica-announce-port",
    aliases: ["slave-announce-port"],
    kind: "int",
    default: "0",
    min: 0,
    max: 65535,
    runtime: true,
  },
  { name: "repl-backlog-size", kind: "memory", default: "1048576", min: 1, runtime: true },
  { name: "repl-backlog-ttl", kind: "int", default: "3600", min: 0, runtime: true },
  { name: "repl-timeout", kind: "int", default: "60", min: 1, runtime: true },
  {
    name: "repl-ping-replica-period",
    aliases: ["repl-ping-slave-period"],
    kind: "int",
    default: "10",
    min: 1,
    runtime: true,
  },
  { name: "repl-diskless-sync", kind: "bool", default: "yes", runtime: true },
  { name: "repl-diskless-sync-delay", kind: "int", default: "5", min: 0, runtime: true },
  {
    name: "min-replicas-to-write",
    aliases: ["min-slaves-to-write"],
    kind: "int",
    default: "0",
    min: 0,
    runtime: true,
  },
  {
    name: "min-replicas-max-lag",
    aliases: ["min-slaves-max-lag"],
    kind: "int",
    default: "10",
    min: 0,
    runtime: true,
  },
  // streams: the size of a node (one listpack), which approximate trimming removes as a whole
  {
    name: "stream-node-max-bytes",
    kind: "special",
    default: d["stream-node-max-bytes"],
    runtime: true,
    parse: parseStreamNodeMaxBytes,
  },
  {
    name: "stream-node-max-entries",
    kind: "special",
    default: d["stream-node-max-entries"],
    runtime: true,
    parse: parseLongFrom(0),
  },

  // TLS (server-tls.ts). tls-cluster stays among the parameters without effect: there is no cluster.
  { name: "tls-port", kind: "int", default: "0", min: 0, max: 65535, runtime: false },
  tlsFile("tls-cert-file"),
  tlsFile("tls-key-file"),
  { name: "tls-key-file-pass", kind: "string", default: "", runtime: true, apply: "tls" },
  tlsFile("tls-client-cert-file"),
  tlsFile("tls-client-key-file"),
  { name: "tls-client-key-file-pass", kind: "string", default: "", runtime: true, apply: "tls" },
  tlsFile("tls-dh-params-file"),
  tlsFile("tls-ca-cert-file"),
  tlsFile("tls-ca-cert-dir"),
  {
    name: "tls-auth-clients",
    kind: "enum",
    default: "yes",
    enumValues: ["no", "yes", "optional"],
    runtime: true,
  },
  { name: "tls-replication", kind: "bool", default: "no", runtime: true, apply: "tls" },
  { name: "tls-protocols", kind: "string", default: "", runtime: true, apply: "tls" },
  { name: "tls-ciphers", kind: "string", default: "", runtime: true, apply: "tls" },
  { name: "tls-ciphersuites", kind: "string", default: "", runtime: true, apply: "tls" },
  { name: "tls-prefer-server-ciphers", kind: "bool", default: "no", runtime: true, apply: "tls" },
  { name: "tls-session-caching", kind: "bool", default: "yes", runtime: true, apply: "tls" },
  {
    name: "tls-session-cache-size",
    kind: "int",
    default: "20480",
    min: 0,
    max: INT_MAX,
    runtime: true,
    apply: "tls",
  },
  {
    name: "tls-session-cache-timeout",
    kind: "int",
    default: "300",
    min: 0,
    max: INT_MAX,
    runtime: true,
    apply: "tls",
  },
];

// Memory limits, access clocks and the encoding thresholds OBJECT ENCODING and DUMP follow (Redis's ranges:
// INT_MAX for int parameters, LONG_MAX for size_t ones).
/** LONG_MAX as the nearest double (2^63); boundText prints it exactly. */
const LONG_MAX = 2 ** 63;

specs.push(
  { name: "maxmemory", kind: "memory", default: "0", runtime: true },
  {
    name: "maxmemory-policy",
    kind: "enum",
    default: "noeviction",
    enumValues: [
      "volatile-lru",
      "volatile-lfu",
      "volatile-random",
      "volatile-ttl",
      "allkeys-lru",
      "allkeys-lfu",
      "allkeys-random",
      "noeviction",
    ],
    runtime: true,
  },
  { name: "maxmemory-samples", kind: "int", default: "5", min: 1, max: INT_MAX, runtime: true },
  { name: "maxmemory-eviction-tenacity", kind: "int", default: "10", min: 0, max: 100, runtime: true },
  { name: "lfu-log-factor", kind: "int", default: "10", min: 0, max: INT_MAX, runtime: true },
  { name: "lfu-decay-time", kind: "int", default: "1", min: 0, max: INT_MAX, runtime: true },
  { name: "lazyfree-lazy-eviction", kind: "bool", default: "no", runtime: true },
  {
    name: "replica-ignore-maxmemory",
    aliases: ["slave-ignore-maxmemory"],
    kind: "bool",
    default: "yes",
    runtime: true,
  },
  {
    name: "hash-max-listpack-entries",
    aliases: ["hash-max-ziplist-entries"],
    kind: "int",
    default: "512",
    min: 0,
    max: LONG_MAX,
    runtime: true,
  },
  {
    name: "hash-max-listpack-value",
    aliases: ["hash-max-ziplist-value"],
    kind: "memory",
    default: "64",
    runtime: true,
  },
  {
    name: "zset-max-listpack-entries",
    aliases: ["zset-max-ziplist-entries"],
    kind: "int",
    default: "128",
    min: 0,
    max: LONG_MAX,
    runtime: true,
  },
  {
    name: "zset-max-listpack-value",
    aliases: ["zset-max-ziplist-value"],
    kind: "memory",
    default: "64",
    runtime: true,
  },
  { name: "set-max-intset-entries", kind: "int", default: "512", min: 0, max: LONG_MAX, runtime: true },
  {
    name: "list-max-listpack-size",
    aliases: ["list-max-ziplist-size"],
    kind: "int",
    default: "-2",
    min: -2147483648,
    max: INT_MAX,
    runtime: true,
  },
);

/** Directives Tandem acts on, by canonical name and by alias. */
export const DIRECTIVES: ReadonlyMap<string, DirectiveSpec> = (() => {
  const m = new Map<string, DirectiveSpec>();
  for (const s of specs) {
    m.set(s.name, s);
    for (const a of s.aliases ?? []) m.set(a, s);
  }
  return m;
})();

/**
 * Redis 7.0 parameters accepted but without effect in Tandem (encoding tunables, cluster and tls-cluster,
 * threads, ...), mapped alias → canonical name where Redis has pairs (hash-max-ziplist-* ↔ hash-max-listpack-*).
 */
const NO_EFFECT_ALIASES: Record<string, string> = {
  "slave-lazy-flush": "replica-lazy-flush",
  "cluster-slave-validity-factor": "cluster-replica-validity-factor",
  "cluster-slave-no-failover": "cluster-replica-no-failover",
};

/** The canonical name of any parameter Redis 7.0 knows, or undefined. */
export function canonicalName(name: string): string | undefined {
  const lower = name.toLowerCase();
  const spec = DIRECTIVES.get(lower);
  if (spec) return spec.name;
  if (lower in NO_EFFECT_ALIASES) return NO_EFFECT_ALIASES[lower];
  if (lower in REDIS_70_DEFAULTS) return lower;
  return undefined;
}

/** True when Tandem acts on the parameter. */
export function isEffective(canonical: string): boolean {
  return DIRECTIVES.has(canonical);
}

// ─── value parsing ───────────────────────────────────────────────────────────────────────────────────────

/**
 * Validates one directive's arguments and returns the new canonical value. Throws a string with Redis's
 * reason when invalid.
 */
export function parseDirectiveValue(
  spec: DirectiveSpec,
  args: readonly string[],
  previous: string,
  fromFile: boolean,
): string {
  if (spec.parse) return spec.parse(args, previous, fromFile);
  if (args.length !== 1) throw "wrong number of arguments";
  const v = args[0];
  switch (spec.kind) {
    case "bool": {
      const l = v.toLowerCase();
      if (l !== "yes" && l !== "no") throw "argument must be 'yes' or 'no'";
      return l;
    }
    case "int": {
      if (!/^-?\d+$/.test(v)) throw "argument couldn't be parsed into an integer";
      // strtoll's range: beyond int64 the text is not a number at all for Redis.
      if (v.length > 18 && (BigInt(v) > 9223372036854775807n || BigInt(v) < -9223372036854775808n))
        throw "argument couldn't be parsed into an integer";
      const n = Number(v);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw `argument must be between ${boundText(spec.min, "-inf")} and ${boundText(spec.max, "inf")} inclusive`;
      }
      return n >= 2 ** 53 || n <= -(2 ** 53) ? BigInt(v).toString() : String(n);
    }
    case "memory": {
      const n = parseMemory(v);
      if (n === null || n < 0) throw "argument must be a memory value";
      if (spec.min !== undefined && n < spec.min)
        throw `argument must be a memory value of at least ${spec.min}`;
      return String(n);
    }
    case "enum": {
      const l = v.toLowerCase();
      if (!spec.enumValues?.includes(l))
        throw `argument(s) must be one of the following: ${spec.enumValues?.join(", ")}`;
      return l;
    }
    default:
      return v;
  }
}

/** A range bound as Redis prints it (LONG_MAX exactly, not as the nearest double). */
export function boundText(b: number | undefined, none: string): string {
  if (b === undefined) return none;
  return b >= 2 ** 63 ? "9223372036854775807" : String(b);
}

// ─── parameters without effect: still validated ───────────────────────────────────────────────────────────

/** Redis 7.0 enums among the parameters Tandem keeps without acting on them (others are inferred). */
const NO_EFFECT_ENUMS: Record<string, readonly string[]> = {
  supervised: ["upstart", "systemd", "auto", "no"],
  "oom-score-adj": ["no", "yes", "relative", "absolute"],
  "enable-protected-configs": ["no", "yes", "local"],
  "sanitize-dump-payload": ["no", "yes", "clients"],
  "propagation-error-behavior": ["ignore", "panic", "panic-on-replicas"],
  "repl-diskless-load": ["disabled", "on-empty-db", "swapdb"],
  "acl-pubsub-default": ["allchannels", "resetchannels"],
  "cluster-preferred-endpoint-type": ["ip", "hostname", "unknown-endpoint"],
  "syslog-facility": ["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"],
};
/** Parameters whose value is a list of words (the rest take exactly one argument). */
const NO_EFFECT_LISTS = new Set(["oom-score-adj-values", "ignore-warnings"]);

/**
 * Validates a parameter Tandem keeps without acting on (so a typo in a stock redis.conf still stops
 * start-up, as in Redis) and returns its CONFIG GET form. The type comes from Redis's enums above or, for
 * the rest, from the default: yes/no is a boolean, a number an integer or memory amount, else a string.
 */
export function parseNoEffectValue(canonical: string, args: readonly string[]): string {
  if (NO_EFFECT_LISTS.has(canonical)) return args.join(" ");
  if (args.length !== 1) throw "wrong number of arguments";
  const v = args[0];
  const allowed = NO_EFFECT_ENUMS[canonical];
  if (allowed) {
    const l = v.toLowerCase();
    if (!allowed.includes(l)) throw `argument(s) must be one of the following: ${allowed.join(", ")}`;
    return l;
  }
  const def = REDIS_70_DEFAULTS[canonical] ?? "";
  if (def === "yes" || def === "no") {
    const l = v.toLowerCase();
    if (l !== "yes" && l !== "no") throw "argument must be 'yes' or 'no'";
    return l;
  }
  if (/^-?\d+$/.test(def)) {
    const n = parseMemory(v);
    if (n === null) throw "argument couldn't be parsed into an integer";
    return String(n);
  }
  return v;
}
