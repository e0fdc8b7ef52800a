import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SERVER_NODE_FLAGS } from "./node-flags.js";
import { PARENT_FD_ENV } from "./parent-watch.js";
import { describePortHolder } from "./port-holder.js";

/**
 * `tandem up [--port-offset n] [--dir path] [--sync-timeout ms]`: the embedded default deployment — the
 * servers of config/redis6379.conf (master), redis6380.conf and redis6381.conf (replicas) and the proxy of
 * config/proxy.yaml, as child processes. It checks the ports first, waits until every child answers and
 * the replicas are in sync, prints where to connect, and on Ctrl-C / SIGTERM stops them all. A port already
 * taken (the message names the process holding it when it can) or a child dying at start exits 1 with the
 * reason, and nothing is left running. "In sync" means each replica's link is up, no sync is in progress,
 * and it holds the master's replication ID and offset.
 *
 * Each child gets one more stdio pipe (fd 3, named in TANDEM_PARENT_FD) that this process never writes:
 * when the launcher dies, even by SIGKILL, the children read end-of-file and shut down as on SIGTERM.
 *
 * `--port-offset` shifts every port (for running a second deployment, or tests); `--dir` moves the data.
 */

const here = dirname(fileURLToPath(import.meta.url));
const TANDEM_BIN = resolve(here, "..", "..", "..", "bin", "tandem");

interface Child {
  name: string;
  port: number;
  proc: ChildProcess;
  output: string;
  exited: boolean;
  logfile: string | null;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once("error", () => res(false));
    srv.listen({ host: "127.0.0.1", port }, () => srv.close(() => res(true)));
  });
}

