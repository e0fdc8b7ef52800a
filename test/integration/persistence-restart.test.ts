import assert from "node:assert/strict";
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Persistence across restarts of real Tandem processes: SAVE/BGSAVE/SHUTDOWN/SIGTERM, LASTSAVE, INFO
 * persistence, corrupt files failing start-up, the multi-part AOF (replay, rewrite, torn tail), DEBUG.
 */

const started: ServerProcess[] = [];
/** Starts Tandem and waits until its dataset is loaded (PING already answers, with -LOADING, before). */
async function tandem(args: string[], dir?: string): Promise<ServerProcess> {
  const s = await startTandem({ args, dir });
  started.push(s);
  await waitFor("the dataset to be loaded", async () => (await info(s, "loading")) === "0");
  return s;
}

/** Starts Tandem expecting start-up to fail; returns its output. */
async function startFails(args: string[], dir: string): Promise<string> {
  const s = await startTandem({ args, dir, waitReady: false });
  started.push(s);
  const code = await s.exited;
  assert.equal(code, 1, `exit code (output: ${s.output()})`);
  return s.output();
}

after(async () => {
  for (const s of started) await s.stop();
});

async function info(s: ServerProcess, field: string): Promise<string> {
  const c = await s.client();
  try {
    const text = await c.text("INFO", "persistence");
    const m = text.match(new RegExp(`${field}:(.*)\\r`));
    return m ? m[1] : "";
  } finally {
    c.close();
  }
}

describe("RDB persistence across restarts", () => {
  it("SAVE then restart restores the dataset (same DEBUG DIGEST), and LASTSAVE moves", async () => {
    const a = await tandem([]);
    const c = await a.client();
    assert.equal(await c.text("DEBUG", "POPULATE", "2000", "k", "50"), "+OK\r\n");
    await c.text("SET", "bin", "\x00\xff\r\n");
    await c.text("SET", "ttl", "v", "PX", "100000");
    const digest = await c.text("DEBUG", "DIGEST");
    assert.notEqual(digest, `+${"0".repeat(40)}\r\n`);
    const before = Number((await c.text("LASTSAVE")).slice(1));
    assert.equal(await c.text("SAVE"), "+OK\r\n");
    assert.ok(Number((await c.text("LASTSAVE")).slice(1)) >= before);
    c.close();
    await a.stop();
    const b = await tandem([], a.dir);
    const d = await b.client();
    assert.equal(await d.text("DEBUG", "DIGEST"), digest);
    const pttl = Number((await d.text("PTTL", "ttl")).slice(1));
    assert.ok(pttl > 90_000 && pttl <= 100_000, `ttl kept (${pttl})`);
    d.close();
  });

  it("BGSAVE writes a dump while serving, and reports it in INFO", async () => {
    const a = await tandem([]);
    const c = await a.client();
    await c.text("DEBUG", "POPULATE", "20000");
    await c.text("SET", "x", "1");
    assert.equal(await info(a, "rdb_changes_since_last_save"), "1");
    assert.equal(await c.text("BGSAVE"), "+Background saving started\r\n");
    assert.equal(await c.text("BGSAVE", "nope"), "-ERR syntax error\r\n");
    // Clients are served while it runs.
    assert.equal(await c.text("PING"), "+PONG\r\n");
    await waitFor("BGSAVE to finish", async () => (await info(a, "rdb_bgsave_in_progress")) === "0");
    assert.equal(await info(a, "rdb_last_bgsave_status"), "ok");
    assert.equal(await info(a, "rdb_changes_since_last_save"), "0");
    assert.ok(existsSync(join(a.dir, "dump.rdb")));
    assert.match(await info(a, "tandem_last_bgsave_max_stall_ms"), /^\d+$/);
    c.close();
  });

  it("keeps serving a client while BGSAVE of 1,000,000 keys runs (latency measured, not asserted)", async (t) => {
    const a = await tandem([]);
    const c = await a.client();
    const probe = await a.client();
    await c.text("DEBUG", "POPULATE", "1000000");
    assert.equal(await c.text("BGSAVE"), "+Background saving started\r\n");
    let answeredDuringSave = 0;
    let slowestPingMs = 0;
    for (;;) {
      const t0 = performance.now();
      assert.equal(await probe.text("PING"), "+PONG\r\n");
      slowestPingMs = Math.max(slowestPingMs, performance.now() - t0);
      if ((await info(a, "rdb_bgsave_in_progress")) === "0") break;
      answeredDuringSave++;
    }
    assert.equal(await info(a, "rdb_last_bgsave_status"), "ok");
    // The snapshot is walked in slices between client work, so the probe is answered while it runs.
    assert.ok(answeredDuringSave > 0, "no PING was answered while the BGSAVE ran");
    const stall = await info(a, "tandem_last_bgsave_max_stall_ms");
    t.diagnostic(`slowest PING ${slowestPingMs.toFixed(1)} ms, longest event-loop stall ${stall} ms`);
    probe.close();
    c.close();
  });

  it("SHUTDOWN NOSAVE does not save; SIGTERM with save points saves", async () => {
    const a = await tandem([]);
    const c = await a.client();
    await c.text("SET", "k", "v");
    await c.text("SHUTDOWN", "NOSAVE").catch(() => "");
    await a.exited;
    assert.equal(existsSync(join(a.dir, "dump.rdb")), false);
    c.close();

    const b = await tandem(["--save", "3600", "1"], a.dir);
    const d = await b.client();
    await d.text("SET", "k", "v2");
    d.close();
    b.kill("SIGTERM");
    await b.exited;
    assert.ok(existsSync(join(a.dir, "dump.rdb")), "SIGTERM saved because a save point is configured");
    const e = await tandem([], a.dir);
    const f = await e.client();
    assert.equal(await f.text("GET", "k"), "$2\r\nv2\r\n");
    f.close();
  });

  it("refuses to start on a corrupt or truncated dump, with a clear message", async () => {
    const a = await tandem([]);
    const c = await a.client();
    await c.text("DEBUG", "POPULATE", "500");
    await c.text("SAVE");
    c.close();
    await a.stop();
    const path = join(a.dir, "dump.rdb");
    const good = readFileSync(path);
    writeFileSync(path, good.subarray(0, good.length - 50));
    assert.match(await startFails([], a.dir), /Fatal error loading the DB: Short read/);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 30] ^= 0xff;
    writeFileSync(path, flipped);
    assert.match(await startFails([], a.dir), /Fatal error loading the DB: .*(checksum|integrity)/i);
  });
});

