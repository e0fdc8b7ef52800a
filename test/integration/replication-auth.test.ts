import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { infoField, waitLinkUp, waitOffsetsEqual } from "../helpers/replication-helpers.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * A Tandem replica authenticates to its master during the handshake (AUTH <masterauth>, or AUTH
 * <masteruser> <masterauth>): against redis-server with requirepass and with an ACL user that may only
 * replicate, against a Tandem master with such a user, and a redis-server replica against a Tandem master
 * the same way. The replication user of each master has just +psync +replconf +ping, as Redis documents.
 */

const FAST = ["--repl-diskless-sync-delay", "0"];
const started: ServerProcess[] = [];
const clients: RawClient[] = [];

after(async () => {
  for (const c of clients) c.close();
  await Promise.all(started.map((s) => s.stop()));
});

async function run(kind: "tandem" | "redis", args: string[]): Promise<[ServerProcess, RawClient]> {
  const s = await (kind === "tandem" ? startTandem : startRedis)({ args: [...FAST, ...args] });
  started.push(s);
  const c = await s.client();
  clients.push(c);
  return [s, c];
}

/** A master whose writes need AUTH, with a `repl` user that may only replicate. */
async function securedMaster(kind: "tandem" | "redis"): Promise<[ServerProcess, RawClient]> {
  const [s, c] = await run(kind, ["--requirepass", "adminpw"]);
  assert.equal(await c.text("AUTH", "adminpw"), "+OK\r\n");
  assert.equal(
    await c.text("ACL", "SETUSER", "repl", "on", ">replpw", "-@all", "+psync", "+replconf", "+ping"),
    "+OK\r\n",
  );
  return [s, c];
}

async function replicates(m: RawClient, r: RawClient, key: string): Promise<void> {
  await waitLinkUp(r);
  assert.equal(await m.text("SET", key, "v1"), "+OK\r\n");
  await waitOffsetsEqual(m, [r]);
  assert.equal(await r.text("GET", key), "$2\r\nv1\r\n");
}

describe("replication: masterauth / masteruser against each kind of master", () => {
  it("redis-server master with requirepass: a Tandem replica with masterauth", {
    skip: NO_REDIS,
  }, async () => {
    const [master, m] = await run("redis", ["--requirepass", "s3cret"]);
    assert.equal(await m.text("AUTH", "s3cret"), "+OK\r\n");
    const [, r] = await run("tandem", [
      "--replicaof",
      "127.0.0.1",
      String(master.port),
      "--masterauth",
      "s3cret",
    ]);
    await replicates(m, r, "plain");
  });

  it("redis-server master with a replication-only ACL user: masteruser + masterauth", {
    skip: NO_REDIS,
  }, async () => {
    const [master, m] = await securedMaster("redis");
    const [replica, r] = await run("tandem", [
      "--replicaof",
      "127.0.0.1",
      String(master.port),
      "--masteruser",
      "repl",
      "--masterauth",
      "replpw",
    ]);
    await replicates(m, r, "acl");
    // The replica never needed more than the user allows: the master logged no ACL denial.
    assert.equal(await m.text("ACL", "LOG"), "*0\r\n");
    assert.doesNotMatch(replica.output(), /replpw/);
  });

  it("a wrong masteruser password keeps the link down, with the master's refusal logged", {
    skip: NO_REDIS,
  }, async () => {
    const [master, m] = await securedMaster("redis");
    const [replica, r] = await run("tandem", [
      "--replicaof",
      "127.0.0.1",
      String(master.port),
      "--masteruser",
      "repl",
      "--masterauth",
      "wrongpw",
    ]);
    await waitFor("the replica to log the refused AUTH", async () =>
      replica.output().includes("Unable to AUTH to MASTER"),
    );
    assert.equal(await infoField(r, "replication", "master_link_status"), "down");
    assert.doesNotMatch(replica.output(), /wrongpw/);
    // The master's ACL LOG has the failed AUTH of user repl.
    const log = await m.text("ACL", "LOG");
    assert.match(log, /\$4\r\nauth\r\n/);
    assert.match(log, /\$4\r\nrepl\r\n/);
    assert.equal(await r.text("CONFIG", "SET", "masterauth", "replpw"), "+OK\r\n");
    await replicates(m, r, "fixed");
  });

  it("Tandem master with a replication-only ACL user: a Tandem replica with masteruser", async () => {
    const [master, m] = await securedMaster("tandem");
    const [, r] = await run("tandem", [
      "--replicaof",
      "127.0.0.1",
      String(master.port),
      "--masteruser",
      "repl",
      "--masterauth",
      "replpw",
    ]);
    await replicates(m, r, "tandem-acl");
    assert.equal(await m.text("ACL", "LOG"), "*0\r\n");
    // The link stays up under writes (REPLCONF ACKs pass the user's rules).
    for (let i = 0; i < 50; i++) await m.call("INCR", "counter");
    await waitOffsetsEqual(m, [r]);
    assert.equal(await r.text("GET", "counter"), "$2\r\n50\r\n");
    assert.equal(await infoField(m, "replication", "connected_slaves"), "1");
  });

  it("Tandem master with requirepass: a redis-server replica with masterauth, and with masteruser", {
    skip: NO_REDIS,
  }, async () => {
    const [master, m] = await securedMaster("tandem");
    const [, r1] = await run("redis", [
      "--replicaof",
      "127.0.0.1",
      String(master.port),
      "--masterauth",
      "adminpw",
    ]);
    await replicates(m, r1, "to-redis");
    const [, r2] = await run("redis", [
      "--replicaof",
      "127.0.0.1",
      String(master.port),
      "--masteruser",
      "repl",
      "--masterauth",
      "replpw",
    ]);
    await replicates(m, r2, "to-redis-acl");
    assert.equal(await m.text("ACL", "LOG"), "*0\r\n");
  });
});