/** Sends one inline command and returns the reply text (null when nothing answers). */
function ask(port: number, command: string, timeoutMs = 1000): Promise<string | null> {
  return new Promise((res) => {
    const s = connect({ host: "127.0.0.1", port });
    let out = "";
    const done = (v: string | null) => {
      s.destroy();
      res(v);
    };
    s.setTimeout(timeoutMs, () => done(null));
    s.on("error", () => done(null));
    s.on("connect", () => s.write(`${command}\r\n`));
    s.on("data", (d) => {
      out += d.toString("latin1");
      const m = /^\$(\d+)\r\n/.exec(out);
      if (out[0] !== "$" ? out.endsWith("\r\n") : m !== null && out.length >= m[0].length + Number(m[1]) + 2)
        done(out);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function infoFields(text: string | null): Map<string, string> {
  const m = new Map<string, string>();
  if (text !== null) {
    for (const line of text.split("\r\n")) {
      const i = line.indexOf(":");
      if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
    }
  }
  return m;
}

/**
 * "" when every replica is in sync — link up, no sync in progress, on the master's replication ID, and
 * holding at least the master's offset as read just before — or what the first one still lacks. The link
 * alone is not enough: it comes up before the replica has applied the RDB and the backlog after it.
 */
async function replicasBehind(masterPort: number, replicaPorts: number[]): Promise<string> {
  const master = infoFields(await ask(masterPort, "INFO replication"));
  const replid = master.get("master_replid");
  const offset = Number(master.get("master_repl_offset"));
  if (replid === undefined || !Number.isFinite(offset)) return "the master does not answer INFO";
  for (const port of replicaPorts) {
    const r = infoFields(await ask(port, "INFO replication"));
    if (r.get("master_link_status") !== "up") return `replica ${port}: master_link_status is not up`;
    if (r.get("master_sync_in_progress") !== "0") {
      // How far: bytes of the RDB received (of the total, when the master sent its length).
      const read = Number(r.get("master_sync_read_bytes") ?? 0);
      const total = Number(r.get("master_sync_total_bytes") ?? -1);
      const kb = (n: number) => `${Math.round(n / 1024)} KB`;
      return `replica ${port}: full sync in progress, ${kb(read)}${total > 0 ? ` of ${kb(total)}` : ""} received`;
    }
    if (r.get("master_replid") !== replid) return `replica ${port}: not on the master's replication ID yet`;
    const off = Number(r.get("slave_repl_offset"));
    if (!(off >= offset)) return `replica ${port}: offset ${off} < master ${offset}`;
  }
  return "";
}

const UP_USAGE = `Usage: tandem up [--port-offset n | --ports m,r1,r2,proxy[,admin]] [--dir path] [--sync-timeout ms]

Starts the seed's deployment from config/: a master (redis6379.conf), two replicas (redis6380.conf,
redis6381.conf) and the proxy (proxy.yaml), waits until both replicas are in sync, and stops them all on
Ctrl-C or SIGTERM. They also stop by themselves if this process is killed.

Options (defaults in brackets):
  --port-offset n     add n to every port: servers 6379+n..6381+n, proxy 7379+n, admin 7380+n [0]
  --ports m,r1,r2,p[,a]  exact ports: master, the two replicas, the proxy, its admin listener (off if
                      not given) [6379,6380,6381,7379,7380]
  --dir path          where the servers keep their RDB/AOF files [var]
  --sync-timeout ms   how long to wait for the replicas' first sync [30000]

Examples:
  npm start                       (the same as tandem up)
  tandem up --port-offset 100     beside a Redis already on 6379
`;

export async function upCommand(args: string[]): Promise<number> {
  if (args[0] === "--help" || args[0] === "-h") {
    process.stdout.write(UP_USAGE);
    return 0;
  }
  let offset = 0;
  let ports: number[] | null = null;
  let dir = "var";
  let syncTimeoutMs = 30_000;
  for (let i = 0; i < args.length; i += 2) {
    const v = args[i + 1];
    if (args[i] === "--port-offset" && v !== undefined && /^\d+$/.test(v)) offset = Number(v);
    else if (args[i] === "--ports" && v !== undefined && /^\d+(,\d+){3,4}$/.test(v)) {
      ports = v.split(",").map(Number);
      if (ports.some((p) => p < 1 || p > 65535) || new Set(ports).size !== ports.length) {
        process.stderr.write(`tandem up: --ports ${v}: ports must be distinct, 1..65535\n`);
        return 1;
      }
    } else if (args[i] === "--dir" && v !== undefined) dir = v;
    else if (args[i] === "--sync-timeout" && v !== undefined && /^\d+$/.test(v)) syncTimeoutMs = Number(v);
    else {
      process.stderr.write(
        `tandem up: bad option '${args[i]}' (expected --port-offset n, --ports m,r1,r2,proxy[,admin], --dir path, --sync-timeout ms)\n`,
      );
      return 1;
    }
  }
  for (const f of [
    "config/redis6379.conf",
    "config/redis6380.conf",
    "config/redis6381.conf",
    "config/proxy.yaml",
  ]) {
    if (!existsSync(f)) {
      process.stderr.write(`tandem up: ${f} not found (run it from the project directory)\n`);
      return 1;
    }
  }
  const masterPort = ports?.[0] ?? 6379 + offset;
  const replicaPorts = ports ? [ports[1], ports[2]] : [6380 + offset, 6381 + offset];
  const proxyPort = ports?.[3] ?? 7379 + offset;
  // The admin listener moves with the other ports (else every shifted deployment would want proxy.yaml's).
  const adminPort = ports ? (ports[4] ?? null) : offset > 0 ? 7380 + offset : null;
  let held = 0;
  for (const p of [masterPort, ...replicaPorts, proxyPort, ...(adminPort === null ? [] : [adminPort])]) {
    if (await portFree(p)) continue;
    held++;
    const holder = await describePortHolder(p);
    process.stderr.write(
      `tandem up: port ${p} is already in use on 127.0.0.1${holder === "" ? "" : ` by ${holder}`}\n`,
    );
  }
  if (held > 0) {
    process.stderr.write(
      "tandem up: nothing started — stop what holds the port (another `tandem up`?), or use --port-offset n\n",
    );
    return 1;
  }
  mkdirSync(dir, { recursive: true });
  const absDir = resolve(dir);

  const children: Child[] = [];
  const launch = (name: string, port: number, argv: string[], logfile: string | null): Child => {
    const nodeFlags = argv[0] === "server" ? SERVER_NODE_FLAGS : [];
    const proc = spawn(process.execPath, [...nodeFlags, TANDEM_BIN, ...argv], {
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      env: { ...process.env, [PARENT_FD_ENV]: "3" },
    });
    // Our end of the child's parent pipe: never written, read only to notice the child's end (so the
    // handle closes with the child), and not keeping this process alive by itself.
    const lifeline = proc.stdio[3] as Socket | null;
    lifeline?.on("error", () => {});
    lifeline?.resume();
    lifeline?.unref();
    const c: Child = { name, port, proc, output: "", exited: false, logfile };
    const keep = (d: Buffer) => {
      c.output += d.toString();
      if (c.output.length > 20_000) c.output = c.output.slice(-10_000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    proc.once("exit", () => {
      c.exited = true;
    });
    children.push(c);
    return c;
  };
  const server = (conf: string, port: number, master: number | null) =>
    launch(
      `server ${conf}`,
      port,
      [
        "server",
        conf,
        "--port",
        String(port),
        "--dir",
        absDir,
        ...(master === null ? [] : ["--slaveof", "127.0.0.1", String(master)]),
      ],
      join(absDir, `${conf.replace(/^config\/redis|\.conf$/g, "")}.log`),
    );

  let stopping = false;
  const stopAll = async (code: number): Promise<number> => {
    stopping = true;
    for (const c of children) if (!c.exited) c.proc.kill("SIGTERM");
    const deadline = Date.now() + 5000;
    while (children.some((c) => !c.exited) && Date.now() < deadline) await sleep(50);
    for (const c of children) if (!c.exited) c.proc.kill("SIGKILL");
    return code;
  };
  const why = (c: Child): string => {
    let text = c.output.trim();
    if (c.logfile !== null && existsSync(c.logfile))
      text += `\n${readFileSync(c.logfile, "utf8").trim().split("\n").slice(-5).join("\n")}`;
    return `${c.name} exited with code ${c.proc.exitCode ?? c.proc.signalCode}${text ? `:\n${text.split("\n").slice(-10).join("\n")}` : ""}`;
  };

  const signalled = new Promise<number>((res) => {
    const onSignal = (sig: string) => {
      if (stopping) return;
      process.stdout.write(`\n${sig}: stopping the deployment...\n`);
      void stopAll(0).then((code) => {
        const left = children.filter((c) => !c.exited).length;
        process.stdout.write(
          left === 0 ? "Stopped: master, replicas and proxy.\n" : `${left} process(es) had to be killed.\n`,
        );
        res(code);
      });
    };
    process.on("SIGINT", () => onSignal("SIGINT"));
    process.on("SIGTERM", () => onSignal("SIGTERM"));
  });

  const master = server("config/redis6379.conf", masterPort, null);
  const replicas = [
    server("config/redis6380.conf", replicaPorts[0], masterPort),
    server("config/redis6381.conf", replicaPorts[1], masterPort),
  ];
  const proxy = launch(
    "proxy",
    proxyPort,
    [
      "proxy",
      "config/proxy.yaml",
      "--listen",
      `127.0.0.1:${proxyPort}`,
      "--master",
      `127.0.0.1:${masterPort}`,
      ...replicaPorts.flatMap((p) => ["--replica", `127.0.0.1:${p}`]),
      ...(adminPort !== null
        ? ["--admin-listen", `127.0.0.1:${adminPort}`]
        : ports !== null
          ? ["--admin-listen", "off"]
          : []),
    ],
    null,
  );

  // ─── start-up: every child answers, then the replicas are in sync ──────────────────────────────────
  const startDeadline = Date.now() + 20_000;
  for (const c of [master, ...replicas, proxy]) {
    for (;;) {
      if (stopping) return signalled;
      if (c.exited) {
        process.stderr.write(`tandem up: ${why(c)}\n`);
        return stopAll(1);
      }
      const r = await ask(c.port, "PING", 500);
      if (r !== null && /^(\+PONG|-LOADING|-NOAUTH)/.test(r)) break;
      if (Date.now() > startDeadline) {
        process.stderr.write(`tandem up: ${c.name} did not answer on port ${c.port} within 20 s\n`);
        return stopAll(1);
      }
      await sleep(100);
    }
  }
  process.stdout.write(
    `Tandem is starting: master 127.0.0.1:${masterPort}, replicas ${replicaPorts.map((p) => `127.0.0.1:${p}`).join(", ")}, proxy 127.0.0.1:${proxyPort}\n` +
      "Waiting for the replicas to sync with the master...\n",
  );
  const syncDeadline = Date.now() + syncTimeoutMs;
  let lag = "";
  let shown = "";
  let shownAt = 0;
  while (!stopping) {
    const dead = children.find((c) => c.exited);
    if (dead) {
      process.stderr.write(`tandem up: ${why(dead)}\n`);
      return stopAll(1);
    }
    lag = await replicasBehind(masterPort, replicaPorts);
    if (lag === "") break;
    if (Date.now() > syncDeadline) break;
    // What it waits for, when that changes (at most once a second): which replica, and how far.
    if (lag !== shown && Date.now() - shownAt >= 1000) {
      process.stdout.write(`  waiting: ${lag}\n`);
      shown = lag;
      shownAt = Date.now();
    }
    await sleep(200);
  }
  if (stopping) return signalled;
  if (lag !== "")
    process.stdout.write(
      `Warning: the replicas are not in sync after ${syncTimeoutMs} ms (${lag}); the proxy sends reads to the master until they are.\n`,
    );
  else process.stdout.write("Replicas are in sync with the master.\n");
  const logOf = (c: Child) => {
    if (c.logfile === null) return "(this terminal)";
    const rel = relative(process.cwd(), c.logfile);
    return rel.startsWith("..") ? c.logfile : rel;
  };
  const rows: [string, string, string, string][] = [
    ["master", `127.0.0.1:${masterPort}`, String(master.proc.pid), logOf(master)],
    ...replicas.map((r, i): [string, string, string, string] => [
      "replica",
      `127.0.0.1:${replicaPorts[i]}`,
      String(r.proc.pid),
      logOf(r),
    ]),
    ["proxy", `127.0.0.1:${proxyPort}`, String(proxy.proc.pid), logOf(proxy)],
  ];
  const admin = adminPort ?? (ports === null ? 7380 : null);
  const table = rows.map(
    ([role, addr, pid, log]) => `  ${role.padEnd(8)} ${addr.padEnd(16)} pid ${pid.padEnd(8)} log ${log}`,
  );
  process.stdout.write(
    `Tandem is up.\n${table.join("\n")}\n` +
      (admin === null ? "" : `  status page http://127.0.0.1:${admin}/\n`) +
      `Connect with: redis-cli -p ${proxyPort}, or node bin/tandem cli -p ${proxyPort}   (Ctrl-C stops everything)\n`,
  );

  // ─── running: a child that dies takes the deployment down with a reason ─────────────────────────────
  const died = new Promise<number>((res) => {
    for (const c of children) {
      c.proc.once("exit", () => {
        if (stopping) return;
        process.stderr.write(`tandem up: ${why(c)}\nstopping the deployment.\n`);
        void stopAll(1).then(res);
      });
    }
  });
  return Promise.race([signalled, died]);
}
