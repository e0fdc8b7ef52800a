import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BackendStatus, parseBackendsReply } from "../../src/cli/backends-table.js";
import { type ServerProcess, TANDEM_BIN, trackChild } from "../helpers/processes.js";
import {
  commandCalls,
  type Deployment,
  type ProxyProcess,
  startDeployment,
  startProxy,
} from "../helpers/proxy-deployment.js";
import { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Operators' drain through the real CLI (`tandem drain|undrain|status`) against a proxy in front of Tandem
 * servers: a drained replica stops getting reads while clients keep reading without an error, the admin
 * commands need admin_password, a blocked BLPOP is unaffected (it runs on the master), the drain survives
 * a proxy restart through drain_state_file, undrain brings reads back, and reads stuck on a draining
 * replica move elsewhere after drain_timeout_ms.
 */
const PW = "drain-admin-pw";
const KEY = "drain:k";
const VALUE = "drain-value";
const EXPECTED = `$${VALUE.length}\r\n${VALUE}\r\n`;
const READERS = 3;
const DRAIN_TIMEOUT_MS = 500;
/** Each reader pipelines this many GETs, so a drain usually starts with reads in flight on the replica. */
const BATCH: string[][] = Array.from({ length: 16 }, () => ["GET", KEY]);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `tandem <args>` as a real process without blocking this event loop (the readers keep reading). */
function runCli(args: string[], timeoutMs = 30_000): Promise<CliResult> {
  const t0 = Date.now();
  const proc = spawn(process.execPath, [TANDEM_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  trackChild(proc);
  let stdout = "";
  let stderr = "";
  proc.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  // A hung CLI must not hang the file: killed, it fails the exit-code assertion with its output.
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) =>
    proc.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    }),
  );
}

/** Exit 1 and exactly one line on stderr (the CLI's contract for every failure), nothing on stdout. */
function assertOneLineFailure(r: CliResult, pattern: RegExp): void {
  assert.equal(r.code, 1, `exit code (stdout: ${r.stdout}, stderr: ${r.stderr})`);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^[^\n]+\n$/, `one line on stderr: ${JSON.stringify(r.stderr)}`);
  assert.match(r.stderr, pattern);
}

interface Readers {
  /** Reads answered so far (all of them the expected value). */
  readonly count: () => number;
  /** Stops the loops and returns every failure they saw (none expected). */
  stop(): Promise<string[]>;
}

/**
 * `n` clients reading KEY (BATCH at a time) back to back through the proxy until stopped. A wrong reply or a connection error
 * is recorded (not thrown: nobody awaits the loops until stop()) and ends that reader.
 */
async function startReaders(port: number, n: number): Promise<Readers> {
  let stopped = false;
  let reads = 0;
  const errors: string[] = [];
  const clients = await Promise.all(Array.from({ length: n }, () => RawClient.connect(port)));
  const loops = clients.map(async (c, i) => {
    try {
      while (!stopped) {
        for (const r of await c.pipeline(BATCH)) {
          const text = r.toString("latin1");
          if (text !== EXPECTED) {
            errors.push(`reader ${i}: ${JSON.stringify(text)}`);
            return;
          }
          reads++;
        }
      }
    } catch (err) {
      errors.push(`reader ${i}: ${(err as Error).message}`);
    } finally {
      c.close();
    }
  });
  return {
    count: () => reads,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return errors;
    },
  };
}

