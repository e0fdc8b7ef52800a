import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freeOffset, listenOn } from "../helpers/free-port.js";
import { REPO_ROOT, TANDEM_BIN, trackChild } from "../helpers/processes.js";
import { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * `tandem up` leaves nothing behind when it is killed outright (SIGKILL: no handler runs, so the children
 * notice through the pipe the launcher held), and a second `tandem up` on the same ports names what holds
 * them, starts nothing and leaves the first deployment alone.
 */

function runUp(offset: number, dir: string) {
  const proc = spawn(
    process.execPath,
    [TANDEM_BIN, "up", "--port-offset", String(offset), "--dir", dir, "--sync-timeout", "60000"],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  trackChild(proc);
  let out = "";
  proc.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return { proc, output: () => out, exited };
}

/** A process's parent and state from /proc/<pid>/stat (null once it is gone). */
function procStat(pid: number): { ppid: number; state: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(ppid), state };
  } catch {
    return null;
  }
}

/** Running means present and not a zombie (an exited orphan may wait a moment to be reaped). */
const running = (pid: number) => {
  const s = procStat(pid);
  return s !== null && s.state !== "Z";
};

function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((p) => procStat(p)?.ppid === pid);
}

describe("tandem up: no orphans, clear port conflicts", { skip: process.platform !== "linux" }, () => {
  let offset: number;
  let dir: string;
  let first: ReturnType<typeof runUp>;
  let children: number[] = [];

  before(async () => {
    offset = await freeOffset();
    dir = mkdtempSync(join(tmpdir(), "tandem-up-orphans-"));
    first = runUp(offset, dir);
    await waitFor(
      "the first tandem up to report it is up",
      () => {
        if (first.proc.exitCode !== null) throw new Error(`tandem up exited:\n${first.output()}`);
        return /Tandem is up\./.test(first.output());
      },
      // Start-up includes the replicas' full syncs (see proxy-up.test.ts): seconds idle, more when loaded.
      { timeoutMs: 90_000 },
    );
    children = childrenOf(first.proc.pid as number);
  });

  after(async () => {
    if (first?.proc.exitCode === null && first.proc.signalCode === null) first.proc.kill("SIGTERM");
    // Whatever a failed test left running from this deployment is stopped here, by PID.
    for (const pid of children) if (running(pid)) process.kill(pid, "SIGKILL");
  });

  it("a second tandem up on the same ports names their holders, exits 1, starts nothing", async () => {
    assert.equal(children.length, 4, `three servers and the proxy under the launcher:\n${first.output()}`);
    const second = runUp(offset, mkdtempSync(join(tmpdir(), "tandem-up-orphans-")));
    assert.equal(await second.exited, 1, second.output());
    const out = second.output();
    // Each port with the PID (and command) of the first deployment's process holding it.
    const holderOf = new Map<number, number>();
    for (const m of out.matchAll(/port (\d+) is already in use on 127\.0\.0\.1 by pid (\d+) \(([^)]*)\)/g)) {
      holderOf.set(Number(m[1]), Number(m[2]));
      assert.match(m[3], /bin\/tandem (server|proxy) /, m[0]);
    }
    for (const port of [6379, 6380, 6381, 7379]) {
      const pid = holderOf.get(port + offset);
      assert.ok(pid !== undefined && children.includes(pid), `port ${port + offset} holder in:\n${out}`);
    }
    assert.match(out, new RegExp(`started by \`tandem up\`, pid ${first.proc.pid}`));
    assert.match(out, /nothing started/);
    assert.doesNotMatch(out, /Tandem is starting/);
    // The first deployment is untouched: same processes, still serving through the proxy.
    assert.ok(children.every(running), "the first deployment's processes still run");
    assert.equal(first.proc.exitCode, null);
    const c = await RawClient.connect(7379 + offset);
    try {
      assert.equal(await c.text("SET", "k", "v"), "+OK\r\n");
      assert.equal(await c.text("PING"), "+PONG\r\n");
    } finally {
      c.close();
    }
  });

  it("SIGKILL of the launcher: its three servers and proxy exit by themselves", async (t) => {
    assert.equal(children.length, 4);
    assert.ok(children.every(running));
    first.proc.kill("SIGKILL");
    await first.exited;
    const t0 = performance.now();
    await waitFor(
      "every child of the killed launcher to exit",
      () => children.every((pid) => !running(pid)),
      {
        timeoutMs: 15_000,
      },
    );
    t.diagnostic(`children gone ${(performance.now() - t0).toFixed(0)} ms after the SIGKILL`);
    // The servers left through their shutdown path (as on SIGTERM), not by a crash.
    for (const port of [6379, 6380, 6381]) {
      const log = readFileSync(join(dir, `${port}.log`), "utf8");
      assert.match(log, /The tandem up launcher is gone, scheduling shutdown/, `${port}.log`);
      assert.match(log, /ready to exit, bye bye/, `${port}.log`);
    }
    for (const p of [6379, 6380, 6381, 7379]) {
      const s = await listenOn(p + offset);
      assert.ok(s, `port ${p + offset} released`);
      await new Promise((r) => s.close(r));
    }
  });
});
