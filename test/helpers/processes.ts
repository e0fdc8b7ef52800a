import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SERVER_NODE_FLAGS } from "../../src/cli/node-flags.js";
import { freePort } from "./free-port.js";
import { RawClient } from "./raw-client.js";
import { waitFor } from "./wait-for.js";

/**
 * Starting real servers for tests: Tandem's own (`bin/tandem server`) and Debian's redis-server, each on an
 * ephemeral loopback port in its own temp dir. `stop()` ends only the process it started, by PID.
 */

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (tests run from dist/test/helpers). */
export const REPO_ROOT = resolve(here, "..", "..", "..");
export const TANDEM_BIN = join(REPO_ROOT, "bin", "tandem");

/** The path of an executable on PATH, or null. */
export function which(cmd: string): string | null {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

export const REDIS_SERVER = which("redis-server");
export const REDIS_CLI = which("redis-cli");
export const REDIS_BENCHMARK = which("redis-benchmark");
export const REDIS_CHECK_RDB = which("redis-check-rdb");
/** For `{ skip: NO_REDIS }`: a reason when Debian's redis binaries are absent, false otherwise. */
export const NO_REDIS: string | false =
  REDIS_SERVER && REDIS_CLI
    ? false
    : "Debian's redis-server/redis-cli are not installed (apt-get install redis-server redis-tools)";

export interface ServerProcess {
  readonly kind: "tandem" | "redis";
  readonly port: number;
  readonly dir: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** stdout+stderr collected so far (for failure messages). */
  output(): string;
  client(): Promise<RawClient>;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process exited. */
  stop(): Promise<void>;
  /** Sends a signal to this process only. */
  kill(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

export interface StartOptions {
  /** Extra `--name value` directives (strings, split as given). */
  args?: string[];
  /** A config file path given before the directives. */
  configFile?: string;
  dir?: string;
  port?: number;
  /** Wait until PING answers (default true: answers and the dataset is loaded; "listening": -LOADING is enough). */
  waitReady?: boolean | "listening";
  env?: NodeJS.ProcessEnv;
  /** Extra Node.js flags for a Tandem server (benchmarks: --cpu-prof). */
  nodeFlags?: string[];
}

// ─── no orphans ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * Every process a test file starts is sent SIGTERM when that test process ends, however it ends (a failed
 * before-hook, an uncaught error, the runner's timeout signal), so no test leaves servers behind. SIGTERM,
 * not SIGKILL, so a `tandem up` child can still stop the servers it started.
 */
const liveChildren = new Set<ChildProcess>();
let exitHooked = false;

export function trackChild(proc: ChildProcess): void {
  liveChildren.add(proc);
  proc.once("exit", () => liveChildren.delete(proc));
  if (exitHooked) return;
  exitHooked = true;
  process.once("exit", () => {
    for (const p of liveChildren) p.kill("SIGTERM");
  });
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.once(sig, () => {
      for (const p of liveChildren) p.kill("SIGTERM");
      process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGHUP" ? 1 : 15));
    });
  }
}

async function start(kind: "tandem" | "redis", opts: StartOptions): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), `${kind}-test-`));
  const base = [
    ...(opts.configFile ? [opts.configFile] : []),
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--enable-debug-command",
    "yes",
    ...(opts.args ?? []),
  ];
  const proc =
    kind === "tandem"
      ? spawn(
          process.execPath,
          [...SERVER_NODE_FLAGS, ...(opts.nodeFlags ?? []), TANDEM_BIN, "server", ...base],
          {
            stdio: ["ignore", "pipe", "pipe"],
            env: { ...process.env, ...opts.env },
          },
        )
      : spawn(REDIS_SERVER ?? "redis-server", base, { stdio: ["ignore", "pipe", "pipe"] });
  trackChild(proc);
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  });
  proc.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((res) => proc.once("exit", (code) => res(code)));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const sp: ServerProcess = {
    kind,
    port,
    dir,
    proc,
    pid: proc.pid ?? -1,
    output: () => out,
    client: () => RawClient.connect(port),
    exited,
    kill: (signal) => {
      if (!done) proc.kill(signal);
    },
    stop: async () => {
      if (done) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (!done) proc.kill("SIGKILL");
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  if (opts.waitReady !== false) {
    try {
      await waitFor(`${kind} server on port ${port} to answer PING`, async () => {
        if (done) throw new Error(`exited early:\n${out}`);
        const c = await RawClient.connect(port);
        try {
          const r = await c.text("PING");
          // A server still loading its dataset is not ready unless the caller asked only for "listening".
          return (
            r.startsWith("+PONG") ||
            r.startsWith("-NOAUTH") ||
            (opts.waitReady === "listening" && r.startsWith("-LOADING"))
          );
        } finally {
          c.close();
        }
      });
    } catch (err) {
      await sp.stop();
      throw err;
    }
  }
  return sp;
}

export function startTandem(opts: StartOptions = {}): Promise<ServerProcess> {
  return start("tandem", opts);
}

export function startRedis(opts: StartOptions = {}): Promise<ServerProcess> {
  if (!REDIS_SERVER) throw new Error("redis-server is not installed");
  return start("redis", opts);
}
