import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { type ServerProcess, startRedis, startTandem, TANDEM_BIN, trackChild } from "./processes.js";
import { RawClient } from "./raw-client.js";
import { waitFor } from "./wait-for.js";

/**
 * A master, its replicas and a `tandem proxy` in front of them, all real processes on loopback. Backends
 * are Debian's redis-server by default (`kind: "tandem"` for Tandem's own servers). `stop()` ends only
 * the processes started here.
 */

export interface ProxyProcess {
  readonly port: number;
  /**
   * The HTTP admin listener (/metrics, /status, /): a free port of its own, so parallel tests never
   * clash on proxy.yaml's default 7380 (0 for another build's launcher, which gets no --admin-listen).
   */
  readonly adminPort: number;
  /** GET on the admin listener (`password` for HTTP Basic auth). */
  admin(path: string, password?: string): Promise<Response>;
  readonly proc: ChildProcess;
  output(): string;
  client(): Promise<RawClient>;
  stop(): Promise<void>;
}

export interface Deployment {
  master: ServerProcess;
  replicas: ServerProcess[];
  proxy: ProxyProcess;
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  kind?: "redis" | "tandem";
  replicas?: number;
  /** Extra proxy.yaml lines (YAML text appended to the generated file). */
  proxyYaml?: string;
  masterArgs?: string[];
  /** Extra directives for every replica (after --replicaof). */
  replicaArgs?: string[];
}

/**
 * `bin`: another build's launcher (benchmarks compare two builds side by side); it is not given
 * --admin-listen, which builds before the admin listener do not know.
 */
export async function startProxy(yaml: string, bin: string = TANDEM_BIN): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), "tandem-proxy-test-"));
  const file = join(dir, "proxy.yaml");
  const port = await freePort();
  const adminPort = bin === TANDEM_BIN ? await freePort() : 0;
  writeFileSync(file, `listen: 127.0.0.1:${port}\n${yaml}`);
  const adminArgs = adminPort === 0 ? [] : ["--admin-listen", `127.0.0.1:${adminPort}`];
  const proc = spawn(process.execPath, [bin, "proxy", file, ...adminArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  trackChild(proc);
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.length > 100_000) out = out.slice(-50_000);
  });
  proc.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  let done = false;
  const exited = new Promise<void>((r) =>
    proc.once("exit", () => {
      done = true;
      r();
    }),
  );
  const p: ProxyProcess = {
    port,
    adminPort,
    admin: (path, password) =>
      fetch(`http://127.0.0.1:${adminPort}${path}`, {
        headers:
          password === undefined
            ? {}
            : { Authorization: `Basic ${Buffer.from(`any:${password}`).toString("base64")}` },
      }),
    proc,
    output: () => out,
    client: () => RawClient.connect(port),
    stop: async () => {
      if (done) return;
      proc.kill("SIGTERM");
      const t = setTimeout(() => !done && proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    },
  };
  try {
    await waitFor("the proxy to answer PING", async () => {
      if (done) throw new Error(`proxy exited:\n${out}`);
      const c = await RawClient.connect(port);
      try {
        return (await c.text("PING")).length > 0;
      } finally {
        c.close();
      }
    });
  } catch (err) {
    await p.stop();
    throw err;
  }
  return p;
}

/** INFO replication of a server as a field map. */
export async function infoFields(c: RawClient, section = "replication"): Promise<Map<string, string>> {
  const text = (await c.call("INFO", section)) as Buffer;
  const m = new Map<string, string>();
  for (const line of text.toString("latin1").split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** calls= of one command in INFO commandstats (0 when absent). */
export async function commandCalls(server: { client(): Promise<RawClient> }, cmd: string): Promise<number> {
  const c = await server.client();
  try {
    const m = await infoFields(c, "commandstats");
    const v = m.get(`cmdstat_${cmd}`);
    return v ? Number(/calls=(\d+)/.exec(v)?.[1] ?? 0) : 0;
  } finally {
    c.close();
  }
}

export async function waitInSync(replica: ServerProcess): Promise<void> {
  await waitFor(`replica ${replica.port} in sync`, async () => {
    const c = await replica.client();
    try {
      const m = await infoFields(c);
      return m.get("master_link_status") === "up" && m.get("master_sync_in_progress") === "0";
    } finally {
      c.close();
    }
  });
}

export async function startDeployment(opts: DeploymentOptions = {}): Promise<Deployment> {
  const start = opts.kind === "tandem" ? startTandem : startRedis;
  const master = await start({ args: opts.masterArgs ?? [] });
  const replicas: ServerProcess[] = [];
  let proxy: ProxyProcess;
  try {
    for (let i = 0; i < (opts.replicas ?? 2); i++) {
      replicas.push(
        await start({ args: ["--replicaof", "127.0.0.1", String(master.port), ...(opts.replicaArgs ?? [])] }),
      );
    }
    for (const r of replicas) await waitInSync(r);
    const yaml = [
      `master: 127.0.0.1:${master.port}`,
      "replicas:",
      ...replicas.map((r) => `  - 127.0.0.1:${r.port}`),
      "log_level: warn",
      opts.proxyYaml ?? "",
    ].join("\n");
    proxy = await startProxy(yaml);
  } catch (err) {
    // Nothing started here may outlive a failed start (the test file would never exit).
    await Promise.all([master, ...replicas].map((s) => s.stop()));
    throw err;
  }
  return {
    master,
    replicas,
    proxy,
    stop: async () => {
      await proxy.stop();
      await Promise.all([master, ...replicas].map((s) => s.stop()));
    },
  };
}
