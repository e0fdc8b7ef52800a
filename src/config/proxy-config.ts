import { readFileSync } from "node:fs";
import type { ConnectionOptions, SecureContextOptions } from "node:tls";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import { strerror } from "../net/strerror.js";
import {
  loadCaCertificates,
  loadCertificate,
  loadPrivateKey,
  TlsSettingsError,
} from "../net/tls-settings.js";
import { ConfigError } from "./config-error.js";

/**
 * The proxy's configuration (`tandem proxy proxy.yaml`): where it listens, the master and replicas it
 * fronts, how reads are spread, the lag limits that make a replica eligible, and pool/breaker/health
 * settings. Every key is validated; a problem is reported as "file:line: key: reason".
 */

// ─── the schema ───────────────────────────────────────────────────────────────────────────────────────

export type ReadPolicy = "round-robin" | "least-outstanding" | "weighted";
export type NoEligibleReplica = "master" | "error";
export type ConsistencyLevel = "eventual" | "session" | "strong";

export interface BackendAddress {
  readonly host: string;
  readonly port: number;
  /** For the `weighted` policy; 1 unless given. */
  readonly weight: number;
}

/** `sentinel:` — discover and follow the master and replicas through Redis Sentinel. */
export interface SentinelSettings {
  /** The name the sentinels monitor the master under (`sentinel monitor <name> …`). */
  readonly masterName: string;
  readonly addresses: readonly { readonly host: string; readonly port: number }[];
  /** Password of the sentinels themselves ("" = none); backends use backend_password. */
  readonly password: string;
  /** Connect to the sentinels with TLS, with the `backend_tls:` settings. */
  readonly tls: boolean;
}

/** `tls:` — a TLS listener for clients, next to the plain `listen`. */
export interface ProxyTlsListener {
  readonly listen: { readonly host: string; readonly port: number };
  /** yes: clients must present a certificate the CA signed; optional: if they present one, it must be. */
  readonly authClients: "yes" | "no" | "optional";
  /** The certificate, key and CA, loaded (file names are only read at start-up). */
  readonly context: SecureContextOptions;
}

/** `backend_tls:` — the proxy's connections to the servers (and to sentinels with `sentinel.tls`). */
export interface BackendTls {
  /** What every backend connection, health poll and sentinel link is opened with (node:tls). */
  readonly options: ConnectionOptions;
}

export interface ProxyConfig {
  readonly file: string | null;
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * The master and replicas. With `sentinel:` they are what Sentinel reports (these, when given in the
   * file, are used only until a sentinel answers); `masterGiven` says whether the file named a master.
   */
  readonly master: BackendAddress;
  readonly replicas: readonly BackendAddress[];
  readonly masterGiven: boolean;
  readonly sentinel: SentinelSettings | null;
  /** A TLS client listener (null = plain `listen` only). */
  readonly tls: ProxyTlsListener | null;
  /** TLS towards the backends (null = plain TCP). */
  readonly backendTls: BackendTls | null;
  readonly readPolicy: ReadPolicy;
  readonly maxLagBytes: number;
  readonly maxLagMs: number;
  readonly noEligibleReplica: NoEligibleReplica;
  /** Password clients must AUTH with ("" = none). */
  readonly requirepass: string;
  /** Password the proxy uses on backend connections ("" = none). */
  readonly backendPassword: string;
  /** Password for the admin commands (PROXY BACKENDS/DRAIN/UNDRAIN; "" = no admin password needed). */
  readonly adminPassword: string;
  /** Each new connection's consistency level (PROXY CONSISTENCY changes it per connection). */
  readonly consistency: ConsistencyLevel;
  /** How long a read waits for a replica to reach its token before it goes to the master. */
  readonly rywWaitMs: number;
  /** Each new connection's write durability (PROXY DURABILITY): replicas to wait for (0 = off), timeout. */
  readonly durability: { readonly replicas: number; readonly timeoutMs: number };
  /** A draining replica's in-flight reads are moved elsewhere after this long. */
  readonly drainTimeoutMs: number;
  /** Where drained replicas are remembered across restarts ("" = not remembered). */
  readonly drainStateFile: string;
  /** Number of databases the backends have (SELECT is answered by the proxy). */
  readonly databases: number;
  readonly pool: {
    /**
     * Multiplexed connections per backend shared by all sessions. One by default (as twemproxy's
     * server_connections): every session's requests of a turn then reach the backend in one write and
     * its replies come back in one read, which under redis-benchmark -c 50 cut the backend's CPU per
     * request from ~6 µs (4 connections) to ~3-5 µs and raised the proxy's throughput 5-15%. More
     * connections only help when one huge value would otherwise hold up everyone's replies.
     */
    readonly sharedConnections: number;
    /** Dedicated connections per backend (transactions, blocking commands, subscriptions). */
    readonly dedicatedMax: number;
    readonly acquireTimeoutMs: number;
    readonly connectTimeoutMs: number;
  };
  readonly breaker: {
    readonly timeoutMs: number;
    readonly errorThresholdPercentage: number;
    readonly resetTimeoutMs: number;
    readonly volumeThreshold: number;
  };
  readonly health: {
    /** INFO replication polling period on real Redis (and the WAITOFFSET long-poll length on Tandem). */
    readonly pollIntervalMs: number;
  };
  /**
   * The HTTP admin listener (observability: /metrics, /status, the status page). `listen` null = off;
   * `password` asks for HTTP Basic auth (any user name; "" = none).
   */
  readonly admin: {
    readonly listen: { readonly host: string; readonly port: number } | null;
    readonly password: string;
  };
  readonly logLevel: string;
}

