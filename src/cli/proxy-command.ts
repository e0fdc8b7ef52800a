import { existsSync } from "node:fs";
import { destination, type Logger, pino } from "pino";
import { ConfigError } from "../config/config-error.js";
import {
  type BackendAddress,
  loadProxyConfig,
  PROXY_DEFAULTS,
  type ProxyConfig,
} from "../config/proxy-config.js";
import { AdminListenError } from "../proxy/observability/admin-server.js";
import { ProxyServer, TlsListenError } from "../proxy/proxy-server.js";
import { LOG_REDACTION } from "../server/logger.js";
import { PARENT_FD_ENV, watchParent } from "./parent-watch.js";

/**
 * `tandem proxy [proxy.yaml] [--listen host:port] [--master host:port] [--replica host:port ...]
 * [--admin-listen host:port|off]`: the read/write-splitting proxy. Without a file, config/proxy.yaml is
 * used when present. The flags override the file (what `tandem up --port-offset` and tests use). A bad
 * config exits 1 with "file:line: reason"; so does an address that cannot be bound.
 */

const DEFAULT_FILE = "config/proxy.yaml";

function parseAddress(v: string | undefined, flag: string): { host: string; port: number } {
  const m = v === undefined ? null : /^(.*):(\d+)$/.exec(v);
  if (!m) throw new ConfigError(`${flag}: expected host:port, got '${v ?? ""}'`);
  return { host: m[1], port: Number(m[2]) };
}

export function loadWithOverrides(args: string[]): ProxyConfig {
  const file =
    args.length > 0 && !args[0].startsWith("--") ? args[0] : existsSync(DEFAULT_FILE) ? DEFAULT_FILE : null;
  const rest = args.length > 0 && !args[0].startsWith("--") ? args.slice(1) : args;
  let config: ProxyConfig = file === null ? PROXY_DEFAULTS : loadProxyConfig(file);
  const replicas: BackendAddress[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i];
    const value = rest[i + 1];
    switch (flag) {
      case "--listen":
        config = { ...config, listen: parseAddress(value, flag) };
        break;
      case "--master":
        config = { ...config, master: { ...parseAddress(value, flag), weight: 1 } };
        break;
      case "--replica":
        replicas.push({ ...parseAddress(value, flag), weight: 1 });
        config = { ...config, replicas };
        break;
      case "--requirepass":
        config = { ...config, requirepass: value ?? "" };
        break;
      case "--admin-listen":
        config = {
          ...config,
          admin: { ...config.admin, listen: value === "off" ? null : parseAddress(value, flag) },
        };
        break;
      default:
        throw new ConfigError(
          `unknown option '${flag}' (expected --listen, --master, --replica, --requirepass, --admin-listen)`,
        );
    }
  }
  return config;
}

/**
 * Under `tandem up`, stdout is a pipe to the launcher, which may vanish at any time (SIGKILL): writes are
 * then synchronous, so a vanished reader shows at once (EPIPE, and pino stops writing) instead of leaving
 * lines queued that pino's exit-time flush would retry for ever, hanging the exit.
 */
function createProxyLogger(level: string, sync: boolean): Logger {
  if (process.stdout.isTTY) {
    return pino({
      name: "tandem-proxy",
      level,
      redact: LOG_REDACTION,
      transport: { target: "pino-pretty", options: { colorize: true } },
    });
  }
  return pino({ name: "tandem-proxy", level, redact: LOG_REDACTION }, destination({ fd: 1, sync }));
}

const PROXY_USAGE = `Usage: tandem proxy [proxy.yaml] [--listen host:port] [--master host:port]
                    [--replica host:port ...] [--requirepass password] [--admin-listen host:port|off]

Runs the read/write-splitting proxy: clients connect to one port, writes go to the master, reads to an
eligible replica. Without a file, ${DEFAULT_FILE} is used when it exists. Flags override the file.
Every proxy.yaml key with its default: docs/configuration.md.

Flags (defaults in brackets):
  --listen host:port        where clients connect [${PROXY_DEFAULTS.listen.host}:${PROXY_DEFAULTS.listen.port}]
  --master host:port        the master [${PROXY_DEFAULTS.master.host}:${PROXY_DEFAULTS.master.port}]
  --replica host:port       a replica; repeat for each [none]
  --requirepass password    password clients must AUTH with [none]
  --admin-listen host:port  HTTP /metrics, /status and status page, or off [127.0.0.1:7380]

Examples:
  tandem proxy config/proxy.yaml
  tandem proxy --listen 127.0.0.1:7479 --admin-listen off --master 127.0.0.1:6379 --replica 127.0.0.1:6380
`;

export async function proxyCommand(args: string[]): Promise<number> {
  if (args[0] === "--help" || args[0] === "-h") {
    process.stdout.write(PROXY_USAGE);
    return 0;
  }
  let config: ProxyConfig;
  try {
    config = loadWithOverrides(args);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`*** FATAL CONFIG ERROR ***\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const log = createProxyLogger(config.logLevel, process.env[PARENT_FD_ENV] !== undefined);
  const proxy = new ProxyServer(config, log);
  try {
    await proxy.listen();
  } catch (err) {
    if (err instanceof AdminListenError || err instanceof TlsListenError) {
      process.stderr.write(`tandem proxy: ${err.message}\n`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "EADDRINUSE" ? `port ${config.listen.port} is already in use` : e.message;
    process.stderr.write(
      `tandem proxy: cannot listen on ${config.listen.host}:${config.listen.port}: ${why}\n`,
    );
    return 1;
  }
  log.info(
    {
      listen: `${config.listen.host}:${proxy.boundPort}`,
      tls: config.tls === null ? undefined : `${config.tls.listen.host}:${proxy.tlsBoundPort}`,
      backendTls: config.backendTls !== null || undefined,
      admin:
        config.admin.listen === null
          ? "off"
          : `http://${config.admin.listen.host}:${proxy.observability.adminPort}/`,
      master: proxy.router.master.label,
      replicas: proxy.router.replicas.map((r) => r.label),
      sentinel: config.sentinel?.masterName,
      policy: config.readPolicy,
      pid: process.pid,
    },
    "Tandem proxy ready to accept connections",
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log.info("Tandem proxy shutting down");
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    void proxy.close().finally(() => {
      log.flush?.();
      setImmediate(() => process.exit(0));
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // Started by `tandem up`: its end of our parent pipe closing means it is gone; leave as on SIGTERM.
  watchParent(() => {
    log.warn("The tandem up launcher is gone");
    stop();
  });
  return new Promise<number>(() => {});
}
