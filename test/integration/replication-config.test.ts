import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { freePort } from "../helpers/free-port.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import { infoField, waitLinkUp, waitOffsetsEqual } from "../helpers/replication-helpers.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Replication settings and role changes: masterauth/masteruser in the handshake, min-replicas-to-write
 * and min-replicas-max-lag (-NOREPLICAS), REPLICAOF reflected in CONFIG GET replicaof, and clients blocked
 * on keys, WAIT or WAITOFFSET disconnected with -UNBLOCKED when the node becomes a replica — the replies
 * compared byte for byte with redis-server where Redis has the same command.
 */

const FAST = ["--repl-diskless-sync-delay", "0"];
const started: ServerProcess[] = [];

async function tandem(args: string[] = []): Promise<ServerProcess> {
  const s = await startTandem({ args: [...FAST, ...args] });
  started.push(s);
  return s;
}

async function redis(args: string[] = []): Promise<ServerProcess> {
  const s = await startRedis({ args: [...FAST, ...args] });
  started.push(s);
  return s;
}

after(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

describe("replication: masterauth and masteruser", () => {
  it("a replica authenticates with masterauth; a wrong password keeps the link down until it is fixed", async () => {
    const master = await tandem(["--requirepass", "s3cret"]);
    const m = await master.client();
    await m.call("AUTH", "s3cret");
    await m.call("SET", "k", "v");
    const replica = await tandem(["--replicaof", "127.0.0.1", String(master.port), "--masterauth", "wrong"]);
    const r = await replica.client();
    await waitFor("the replica to log the refused AUTH", async () =>
      replica.output().includes("Unable to AUTH to MASTER"),
    );
    assert.equal(await infoField(r, "replication", "master_link_status"), "down");
    assert.equal(await infoField(m, "replication", "connected_slaves"), "0");
    assert.equal(await r.text("CONFIG", "SET", "masterauth", "s3cret"), "+OK\r\n");
    await waitLinkUp(r);
    await waitOffsetsEqual(m, [r]);
    assert.equal(await r.text("GET", "k"), "$1\r\nv\r\n");
    m.close();
    r.close();
  });

  it("masteruser sends AUTH <user> <password>", async () => {
    const master = await tandem(["--requirepass", "s3cret"]);
    const replica = await tandem([
      "--replicaof",
      "127.0.0.1",
      String(master.port),
      "--masteruser",
      "default",
      "--masterauth",
      "s3cret",
    ]);
    const r = await replica.client();
    await waitLinkUp(r);
    const m = await master.client();
    await m.call("AUTH", "default", "s3cret");
    await m.call("SET", "via-user", "1");
    await waitOffsetsEqual(m, [r]);
    assert.equal(await r.text("GET", "via-user"), "$1\r\n1\r\n");
    m.close();
    r.close();
  });
});

describe("replication: min-replicas-to-write and min-replicas-max-lag", () => {
  it("writes get -NOREPLICAS without enough good replicas, as redis-server; reads are served", {
    skip: NO_REDIS,
  }, async () => {
    const args = ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"];
    const t = await (await tandem(args)).client();
    const rs = await (await redis(args)).client();
    for (const cmd of [
      ["SET", "k", "v"],
      ["GET", "k"],
      ["DEL", "k"],
    ]) {
      assert.equal(await t.text(...cmd), await rs.text(...cmd), cmd.join(" "));
    }
    assert.equal(await t.text("SET", "k", "v"), "-NOREPLICAS Not enough good replicas to write.\r\n");
    // Inside MULTI the command is refused when queued; EXEC then aborts, as in Redis.
    for (const cmd of [["MULTI"], ["SET", "k", "v"], ["EXEC"]]) {
      assert.equal(await t.text(...cmd), await rs.text(...cmd), cmd.join(" "));
    }
    t.close();
    rs.close();
  });

  it("a replica that acknowledges makes writes possible; one silent for longer than the max lag does not", async () => {
    const master = await tandem(["--min-replicas-to-write", "1", "--min-replicas-max-lag", "1"]);
    const m = await master.client();
    assert.equal(await m.text("SET", "a", "1"), "-NOREPLICAS Not enough good replicas to write.\r\n");
    const replica = await tandem(["--replicaof", "127.0.0.1", String(master.port)]);
    const r = await replica.client();
    await waitLinkUp(r);
    await waitFor("a write to be accepted", async () => (await m.text("SET", "a", "1")) === "+OK\r\n");
    assert.equal(await infoField(m, "replication", "min_slaves_good_slaves"), "1");
    // A frozen replica stops acknowledging: after min-replicas-max-lag it no longer counts.
    replica.kill("SIGSTOP");
    try {
      await waitFor(
        "writes to be refused again",
        async () => (await m.text("SET", "a", "2")) === "-NOREPLICAS Not enough good replicas to write.\r\n",
      );
      assert.equal(await infoField(m, "replication", "min_slaves_good_slaves"), "0");
    } finally {
      replica.kill("SIGCONT");
    }
    assert.equal(await m.text("CONFIG", "SET", "min-replicas-to-write", "0"), "+OK\r\n");
    assert.equal(await m.text("SET", "a", "3"), "+OK\r\n");
    m.close();
    r.close();
  });
});

describe("replication: role changes", () => {
  it("REPLICAOF is reflected in CONFIG GET replicaof/slaveof and REPLICAOF NO ONE clears it, as redis-server", {
    skip: NO_REDIS,
  }, async () => {
    const dead = await freePort();
    const t = await (await tandem()).client();
    const rs = await (await redis()).client();
    const steps = [
      ["CONFIG", "GET", "replicaof"],
      ["REPLICAOF", "127.0.0.1", String(dead)],
      ["CONFIG", "GET", "replicaof"],
      ["CONFIG", "GET", "slaveof"],
      ["REPLICAOF", "NO", "ONE"],
      ["CONFIG", "GET", "replicaof"],
    ];
    for (const cmd of steps) assert.equal(await t.text(...cmd), await rs.text(...cmd), cmd.join(" "));
    t.close();
    rs.close();
  });

  /** Blocks `blocked` with `cmd`, sends REPLICAOF from `admin`; returns the blocked client's reply. */
  async function unblockedByReplicaof(
    s: ServerProcess,
    cmd: string[],
    deadPort: number,
  ): Promise<{ reply: string; closed: boolean }> {
    const blocked = await s.client();
    const admin = await s.client();
    const pending = blocked.text(...cmd);
    await waitFor("the client to be blocked", async () =>
      (await admin.text("CLIENT", "LIST")).includes("flags=b"),
    );
    assert.equal(await admin.text("REPLICAOF", "127.0.0.1", String(deadPort)), "+OK\r\n");
    const reply = await pending;
    const closed = await waitFor(
      "the blocked client's connection to close",
      async () => blocked.socket.destroyed || blocked.socket.readableEnded,
    ).then(
      () => true,
      () => false,
    );
    assert.equal(await admin.text("REPLICAOF", "NO", "ONE"), "+OK\r\n");
    blocked.close();
    admin.close();
    return { reply, closed };
  }

  it("becoming a replica disconnects clients blocked in BLPOP and WAIT with -UNBLOCKED, as redis-server", {
    skip: NO_REDIS,
  }, async () => {
    const dead = await freePort();
    const t = await tandem();
    const rs = await redis();
    for (const cmd of [
      ["BLPOP", "nothing-here", "0"],
      ["BZPOPMIN", "no-zset", "0"],
      ["WAIT", "1", "0"],
    ]) {
      const a = await unblockedByReplicaof(t, cmd, dead);
      const b = await unblockedByReplicaof(rs, cmd, dead);
      assert.equal(a.reply, b.reply, cmd[0]);
      assert.equal(
        a.reply,
        "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n",
      );
      assert.equal(a.closed, true, `${cmd[0]}: the connection is closed after the reply`);
      assert.equal(b.closed, true);
    }
  });

  it("a client waiting in WAITOFFSET is disconnected the same way", async () => {
    const dead = await freePort();
    const t = await tandem();
    const r = await unblockedByReplicaof(t, ["WAITOFFSET", "1000000", "0"], dead);
    assert.equal(
      r.reply,
      "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n",
    );
    assert.equal(r.closed, true);
  });
});

describe("replication: the disk-style payload ($<length>)", () => {
  it("with repl-diskless-sync no, tandem and redis-server replicas load the length-prefixed RDB", async () => {
    const master = await tandem(["--repl-diskless-sync", "no"]);
    const m = await master.client();
    await m.call("DEBUG", "POPULATE", "20000");
    await m.call("RPUSH", "list", "a", "b");
    const replicas = [await tandem(["--replicaof", "127.0.0.1", String(master.port)])];
    if (!NO_REDIS) replicas.push(await redis(["--replicaof", "127.0.0.1", String(master.port)]));
    const rs = await Promise.all(replicas.map((r) => r.client()));
    for (const r of rs) await waitLinkUp(r);
    await m.call("SET", "after-sync", "1");
    await waitOffsetsEqual(m, rs);
    for (const r of rs) {
      assert.equal(await r.text("DBSIZE"), ":20002\r\n");
      assert.equal(await r.text("LRANGE", "list", "0", "-1"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
      assert.equal(await r.text("GET", "key:19999"), "$11\r\nvalue:19999\r\n");
      r.close();
    }
    m.close();
  });
});
