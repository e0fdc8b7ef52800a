import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { ServerConfig } from "../../../src/config/server-config.js";
import { Client } from "../../../src/server/client.js";
import type { PropagatedOp } from "../../../src/server/propagator.js";
import { Server } from "../../../src/server/server.js";

/**
 * What the string and keyspace commands hand to replicas and the AOF: Redis 7.0 never propagates a
 * relative expiry or a non-deterministic command as is. An in-process server (no sockets) with a
 * recording propagation sink shows the exact command vectors.
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
  /** The commands propagated by `argv`, as space-joined strings; current unix ms times become "<ms>". */
  const propagated = (...argv: (string | number)[]): string[] => {
    ops.length = 0;
    run(...argv);
    return ops.map((o) => o.argv.map((a) => (/^1[78]\d{11}$/.test(a) ? "<ms>" : a)).join(" "));
  };
  return { server, c, run, propagated, ops };
}

describe("propagation of string and keyspace writes", () => {
  it("relative expiries become absolute PXAT / PEXPIREAT", () => {
    const { propagated, ops, run } = setup();
    assert.deepEqual(propagated("SET", "k", "v", "EX", 100), ["SET k v PXAT <ms>"]);
    const when = Number(ops[0].argv[4]);
    assert.ok(Math.abs(when - (Date.now() + 100_000)) < 5000);
    assert.deepEqual(propagated("SET", "k", "v", "PX", 100), ["SET k v PXAT <ms>"]);
    assert.deepEqual(propagated("SETEX", "k", 100, "v"), ["SET k v PXAT <ms>"]);
    assert.deepEqual(propagated("PSETEX", "k", 100, "v"), ["SET k v PXAT <ms>"]);
    assert.deepEqual(propagated("EXPIRE", "k", 100), ["PEXPIREAT k <ms>"]);
    assert.deepEqual(propagated("PEXPIRE", "k", 200_000, "GT"), ["PEXPIREAT k <ms> GT"]);
    assert.deepEqual(propagated("EXPIREAT", "k", 4102444800), ["PEXPIREAT k 4102444800000"]);
    assert.deepEqual(propagated("PEXPIREAT", "k", 4102444800123), ["PEXPIREAT k 4102444800123"]);
    assert.deepEqual(propagated("GETEX", "k", "EX", 100), ["PEXPIREAT k <ms>"]);
    assert.deepEqual(propagated("GETEX", "k", "PERSIST"), ["PERSIST k"]);
    assert.deepEqual(propagated("GETEX", "k", "PERSIST"), [], "nothing changed, nothing propagated");
    assert.deepEqual(propagated("GETEX", "k"), []);
    assert.equal(run("EXISTS", "k"), ":1\r\n");
  });

  it("an expiry in the past propagates DEL", () => {
    const { propagated, run } = setup();
    run("SET", "k", "v");
    assert.deepEqual(propagated("EXPIRE", "k", -1), ["DEL k"]);
    run("SET", "k", "v");
    assert.deepEqual(propagated("PEXPIREAT", "k", 1), ["DEL k"]);
    run("SET", "k", "v");
    assert.deepEqual(propagated("GETEX", "k", "PXAT", 1), ["DEL k"]);
    assert.deepEqual(propagated("EXPIRE", "k", 100), [], "no key, no write");
  });

  it("GETDEL, GETSET, INCRBYFLOAT and SET ... GET propagate deterministic forms", () => {
    const { propagated, run } = setup();
    run("SET", "k", "1.5");
    assert.deepEqual(propagated("INCRBYFLOAT", "k", "1.1"), ["SET k 2.6 KEEPTTL"]);
    assert.deepEqual(propagated("GETSET", "k", "x"), ["SET k x"]);
    assert.deepEqual(propagated("SET", "k", "y", "GET", "XX", "get"), ["SET k y XX"]);
    assert.deepEqual(propagated("GETDEL", "k"), ["DEL k"]);
    assert.deepEqual(propagated("GETDEL", "k"), []);
    assert.deepEqual(propagated("SET", "k", "v", "NX", "GET", "EXAT", 4102444800), [
      "SET k v PXAT 4102444800000",
    ]);
  });

  it("no-op writes are not propagated; real ones are, as sent", () => {
    const { propagated, run } = setup();
    run("SET", "k", "v");
    assert.deepEqual(propagated("SETNX", "k", "x"), []);
    assert.deepEqual(propagated("RENAME", "k", "k"), []);
    assert.deepEqual(propagated("RENAME", "k", "k2"), ["RENAME k k2"]);
    assert.deepEqual(propagated("PERSIST", "k2"), []);
    assert.deepEqual(propagated("DEL", "nosuch"), []);
    assert.deepEqual(propagated("SETBIT", "b", 7, 1), ["SETBIT b 7 1"]);
    assert.deepEqual(propagated("SETBIT", "b", 7, 1), [], "the bit did not change");
    assert.deepEqual(propagated("SETRANGE", "k2", 0, ""), []);
    assert.deepEqual(propagated("BITOP", "AND", "d", "nosuch"), []);
    assert.deepEqual(propagated("SWAPDB", 0, 1), ["SWAPDB 0 1"]);
    assert.deepEqual(propagated("COPY", "nosuch", "x"), []);
  });

  it("writes mark WATCHed keys and count as changes for SAVE", () => {
    const { server, c, run } = setup();
    run("SET", "k", "v");
    const before = server.dirty;
    run("APPEND", "k", "w");
    run("EXPIRE", "k", 100);
    run("PERSIST", "k");
    run("SETRANGE", "k", 0, "V");
    assert.equal(server.dirty - before, 4);
    const other = new Client(server, null);
    server.watches.watch(other, other.db, "k");
    assert.equal(other.flags & 2, 0);
    run("INCRBYFLOAT", "n", 1);
    assert.equal(other.flags & 2, 0, "another key does not touch the watch");
    run("SETBIT", "k", 0, 1); // "V" is 0x56: its top bit flips
    assert.notEqual(other.flags & 2, 0, "DIRTY_CAS after SETBIT on the watched key");
    void c;
  });
});
