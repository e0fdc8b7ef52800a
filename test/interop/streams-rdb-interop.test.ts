import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { RdbEncoder } from "../../src/persistence/rdb-encoder.js";
import {
  RDB_OPCODE_EOF,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
} from "../../src/persistence/rdb-format.js";
import { loadRdbSync } from "../../src/persistence/rdb-loader.js";
import { RespErrorReply } from "../../src/resp/resp-value.js";
import { Keyspace } from "../../src/store/keyspace.js";
import { RedisStream, type StreamCG, StreamConsumer } from "../../src/store/redis-stream.js";
import { encodeId } from "../../src/store/stream-id.js";
import {
  NO_REDIS,
  REDIS_CHECK_RDB,
  type ServerProcess,
  startRedis,
  startTandem,
} from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { streamState } from "../helpers/stream-replies.js";

/**
 * Streams in RDB files, both ways with Debian's redis-server 7.0: Tandem's dump (type 19, the type Redis
 * 7.0 writes; 21 is Redis 7.2's and 7.0 refuses it) passes redis-check-rdb and loads into redis-server
 * with deep sanitization, holding exactly the same streams; a dump redis-server wrote (compressed or not)
 * loads into Tandem likewise; and the older type 15 (Redis 5/6) and 7.2's type 21 load too.
 */

const text = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString("latin1") : String(v));

/** Streams with every feature the format carries. */
async function writeStreams(c: RawClient): Promise<string[]> {
  const cmds: (string | number)[][] = [
    ["CONFIG", "SET", "stream-node-max-entries", "7"],
    ["XGROUP", "CREATE", "x:empty", "g", "$", "MKSTREAM"],
    ["XADD", "x:plain", "1-1", "f", "v"],
    ["XADD", "x:huge", "18446744073709551614-18446744073709551615", "a", "1"],
    ["XADD", "x:huge", "18446744073709551615-*", "a", "2"],
    ["XGROUP", "CREATE", "x:huge", "g", "0", "ENTRIESREAD", "9223372036854775807"],
    ["XREADGROUP", "GROUP", "g", "c", "COUNT", 1, "STREAMS", "x:huge", ">"],
    [
      "XCLAIM",
      "x:huge",
      "g",
      "c",
      0,
      "18446744073709551614-18446744073709551615",
      "RETRYCOUNT",
      "9223372036854775807",
      "TIME",
      1000,
    ],
  ];
  for (let i = 1; i <= 300; i++) {
    const fields =
      i % 5 === 0 ? ["other", i, "x", "y".repeat(i % 90)] : ["f", i % 3 === 0 ? `s${i}` : i * 1000, "g", -i];
    cmds.push(["XADD", "x:big", `${1000 + i * 3}-${i % 4}`, ...fields]);
  }
  cmds.push(
    ["XDEL", "x:big", "1003-1", "1150-2", "1153-3", "1156-0"],
    ["XADD", "x:big", "MAXLEN", "~", "250", "5000-0", "f", "last"],
    ["XGROUP", "CREATE", "x:big", "readers", "0"],
    ["XGROUP", "CREATE", "x:big", "late", "$"],
    ["XGROUP", "CREATE", "x:big", "1", "0"],
    ["XREADGROUP", "GROUP", "readers", "alice", "COUNT", 20, "STREAMS", "x:big", ">"],
    ["XREADGROUP", "GROUP", "readers", "bob", "COUNT", 10, "STREAMS", "x:big", ">"],
    ["XREADGROUP", "GROUP", "1", "12", "COUNT", 3, "STREAMS", "x:big", ">"],
    ["XCLAIM", "x:big", "readers", "carol", 0, "1195-0", "1198-1", "TIME", 123456789, "RETRYCOUNT", 3],
    ["XGROUP", "CREATECONSUMER", "x:big", "late", "idle-one"],
    ["XACK", "x:big", "readers", "1201-3"],
    ["XSETID", "x:big", "9000-0", "ENTRIESADDED", 500, "MAXDELETEDID", "1156-0"],
    ["XADD", "x:ttl", "1-0", "f", "v"],
    ["PEXPIRE", "x:ttl", 900000000],
    ["CONFIG", "SET", "stream-node-max-entries", "100"],
  );
  for (const cmd of cmds) {
    const reply = await c.call(...cmd);
    assert.ok(!(reply instanceof RespErrorReply), `${cmd.join(" ")}: ${String(reply)}`);
  }
  return ["x:empty", "x:plain", "x:huge", "x:big", "x:ttl"];
}

