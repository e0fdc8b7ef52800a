import { spawn } from "node:child_process";
import { existsSync, unlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "../config/config-error.js";
import { ServerConfig } from "../config/server-config.js";
import { createServerLogger } from "../server/logger.js";
import { Server } from "../server/server.js";
import { PARENT_FD_ENV, watchParent } from "./parent-watch.js";

/**
 * `tandem server [file.conf] [--directive value ...]`: like redis-server, command-line directives override
 * the file. A bad configuration stops start-up with "file:line: reason" on stderr and exit code 1.
 *
 * `daemonize yes`: Node cannot fork(), so the process re-spawns itself detached (its own session, no
 * terminal, stdio closed) and the parent exits 0 once the child reports, over an IPC channel, that it
 * listens — or exits 1 with the child's error. As with redis-server, a daemon with `logfile ""` logs
 * nowhere and writes a pidfile even when none is configured.
 */

/** Set in the environment of the detached child so it does not detach again. */
const DAEMON_CHILD_ENV = "TANDEM_DAEMON_CHILD";
/** redis-server's pidfile for a daemon that has none configured. */
const DEFAULT_DAEMON_PIDFILE = "/var/run/redis.pid";

type DaemonMessage = { ready: true; pid: number } | { error: string };

const SERVER_USAGE = `Usage: tandem server [/path/to/redis.conf] [--directive value ...]

Runs a Redis-compatible server, configured like redis-server: a redis.conf file, then any directive as a
flag (flags win). Every directive, its type, default and whether CONFIG SET changes it at run time:
docs/configuration.md.

Common flags (defaults in brackets):
  --port <n>                    [6379]
  --bind <addr ...>             [127.0.0.1 -::1]
  --dir <path>                  working directory for RDB and AOF files [the current one]
  --replicaof <host> <port>     start as a replica of that master [none]
  --appendonly yes|no           AOF persistence [no]
  --save "<seconds> <changes> ..."  RDB save points ["3600 1 300 100 60 10000"]
  --requirepass <password>      [none]
  --tls-port <n>                a TLS listener next to --port (--port 0: TLS only) [none]; with
                                --tls-cert-file, --tls-key-file and --tls-ca-cert-file

Examples:
  tandem server config/redis6379.conf
  tandem server --port 6380 --replicaof 127.0.0.1 6379
`;

export async function serverCommand(args: string[]): Promise<number> {
  if (args[0] === "--help" || args[0] === "-h") {
    process.stdout.write(SERVER_USAGE);
    return 0;
  }
  const file = args.length > 0 && !args[0].startsWith("--") ? args[0] : null;
  const rest = file === null ? args : args.slice(1);
  let config: ServerConfig;
  try {
    config = ServerConfig.load(file, rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`*** FATAL CONFIG ERROR ***\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const isDaemonChild = process.env[DAEMON_CHILD_ENV] === "1";
  if (config.getBool("daemonize") && !isDaemonChild) return detach(file, rest);
  const daemonized = isDaemonChild && process.send !== undefined;
  const report = (msg: DaemonMessage) => {
    if (!daemonized) return;
    process.send?.(msg);
    process.disconnect?.();
  };

  const dir = config.get("dir");
  if (dir !== "") {
    try {
      process.chdir(dir);
    } catch (err) {
      const message = `Can't chdir to '${dir}': ${(err as Error).message}`;
      process.stderr.write(`${message}\n`);
      report({ error: message });
      return 1;
    }
  }
  const logfile = config.get("logfile");
  const log = createServerLogger(
    logfile,
    daemonized && logfile === "" ? "nothing" : config.get("loglevel"),
    undefined,
    process.env[PARENT_FD_ENV] !== undefined,
  );
  if (config.ignored.size > 0) {
    log.info(
      { directives: [...config.ignored].sort() },
      "configuration directives accepted with no effect in Tandem",
    );
  }
  let server: Server;
  try {
    // rename-command and ACL users (config `user` lines, the aclfile) are checked as the server is built.
    server = new Server(config, log);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.error(err.message);
    log.flush?.();
    process.stderr.write(`*** FATAL CONFIG ERROR ***\n${err.message}\n`);
    report({ error: err.message });
    return 1;
  }
  const { persistence, replication } = server;
  try {
    await server.listen();
  } catch (err) {
    log.error((err as Error).message);
    process.stderr.write(`${(err as Error).message}\n`);
    report({ error: (err as Error).message });
    log.flush?.();
    return 1;
  }
  // Load the AOF or the RDB while listening (clients get -LOADING meanwhile); a bad file ends start-up.
  try {
    await persistence.loadAtStartup();
  } catch (err) {
    log.error((err as Error).message);
    process.stderr.write(`${(err as Error).message}\n`);
    report({ error: (err as Error).message });
    log.flush?.();
    await server.shutdown({ save: false });
    return 1;
  }
  let pidfile = config.get("pidfile");
  if (pidfile === "" && daemonized) pidfile = DEFAULT_DAEMON_PIDFILE;
  let pidfileWritten = false;
  if (pidfile !== "") {
    try {
      writeFileSync(pidfile, `${process.pid}\n`);
      pidfileWritten = true;
    } catch (err) {
      log.warn({ pidfile, err: (err as Error).message }, "Failed to write PID file");
    }
  }
  log.info({ port: server.boundPort, pid: process.pid }, "Ready to accept connections");
  replication.start();
  report({ ready: true, pid: process.pid });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await server.shutdown({ save: null });
    if (pidfileWritten && existsSync(pidfile)) unlinkSync(pidfile);
    log.info("Tandem is now ready to exit, bye bye...");
    log.flush?.();
    setImmediate(() => process.exit(code));
  };
  server.exitProcess = (code) => void stop(code);
  process.on("SIGTERM", () => {
    log.warn("Received SIGTERM scheduling shutdown...");
    void stop(0);
  });
  process.on("SIGINT", () => {
    log.warn("Received SIGINT scheduling shutdown...");
    void stop(0);
  });
  // Started by `tandem up`: its end of our parent pipe closing means it is gone; leave as on SIGTERM.
  watchParent(() => {
    log.warn("The tandem up launcher is gone, scheduling shutdown...");
    void stop(0);
  });
  return new Promise<number>(() => {}); // runs until a signal or SHUTDOWN
}

/** The parent half of `daemonize yes`: start the detached child, wait for it to listen, exit. */
function detach(file: string | null, rest: string[]): Promise<number> {
  // The child re-reads the same configuration; a relative config path must survive its chdir to `dir`.
  const args = [process.argv[1], "server", ...(file === null ? [] : [resolve(file)]), ...rest];
  const child = spawn(process.execPath, [...process.execArgv, ...args], {
    detached: true,
    stdio: ["ignore", "ignore", "ignore", "ipc"],
    env: { ...process.env, [DAEMON_CHILD_ENV]: "1" },
  });
  return new Promise<number>((done) => {
    let settled = false;
    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      child.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
      done(code);
    };
    child.on("message", (msg: DaemonMessage) => {
      if ("ready" in msg) finish(0);
      else {
        process.stderr.write(`${msg.error}\n`);
        finish(1);
      }
    });
    child.on("exit", (code) => {
      process.stderr.write(`tandem: the daemonized server exited during start-up (code ${code})\n`);
      finish(1);
    });
    child.on("error", (err) => {
      process.stderr.write(`tandem: cannot start the daemonized server: ${err.message}\n`);
      finish(1);
    });
  });
}
