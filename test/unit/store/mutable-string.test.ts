import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { ServerConfig } from "../../../src/config/server-config.js";
import { loadRdb } from "../../../src/persistence/rdb-loader.js";
import { saveRdbSync, snapshotRdb } from "../../../src/persistence/rdb-snapshot.js";
import { Client } from "../../../src/server/client.js";
import { datasetDigest } from "../../../src/server/commands/debug.js";
import type { PropagatedOp } from "../../../src/server/propagator.js";
import { Server } from "../../../src/server/server.js";
import { Keyspace } from "../../../src/store/keyspace.js";
import { MUTABLE_STRING_MIN, MutableString } from "../../../src/store/mutable-string.js";
import { typeName } from "../../../src/store/redis-value.js";
import { dumpKeyspace } from "../../helpers/keyspace-fixtures.js";

/**
 * The in-place byte form of string values (MutableString): which commands leave it in the keyspace,
 * that every other reader still sees a plain string, that snapshots taken while it is edited in place
 * keep their point-in-time view, and what the byte-level commands propagate.
 */

function setup() {
  const server = new Server(new ServerConfig(), pino({ level: "silent" }));
  const ops: PropagatedOp[] = [];
  server.propagator.sinks.push({ feed: (unit) => ops.push(...unit) });
  const c = new Client(server, null);
  const run = (...argv: (string | number)[]): string => {
    server.processCommand(c, argv.map(String));
    return Buffer.concat(c.reply.takeChunks()).toString("latin1");
  };
  const propagated = (...argv: (string | number)[]): string[] => {
    ops.length = 0;
    run(...argv);
    return ops.map((o) => o.argv.join(" "));
  };
  const stored = (key: string) => server.keyspace.dbs[0].dict.get(key);
  return { server, c, run, propagated, stored };
}

describe("MutableString", () => {
  it("grows with zero padding, writes, appends and converts back to the same bytes", () => {
    const m = MutableString.from("ab\xff");
    assert.equal(m.length, 3);
    m.growZero(6);
    assert.equal(m.toString(), "ab\xff\0\0\0");
    m.write(8, "xy");
    assert.equal(m.toString(), "ab\xff\0\0\0\0\0xy");
    m.append("\x80z");
    assert.equal(m.toString(), "ab\xff\0\0\0\0\0xy\x80z");
    assert.ok(m.buf.length >= m.length);
    // Spare room left dirty by a shrink is zeroed again when the value grows over it.
    m.length = 2;
    m.growZero(4);
    assert.equal(m.toString(), "ab\0\0");
    m.load("hello", 8);
    assert.equal(m.toString(), "hello\0\0\0");
  });
});