async function assertSameStreams(a: RawClient, b: RawClient, keys: string[]): Promise<void> {
  for (const key of keys) {
    assert.equal(await streamState(b, key), await streamState(a, key), `stream ${key}`);
    assert.equal(text(await b.call("TYPE", key)), "stream");
    assert.equal(Number(await b.call("PTTL", key)) > 0, Number(await a.call("PTTL", key)) > 0, `${key} TTL`);
  }
}

describe("stream RDB interop with Redis 7.0", { skip: NO_REDIS }, () => {
  const servers: ServerProcess[] = [];
  const clients: RawClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
  });
  const serve = async (s: Promise<ServerProcess>): Promise<[ServerProcess, RawClient]> => {
    const p = await s;
    servers.push(p);
    const c = await p.client();
    clients.push(c);
    return [p, c];
  };

  for (const compression of ["yes", "no"]) {
    it(`redis-server loads Tandem's dump (rdbcompression ${compression}) with the same streams`, async () => {
      const [tandem, t] = await serve(startTandem({ args: ["--rdbcompression", compression] }));
      const keys = await writeStreams(t);
      assert.equal(text(await t.call("SAVE")), "OK");
      const dir = mkdtempSync(join(tmpdir(), "tandem-stream-rdb-"));
      copyFileSync(join(tandem.dir, "dump.rdb"), join(dir, "dump.rdb"));
      const check = spawnSync(REDIS_CHECK_RDB ?? "redis-check-rdb", [join(dir, "dump.rdb")], {
        encoding: "utf8",
      });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /RDB looks OK/);
      const [, r] = await serve(startRedis({ dir, args: ["--sanitize-dump-payload", "yes"] }));
      assert.equal(await r.call("DBSIZE"), keys.length);
      await assertSameStreams(t, r, keys);
    });

    it(`Tandem loads redis-server's dump (rdbcompression ${compression}) with the same streams`, async () => {
      const [redis, r] = await serve(startRedis({ args: ["--rdbcompression", compression] }));
      const keys = await writeStreams(r);
      assert.equal(text(await r.call("SAVE")), "OK");
      const dir = mkdtempSync(join(tmpdir(), "redis-stream-rdb-"));
      copyFileSync(join(redis.dir, "dump.rdb"), join(dir, "dump.rdb"));
      const [, t] = await serve(startTandem({ dir }));
      assert.equal(await t.call("DBSIZE"), keys.length);
      await assertSameStreams(r, t, keys);
      // Appending after the load continues Redis's node layout (radix-tree-keys stay in step).
      for (const c of [r, t]) await c.call("XADD", "x:big", "9001-0", "f", "after");
      await assertSameStreams(r, t, ["x:big"]);
    });
  }
});

// ─── older and newer stream types (no server needed) ──────────────────────────────────────────────────────

/** Writes `s` in the layout of type 15 (Redis 5/6), 19 or 21 (Redis 7.2), as those versions do. */
function encodeStreamAs(type: number, key: string, s: RedisStream): Buffer {
  const e = new RdbEncoder(false);
  e.rawLatin1(type === RDB_TYPE_STREAM_LISTPACKS_3 ? "REDIS0011" : "REDIS0009");
  e.byte(type);
  e.string(key);
  e.len(s.nodes.length);
  const id16 = Buffer.alloc(16);
  for (const n of s.nodes) {
    encodeId(n, id16, 0);
    e.blob(id16);
    e.blob(n.lp.bytes());
  }
  e.len(s.length);
  e.lenU64(s.lastId.ms);
  e.lenU64(s.lastId.seq);
  if (type !== RDB_TYPE_STREAM_LISTPACKS) {
    e.lenU64(s.firstId.ms);
    e.lenU64(s.firstId.seq);
    e.lenU64(s.maxDeletedId.ms);
    e.lenU64(s.maxDeletedId.seq);
    e.lenU64(s.entriesAdded);
  }
  const names = s.sortedGroupNames();
  e.len(names.length);
  for (const name of names) {
    const cg = s.lookupCG(name) as StreamCG;
    e.string(name);
    e.lenU64(cg.lastId.ms);
    e.lenU64(cg.lastId.seq);
    if (type !== RDB_TYPE_STREAM_LISTPACKS) e.lenU64(BigInt.asUintN(64, BigInt(cg.entriesRead)));
    e.len(cg.pel.size);
    cg.pel.forEach((id, nack) => {
      encodeId(id, id16, 0);
      e.raw(id16);
      e.millis(nack.deliveryTime);
      e.lenU64(BigInt(nack.deliveryCount));
    });
    const consumers = cg.sortedConsumers();
    e.len(consumers.length);
    for (const consumer of consumers) {
      e.string(consumer.name);
      e.millis(consumer.seenTime);
      if (type === RDB_TYPE_STREAM_LISTPACKS_3) e.millis(consumer.seenTime + 5); // 7.2's active-time
      e.len(consumer.pel.size);
      consumer.pel.forEach((id) => {
        encodeId(id, id16, 0);
        e.raw(id16);
      });
    }
  }
  e.byte(RDB_OPCODE_EOF);
  e.raw(Buffer.alloc(8)); // no checksum
  return Buffer.concat(e.take());
}