export const PROXY_DEFAULTS: ProxyConfig = {
  file: null,
  listen: { host: "127.0.0.1", port: 7379 },
  master: { host: "127.0.0.1", port: 6379, weight: 1 },
  replicas: [],
  masterGiven: false,
  sentinel: null,
  tls: null,
  backendTls: null,
  readPolicy: "round-robin",
  maxLagBytes: 1024 * 1024,
  maxLagMs: 1000,
  noEligibleReplica: "master",
  requirepass: "",
  backendPassword: "",
  adminPassword: "",
  consistency: "session",
  rywWaitMs: 50,
  durability: { replicas: 0, timeoutMs: 1000 },
  drainTimeoutMs: 30_000,
  drainStateFile: "",
  databases: 16,
  pool: { sharedConnections: 1, dedicatedMax: 128, acquireTimeoutMs: 5000, connectTimeoutMs: 2000 },
  breaker: { timeoutMs: 1000, errorThresholdPercentage: 50, resetTimeoutMs: 1000, volumeThreshold: 3 },
  health: { pollIntervalMs: 100 },
  admin: { listen: { host: "127.0.0.1", port: 7380 }, password: "" },
  logLevel: "info",
};

const LOG_LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

// ─── loading ──────────────────────────────────────────────────────────────────────────────────────────

