import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect } from "node:net";

/**
 * Who holds a TCP port, for `tandem up`'s "port in use" message. On Linux, the listening socket's inode
 * from /proc/net/tcp{,6} is looked up among /proc/<pid>/fd (only this user's processes are readable);
 * failing that, the port is asked `INFO server`, which any Redis or Tandem server answers with its
 * process_id and tcp_port (a proxy forwards INFO to a backend: that is why tcp_port is shown).
 */

const LISTEN = "0A";

/** Inodes of the sockets listening on `port` (any address, IPv4 or IPv6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== LISTEN) continue;
      const local = f[1];
      if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port && f[9] !== "0") {
        inodes.add(f[9]);
      }
    }
  }
  return inodes;
}

/** PIDs with a descriptor on one of the sockets. */
function pidsHolding(inodes: Set<string>): number[] {
  const links = new Set([...inodes].map((i) => `socket:[${i}]`));
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${e}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      try {
        if (links.has(readlinkSync(`/proc/${e}/fd/${fd}`))) {
          pids.push(Number(e));
          break;
        }
      } catch {
        // closed meanwhile
      }
    }
  }
  return pids;
}

/** " — started by `tandem up`, pid N" when the holder's parent is a live launcher, else "". */
function launcherOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return /tandem up( |$)/.test(commandLine(ppid)) ? ` — started by \`tandem up\`, pid ${ppid}` : "";
  } catch {
    return "";
  }
}

function commandLine(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter(Boolean).join(" ");
    return cmd.length > 200 ? `${cmd.slice(0, 200)}...` : cmd;
  } catch {
    return "";
  }
}

/** Sends `INFO server` and returns the reply's fields (empty when nothing Redis-like answers in time). */
function infoServer(port: number, timeoutMs = 1000): Promise<Map<string, string>> {
  return new Promise((res) => {
    const s = connect({ host: "127.0.0.1", port });
    let out = "";
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      s.destroy();
      const m = new Map<string, string>();
      for (const line of out.split("\r\n")) {
        const i = line.indexOf(":");
        if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
      }
      res(m);
    };
    s.setTimeout(timeoutMs, done);
    s.on("error", done);
    s.on("connect", () => s.write("INFO server\r\n"));
    s.on("data", (d) => {
      out += d.toString("latin1");
      const m = /^\$(\d+)\r\n/.exec(out);
      if (out[0] !== "$" || (m !== null && out.length >= m[0].length + Number(m[1]) + 2)) done();
    });
  });
}

/** "pid 123 (node .../bin/tandem server ...)", or what INFO says, or "" when nothing identifies the holder. */
export async function describePortHolder(port: number): Promise<string> {
  const pids = pidsHolding(listeningInodes(port));
  if (pids.length > 0) {
    return pids
      .map((pid) => {
        const cmd = commandLine(pid);
        return `${cmd === "" ? `pid ${pid}` : `pid ${pid} (${cmd})`}${launcherOf(pid)}`;
      })
      .join(", ");
  }
  const info = await infoServer(port);
  const pid = info.get("process_id");
  if (pid === undefined) return "";
  const tcpPort = info.get("tcp_port");
  return tcpPort === undefined || tcpPort === String(port)
    ? `a Redis-compatible server, pid ${pid}`
    : `something that forwards INFO to the server on port ${tcpPort} (pid ${pid}), e.g. a proxy`;
}
