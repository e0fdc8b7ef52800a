import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freePort } from "../helpers/free-port.js";
import { startTandem, TANDEM_BIN, trackChild } from "../helpers/processes.js";
import { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/** `tandem server` as a process: pidfile, signals, SHUTDOWN, config errors, stock redis.conf, daemonize. */

const DEBIAN_CONF = "/etc/redis/redis.conf";

function runTandem(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [TANDEM_BIN, "server", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    trackChild(p);
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("exit", (code) => resolve({ code, out }));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("tandem server process", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`writes its pidfile at start and removes it when ${signal} stops it cleanly`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "tandem-proc-"));
      const pidfile = join(dir, "tandem.pid");
      const s = await startTandem({ dir, args: ["--pidfile", pidfile] });
      assert.equal(readFileSync(pidfile, "utf8").trim(), String(s.pid));
      s.kill(signal);
      assert.equal(await s.exited, 0);
      assert.equal(existsSync(pidfile), false, "pidfile removed");
      assert.match(s.output(), new RegExp(`Received ${signal} scheduling shutdown`));
    });
  }

  it("stops on SHUTDOWN and removes its pidfile", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-proc-"));
    const pidfile = join(dir, "tandem.pid");
    const s = await startTandem({ dir, args: ["--pidfile", pidfile] });
    const c = await s.client();
    await c.sendRaw("SHUTDOWN NOSAVE\r\n", 0).catch(() => {});
    assert.equal(await s.exited, 0);
    assert.equal(existsSync(pidfile), false);
    c.close();
  });

  it("refuses to start on an unknown or malformed directive, naming file and line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-proc-"));
    const conf = join(dir, "bad.conf");
    writeFileSync(conf, "port 7000\n# a comment\nbogus-directive 1\n");
    let r = await runTandem([conf]);
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      new RegExp(
        `${conf.replace(/[.]/g, "\\.")}:3: Bad directive or wrong number of arguments: 'bogus-directive'`,
      ),
    );
    writeFileSync(conf, "port 7000\nmaxclients lots\n");
    r = await runTandem([conf]);
    assert.equal(r.code, 1);
    assert.match(r.out, /bad\.conf:2: 'maxclients lots'/);
    r = await runTandem(["--port", "7000", "--appendfsync", "sometimes"]);
    assert.equal(r.code, 1);
    assert.match(r.out, /\(command line\):2: 'appendfsync sometimes'/);
  });

  it("loads Debian's stock redis.conf with paths, port and daemonize overridden, logging ignored directives once", {
    skip: !existsSync(DEBIAN_CONF) && "no stock redis.conf",
  }, async () => {
    const s = await startTandem({
      configFile: DEBIAN_CONF,
      args: ["--pidfile", "", "--logfile", "", "--daemonize", "no"],
    });
    try {
      const c = await s.client();
      assert.equal(await c.text("PING"), "+PONG\r\n");
      assert.match(await c.text("CONFIG", "GET", "hash-max-listpack-entries"), /512/);
      c.close();
      const lines = s
        .output()
        .split("\n")
        .filter((l) => l.includes("no effect in Tandem"));
      assert.equal(lines.length, 1);
      assert.match(lines[0], /jemalloc-bg-thread/);
    } finally {
      await s.stop();
    }
  });

  it("daemonize yes: the launcher exits 0 once the detached server listens; SHUTDOWN ends it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-daemon-"));
    const port = await freePort();
    const pidfile = join(dir, "d.pid");
    const r = await runTandem([
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--daemonize",
      "yes",
      "--pidfile",
      pidfile,
      "--logfile",
      join(dir, "d.log"),
      "--save",
      "",
    ]);
    assert.equal(r.code, 0, r.out);
    const pid = Number(readFileSync(pidfile, "utf8"));
    try {
      const c = await RawClient.connect(port);
      assert.equal(await c.text("PING"), "+PONG\r\n");
      assert.match(await c.text("INFO", "server"), new RegExp(`process_id:${pid}\r\n`));
      await c.sendRaw("SHUTDOWN\r\n", 0).catch(() => {});
      c.close();
      await waitFor("the daemon to exit", () => !alive(pid));
      assert.equal(existsSync(pidfile), false);
      assert.match(readFileSync(join(dir, "d.log"), "utf8"), /Ready to accept connections/);
    } finally {
      if (alive(pid)) process.kill(pid, "SIGKILL");
    }
  });

  it("daemonize yes: the launcher exits 1 when the server cannot listen", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-daemon-"));
    const s = await startTandem({ dir });
    try {
      const r = await runTandem([
        "--port",
        String(s.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--daemonize",
        "yes",
        "--pidfile",
        join(dir, "d2.pid"),
        "--logfile",
        join(dir, "d2.log"),
      ]);
      assert.equal(r.code, 1);
      assert.match(r.out, /Could not create server TCP listening socket/);
    } finally {
      await s.stop();
    }
  });

  it("CONFIG REWRITE rewrites the loaded file, and the server restarts from it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-rewrite-"));
    const conf = join(dir, "r.conf");
    writeFileSync(conf, "# mine\nmaxclients 100\nslave-read-only yes\n");
    const s = await startTandem({ dir, configFile: conf });
    try {
      const c = await s.client();
      assert.equal(
        await c.text("CONFIG", "SET", "maxclients", "123", "replica-read-only", "no", "timeout", "77"),
        "+OK\r\n",
      );
      assert.equal(await c.text("CONFIG", "REWRITE"), "+OK\r\n");
      const text = readFileSync(conf, "utf8");
      assert.match(text, /^# mine\nmaxclients 123\nreplica-read-only no\n/);
      assert.match(text, /# Generated by CONFIG REWRITE\n(.*\n)*timeout 77\n/);
      c.close();
    } finally {
      await s.stop();
    }
    const again = await startTandem({ dir, configFile: conf });
    try {
      const c = await again.client();
      assert.equal(await c.text("CONFIG", "GET", "timeout"), "*2\r\n$7\r\ntimeout\r\n$2\r\n77\r\n");
      c.close();
    } finally {
      await again.stop();
    }
  });

  it("CONFIG REWRITE without a config file answers Redis's error", async () => {
    const s = await startTandem();
    try {
      const c = await s.client();
      assert.equal(await c.text("CONFIG", "REWRITE"), "-ERR The server is running without a config file\r\n");
      c.close();
    } finally {
      await s.stop();
    }
  });
});