/** Reads and validates a proxy.yaml. Throws ConfigError naming the file, line and key. */
export function loadProxyConfig(file: string): ProxyConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read the file: ${strerror(err)}`, file, 0);
  }
  return parseProxyConfig(text, file);
}

/**
 * Validates YAML text (`file` only names it in errors). `keysRead` collects the path of every key the
 * schema looks up (`pool.shared_connections`, `replicas[0].weight`): the docs test checks them against
 * docs/configuration.md.
 */
export function parseProxyConfig(
  text: string,
  file: string | null = null,
  keysRead: Set<string> | null = null,
): ProxyConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const where = (node: Node | null | undefined): number => {
    const off = node?.range?.[0];
    return off === undefined ? 0 : lines.linePos(off).line;
  };
  const fail = (node: Node | null | undefined, key: string, reason: string): never => {
    throw new ConfigError(`${key}: ${reason}`, file ?? "<proxy config>", where(node));
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new ConfigError(
      `invalid YAML: ${e.message.split("\n")[0]}`,
      file ?? "<proxy config>",
      e.linePos?.[0]?.line ?? (e.pos?.[0] !== undefined ? lines.linePos(e.pos[0]).line : 0),
    );
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { ...PROXY_DEFAULTS, file };
  if (!isMap(root)) return fail(root, "(top level)", "expected a mapping of keys");
  const r = new Reader(root, "", fail, keysRead);

  const listenNode = r.take("listen");
  const listen = listenNode ? address(listenNode, "listen", fail) : PROXY_DEFAULTS.listen;
  const masterNode = r.take("master");
  const master = masterNode ? backend(masterNode, "master", fail, keysRead) : PROXY_DEFAULTS.master;
  const replicasNode = r.take("replicas");
  const replicas: BackendAddress[] = [];
  if (replicasNode && !(isScalar(replicasNode) && replicasNode.value === null)) {
    if (!isSeq(replicasNode)) fail(replicasNode, "replicas", "expected a list of host:port");
    else {
      for (let i = 0; i < replicasNode.items.length; i++)
        replicas.push(backend(replicasNode.items[i] as Node, `replicas[${i}]`, fail, keysRead));
    }
  }
  const seen = new Set([`${master.host}:${master.port}`]);
  replicas.forEach((b, i) => {
    const id = `${b.host}:${b.port}`;
    if (seen.has(id)) fail(replicasNode, `replicas[${i}]`, `${id} is listed twice (or is the master)`);
    seen.add(id);
  });

  const readPolicy = r.oneOf(
    "read_policy",
    ["round-robin", "least-outstanding", "weighted"],
    PROXY_DEFAULTS.readPolicy,
  ) as ReadPolicy;
  const maxLagBytes = r.int("max_lag_bytes", PROXY_DEFAULTS.maxLagBytes, 0);
  const maxLagMs = r.int("max_lag_ms", PROXY_DEFAULTS.maxLagMs, 1);
  const noEligibleReplica = r.oneOf(
    "no_eligible_replica",
    ["master", "error"],
    PROXY_DEFAULTS.noEligibleReplica,
  ) as NoEligibleReplica;
  const requirepass = r.str("requirepass", "");
  const backendPassword = r.str("backend_password", "");
  const adminPassword = r.str("admin_password", "");
  const consistency = r.oneOf(
    "consistency",
    ["eventual", "session", "strong"],
    PROXY_DEFAULTS.consistency,
  ) as ConsistencyLevel;
  const rywWaitMs = r.int("ryw_wait_ms", PROXY_DEFAULTS.rywWaitMs, 0, 60_000);
  const d = r.section("durability");
  const durability = {
    replicas: d.int("replicas", PROXY_DEFAULTS.durability.replicas, 0, 1000),
    timeoutMs: d.int("timeout_ms", PROXY_DEFAULTS.durability.timeoutMs, 1),
  };
  d.done();
  const drainTimeoutMs = r.int("drain_timeout_ms", PROXY_DEFAULTS.drainTimeoutMs, 0);
  const drainStateFile = r.str("drain_state_file", "");
  const databases = r.int("databases", PROXY_DEFAULTS.databases, 1);
  const logLevel = r.oneOf("log_level", [...LOG_LEVELS], PROXY_DEFAULTS.logLevel);

  const p = r.section("pool");
  const pool = {
    sharedConnections: p.int("shared_connections", PROXY_DEFAULTS.pool.sharedConnections, 1, 64),
    dedicatedMax: p.int("dedicated_max", PROXY_DEFAULTS.pool.dedicatedMax, 1),
    acquireTimeoutMs: p.int("acquire_timeout_ms", PROXY_DEFAULTS.pool.acquireTimeoutMs, 1),
    connectTimeoutMs: p.int("connect_timeout_ms", PROXY_DEFAULTS.pool.connectTimeoutMs, 1),
  };
  p.done();
  const b = r.section("breaker");
  const breaker = {
    timeoutMs: b.int("timeout_ms", PROXY_DEFAULTS.breaker.timeoutMs, 1),
    errorThresholdPercentage: b.int(
      "error_threshold_percentage",
      PROXY_DEFAULTS.breaker.errorThresholdPercentage,
      1,
      100,
    ),
    resetTimeoutMs: b.int("reset_timeout_ms", PROXY_DEFAULTS.breaker.resetTimeoutMs, 1),
    volumeThreshold: b.int("volume_threshold", PROXY_DEFAULTS.breaker.volumeThreshold, 0),
  };
  b.done();
  const h = r.section("health");
  const health = { pollIntervalMs: h.int("poll_interval_ms", PROXY_DEFAULTS.health.pollIntervalMs, 10) };
  h.done();
  const a = r.section("admin");
  const adminListenNode = a.take("listen");
  const admin = {
    listen: adminListenNode ? adminListen(adminListenNode, fail) : PROXY_DEFAULTS.admin.listen,
    password: a.str("password", PROXY_DEFAULTS.admin.password),
  };
  a.done();
  const sentinel = sentinelSection(r, fail);
  const tls = tlsListenerSection(r, fail);
  const backendTls = backendTlsSection(r, fail);
  if (sentinel?.tls && backendTls === null)
    fail(null, "sentinel.tls", "needs a backend_tls: section (its CA and certificate are used)");
  r.done();
  return {
    file,
    listen,
    master,
    replicas,
    masterGiven: masterNode !== null,
    sentinel,
    tls,
    backendTls,
    readPolicy,
    maxLagBytes,
    maxLagMs,
    noEligibleReplica,
    requirepass,
    backendPassword,
    adminPassword,
    consistency,
    rywWaitMs,
    durability,
    drainTimeoutMs,
    drainStateFile,
    databases,
    pool,
    breaker,
    health,
    admin,
    logLevel,
  };
}

/** `sentinel: { master_name, addresses: [host:port, …], password }`, or null when absent. */
function sentinelSection(r: Reader, fail: Fail): SentinelSettings | null {
  const node = r.take("sentinel");
  if (node === null || (isScalar(node) && node.value === null)) return null;
  if (!isMap(node)) return fail(node, "sentinel", "expected a mapping (master_name, addresses, password)");
  const s = r.child(node, "sentinel.");
  const nameNode = s.take("master_name");
  const masterName = s.str("master_name", "");
  if (masterName === "") return fail(nameNode ?? node, "sentinel.master_name", "is required");
  const listNode = s.take("addresses");
  if (listNode === null || !isSeq(listNode) || listNode.items.length === 0)
    return fail(listNode ?? node, "sentinel.addresses", "expected a non-empty list of host:port");
  const addresses = listNode.items.map((item, i) => {
    const a = address(item as Node, `sentinel.addresses[${i}]`, fail);
    if (a.port === 0) fail(item as Node, `sentinel.addresses[${i}]`, "port 0 is not a sentinel port");
    return a;
  });
  const password = s.str("password", "");
  const tls = s.bool("tls", false);
  s.done();
  return { masterName, addresses, password, tls };
}

/** Loads one TLS file named by a key, reporting a bad one at its line ("tls.cert_file: Failed to load ..."). */
function tlsFile<T>(t: Reader, key: string, file: string, fail: Fail, load: (file: string) => T): T | null {
  if (file === "") return null;
  try {
    return load(file);
  } catch (err) {
    if (!(err instanceof TlsSettingsError)) throw err;
    return fail(t.take(key), t.keyName(key), err.message);
  }
}

/**
 * `tls: { listen, cert_file, key_file, key_file_pass, ca_file, auth_clients }`, or null when absent. The
 * CA verifies client certificates, so it is required unless `auth_clients: no` (as Redis requires
 * tls-ca-cert-file unless tls-auth-clients no). Every key is read before anything is checked.
 */
function tlsListenerSection(r: Reader, fail: Fail): ProxyTlsListener | null {
  const node = r.take("tls");
  if (node === null || (isScalar(node) && node.value === null)) return null;
  if (!isMap(node)) return fail(node, "tls", "expected a mapping (listen, cert_file, key_file, ...)");
  const t = r.child(node, "tls.");
  const listenNode = t.take("listen");
  const authClients = t.oneOf("auth_clients", ["yes", "no", "optional"], "yes", true) as
    | "yes"
    | "no"
    | "optional";
  const pass = t.str("key_file_pass", "");
  const certFile = t.str("cert_file", "");
  const keyFile = t.str("key_file", "");
  const caFile = t.str("ca_file", "");
  t.done();
  if (listenNode === null) return fail(node, "tls.listen", "is required");
  const listen = address(listenNode, "tls.listen", fail);
  const cert = tlsFile(t, "cert_file", certFile, fail, (f) => loadCertificate(f));
  if (cert === null) return fail(t.take("cert_file") ?? node, "tls.cert_file", "is required");
  const key = tlsFile(t, "key_file", keyFile, fail, (f) => loadPrivateKey(f, pass, cert));
  if (key === null) return fail(t.take("key_file") ?? node, "tls.key_file", "is required");
  const ca = tlsFile(t, "ca_file", caFile, fail, (f) => loadCaCertificates(f, ""));
  if (ca === null && authClients !== "no")
    return fail(t.take("ca_file") ?? node, "tls.ca_file", "is required unless auth_clients is no");
  // Without ca_file nothing is trusted (not Node's public roots): client certificates are not asked for then.
  return { listen, authClients, context: { cert, key, ca: ca ?? [] } };
}

/**
 * `backend_tls: { ca_file, cert_file, key_file, key_file_pass, server_name, verify }`, or null when absent.
 * verify: full (the certificate chains to the CA and names server_name, or the backend's host), ca (it
 * chains to the CA, any name: what a Redis replica checks), none.
 */
function backendTlsSection(r: Reader, fail: Fail): BackendTls | null {
  const node = r.take("backend_tls");
  if (node === null || (isScalar(node) && node.value === null)) return null;
  if (!isMap(node)) return fail(node, "backend_tls", "expected a mapping (ca_file, cert_file, ...)");
  const t = r.child(node, "backend_tls.");
  const verify = t.oneOf("verify", ["full", "ca", "none"], "full");
  const serverName = t.str("server_name", "");
  const pass = t.str("key_file_pass", "");
  const caFile = t.str("ca_file", "");
  const certFile = t.str("cert_file", "");
  const keyFile = t.str("key_file", "");
  t.done();
  const ca = tlsFile(t, "ca_file", caFile, fail, (f) => loadCaCertificates(f, ""));
  const cert = tlsFile(t, "cert_file", certFile, fail, (f) => loadCertificate(f));
  const key = tlsFile(t, "key_file", keyFile, fail, (f) => loadPrivateKey(f, pass, cert));
  if ((cert === null) !== (key === null))
    return fail(
      node,
      cert === null ? "backend_tls.cert_file" : "backend_tls.key_file",
      "cert_file and key_file go together",
    );
  const options: ConnectionOptions = {
    ca: ca ?? undefined,
    cert: cert ?? undefined,
    key: key ?? undefined,
    rejectUnauthorized: verify !== "none",
  };
  if (serverName !== "") options.servername = serverName;
  if (verify !== "full") options.checkServerIdentity = () => undefined;
  return { options };
}

// ─── value readers ────────────────────────────────────────────────────────────────────────────────────

type Fail = (node: Node | null | undefined, key: string, reason: string) => never;

/** Takes keys out of one mapping; `done()` rejects the keys nobody took (typos must not pass silently). */
class Reader {
  private readonly taken = new Set<string>();
  constructor(
    private readonly map: YAMLMap | null,
    private readonly prefix: string,
    private readonly fail: Fail,
    private readonly keysRead: Set<string> | null = null,
  ) {}

  /** A Reader for a nested mapping, collecting into the same keysRead. */
  child(map: YAMLMap | null, prefix: string): Reader {
    return new Reader(map, prefix, this.fail, this.keysRead);
  }

  /** The full name of one of this mapping's keys, for messages. */
  keyName(key: string): string {
    return this.prefix + key;
  }

  take(key: string): Node | null {
    this.taken.add(key);
    this.keysRead?.add(this.prefix + key);
    if (!this.map) return null;
    for (const pair of this.map.items) {
      if (isScalar(pair.key) && pair.key.value === key) return (pair.value as Node | null) ?? null;
    }
    return null;
  }

  section(key: string): Reader {
    const node = this.take(key);
    if (node === null || (isScalar(node) && node.value === null))
      return this.child(null, `${this.prefix}${key}.`);
    if (!isMap(node)) this.fail(node, this.prefix + key, "expected a mapping");
    return this.child(node as YAMLMap, `${this.prefix}${key}.`);
  }

  int(key: string, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const node = this.take(key);
    if (node === null) return dflt;
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v !== "number" || !Number.isInteger(v))
      return this.fail(node, this.prefix + key, "expected an integer");
    if (v < min || v > max) {
      return this.fail(
        node,
        this.prefix + key,
        max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}` : `must be between ${min} and ${max}`,
      );
    }
    return v;
  }

  str(key: string, dflt: string): string {
    const node = this.take(key);
    if (node === null) return dflt;
    const v = isScalar(node) ? node.value : undefined;
    if (v === null) return dflt;
    if (typeof v !== "string" && typeof v !== "number")
      return this.fail(node, this.prefix + key, "expected a string");
    return String(v);
  }

  bool(key: string, dflt: boolean): boolean {
    const node = this.take(key);
    if (node === null) return dflt;
    const v = isScalar(node) ? node.value : undefined;
    if (v === true || v === "yes") return true;
    if (v === false || v === "no") return false;
    return this.fail(node, this.prefix + key, "expected yes or no");
  }

  /** One of `allowed`; with `yesNo`, YAML's true/false count as "yes"/"no". */
  oneOf(key: string, allowed: string[], dflt: string, yesNo = false): string {
    const node = this.take(key);
    if (node === null) return dflt;
    let v = isScalar(node) ? node.value : undefined;
    if (yesNo && typeof v === "boolean") v = v ? "yes" : "no";
    if (typeof v !== "string" || !allowed.includes(v)) {
      return this.fail(node, this.prefix + key, `expected one of ${allowed.join(", ")}`);
    }
    return v;
  }

  done(): void {
    if (!this.map) return;
    for (const pair of this.map.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : "?";
      if (!this.taken.has(k)) this.fail(pair.key as Node, this.prefix + k, "unknown key");
    }
  }
}

