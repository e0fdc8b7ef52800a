import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { waitBlockedClients } from "../helpers/info.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { startReplicaOf, waitLinkUp, waitOffsetsEqual } from "../helpers/replication-helpers.js";
import { streamState } from "../helpers/stream-replies.js";

/**
 * Streams over replication, in the three pairings: a Tandem replica of Tandem, a redis-server replica of
 * Tandem (side by side with the Tandem one), and a Tandem replica of redis-server (side by side with a
 * redis-server replica). Each master first holds streams with groups, pending
 * entries, consumers and deleted entries (the full sync's RDB), then runs every stream write, including
 * those propagated in another form (XREADGROUP and XAUTOCLAIM as XCLAIM ... LASTID, NOACK reads as XGROUP
 * SETID, approximate trims as exact ones, generated IDs as explicit ones). The replica must then hold
 * exactly the master's streams: entries, node layout, counters, groups, PELs with their delivery times and
 * counts (only consumers' seen-times, which each server stamps itself, are left out), and exactly what a
 * redis-server replica of the same master holds.
 */

const FAST = ["--repl-diskless-sync-delay", "0"];
const KEYS = ["st:a", "st:b", "st:empty", "st:big"];

async function writeBeforeSync(c: RawClient): Promise<void> {
  for (let i = 1; i <= 30; i++) await c.call("XADD", "st:a", `${i}-${i % 2}`, "f", `v${i}`, "n", i);
  await c.call("XDEL", "st:a", "3-1", "4-0");
  await c.call("XGROUP", "CREATE", "st:a", "g1", "0");
  await c.call("XGROUP", "CREATE", "st:a", "g2", "$");
  await c.call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", 5, "STREAMS", "st:a", ">");
  await c.call("XREADGROUP", "GROUP", "g1", "bob", "COUNT", 3, "STREAMS", "st:a", ">");
  await c.call("XCLAIM", "st:a", "g1", "carol", 0, "1-1", "TIME", 1234567, "RETRYCOUNT", 4);
  await c.call("XGROUP", "CREATECONSUMER", "st:a", "g2", "idle");
  await c.call("XGROUP", "CREATE", "st:empty", "g", "$", "MKSTREAM");
  await c.call("XADD", "st:b", "99999999999999-0", "x", 1);
  const args: string[] = [];
  for (let i = 0; i < 20; i++) args.push(`f${i}`, "y".repeat(i * 7));
  for (let i = 1; i <= 400; i++) await c.call("XADD", "st:big", `${i}-0`, ...args.slice(0, 2 + (i % 10) * 2));
}

async function writeAfterSync(c: RawClient): Promise<void> {
  await c.call("XADD", "st:b", "*", "x", 2);
  await c.call("XADD", "st:b", "MAXLEN", "~", 1, "99999999999999-*", "x", 3);
  await c.call("XADD", "st:big", "MAXLEN", "~", 250, "401-0", "f0", "z");
  await c.call("XTRIM", "st:big", "MINID", "~", 200);
  await c.call("XTRIM", "st:big", "MAXLEN", "=", 120);
  await c.call("XADD", "st:a", "31-0", "f", "v31");
  await c.call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", 4, "STREAMS", "st:a", ">");
  await c.call("XREADGROUP", "GROUP", "g2", "dave", "NOACK", "COUNT", 2, "STREAMS", "st:a", ">");
  await c.call("XACK", "st:a", "g1", "1-1", "2-0");
  await c.call("XCLAIM", "st:a", "g1", "erin", 0, "5-1", "6-0", "IDLE", 5000, "RETRYCOUNT", 9);
  await c.call("XCLAIM", "st:a", "g1", "erin", 0, "7-1", "JUSTID", "LASTID", "29-1");
  await c.call("XDEL", "st:a", "8-0");
  await c.call("XAUTOCLAIM", "st:a", "g1", "frank", 0, "0", "COUNT", 3);
  await c.call("XGROUP", "SETID", "st:a", "g2", "10-0", "ENTRIESREAD", 9);
  await c.call("XGROUP", "DELCONSUMER", "st:a", "g1", "bob");
  await c.call("XGROUP", "CREATE", "st:b", "gb", "0");
  await c.call("XREADGROUP", "GROUP", "gb", "c", "STREAMS", "st:b", ">");
  await c.call(
    "XSETID",
    "st:b",
    "99999999999999-50",
    "ENTRIESADDED",
    40,
    "MAXDELETEDID",
    "99999999999999-20",
  );
  await c.call("XGROUP", "CREATE", "st:empty", "g9", "0");
  await c.call("XGROUP", "DESTROY", "st:empty", "g");
  await c.call("MULTI");
  await c.call("XADD", "st:a", "32-0", "f", "v32");
  await c.call("XREADGROUP", "GROUP", "g1", "alice", "STREAMS", "st:a", ">");
  await c.call("EXEC");
}

