import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freeOffset, listenOn } from "../helpers/free-port.js";
import { REPO_ROOT, TANDEM_BIN, trackChild } from "../helpers/processes.js";
import { commandCalls, infoFields } from "../helpers/proxy-deployment.js";
import { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/** `tandem up` (what `npm start` runs), shifted by --port-offset so it never touches the real 6379. */

function runUp(offset: number, dir = mkdtempSync(join(tmpdir(), "tandem-up-test-"))) {
  const proc = spawn(
    process.execPath,
    [TANDEM_BIN, "up", "--port-offset", String(offset), "--dir", dir, "--sync-timeout", "60000"],
    {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
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

describe("tandem up", () => {
  it("starts master, replicas and proxy, prints where to connect, and stops everything on SIGTERM", async () => {
    const offset = await freeOffset();
    const up = runUp(offset);
    try {
      await waitFor(
        "tandem up to report it is up",
        () => /Connect with: redis-cli -p (\d+)/.test(up.output()),
        // Start-up includes the full syncs, with the seed's diskless sync and Redis's 5 s delay: a replica
        // that arrives after a transfer began waits for the next round. ~7 s on an idle machine, over 30 s
        // with two test suites sharing its two cores.
        { timeoutMs: 90_000 },
      );
      assert.match(up.output(), new RegExp(`redis-cli -p ${7379 + offset}`));
      // It waited for the replicas: they are in sync by the time it says where to connect.
      assert.match(up.output(), /Replicas are in sync with the master\.\n/);
      // The table of what runs where: role, address, pid, log.
      for (const [role, port] of [
        ["master", 6379],
        ["replica", 6380],
        ["replica", 6381],
        ["proxy", 7379],
      ] as const)
        assert.match(
          up.output(),
          new RegExp(`\\n  ${role} +127\\.0\\.0\\.1:${port + offset} +pid \\d+ +log `),
        );
      for (const port of [6380 + offset, 6381 + offset]) {
        const r = await RawClient.connect(port);
        const info = await infoFields(r);
        r.close();
        assert.equal(info.get("master_link_status"), "up", `replica ${port}`);
        assert.equal(info.get("master_sync_in_progress"), "0", `replica ${port}`);
      }
      const c = await RawClient.connect(7379 + offset);
      assert.equal(await c.text("SET", "up:k", "v"), "+OK\r\n");
      assert.equal(await c.text("PING"), "+PONG\r\n");
      const m = await RawClient.connect(6379 + offset);
      assert.equal(await m.text("GET", "up:k"), "$1\r\nv\r\n");
      m.close();
      // The proxy serves reads from the Tandem replicas (their commandstats grow, the master's do not).
      const server = (port: number) => ({ client: () => RawClient.connect(port) });
      // Until the lag monitor has seen a replica once, reads fall back to the master (the shipped
      // no_eligible_replica: master), so the master's count is taken once both replicas serve reads.
      await waitFor("reads through the proxy to land on both replicas", async () => {
        const before = await Promise.all([6380, 6381].map((p) => commandCalls(server(p + offset), "get")));
        const replies = await c.pipeline(Array.from({ length: 8 }, () => ["GET", "up:k"]));
        // A replica the proxy reads from is in sync: it already has the write.
        for (const r of replies) assert.equal(r.toString(), "$1\r\nv\r\n");
        const after = await Promise.all([6380, 6381].map((p) => commandCalls(server(p + offset), "get")));
        return after.every((n, i) => n > before[i]);
      });
      const masterGets = await commandCalls(server(6379 + offset), "get");
      const replies = await c.pipeline(Array.from({ length: 16 }, () => ["GET", "up:k"]));
      for (const r of replies) assert.equal(r.toString(), "$1\r\nv\r\n");
      assert.equal(
        await commandCalls(server(6379 + offset), "get"),
        masterGets,
        "no read reached the master",
      );
      c.close();
    } finally {
      up.proc.kill("SIGTERM");
    }
    assert.equal(await up.exited, 0, up.output());
    // Every child is gone: the ports are free again.
    for (const p of [6379, 6380, 6381, 7379]) {
      const s = await listenOn(p + offset);
      assert.ok(s, `port ${p + offset} released`);
      await new Promise((r) => s.close(r));
    }
  });

  it("exits non-zero with the reason when a port is taken", async () => {
    const offset = await freeOffset();
    const blocker = await listenOn(6380 + offset);
    assert.ok(blocker);
    try {
      const up = runUp(offset);
      assert.equal(await up.exited, 1);
      assert.match(up.output(), new RegExp(`port ${6380 + offset} is already in use`));
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("exits non-zero with the child's reason when a server dies at start, and leaves nothing running", async () => {
    const offset = await freeOffset();
    const dir = mkdtempSync(join(tmpdir(), "tandem-up-test-"));
    // The master refuses to start on a corrupt dump.
    writeFileSync(join(dir, "dump6379.rdb"), "REDIS0009 this is not an RDB file");
    const up = runUp(offset, dir);
    assert.equal(await up.exited, 1, up.output());
    assert.match(up.output(), /tandem up: server config\/redis6379\.conf exited with code 1/);
    for (const p of [6379, 6380, 6381, 7379]) {
      const s = await listenOn(p + offset);
      assert.ok(s, `port ${p + offset} released`);
      await new Promise((r) => s.close(r));
    }
  });
});