describe("proxy drain through the tandem CLI (Tandem backends)", () => {
  let d: Deployment;
  /** The proxy in use: the deployment's, then the restarted one. */
  let proxy: ProxyProcess;
  let restarted: ProxyProcess | null = null;
  let stateFile: string;
  let proxyYamlExtra: string;
  let r0: ServerProcess;
  let r1: ServerProcess;
  const addr = (s: { port: number }) => `127.0.0.1:${s.port}`;

  before(async () => {
    stateFile = join(mkdtempSync(join(tmpdir(), "tandem-drain-test-")), "drain-state.json");
    proxyYamlExtra = [
      `admin_password: ${PW}`,
      `drain_state_file: ${stateFile}`,
      `drain_timeout_ms: ${DRAIN_TIMEOUT_MS}`,
      // Above the drain timeout, so reads stuck on a stopped replica are moved by the drain, not by health.
      "max_lag_ms: 5000",
      "health:",
      "  poll_interval_ms: 100",
    ].join("\n");
    d = await startDeployment({ kind: "tandem", proxyYaml: proxyYamlExtra });
    proxy = d.proxy;
    [r0, r1] = d.replicas;
    // Written straight to the master, so no proxy session carries a token that would steer its reads.
    const m = await d.master.client();
    try {
      assert.equal(await m.text("SET", KEY, VALUE), "+OK\r\n");
    } finally {
      m.close();
    }
    await waitFor("both replicas to have the key", async () => {
      for (const r of d.replicas) {
        const c = await r.client();
        try {
          if ((await c.text("GET", KEY)) !== EXPECTED) return false;
        } finally {
          c.close();
        }
      }
      return true;
    });
  });

  after(async () => {
    await restarted?.stop();
    await d?.stop();
  });

  const gets = (r: ServerProcess) => commandCalls(r, "get");
  const cli = (cmd: string, ...args: string[]) =>
    runCli([cmd, ...args, "--proxy", `127.0.0.1:${proxy.port}`, "-a", PW]);

  /** A proxy connection authenticated as admin. */
  async function admin(): Promise<RawClient> {
    const c = await proxy.client();
    try {
      assert.equal(await c.text("AUTH", PW), "+OK\r\n");
    } catch (err) {
      c.close();
      throw err;
    }
    return c;
  }

  async function backends(): Promise<BackendStatus[]> {
    const c = await admin();
    try {
      return parseBackendsReply(await c.call("PROXY", "BACKENDS"));
    } finally {
      c.close();
    }
  }

  async function drainState(r: ServerProcess): Promise<string | undefined> {
    return (await backends()).find((b) => b.address === addr(r))?.drain;
  }

  /**
   * Connections whose current or last command is BLPOP (CLIENT LIST's cmd=); blocked_clients would also
   * count the lag monitor's WAITOFFSET long-polls.
   */
  async function blpopClients(s: ServerProcess): Promise<number> {
    const c = await s.client();
    try {
      const list = ((await c.call("CLIENT", "LIST")) as Buffer).toString();
      return list.split("\n").filter((l) => / cmd=blpop /.test(l)).length;
    } finally {
      c.close();
    }
  }

  /** Waits until `r`'s GET count grows by `n` (while readers run). */
  async function waitGets(r: ServerProcess, n: number, what: string): Promise<void> {
    const from = await gets(r);
    await waitFor(what, async () => (await gets(r)) >= from + n);
  }

  it("admin commands need AUTH <admin_password>: PROXY DRAIN answers -NOPERM, tandem status exits 1 without -a or with a wrong one", async () => {
    const c = await proxy.client();
    try {
      assert.match(await c.text("PROXY", "DRAIN", addr(r0)), /^-NOPERM /);
      assert.match(await c.text("PROXY", "BACKENDS"), /^-NOPERM /);
      // The refused drain changed nothing.
      assert.equal(await drainState(r0), "none");
      // A client password is not the admin password, and the wrong one does not grant admin.
      assert.match(await c.text("AUTH", "not-the-password"), /^-WRONGPASS /);
      assert.match(await c.text("PROXY", "UNDRAIN", addr(r0)), /^-NOPERM /);
    } finally {
      c.close();
    }
    const noPw = await runCli(["status", "--proxy", `127.0.0.1:${proxy.port}`]);
    assertOneLineFailure(noPw, /^tandem status: NOPERM /);
    const wrongPw = await runCli(["status", "--proxy", `127.0.0.1:${proxy.port}`, "-a", "wrong"]);
    assertOneLineFailure(wrongPw, /^tandem status: WRONGPASS /);
    const ok = await cli("status");
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^ADDRESS +ROLE +STATE/);
  });

  it("drain under load: tandem drain --wait ends at drained, the replica then gets no reads, the other does, and no client sees an error", async (t) => {
    const readers = await startReaders(proxy.port, READERS);
    let errors: string[] = [];
    try {
      // Reads only count once the lag monitor has found both replicas eligible.
      await waitGets(r0, 20, "the replica to drain to serve reads first");
      await waitGets(r1, 20, "the other replica to serve reads first");
      const readsBefore = readers.count();
      const r = await cli("drain", addr(r0), "--wait", "--timeout", "20");
      assert.equal(r.code, 0, `tandem drain: ${r.stderr}`);
      assert.equal(r.stderr, "");
      assert.match(r.stdout, new RegExp(`^${addr(r0)}: drained, 0 in flight$`, "m"));
      t.diagnostic(
        `tandem drain --wait: ${r.ms} ms (process start included), ${readers.count() - readsBefore} reads meanwhile; output ${JSON.stringify(r.stdout)}`,
      );
      // Drained: not one more GET reaches it while the other replica serves plenty.
      const drainedGets = await gets(r0);
      const readsAtDrain = readers.count();
      await waitGets(r1, 300, "the other replica to keep serving reads");
      assert.ok(readers.count() > readsAtDrain, "reads went on meanwhile");
      assert.equal(await gets(r0), drainedGets, "the drained replica received reads");
      t.diagnostic(
        `after drained: ${readers.count() - readsAtDrain} reads, 0 of them on the drained replica`,
      );

      const st = await cli("status");
      assert.equal(st.code, 0, st.stderr);
      const [header, ...rows] = st.stdout.trimEnd().split("\n");
      const drainCol = header.split(/\s+/).indexOf("DRAIN");
      assert.ok(drainCol > 0, `a DRAIN column in ${header}`);
      // Every column before REASON (the last) is one word, so splitting on blanks finds the DRAIN cell.
      const cell = (a: string) => rows.find((l) => l.startsWith(`${a} `))?.split(/\s+/)[drainCol];
      assert.equal(cell(addr(r0)), "drained", st.stdout);
      assert.equal(cell(addr(r1)), "none", st.stdout);
      assert.deepEqual(JSON.parse(readFileSync(stateFile, "utf8")), { drained: [addr(r0)] });
    } finally {
      errors = await readers.stop();
    }
    assert.deepEqual(errors, [], "no client error during the drain");
  });

  it("a BLPOP blocked through the proxy while a replica is drained is served by an LPUSH (blocking commands run on dedicated master connections, never on replicas)", async (t) => {
    assert.equal(await drainState(r0), "drained");
    const blocked = await proxy.client();
    const pusher = await proxy.client();
    try {
      await pusher.text("DEL", "drain:list");
      const t0 = Date.now();
      const pending = blocked.raw("BLPOP", "drain:list", 20);
      // Settled either way, so a failed assertion below does not leave a rejection nobody handles.
      pending.catch(() => {});
      await waitFor("the BLPOP to block on the master", async () => (await blpopClients(d.master)) === 1);
      for (const r of d.replicas) assert.equal(await blpopClients(r), 0, "no BLPOP reaches a replica");
      assert.equal(await pusher.text("LPUSH", "drain:list", "x"), ":1\r\n");
      assert.equal((await pending).toString(), "*2\r\n$10\r\ndrain:list\r\n$1\r\nx\r\n");
      t.diagnostic(`BLPOP blocked and served in ${Date.now() - t0} ms`);
      // The connection goes on normally after its blocking command.
      assert.equal(await blocked.text("GET", KEY), EXPECTED);
    } finally {
      blocked.close();
      pusher.close();
    }
  });

  it("errors: draining the master or an unknown backend exits 1 with one line", async () => {
    const m = await cli("drain", addr(d.master));
    assertOneLineFailure(m, new RegExp(`^tandem drain: ERR Tandem proxy: ${addr(d.master)} is the master`));
    const u = await cli("drain", "127.0.0.1:1", "--wait");
    assertOneLineFailure(u, /^tandem drain: ERR Tandem proxy: unknown backend '127\.0\.0\.1:1'$/m);
    const uu = await cli("undrain", "127.0.0.1:1");
    assertOneLineFailure(uu, /^tandem undrain: ERR Tandem proxy: unknown backend '127\.0\.0\.1:1'$/m);
    // Nothing changed for the real replicas.
    assert.equal(await drainState(r0), "drained");
    assert.equal(await drainState(r1), "none");
  });

  it("the drain survives a proxy restart (drain_state_file), and tandem undrain brings reads back", async (t) => {
    assert.equal(await drainState(r0), "drained");
    await d.proxy.stop();
    // The same proxy.yaml text as startDeployment wrote, state file included.
    const yaml = [
      `master: ${addr(d.master)}`,
      "replicas:",
      ...d.replicas.map((r) => `  - ${addr(r)}`),
      "log_level: warn",
      proxyYamlExtra,
    ].join("\n");
    restarted = await startProxy(yaml);
    proxy = restarted;
    const fromStart = await backends();
    assert.equal(fromStart.find((b) => b.address === addr(r0))?.drain, "drained", "drained from the start");
    assert.equal(fromStart.find((b) => b.address === addr(r1))?.drain, "none");

    const r0Before = await gets(r0);
    const readers = await startReaders(proxy.port, READERS);
    let errors: string[] = [];
    try {
      await waitGets(r1, 300, "the other replica to serve the restarted proxy's reads");
      assert.equal(await gets(r0), r0Before, "the replica drained before the restart received reads");

      const u = await cli("undrain", addr(r0));
      assert.equal(u.code, 0, u.stderr);
      assert.equal(u.stdout, `${addr(r0)}: serving reads again\n`);
      const undrainedAt = Date.now();
      await waitGets(r0, 20, "the undrained replica to serve reads again");
      t.diagnostic(`undrained replica served reads again within ${Date.now() - undrainedAt} ms`);
      assert.equal(await drainState(r0), "none");
      assert.deepEqual(JSON.parse(readFileSync(stateFile, "utf8")), { drained: [] });
    } finally {
      errors = await readers.stop();
    }
    assert.deepEqual(errors, [], "no client error across the undrain");
  });

  it("past drain_timeout_ms, reads stuck on a draining (SIGSTOPped) replica move to the other one, and every read is answered", async (t) => {
    await waitFor("both replicas eligible", async () => {
      const bs = await backends();
      return bs.filter((b) => b.role === "replica" && b.eligible === "yes").length === 2;
    });
    const a = await admin();
    const reader = await proxy.client();
    r1.kill("SIGSTOP");
    try {
      // Round robin sends about half of these to the stopped replica, where they stay in flight.
      const pending = reader.pipeline(Array.from({ length: 32 }, () => ["GET", KEY]));
      pending.catch(() => {});
      const stuck = await waitFor("reads in flight on the stopped replica", async () => {
        const n = Number((await backends()).find((b) => b.address === addr(r1))?.in_flight);
        return n > 0 ? n : false;
      });
      const t0 = Date.now();
      assert.equal(await a.text("PROXY", "DRAIN", addr(r1)), "+OK\r\n");
      const b = (await backends()).find((x) => x.address === addr(r1));
      assert.equal(b?.drain, "draining", "still draining while reads are in flight");
      await waitFor("the stopped replica to be drained", async () => (await drainState(r1)) === "drained");
      const ms = Date.now() - t0;
      t.diagnostic(
        `${stuck} reads stuck on the stopped replica: drained after ${ms} ms (drain_timeout_ms ${DRAIN_TIMEOUT_MS})`,
      );
      assert.ok(ms >= DRAIN_TIMEOUT_MS, `drained after ${ms} ms, before drain_timeout_ms`);
      for (const r of await pending)
        assert.equal(r.toString(), EXPECTED, "every stuck read answered elsewhere");
      assert.equal((await backends()).find((x) => x.address === addr(r1))?.in_flight, "0");
    } finally {
      r1.kill("SIGCONT");
      a.close();
      reader.close();
    }
  });
});