/**
 * The same streams on two servers. `groupCounters: false` leaves out the groups' entries-read and lag: a
 * replica cannot know them after a plain XREADGROUP (it receives XCLAIM ... LASTID, which moves the last
 * delivered ID but not the read counter), so a Redis 7.0 replica reports null where its master counts.
 */
async function assertSameStreams(
  a: RawClient,
  b: RawClient,
  what: string,
  groupCounters = true,
): Promise<void> {
  const strip = (s: string) =>
    groupCounters
      ? s
      : s.replace(/"entries-read",(null|-?\d+n?),"lag",(null|-?\d+n?)/g, '"entries-read":"?","lag":"?"');
  for (const key of KEYS) {
    const [x, y] = [strip(await streamState(a, key)), strip(await streamState(b, key))];
    assert.equal(y, x, `stream ${key} differs: ${what}`);
  }
}

describe("streams over replication", () => {
  const servers: ServerProcess[] = [];
  const clients: RawClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
  });
  const track = async (s: Promise<ServerProcess>): Promise<ServerProcess> => {
    const p = await s;
    servers.push(p);
    return p;
  };
  const client = async (s: ServerProcess): Promise<RawClient> => {
    const c = await s.client();
    clients.push(c);
    return c;
  };

  it("a Tandem replica of Tandem holds the master's streams, as a redis-server replica does, and its readers wake", async () => {
    const master = await track(startTandem({ args: FAST }));
    const m = await client(master);
    await writeBeforeSync(m);
    const replica = await track(startReplicaOf(master));
    const r = await client(replica);
    await waitLinkUp(r);
    // A redis-server replica of the same master, when available, is the reference for what a replica holds.
    const redisReplica = NO_REDIS
      ? null
      : await track(startRedis({ args: ["--replicaof", "127.0.0.1", String(master.port)] }));
    const rr = redisReplica === null ? null : await client(redisReplica);
    if (rr !== null) await waitLinkUp(rr);
    await waitOffsetsEqual(m, rr === null ? [r] : [r, rr]);
    await assertSameStreams(m, r, "master and Tandem replica after the full sync");
    if (rr !== null) await assertSameStreams(rr, r, "redis-server and Tandem replicas after the full sync");

    // A reader blocked on the replica is served by the XADD that replication applies there.
    const reader = await client(replica);
    const pending = reader.raw("XREAD", "BLOCK", 0, "STREAMS", "st:a", "st:b", "$", "$");
    await waitBlockedClients(r, 1);
    await writeAfterSync(m);
    assert.equal(
      (await pending).toString("latin1"),
      "*1\r\n*2\r\n$4\r\nst:b\r\n*1\r\n*2\r\n$16\r\n99999999999999-1\r\n*2\r\n$1\r\nx\r\n$1\r\n2\r\n",
    );
    await waitOffsetsEqual(m, rr === null ? [r] : [r, rr]);
    await assertSameStreams(m, r, "master and Tandem replica after the writes", false);
    if (rr !== null) await assertSameStreams(rr, r, "redis-server and Tandem replicas after the writes");
  });

  it("a Tandem replica of redis-server holds what a redis-server replica holds", {
    skip: NO_REDIS,
  }, async () => {
    const master = await track(startRedis({ args: FAST }));
    const m = await client(master);
    await writeBeforeSync(m);
    const replica = await track(startReplicaOf(master));
    const reference = await track(startRedis({ args: ["--replicaof", "127.0.0.1", String(master.port)] }));
    const [r, rr] = [await client(replica), await client(reference)];
    await waitLinkUp(r);
    await waitLinkUp(rr);
    await waitOffsetsEqual(m, [r, rr]);
    await assertSameStreams(m, r, "redis-server master and Tandem replica after the full sync");
    await writeAfterSync(m);
    await waitOffsetsEqual(m, [r, rr]);
    await assertSameStreams(rr, r, "redis-server and Tandem replicas after the writes");
    await assertSameStreams(m, r, "redis-server master and Tandem replica after the writes", false);
  });
});
