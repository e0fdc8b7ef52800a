import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import {
  commandCalls,
  type Deployment,
  infoFields,
  startDeployment,
  waitInSync,
} from "../helpers/proxy-deployment.js";
import { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Causal tokens are offsets of ONE replication history; the proxy never compares them across replids:
 * - a token of a history the proxy has never seen the master on sends reads to the master;
 * - after the master restarts on a new history (no persistence: new replid, offsets from 0) and the
 *   replicas full-resync, a token of the new history is not met by replicas still holding the old data at
 *   far larger offsets — the reader sees the new value, never the old one — and once the replicas have
 *   resynced, they serve those reads again.
 */
const TOKEN = /^\$\d+\r\n([0-9a-f]{40}):(\d+)\r\n$/;

describe("read-your-writes across replication histories (Tandem backends)", () => {
  let d: Deployment;
  let restarted: ServerProcess | undefined;
  const clients: RawClient[] = [];
  const client = async () => {
    const c = await d.proxy.client();
    clients.push(c);
    return c;
  };

  before(async () => {
    d = await startDeployment({
      kind: "tandem",
      // A restarted master makes its replicas wait a while in full sync: they hold the old data meanwhile.
      masterArgs: ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "2"],
      proxyYaml: "max_lag_ms: 500\nryw_wait_ms: 50\nhealth:\n  poll_interval_ms: 50",
    });
    const c = await client();
    await waitFor("both replicas to serve reads", async () => {
      const before = await Promise.all(d.replicas.map((r) => commandCalls(r, "get")));
      await c.pipeline(Array.from({ length: 8 }, () => ["GET", "warm"]));
      const now = await Promise.all(d.replicas.map((r) => commandCalls(r, "get")));
      return now.every((n, i) => n > before[i]);
    });
  });

  after(async () => {
    for (const c of clients) c.close();
    await d?.stop();
    await restarted?.stop(); // d.stop() knows the master it started, not its replacement
  });

  it("PROXY TOKEN is the master's replid and an offset at or after the connection's writes", async () => {
    const c = await client();
    assert.equal(await c.text("SET", "tok:k", "v"), "+OK\r\n");
    const m = TOKEN.exec(await c.text("PROXY", "TOKEN"));
    assert.ok(m, "token shape");
    const mc = await d.master.client();
    try {
      const info = await infoFields(mc);
      assert.equal(m[1], info.get("master_replid"));
      assert.ok(Number(m[2]) > 0 && Number(m[2]) <= Number(info.get("master_repl_offset")));
    } finally {
      mc.close();
    }
  });

  it("a malformed token is a clear error", async () => {
    const c = await client();
    for (const bad of ["nonsense", `${"a".repeat(40)}:-1`, `${"a".repeat(39)}:5`])
      assert.match(await c.text("PROXY", "AFTER", bad), /^-ERR Tandem proxy: invalid token/);
    assert.match(
      await c.text("PROXY", "AFTER"),
      /^-ERR wrong number of arguments for 'proxy\|after' command/,
    );
  });

  it("a token of a history the proxy has never seen is not compared by offset: its reads go to the master", async () => {
    const c = await client();
    assert.equal(await c.text("PROXY", "CONSISTENCY", "eventual"), "+OK\r\n");
    assert.equal(await c.text("PROXY", "AFTER", `${"f".repeat(40)}:1`), "+OK\r\n");
    const masterBefore = await commandCalls(d.master, "get");
    const replicasBefore = await Promise.all(d.replicas.map((r) => commandCalls(r, "get")));
    for (const r of await c.pipeline(Array.from({ length: 10 }, () => ["GET", "warm"])))
      assert.equal(r.toString(), "$-1\r\n");
    assert.equal(await commandCalls(d.master, "get"), masterBefore + 10);
    assert.deepEqual(await Promise.all(d.replicas.map((r) => commandCalls(r, "get"))), replicasBefore);
  });

  it("after the master restarts on a new history, a token of the new history never reads the old data", async (t) => {
    const writer = await client();
    // Push the old history's offset far past where the new one will be.
    const big = "x".repeat(10_000);
    await writer.pipeline(Array.from({ length: 30 }, (_, i) => ["SET", `hist:pad:${i}`, big]));
    assert.equal(await writer.text("SET", "hist:k", "old"), "+OK\r\n");
    for (const r of d.replicas)
      await waitFor("the replica to have the old value", async () => (await getDirect(r.port)) === "old");
    const oldReplid = (await masterInfo()).get("master_replid");

    const port = d.master.port;
    d.master.kill("SIGKILL");
    await d.master.exited;
    restarted = await startTandem({
      port,
      args: ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "2"],
    });
    d.master = restarted;
    const info = await masterInfo();
    assert.notEqual(info.get("master_replid"), oldReplid, "a new history");

    // The write of the new history, and its token (the proxy reconnects to the master by itself).
    const writer2 = await client();
    await waitFor(
      "a write through the proxy to succeed",
      async () => (await writer2.text("SET", "hist:k", "new")) === "+OK\r\n",
    );
    const tokenReply = await writer2.text("PROXY", "TOKEN");
    const m = TOKEN.exec(tokenReply);
    assert.ok(m, `token shape: ${JSON.stringify(tokenReply)}`);
    assert.equal(m[1], (await masterInfo()).get("master_replid"), "the token names the new history");
    const token = `${m[1]}:${m[2]}`;

    // A reader with that token, reading while the replicas still hold the old value at larger offsets.
    const reader = await client();
    assert.equal(await reader.text("PROXY", "CONSISTENCY", "eventual"), "+OK\r\n");
    assert.equal(await reader.text("PROXY", "AFTER", token), "+OK\r\n");
    let reads = 0;
    let sawOldOnReplica = false;
    const wrong: string[] = [];
    const replicaGetsBefore = await Promise.all(d.replicas.map((r) => commandCalls(r, "get")));
    await waitFor(
      "the resynced replicas to serve the token's reads",
      async () => {
        const replies = await reader.pipeline(Array.from({ length: 5 }, () => ["GET", "hist:k"]));
        for (const r of replies) if (r.toString() !== "$3\r\nnew\r\n") wrong.push(r.toString());
        reads += replies.length;
        if (!sawOldOnReplica) sawOldOnReplica = (await getDirect(d.replicas[0].port)) === "old";
        const now = await Promise.all(d.replicas.map((r) => commandCalls(r, "get")));
        return now.some((n, i) => n > replicaGetsBefore[i]);
      },
      { timeoutMs: 30_000 },
    );
    assert.deepEqual(wrong, [], "never the old history's value");
    for (const r of d.replicas) await waitInSync(r);
    t.diagnostic(
      `history switch: ${reads} reads with the new token, all "new"; a replica still held "old" meanwhile: ${sawOldOnReplica}`,
    );
  });

  async function masterInfo(): Promise<Map<string, string>> {
    const c = await d.master.client();
    try {
      return await infoFields(c);
    } finally {
      c.close();
    }
  }
});

async function getDirect(port: number): Promise<string | null> {
  const c = await RawClient.connect(port);
  try {
    // MGET, not GET: the test counts the GETs the proxy sends to each replica.
    const r = (await c.text("MGET", "hist:k")).split("\r\n");
    return r[1] === "$-1" ? null : r[2];
  } catch {
    return null;
  } finally {
    c.close();
  }
}