function address(node: Node, key: string, fail: Fail): { host: string; port: number } {
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v === "number") return { host: "127.0.0.1", port: checkPort(v, node, key, fail) };
  if (typeof v !== "string") return fail(node, key, "expected host:port");
  const at = v.lastIndexOf(":");
  if (at <= 0) return fail(node, key, `expected host:port, got '${v}'`);
  const host = v.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  const port = Number(v.slice(at + 1));
  return { host, port: checkPort(port, node, key, fail) };
}

/** admin.listen: host:port, a bare port, or `off` (YAML 1.1's `false` too) for no admin listener. */
function adminListen(node: Node, fail: Fail): { host: string; port: number } | null {
  const v = isScalar(node) ? node.value : undefined;
  if (v === "off" || v === false) return null;
  if (typeof v === "string" && !v.includes(":"))
    return fail(node, "admin.listen", `expected host:port or off, got '${v}'`);
  if (typeof v !== "string" && typeof v !== "number")
    return fail(node, "admin.listen", "expected host:port or off");
  return address(node, "admin.listen", fail);
}

function checkPort(port: number, node: Node, key: string, fail: Fail): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return fail(node, key, "port must be an integer 0..65535");
  return port;
}

/** A backend: "host:port", or `{ address: host:port, weight: n }`. */
function backend(node: Node, key: string, fail: Fail, keysRead: Set<string> | null): BackendAddress {
  if (isMap(node)) {
    const r = new Reader(node, `${key}.`, fail, keysRead);
    const addrNode = r.take("address");
    if (addrNode === null) return fail(node, `${key}.address`, "is required");
    const a = address(addrNode, `${key}.address`, fail);
    const weight = r.int("weight", 1, 1, 1000);
    r.done();
    if (a.port === 0) return fail(addrNode, `${key}.address`, "port 0 is not a backend port");
    return { ...a, weight };
  }
  const a = address(node, key, fail);
  if (a.port === 0) return fail(node, key, "port 0 is not a backend port");
  return { ...a, weight: 1 };
}
