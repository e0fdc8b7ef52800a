import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { same } from "../helpers/differential.js";
import { waitBlockedClients as waitBlocked } from "../helpers/info.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { infoField } from "../helpers/replication-helpers.js";
import { ReplicationStream } from "../helpers/replication-stream.js";

/**
 * BZPOPMIN, BZPOPMAX and BZMPOP against Debian's redis-server 7.0: the non-blocking paths and every
 * argument error byte for byte (RESP2 and RESP3), then blocking scenarios run on both servers — who is
 * served, in which order, with which reply, which writes wake a waiter (Redis 7.0 wakes only on a key being
 * added, not overwritten) — and the replication stream each server produced for them.
 */

type Cmd = (string | number)[];

const CASES: Cmd[] = [
  ["ZADD", "z", 1, "a", 2, "b", 3, "c", "-inf", "lo", "+inf", "hi", 4, "d", 5, "e", 6, "f"],
  ["BZPOPMIN", "z", 0],
  ["BZPOPMAX", "z", 0],
  ["BZPOPMIN", "nokey", "z", 0],
  ["BZPOPMAX", "nokey", "z", "0.5"],
  ["BZMPOP", 0, 2, "nokey", "z", "MIN"],
  ["BZMPOP", 0, 1, "z", "max", "count", 10],
  ["EXISTS", "z"],
  ["ZADD", "z2", 1.5, "x", "1e-5", "y", 17, "w"],
  ["BZMPOP", "0.01", 1, "z2", "MIN", "COUNT", 2],
  ["ZRANGE", "z2", 0, -1, "WITHSCORES"],
  // Errors, in the order Redis checks the arguments.
  ["SET", "str", "v"],
  ["BZPOPMIN", "str", 0],
  ["BZPOPMIN", "nokey", "str", "z2", 0],
  ["BZPOPMIN", "z2", "str", 0],
  ["BZMPOP", 0, 2, "nokey", "str", "MIN"],
  ["ZADD", "z2", 1, "p", 2, "q", 3, "r", 4, "s"],
  // -0.0001 s truncates to 0 ms, which means "forever": valid, and z2 has members.
  ["BZPOPMIN", "z2", "x"],
  ["BZPOPMIN", "z2", -1],
  ["BZPOPMIN", "z2", "-0.0001"],
  ["BZPOPMIN", "z2", "inf"],
  ["BZPOPMIN", "z2", "nan"],
  ["BZPOPMIN", "z2", "1e400"],
  ["BZPOPMIN", "z2", "9223372036854775807"],
  ["BZPOPMIN", "str", "x"],
  ["BZPOPMAX", "z2"],
  ["BZPOPMAX"],
  ["BZMPOP", 0, 1, "z2"],
  ["BZMPOP", 0, 0, "z2", "MIN"],
  ["BZMPOP", 0, -1, "z2", "MIN"],
  ["BZMPOP", 0, "x", "z2", "MIN"],
  ["BZMPOP", 0, 3, "z2", "MIN"],
  ["BZMPOP", 0, 1, "z2", "LEFT"],
  ["BZMPOP", 0, 1, "z2", "MIN", "COUNT"],
  ["BZMPOP", 0, 1, "z2", "MIN", "COUNT", 0],
  ["BZMPOP", 0, 1, "z2", "MIN", "COUNT", -2],
  ["BZMPOP", 0, 1, "z2", "MIN", "COUNT", "x"],
  ["BZMPOP", 0, 1, "z2", "MIN", "COUNT", 1, "COUNT", 1],
  ["BZMPOP", 0, 1, "z2", "MIN", "FOO"],
  // Redis parses numkeys..COUNT before the timeout (BZPOP* check the timeout first).
  ["BZMPOP", "x", 0, "z2", "MIN"],
  ["BZMPOP", "x", 1, "z2", "MIN", "COUNT", 0],
  ["BZMPOP", "x", 1, "z2", "MIN"],
  ["BZMPOP", -1, 1, "z2", "MIN"],
  ["BZMPOP", -1, 1, "str", "MIN"],
  // Empty keys time out with a null array.
  ["BZPOPMIN", "nokey", "0.01"],
  ["BZPOPMAX", "nokey", "other", "0.01"],
  ["BZMPOP", "0.01", 2, "nokey", "other", "MAX", "COUNT", 3],
  // Inside MULTI nothing blocks: an empty key answers a null array at once, timeout 0 included.
  ["MULTI"],
  ["BZPOPMIN", "nokey", 0],
  ["BZPOPMAX", "nokey", 0],
  ["BZMPOP", 0, 1, "nokey", "MIN"],
  ["ZADD", "nokey", 4, "m"],
  ["BZPOPMAX", "nokey", 0],
  ["BZPOPMIN", "str", 0],
  ["EXEC"],
  ["MULTI"],
  ["BZPOPMIN", "z2", "x"],
  ["EXEC"],
];