describe("AOF", () => {
  it("replays the multi-part AOF after kill -9, across SELECT and a rewrite, in Redis 7's layout", async () => {
    const a = await tandem(["--appendonly", "yes", "--appendfsync", "always"]);
    const c = await a.client();
    await c.text("SET", "a", "1");
    await c.text("INCR", "a");
    await c.text("SELECT", "3");
    await c.text("SET", "in3", "x");
    assert.equal(await c.text("BGREWRITEAOF"), "+Background append only file rewriting started\r\n");
    await waitFor("rewrite to finish", async () => (await info(a, "aof_rewrite_in_progress")) === "0");
    assert.equal(await info(a, "aof_rewrites"), "1");
    await c.text("SET", "after", "rewrite");
    const manifest = readFileSync(join(a.dir, "appendonlydir", "appendonly.aof.manifest"), "latin1");
    assert.equal(
      manifest,
      "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
    );
    assert.deepEqual(readdirSync(join(a.dir, "appendonlydir")).sort(), [
      "appendonly.aof.2.base.rdb",
      "appendonly.aof.2.incr.aof",
      "appendonly.aof.manifest",
    ]);
    c.close();
    a.kill("SIGKILL");
    await a.exited;
    const b = await tandem(["--appendonly", "yes"], a.dir);
    const d = await b.client();
    assert.equal(await d.text("GET", "a"), "$1\r\n2\r\n");
    await d.text("SELECT", "3");
    assert.equal(await d.text("GET", "in3"), "$1\r\nx\r\n");
    assert.equal(await d.text("GET", "after"), "$7\r\nrewrite\r\n");
    d.close();
  });

  it("cuts a torn last command when aof-load-truncated is yes, and refuses to start when no", async () => {
    const a = await tandem(["--appendonly", "yes"]);
    const c = await a.client();
    await c.text("SET", "kept", "1");
    c.close();
    await a.stop();
    const incr = join(a.dir, "appendonlydir", "appendonly.aof.1.incr.aof");
    appendFileSync(incr, "*3\r\n$3\r\nSET\r\n$4\r\ntorn");
    assert.match(
      await startFails(["--appendonly", "yes", "--aof-load-truncated", "no"], a.dir),
      /Unexpected end of file reading the append only file/,
    );
    const b = await tandem(["--appendonly", "yes"], a.dir);
    const d = await b.client();
    assert.equal(await d.text("GET", "kept"), "$1\r\n1\r\n");
    assert.equal(await d.text("EXISTS", "torn"), ":0\r\n");
    d.close();
  });
});

describe("DEBUG", () => {
  it("is refused with Redis's text unless enable-debug-command allows it", async () => {
    const a = await tandem(["--enable-debug-command", "no"]);
    const c = await a.client();
    assert.equal(
      await c.text("DEBUG", "DIGEST"),
      '-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n',
    );
    c.close();
    const b = await tandem(["--enable-debug-command", "local"]);
    const d = await b.client();
    assert.equal(await d.text("DEBUG", "SLEEP", "0"), "+OK\r\n");
    d.close();
  });

  it("RELOAD keeps the digest; DIGEST-VALUE is per key and zero for a missing key", async () => {
    const a = await tandem([]);
    const c = await a.client();
    await c.text("DEBUG", "POPULATE", "100", "p", "10");
    assert.equal(await c.text("GET", "p:7"), "$10\r\nvalue:7\x00\x00\x00\r\n");
    const digest = await c.text("DEBUG", "DIGEST");
    assert.equal(await c.text("DEBUG", "RELOAD"), "+OK\r\n");
    assert.equal(await c.text("DEBUG", "DIGEST"), digest);
    const [one, missing] = (await c.text("DEBUG", "DIGEST-VALUE", "p:1", "nope")).split("\r\n").slice(1);
    assert.match(one, /^\+[0-9a-f]{40}$/);
    assert.equal(missing, `+${"0".repeat(40)}`);
    await c.text("SET", "p:1", "changed");
    assert.notEqual(await c.text("DEBUG", "DIGEST"), digest);
    c.close();
  });
});
