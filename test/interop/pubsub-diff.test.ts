import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { same } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/** Pub/sub and keyspace notifications against Debian's redis-server, replies byte for byte. */
describe("pub/sub: tandem vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let tSub: RawClient;
  let rSub: RawClient;
  let tPub: RawClient;
  let rPub: RawClient;

  before(async () => {
    [tandem, redis] = await Promise.all([startTandem(), startRedis()]);
    [tSub, rSub, tPub, rPub] = await Promise.all([
      tandem.client(),
      redis.client(),
      tandem.client(),
      redis.client(),
    ]);
  });

  after(async () => {
    for (const c of [tSub, rSub, tPub, rPub]) c?.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

  /** Sends to both subscribers and compares the next `n` frames. */
  async function subSame(args: string[], n: number): Promise<void> {
    const cmd = `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;
    const [a, b] = await Promise.all([tSub.sendRaw(cmd, n), rSub.sendRaw(cmd, n)]);
    assert.deepEqual(
      a.map((f) => f.toString("latin1")),
      b.map((f) => f.toString("latin1")),
    );
  }

  it("subscribes, receives messages and pattern messages, counts receivers", async () => {
    await subSame(["SUBSCRIBE", "news", "sport"], 2);
    await subSame(["PSUBSCRIBE", "n*"], 1);
    const [tm, rm] = await Promise.all([
      tSub.read(2),
      rSub.read(2),
      same(tPub, rPub, ["PUBLISH", "news", "hello"]),
    ]);
    assert.deepEqual(
      tm.map((f) => f.toString("latin1")),
      rm.map((f) => f.toString("latin1")),
    );
    await same(tPub, rPub, ["PUBLISH", "nobody", "x"]);
    await same(tPub, rPub, ["PUBSUB", "NUMSUB", "news", "none"]);
    await same(tPub, rPub, ["PUBSUB", "NUMPAT"]);
    await same(tPub, rPub, ["PUBSUB", "CHANNELS"], { sorted: true });
    await same(tPub, rPub, ["PUBSUB", "CHANNELS", "s*"], { sorted: true });
  });

  it("restricts commands while subscribed in RESP2, and PING answers as a message", async () => {
    await subSame(["GET", "x"], 1);
    await subSame(["PING"], 1);
    await subSame(["PING", "hi"], 1);
  });

  it("unsubscribes one by one, then all, with Redis's counts", async () => {
    await subSame(["UNSUBSCRIBE", "sport"], 1);
    await subSame(["PUNSUBSCRIBE"], 1);
    await subSame(["UNSUBSCRIBE"], 1);
    await subSame(["UNSUBSCRIBE"], 1);
    await subSame(["PUNSUBSCRIBE"], 1);
    await subSame(["GET", "x"], 1);
  });

  it("publishes keyspace notifications when notify-keyspace-events is set", async () => {
    await same(tPub, rPub, ["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    await subSame(["PSUBSCRIBE", "__key*__:*"], 1);
    await same(tPub, rPub, ["SET", "nk", "1"]);
    await subSame([], 0);
    const [a, b] = await Promise.all([tSub.read(2), rSub.read(2)]);
    assert.deepEqual(
      a.map((f) => f.toString("latin1")),
      b.map((f) => f.toString("latin1")),
    );
    await same(tPub, rPub, ["DEL", "nk"]);
    const [c, d] = await Promise.all([tSub.read(2), rSub.read(2)]);
    assert.deepEqual(
      c.map((f) => f.toString("latin1")),
      d.map((f) => f.toString("latin1")),
    );
    await subSame(["PUNSUBSCRIBE"], 1);
    await same(tPub, rPub, ["CONFIG", "SET", "notify-keyspace-events", ""]);
  });

  it("PUBSUB NUMSUB and SHARDNUMSUB answer flat arrays in RESP3 too", async () => {
    const clients = await Promise.all([tandem.client(), redis.client(), tandem.client(), redis.client()]);
    const [tSubs, rSubs, t3, r3] = clients;
    try {
      await Promise.all([tSubs.raw("SUBSCRIBE", "counted"), rSubs.raw("SUBSCRIBE", "counted")]);
      await Promise.all([tSubs.raw("SSUBSCRIBE", "sharded"), rSubs.raw("SSUBSCRIBE", "sharded")]);
      await Promise.all([t3.raw("HELLO", "3"), r3.raw("HELLO", "3")]);
      await same(t3, r3, ["PUBSUB", "NUMSUB", "counted", "nobody"]);
      await same(t3, r3, ["PUBSUB", "NUMSUB"]);
      await same(t3, r3, ["PUBSUB", "SHARDNUMSUB", "sharded", "nobody"]);
      await same(t3, r3, ["PUBSUB", "SHARDNUMSUB"]);
      assert.equal(
        (await t3.raw("PUBSUB", "NUMSUB", "counted", "nobody")).toString("latin1"),
        "*4\r\n$7\r\ncounted\r\n:1\r\n$6\r\nnobody\r\n:0\r\n",
      );
    } finally {
      for (const c of clients) c.close();
    }
  });

  it("speaks RESP3 pushes after HELLO 3", async () => {
    // Fresh connections: HELLO's map differs by design (client id), so only the pushes are compared.
    const [t3, r3] = await Promise.all([tandem.client(), redis.client()]);
    try {
      await Promise.all([t3.raw("HELLO", "3"), r3.raw("HELLO", "3")]);
      const [ts, rs] = await Promise.all([t3.raw("SUBSCRIBE", "r3"), r3.raw("SUBSCRIBE", "r3")]);
      assert.equal(ts.toString("latin1"), rs.toString("latin1"));
      assert.equal(ts.toString("latin1"), ">3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n");
      const [tm, rm] = await Promise.all([t3.read(1), r3.read(1), same(tPub, rPub, ["PUBLISH", "r3", "m"])]);
      assert.equal(tm[0].toString("latin1"), rm[0].toString("latin1"));
      // In RESP3 a subscribed client may run any command.
      const [tg, rg] = await Promise.all([t3.raw("GET", "nothing"), r3.raw("GET", "nothing")]);
      assert.equal(tg.toString("latin1"), rg.toString("latin1"));
    } finally {
      t3.close();
      r3.close();
    }
  });
});