describe("blocking sorted-set pops vs redis-server", { skip: NO_REDIS }, () => {
  const servers: ServerProcess[] = [];
  const clients: RawClient[] = [];
  const streams: ReplicationStream[] = [];
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  async function client(server: ServerProcess): Promise<RawClient> {
    const c = await server.client();
    clients.push(c);
    return c;
  }

  before(async () => {
    [tandem, redis] = await Promise.all([startTandem(), startRedis()]);
    servers.push(tandem, redis);
    [t, r] = await Promise.all([client(tandem), client(redis)]);
  });

  after(async () => {
    for (const c of clients) c.close();
    for (const s of streams) s.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("answers every non-blocking path and argument error like Redis 7.0", async () => {
    await same(t, r, ["FLUSHALL"]);
    for (const args of CASES) await same(t, r, args);
  });

  it("answers in RESP3 like Redis 7.0 (double scores, nested pairs, the RESP3 null)", async () => {
    await same(t, r, ["FLUSHALL"]);
    await Promise.all([t.raw("HELLO", 3), r.raw("HELLO", 3)]);
    try {
      for (const args of [
        ["ZADD", "z", 1, "a", 2.5, "b", "inf", "c", 4, "d"],
        ["BZPOPMIN", "z", 0],
        ["BZPOPMAX", "nokey", "z", 0],
        ["BZMPOP", 0, 1, "z", "MIN", "COUNT", 5],
        ["BZPOPMIN", "z", "0.01"],
        ["BZMPOP", "0.01", 1, "z", "MAX"],
        ["MULTI"],
        ["BZPOPMIN", "z", 0],
        ["BZMPOP", 0, 1, "z", "MIN"],
        ["EXEC"],
      ])
        await same(t, r, args);
    } finally {
      await Promise.all([t.raw("HELLO", 2), r.raw("HELLO", 2)]);
    }
  });

  /**
   * Runs the blocking scenarios on one server and returns everything observable: each reply in order,
   * the data left, and the commands the server propagated to its replicas.
   */
  async function scenarios(server: ServerProcess): Promise<string[]> {
    const out: string[] = [];
    const admin = await client(server);
    const note = async (...args: Cmd) => out.push(`${args.join(" ")} -> ${await admin.text(...args)}`);
    await admin.call("FLUSHALL");
    const stream = await ReplicationStream.open(server.port);
    streams.push(stream);
    await stream.ready();
    const w = [await client(server), await client(server), await client(server), await client(server)];

    // FIFO among clients waiting on the same key, each served with its own command's shape.
    const p0 = w[0].raw("BZPOPMIN", "q", 0);
    await waitBlocked(admin, 1);
    const p1 = w[1].raw("BZMPOP", 0, 2, "other", "q", "MAX", "COUNT", 2);
    await waitBlocked(admin, 2);
    const p2 = w[2].raw("BZPOPMAX", "q", "other", 0);
    await waitBlocked(admin, 3);
    const p3 = w[3].raw("BZMPOP", 0, 1, "q", "MIN", "COUNT", 10);
    await waitBlocked(admin, 4);
    await note("ZADD", "q", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e", 6, "f");
    for (const p of [p0, p1, p2, p3]) out.push((await p).toString("latin1"));
    await note("EXISTS", "q");

    // Several keys: the first one to get members serves the waiter.
    const p4 = w[0].raw("BZPOPMAX", "k1", "k2", "k3", 0);
    await waitBlocked(admin, 1);
    await note("ZADD", "k3", 7, "x", 8, "y");
    out.push((await p4).toString("latin1"));

    // A ZADD inside MULTI wakes the waiter only after EXEC; a transaction that leaves nothing wakes nobody.
    const p5 = w[1].raw("BZMPOP", 0, 1, "mk", "MIN", "COUNT", 2);
    await waitBlocked(admin, 1);
    out.push(
      ...(await admin.pipeline([["MULTI"], ["ZADD", "mk", 1, "gone"], ["ZPOPMIN", "mk"], ["EXEC"]])).map(
        String,
      ),
    );
    out.push(`blocked after empty EXEC: ${await infoField(admin, "clients", "blocked_clients")}`);
    out.push(
      ...(
        await admin.pipeline([["MULTI"], ["ZADD", "mk", 1, "m1"], ["ZADD", "mk", 2, "m2", 3, "m3"], ["EXEC"]])
      ).map(String),
    );
    out.push((await p5).toString("latin1"));
    await note("ZRANGE", "mk", 0, -1, "WITHSCORES");

    // ZINCRBY creating the key wakes a waiter (the overwrite cases are in their own test below).
    const p6 = w[2].raw("BZPOPMIN", "inc", 0);
    await waitBlocked(admin, 1);
    await note("ZADD", "src", 1, "s1", 2, "s2");
    await note("ZINCRBY", "inc", 5, "m");
    out.push((await p6).toString("latin1"));

    // The STORE commands wake waiters on a destination they create.
    const stores: Cmd[] = [
      ["ZUNIONSTORE", "d1", 1, "src"],
      ["ZINTERSTORE", "d2", 2, "src", "src", "WEIGHTS", 1, 2],
      ["ZDIFFSTORE", "d3", 1, "src"],
      ["ZRANGESTORE", "d4", "src", 0, 0],
    ];
    for (const [i, cmd] of stores.entries()) {
      const p = w[i].raw(i % 2 ? "BZPOPMAX" : "BZPOPMIN", cmd[1], 0);
      await waitBlocked(admin, 1);
      await note(...cmd);
      out.push((await p).toString("latin1"));
    }

    // Timeouts reply a null array and leave nothing blocked.
    out.push((await w[0].raw("BZMPOP", "0.05", 1, "never", "MIN")).toString("latin1"));
    out.push((await w[0].raw("BZPOPMAX", "never", "0.02")).toString("latin1"));
    await waitBlocked(admin, 0);

    await admin.call("SET", "end-of-scenarios", "1");
    await stream.until("SET", "end-of-scenarios", "1");
    for (const c of stream.commands) out.push(`propagated: ${c.join(" ")}`);
    return out;
  }

  /**
   * Redis 7.0 signals a key only when dbAdd adds it: a ZUNIONSTORE overwriting a string a waiter saw as
   * absent, and a ZADD into the sorted set that then exists, wake nobody; DEL and a new ZADD do.
   */
  async function overwriteScenario(server: ServerProcess): Promise<string[]> {
    const out: string[] = [];
    const admin = await client(server);
    const waiter = await client(server);
    const note = async (...args: Cmd) => out.push(`${args.join(" ")} -> ${await admin.text(...args)}`);
    await admin.call("DEL", "ow", "src");
    const p = waiter.raw("BZPOPMIN", "ow", 0);
    await waitBlocked(admin, 1);
    await note("SET", "ow", "string");
    await note("ZADD", "src", 1, "s1", 2, "s2");
    await note("ZUNIONSTORE", "ow", 1, "src");
    out.push(
      `blocked after ZUNIONSTORE over a string: ${await infoField(admin, "clients", "blocked_clients")}`,
    );
    await note("ZADD", "ow", 0, "s0");
    out.push(
      `blocked after ZADD to the existing zset: ${await infoField(admin, "clients", "blocked_clients")}`,
    );
    await note("DEL", "ow");
    await note("ZADD", "ow", 7, "new");
    out.push((await p).toString("latin1"));
    return out;
  }

  it("wakes nobody when a sorted set overwrites another type, as Redis 7.0", {
    todo: "the server signals every modified key (signalModifiedKey in server.ts), so an overwrite wakes waiters",
  }, async () => {
    assert.deepEqual(await overwriteScenario(tandem), await overwriteScenario(redis));
  });

  it("serves, orders, wakes and propagates blocked clients exactly as Redis 7.0", async () => {
    const [mine, theirs] = [await scenarios(tandem), await scenarios(redis)];
    assert.deepEqual(mine, theirs);
  });
});