/** A stream with a deleted entry, two groups, and a consumer owning three pending entries. */
function sampleStream(): RedisStream {
  const s = new RedisStream();
  const argv = ["f", "v", "g", "w"];
  for (let i = 1; i <= 25; i++) s.append(argv, 0, 2, { ms: i, seq: 0 }, true, 4096, 10, 0);
  s.deleteItem({ ms: 1, seq: 0 });
  s.firstId = s.edgeId(true, true);
  const cg = s.createCG("grp", { ms: 5, seq: 0 }, 5) as StreamCG;
  s.createCG("other", { ms: 0, seq: 0 }, 0);
  const now = 1_700_000_000_000;
  const alice = new StreamConsumer("alice", now);
  cg.consumers.set("alice", alice);
  for (const ms of [2, 3, 5]) {
    const nack = { deliveryTime: now - ms, deliveryCount: ms, consumer: alice };
    cg.pel.insert({ ms, seq: 0 }, nack);
    alice.pel.insert({ ms, seq: 0 }, nack);
  }
  return s;
}

describe("stream RDB types 15 and 21", () => {
  it("loads Redis 7.2's type 21 (consumer active-time dropped) like type 19", () => {
    const s = sampleStream();
    for (const type of [RDB_TYPE_STREAM_LISTPACKS_2, RDB_TYPE_STREAM_LISTPACKS_3]) {
      const ks = new Keyspace(1);
      loadRdbSync(encodeStreamAs(type, "k", s), ks);
      const got = ks.dbs[0].dict.get("k") as RedisStream;
      assert.ok(got instanceof RedisStream, `type ${type}`);
      assert.equal(got.length, 24);
      assert.deepEqual(got.lastId, { ms: 25, seq: 0 });
      assert.deepEqual(got.firstId, { ms: 2, seq: 0 });
      assert.equal(got.entriesAdded, 25);
      const cg = got.lookupCG("grp") as StreamCG;
      assert.equal(cg.entriesRead, 5);
      assert.equal(cg.pel.size, 3);
      const alice = cg.consumers.get("alice");
      assert.equal(alice?.seenTime, 1_700_000_000_000);
      assert.equal(alice?.pel.size, 3);
      assert.equal(cg.pel.get({ ms: 3, seq: 0 })?.consumer, alice);
      assert.equal(cg.pel.get({ ms: 5, seq: 0 })?.deliveryCount, 5);
    }
  });

  it("loads Redis 5/6's type 15, deriving the 7.0 counters as Redis 7.0 does", () => {
    const s = sampleStream();
    const ks = new Keyspace(1);
    loadRdbSync(encodeStreamAs(RDB_TYPE_STREAM_LISTPACKS, "k", s), ks);
    const got = ks.dbs[0].dict.get("k") as RedisStream;
    assert.equal(got.length, 24);
    // No counters in the file: entries-added is the length, the first ID is found, no tombstone is known.
    assert.equal(got.entriesAdded, 24);
    assert.deepEqual(got.firstId, { ms: 2, seq: 0 });
    assert.deepEqual(got.maxDeletedId, { ms: 0, seq: 0 });
    // entries-read estimated from the last delivered ID: 5-0 is inside the stream, so unknown (-1);
    // 0-0 is before the first entry: entries_added - length = 0.
    assert.equal((got.lookupCG("grp") as StreamCG).entriesRead, -1);
    assert.equal((got.lookupCG("other") as StreamCG).entriesRead, 0);
    assert.equal((got.lookupCG("grp") as StreamCG).pel.size, 3);
  });

  it("refuses a stream whose PEL names an entry no consumer owns, or a malformed node", () => {
    const s = sampleStream();
    const cg = s.lookupCG("grp") as StreamCG;
    cg.pel.insert({ ms: 9, seq: 0 }, { deliveryTime: 1, deliveryCount: 1, consumer: null });
    assert.throws(
      () => loadRdbSync(encodeStreamAs(RDB_TYPE_STREAM_LISTPACKS_2, "k", s), new Keyspace(1)),
      /without consumer/,
    );
    const bad = sampleStream();
    bad.nodes[0].lp.buf[bad.nodes[0].lp.size - 1] = 0; // no terminator
    assert.throws(
      () => loadRdbSync(encodeStreamAs(RDB_TYPE_STREAM_LISTPACKS_2, "k", bad), new Keyspace(1)),
      /integrity/,
    );
  });
});
