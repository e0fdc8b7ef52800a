import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespErrorReply, type RespValue } from "../../src/resp/resp-value.js";
import { freePort } from "./free-port.js";
import { infoField } from "./info.js";
import { trackChild, which } from "./processes.js";
import { RawClient } from "./raw-client.js";
import { waitFor } from "./wait-for.js";

/**
 * Real Redis Sentinel processes (Debian's redis-sentinel) monitoring a master, for tests that check how a
 * deployment behaves under Sentinel's failover. Each sentinel has its own temp dir, config file (Sentinel
 * rewrites it) and log file; `stop()` ends only the processes started here, by PID.
 */

export const REDIS_SENTINEL: string | null = which("redis-sentinel");
/** For `{ skip: NO_SENTINEL }`: a reason when redis-sentinel is absent, false otherwise. */
export const NO_SENTINEL: string | false = REDIS_SENTINEL
  ? false
  : "Debian's redis-sentinel is not installed (apt-get install redis-sentinel)";

export interface SentinelGroup {
  readonly ports: number[];
  readonly masterName: string;
  /** SENTINEL get-master-addr-by-name via the first sentinel that answers. */
  masterAddr(): Promise<{ host: string; port: number } | null>;
  /** A RawClient (test/helpers/raw-client.ts) to sentinel i. */
  client(i?: number): Promise<RawClient>;
  /** Lines of the sentinels' logs, for failure messages. */
  output(): string;
  /** The log of sentinel i alone. */
  log(i: number): string;
  /** The sentinels' temp dirs (config file `sentinel.conf` and `sentinel.log` in each). */
  readonly dirs: string[];
  stop(): Promise<void>;
}

export interface SentinelOptions {
  masterPort: number;
  masterName?: string;
  count?: number;
  quorum?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  /** The monitored nodes' password: `sentinel auth-pass`, and AUTH when the helper reads the master. */
  authPass?: string;
  /** Extra config lines written after the monitor directives. */
  extraConfig?: string[];
  /** How long to wait for the sentinels to find the replicas and each other (default 20 s). */
  readyTimeoutMs?: number;
}

interface SentinelProcess {
  readonly port: number;
  readonly dir: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  stderr: string;
  done: boolean;
}

/** A flat [k1, v1, k2, v2, …] array of a SENTINEL reply as a map of strings. */
export function sentinelFields(entry: RespValue): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(entry)) return out;
  for (let i = 0; i + 1 < entry.length; i += 2) out.set(String(entry[i]), String(entry[i + 1]));
  return out;
}

/** Starts `count` sentinels monitoring 127.0.0.1:masterPort; resolves when they know the replicas and each other. */
export async function startSentinels(opts: SentinelOptions): Promise<SentinelGroup> {
  if (!REDIS_SENTINEL) throw new Error("redis-sentinel is not installed");
  const masterName = opts.masterName ?? "mymaster";
  const count = opts.count ?? 3;
  const quorum = opts.quorum ?? 2;
  const downAfterMs = opts.downAfterMs ?? 1000;
  const failoverTimeoutMs = opts.failoverTimeoutMs ?? 5000;
  const sentinels: SentinelProcess[] = [];

  const logOf = (s: SentinelProcess): string => {
    const file = join(s.dir, "sentinel.log");
    const log = existsSync(file) ? readFileSync(file, "utf8") : "";
    return log + s.stderr;
  };
  const stopAll = async (): Promise<void> => {
    await Promise.all(
      sentinels.map(async (s) => {
        if (s.done) return;
        s.proc.kill("SIGTERM");
        const timer = setTimeout(() => {
          if (!s.done) s.proc.kill("SIGKILL");
        }, 5000);
        await s.exited;
        clearTimeout(timer);
      }),
    );
  };

  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "sentinel-test-"));
    const conf = join(dir, "sentinel.conf");
    writeFileSync(
      conf,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `logfile ${join(dir, "sentinel.log")}`,
        "daemonize no",
        "sentinel resolve-hostnames no",
        `sentinel monitor ${masterName} 127.0.0.1 ${opts.masterPort} ${quorum}`,
        `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
        `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}`,
        `sentinel parallel-syncs ${masterName} 1`,
        ...(opts.authPass !== undefined ? [`sentinel auth-pass ${masterName} ${opts.authPass}`] : []),
        ...(opts.extraConfig ?? []),
        "",
      ].join("\n"),
    );
    const proc = spawn(REDIS_SENTINEL, [conf], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    trackChild(proc);
    const s: SentinelProcess = {
      port,
      dir,
      proc,
      stderr: "",
      done: false,
      exited: new Promise<void>((res) => proc.once("exit", () => res())),
    };
    void s.exited.then(() => {
      s.done = true;
    });
    const collect = (d: Buffer) => {
      s.stderr += d.toString();
    };
    proc.stdout?.on("data", collect);
    proc.stderr?.on("data", collect);
    sentinels.push(s);
  }

  const group: SentinelGroup = {
    ports: sentinels.map((s) => s.port),
    dirs: sentinels.map((s) => s.dir),
    masterName,
    async masterAddr() {
      for (const s of sentinels) {
        if (s.done) continue;
        let c: RawClient | null = null;
        try {
          c = await RawClient.connect(s.port);
          const v = await c.call("SENTINEL", "get-master-addr-by-name", masterName);
          if (v === null) return null;
          if (Array.isArray(v) && v.length === 2) return { host: String(v[0]), port: Number(String(v[1])) };
        } catch {
          // this sentinel does not answer: ask the next one
        } finally {
          c?.close();
        }
      }
      return null;
    },
    client: (i = 0) => RawClient.connect(sentinels[i].port),
    output: () => sentinels.map((s, i) => `── sentinel ${i} (port ${s.port}) ──\n${logOf(s)}`).join("\n"),
    log: (i) => logOf(sentinels[i]),
    stop: stopAll,
  };

  try {
    const master = await RawClient.connect(opts.masterPort);
    let replicasOfMaster: number;
    try {
      if (opts.authPass !== undefined) await master.call("AUTH", opts.authPass);
      replicasOfMaster = Number(await infoField(master, "replication", "connected_slaves"));
    } finally {
      master.close();
    }
    for (const s of sentinels) {
      await waitFor(
        `sentinel on port ${s.port} to know ${count - 1} other sentinels and ${replicasOfMaster} replicas`,
        async () => {
          if (s.done) throw new Error(`sentinel exited early:\n${logOf(s)}`);
          const c = await RawClient.connect(s.port);
          try {
            const others = await c.call("SENTINEL", "sentinels", masterName);
            const replicas = await c.call("SENTINEL", "replicas", masterName);
            if (others instanceof RespErrorReply) throw others;
            if (replicas instanceof RespErrorReply) throw replicas;
            return (
              Array.isArray(others) &&
              others.length === count - 1 &&
              Array.isArray(replicas) &&
              replicas.length >= replicasOfMaster
            );
          } finally {
            c.close();
          }
        },
        { timeoutMs: opts.readyTimeoutMs ?? 20_000, intervalMs: 100 },
      );
    }
  } catch (err) {
    const message = `${err instanceof Error ? err.message : String(err)}\n${group.output()}`;
    await stopAll();
    throw new Error(message);
  }
  return group;
}