describe("the keyspace's byte form of strings", () => {
  it("large values stay bytes under SETBIT/SETRANGE/APPEND/BITFIELD; small ones stay strings", () => {
    const { run, stored } = setup();
    run("SETBIT", "small", 100, 1);
    assert.equal(typeof stored("small"), "string");
    run("SETBIT", "big", MUTABLE_STRING_MIN * 8 + 7, 1);
    const bytes = stored("big");
    assert.ok(bytes instanceof MutableString);
    run("SETBIT", "big", 3, 1);
    run("SETRANGE", "big", 10, "hello");
    run("APPEND", "big", "tail");
    run("BITFIELD", "big", "INCRBY", "u8", "#20", 7);
    assert.equal(stored("big"), bytes, "edited in place: still the same object");
    assert.equal(run("STRLEN", "big"), `:${MUTABLE_STRING_MIN + 1 + 4}\r\n`);
    assert.equal(run("GETRANGE", "big", 8, 16), "$9\r\n\0\0hello\0\0\r\n");
    assert.equal(run("GETBIT", "big", 3), ":1\r\n");
    let ones = 0;
    for (const ch of (stored("big") as MutableString).toString()) {
      for (let b = ch.charCodeAt(0); b !== 0; b >>= 1) ones += b & 1;
    }
    assert.equal(run("BITCOUNT", "big"), `:${ones}\r\n`);
    assert.equal(run("EXISTS", "big"), ":1\r\n");
    assert.equal(stored("big"), bytes, "byte-level reads and EXISTS leave the form alone");
  });

  it("any other reader gets (and leaves) a plain string with the same bytes", () => {
    const { run, stored, server } = setup();
    run("SETRANGE", "big", MUTABLE_STRING_MIN, "x");
    assert.ok(stored("big") instanceof MutableString);
    assert.equal(typeName(stored("big") as MutableString), "string");
    assert.equal(run("TYPE", "big"), "+string\r\n");
    assert.equal(run("TTL", "big"), ":-1\r\n");
    assert.ok(stored("big") instanceof MutableString, "TYPE, TTL and EXISTS do not need the value");
    assert.equal(run("GETRANGE", "big", MUTABLE_STRING_MIN, -1), "$1\r\nx\r\n");
    assert.equal(run("SUBSTR", "big", 0, 0), "$1\r\n\0\r\n");
    const header = `*2\r\n$${MUTABLE_STRING_MIN + 1}\r\n`;
    assert.equal(
      run("MGET", "big", "nosuch").length,
      header.length + MUTABLE_STRING_MIN + 1 + 2 + "$-1\r\n".length,
    );
    assert.equal(typeof stored("big"), "string", "materialized by an ordinary lookup (MGET)");
    run("SETBIT", "big", 0, 1);
    assert.ok(stored("big") instanceof MutableString, "bytes again for the next edit");
    const digestBytes = datasetDigest(server.keyspace);
    const get = run("GET", "big");
    assert.equal(get.length, `$${MUTABLE_STRING_MIN + 1}\r\n`.length + MUTABLE_STRING_MIN + 1 + 2);
    assert.ok(get.includes("\x80"));
    assert.equal(typeof stored("big"), "string");
    assert.equal(datasetDigest(server.keyspace), digestBytes, "DEBUG DIGEST is the same in either form");
    run("SETRANGE", "big", 1, "y");
    run("INCR", "big"); // an ordinary write command reads it as a string
    assert.equal(typeof stored("big"), "string");
    run("SETRANGE", "big", 1, "y");
    run("COPY", "big", "copy");
    run("SETRANGE", "big", 2, "z");
    assert.equal(
      run("GETRANGE", "copy", 0, 2),
      "$3\r\n\x80y\0\r\n",
      "COPY shares no bytes with the original",
    );
    assert.equal(run("GETRANGE", "big", 0, 2), "$3\r\n\x80yz\r\n");
  });

  it("RDB saves write the bytes; a snapshot running while bytes change in place keeps its instant", async () => {
    const { run, server } = setup();
    const ks = server.keyspace;
    for (let i = 0; i < 2000; i++) run("SETRANGE", `k${i}`, MUTABLE_STRING_MIN + (i % 7), `v${i}`);
    const loadedNow = new Keyspace(16);
    await loadRdb(Buffer.concat(saveRdbSync(ks)), loadedNow);
    const before = dumpKeyspace(ks);
    assert.deepEqual(dumpKeyspace(loadedNow), before);
    const chunks: Buffer[] = [];
    let step = 0;
    for await (const ch of snapshotRdb(ks, { sliceMs: 0.01 })) {
      chunks.push(ch);
      for (let j = 0; j < 40; j++) {
        const i = (step * 131 + j * 17) % 2000;
        run("SETBIT", `k${i}`, 5, 1);
        run("SETRANGE", `k${i}`, 3, "changed");
        run("APPEND", `k${i}`, "more");
        run("PFADD", `h${i}`, "x");
      }
      step++;
    }
    assert.ok(step > 3, `the snapshot ran in several slices (${step})`);
    const loaded = new Keyspace(16);
    await loadRdb(Buffer.concat(chunks), loaded);
    assert.deepEqual(dumpKeyspace(loaded), before);
  });
});

describe("what the byte-level commands propagate", () => {
  it("PFCOUNT propagates when it refreshes the cached cardinality, and breaks WATCH", () => {
    const { propagated, run, server } = setup();
    assert.deepEqual(propagated("PFADD", "h", "a", "b"), ["PFADD h a b"]);
    assert.deepEqual(propagated("PFADD", "h", "a"), [], "no register changed");
    const other = new Client(server, null);
    server.watches.watch(other, other.db, "h");
    assert.deepEqual(propagated("PFCOUNT", "h"), ["PFCOUNT h"]);
    assert.notEqual(other.flags & 2, 0, "DIRTY_CAS after the cache update");
    assert.deepEqual(propagated("PFCOUNT", "h"), [], "the cache is valid now");
    assert.deepEqual(propagated("PFCOUNT", "h", "nosuch"), [], "a union is never cached");
    assert.deepEqual(propagated("PFMERGE", "m", "h"), ["PFMERGE m h"]);
    assert.deepEqual(propagated("PFDEBUG", "TODENSE", "m"), ["PFDEBUG TODENSE m"]);
    assert.deepEqual(propagated("PFDEBUG", "TODENSE", "m"), []);
    assert.deepEqual(propagated("PFDEBUG", "GETREG", "h"), ["PFDEBUG GETREG h"], "converted to dense");
    assert.equal(run("PFDEBUG", "ENCODING", "h"), "+dense\r\n");
  });

  it("BITFIELD propagates as sent when a field changed; a refused write still creates the key", () => {
    const { propagated, run } = setup();
    assert.deepEqual(propagated("BITFIELD", "b", "SET", "u8", 0, 5), ["BITFIELD b SET u8 0 5"]);
    assert.deepEqual(propagated("BITFIELD", "b", "SET", "u8", 0, 5), [], "same value, same length");
    assert.deepEqual(propagated("BITFIELD", "b", "GET", "u8", 0), []);
    assert.deepEqual(propagated("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 9), []);
    assert.equal(run("EXISTS", "f"), ":1\r\n");
    assert.deepEqual(propagated("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", 100, 1), [
      "BITFIELD b OVERFLOW FAIL INCRBY u2 100 1",
    ]);
  });
});
