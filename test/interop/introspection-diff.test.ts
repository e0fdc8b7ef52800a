import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RespDecoder } from "../../src/resp/resp-decoder.js";
import { RespPush, type RespValue, RespVerbatim } from "../../src/resp/resp-value.js";
import { same, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Introspection and ops commands against Debian's redis-server: COMMAND INFO/GETKEYS/LIST/DOCS, the
 * MONITOR stream, SLOWLOG, LATENCY, MODULE, LOLWUT and the HELP replies. Replies are compared byte for
 * byte; where they hold times, durations or ports, those are masked first.
 */

const EXTRA = ["--enable-module-command", "yes"];

/** A canonical text of a decoded reply, keeping RESP3 types apart (sets/maps sorted when asked). */
function canon(v: RespValue, sortSets = false): string {
  if (v === null) return "null";
  if (Buffer.isBuffer(v)) return `$${JSON.stringify(v.toString("latin1"))}`;
  if (typeof v === "string") return `+${JSON.stringify(v)}`;
  if (typeof v === "number" || typeof v === "bigint") return `:${v}`;
  if (v instanceof RespVerbatim) return `=${JSON.stringify(v.text.toString("latin1"))}`;
  if (v instanceof RespPush) return `>[${v.items.map((x) => canon(x, sortSets)).join(",")}]`;
  if (v instanceof Set) {
    const items = [...v].map((x) => canon(x, sortSets));
    return `~{${(sortSets ? items.sort() : items).join(",")}}`;
  }
  if (v instanceof Map) {
    const items = [...v].map(([k, x]) => `${canon(k, sortSets)}=>${canon(x, sortSets)}`);
    return `%{${(sortSets ? items.sort() : items).join(",")}}`;
  }
  if (Array.isArray(v)) return `[${v.map((x) => canon(x, sortSets)).join(",")}]`;
  return String(v);
}

const decode = (b: Buffer): RespValue => RespDecoder.decodeAll(b)[0];

describe("introspection: tandem vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    [tandem, redis] = await Promise.all([startTandem({ args: EXTRA }), startRedis({ args: EXTRA })]);
    [t, r] = await Promise.all([tandem.client(), redis.client()]);
  });

  after(async () => {
    t?.close();
    r?.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

  it("COMMAND INFO is byte-identical for every command and subcommand Tandem implements", async () => {
    const names = (decode(await t.raw("COMMAND", "LIST")) as Buffer[]).map((b) => b.toString());
    const redisNames = new Set((decode(await r.raw("COMMAND", "LIST")) as Buffer[]).map((b) => b.toString()));
    let compared = 0;
    for (const name of names) {
      if (!redisNames.has(name)) continue; // Tandem's own (WAITOFFSET) and Redis 7.2 additions
      const [a, b] = await Promise.all([t.raw("COMMAND", "INFO", name), r.raw("COMMAND", "INFO", name)]);
      const ta = decode(a) as RespValue[][];
      const rb = decode(b) as RespValue[][];
      // Containers list only the subcommands Tandem implements; each of those is compared on its own.
      if (!Array.isArray(ta[0][9]) || (ta[0][9] as RespValue[]).length === 0) {
        assert.equal(a.toString("latin1"), b.toString("latin1"), `COMMAND INFO ${name}`);
      } else {
        assert.equal(canon(ta[0].slice(0, 9)), canon(rb[0].slice(0, 9)), `COMMAND INFO ${name}`);
      }
      compared++;
    }
    assert.ok(compared > 150, `compared ${compared} commands`);
    await same(t, r, ["COMMAND", "INFO", "get", "nosuchcommand", "config|get", "CONFIG|GET", "get|x"]);
  });

  it("COMMAND INFO keeps RESP3 types (sets, maps) as redis-server", async () => {
    const [t3, r3] = await Promise.all([tandem.client(), redis.client()]);
    try {
      await Promise.all([t3.raw("HELLO", "3"), r3.raw("HELLO", "3")]);
      for (const name of ["get", "set", "zunionstore", "sort", "xread", "migrate", "eval", "client|kill"]) {
        const [a, b] = await Promise.all([t3.raw("COMMAND", "INFO", name), r3.raw("COMMAND", "INFO", name)]);
        const ta = decode(a) as RespValue[][];
        if (ta[0] === null) continue; // not implemented by Tandem
        assert.equal(a.toString("latin1"), b.toString("latin1"), name);
      }
    } finally {
      t3.close();
      r3.close();
    }
  });

  it("COMMAND GETKEYS and GETKEYSANDFLAGS locate keys as Redis 7.0's key specs and getkeys procs do", async () => {
    const cases: string[][] = [
      ["get", "k"],
      ["set", "k", "v"],
      ["set", "k", "v", "GET"],
      ["set", "k", "v", "ex", "10", "get"],
      ["mset", "a", "1", "b", "2"],
      ["mget", "a", "b", "c"],
      ["del", "a", "b"],
      ["rename", "a", "b"],
      ["lmove", "a", "b", "left", "right"],
      ["zunionstore", "dst", "2", "a", "b", "weights", "1", "2"],
      ["zunionstore", "dst", "0", "a"],
      ["zunionstore", "dst", "x", "a"],
      ["zinter", "2", "a", "b"],
      ["zdiff", "1", "a", "withscores"],
      ["sintercard", "2", "a", "b", "limit", "1"],
      ["lmpop", "2", "a", "b", "left"],
      ["blmpop", "0", "1", "a", "left"],
      ["bzmpop", "0", "2", "a", "b", "min"],
      ["sort", "k", "by", "w*", "get", "#", "store", "dst"],
      ["sort", "k", "limit", "0", "1", "store", "d1", "store", "d2"],
      ["sort", "k"],
      ["sort_ro", "k", "by", "x"],
      ["object", "encoding", "k"],
      ["memory", "usage", "k"],
      ["xread", "count", "2", "streams", "s1", "s2", "0", "0"],
      ["xreadgroup", "group", "g", "c", "streams", "s1", "0"],
      ["georadius", "k", "1", "2", "3", "km", "store", "dst"],
      ["bitfield", "k", "get", "u8", "0"],
      ["bitfield", "k", "set", "u8", "0", "1"],
      ["publish", "ch", "m"],
      ["spublish", "ch", "m"],
      ["ping"],
      ["nosuchcommand", "x"],
      ["get"],
      ["get", "a", "b"],
      ["config", "get", "x"],
      ["eval", "return 1", "2", "a", "b"],
      ["zadd", "k", "1", "m"],
      ["expire", "k", "10"],
      ["copy", "a", "b", "db", "1"],
      ["smove", "a", "b", "m"],
      ["hset", "h", "f", "v"],
      ["msetnx", "a", "1", "b"],
    ];
    const implemented = new Set(
      (decode(await t.raw("COMMAND", "LIST")) as Buffer[]).map((b) => b.toString()),
    );
    let compared = 0;
    for (const c of cases) {
      // Commands Tandem does not implement are "Invalid command specified" there, by design.
      if (!implemented.has(c[0]) && c[0] !== "nosuchcommand") continue;
      await same(t, r, ["COMMAND", "GETKEYS", ...c]);
      await same(t, r, ["COMMAND", "GETKEYSANDFLAGS", ...c]);
      compared++;
    }
    assert.ok(compared > 25, `compared ${compared} cases`);
  });

  it("COMMAND LIST, COUNT and DOCS cover only what Tandem implements, with Redis's data", async () => {
    const tNames = (decode(await t.raw("COMMAND", "LIST")) as Buffer[]).map((b) => b.toString());
    const tTop = tNames.filter((n) => !n.includes("|"));
    assert.equal(decode(await t.raw("COMMAND", "COUNT")), tTop.length);
    const implemented = new Set(tNames);
    const redisNames = new Set((decode(await r.raw("COMMAND", "LIST")) as Buffer[]).map((b) => b.toString()));
    for (const filter of [
      ["ACLCAT", "read"],
      ["ACLCAT", "dangerous"],
      ["ACLCAT", "nosuchcat"],
      ["PATTERN", "z*"],
      ["PATTERN", "client|*"],
      ["MODULE", "x"],
    ]) {
      const [a, b] = await Promise.all([
        t.call("COMMAND", "LIST", "FILTERBY", ...filter),
        r.call("COMMAND", "LIST", "FILTERBY", ...filter),
      ]);
      const redisAll = (b as Buffer[]).map((x) => x.toString());
      const want = redisAll.filter((n) => implemented.has(n)).sort();
      // Tandem's own commands and Redis 7.2 additions are not in Redis 7.0's lists.
      const got = (a as Buffer[]).map((x) => x.toString()).filter((n) => redisNames.has(n));
      assert.deepEqual(got.sort(), want, filter.join(" "));
    }
    await same(t, r, ["COMMAND", "LIST", "FILTERBY", "nosuch", "x"]);
    await same(t, r, ["COMMAND", "LIST", "extra"]);
    // DOCS: Redis's entries minus the prose fields Tandem does not carry.
    const prose = new Set(["summary", "complexity", "history"]);
    const strip = (v: RespValue): RespValue => {
      if (Array.isArray(v)) {
        const out: RespValue[] = [];
        for (let i = 0; i < v.length; i++) {
          // Docs maps are flat arrays in RESP2: drop key/value pairs whose key is prose.
          if (Buffer.isBuffer(v[i]) && prose.has((v[i] as Buffer).toString()) && i % 2 === 0) {
            i++;
            continue;
          }
          out.push(strip(v[i]));
        }
        return out;
      }
      return v;
    };
    for (const name of ["get", "set", "zadd", "client|kill", "georadius"]) {
      const [a, b] = await Promise.all([t.call("COMMAND", "DOCS", name), r.call("COMMAND", "DOCS", name)]);
      if ((a as RespValue[]).length === 0) continue;
      assert.equal(canon(a), canon(strip(b)), `COMMAND DOCS ${name}`);
    }
    await same(t, r, ["COMMAND", "DOCS", "nosuchcommand"]);
  });

  it("HELP replies of the commands touched here are Redis's", async () => {
    for (const cmd of ["COMMAND", "client", "PUBSUB", "slowlog", "LATENCY", "module", "config"]) {
      await same(t, r, [cmd, "HELP"]);
    }
    await same(t, r, ["SLOWLOG", "GET", "1", "2"]);
    await same(t, r, ["LATENCY", "nosuch"]);
  });

  it("MODULE: no modules listed, loading and unloading fail as in Redis", async () => {
    await same(t, r, ["MODULE", "LIST"]);
    await same(t, r, ["MODULE", "LOAD", "/nonexistent/module.so"]);
    await same(t, r, ["MODULE", "LOADEX", "/nonexistent/module.so", "CONFIG", "a", "b"]);
    await same(t, r, ["MODULE", "UNLOAD", "nosuchmodule"]);
    await same(t, r, ["MODULE", "LOAD"]);
  });

  it("LOLWUT prints what redis-server 7.0 prints", async () => {
    await same(t, r, ["LOLWUT"]);
    await same(t, r, ["LOLWUT", "VERSION", "7"]);
    await same(t, r, ["LOLWUT", "VERSION", "4"]);
    await same(t, r, ["LOLWUT", "VERSION", "x"]);
    await same(t, r, ["LOLWUT", "VERSION", "5", "x"]);
    // Schotter has no randomness in its first two rows of squares.
    await same(t, r, ["LOLWUT", "VERSION", "5", "10", "2", "2"]);
    await same(t, r, ["LOLWUT", "VERSION", "5", "40", "5", "1"]);
    await same(t, r, ["LOLWUT", "VERSION", "5", "1", "1", "1"]);
    // Random art: the same size and trailer.
    for (const args of [
      ["VERSION", "5"],
      ["VERSION", "6", "20", "5"],
    ]) {
      const [a, b] = await Promise.all([t.call("LOLWUT", ...args), r.call("LOLWUT", ...args)]);
      const la = (a as Buffer).toString("latin1").split("\n");
      const lb = (b as Buffer).toString("latin1").split("\n");
      assert.equal(la.length, lb.length);
      // Braille cells are 3 bytes each; skyline cells are a space between two color escapes.
      const cells = (l: string) => (l.includes("\x1b") ? l.split("\x1b[0m").length - 1 : l.length);
      assert.deepEqual(la.map(cells), lb.map(cells));
      assert.equal(la.slice(-3).join("\n"), lb.slice(-3).join("\n"));
    }
  });
});

describe("MONITOR, SLOWLOG and LATENCY: tandem vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
  });

  after(() => stopDiffPair({ tandem, redis, t, r }));

  /** Waits until one client is blocked on each server. */
  async function waitForBlocked(tw: RawClient, rw: RawClient): Promise<void> {
    await waitFor("a blocked client on both servers", async () => {
      const [a, b] = await Promise.all([tw.text("INFO", "clients"), rw.text("INFO", "clients")]);
      return a.includes("blocked_clients:1\r\n") && b.includes("blocked_clients:1\r\n");
    });
  }

  /** A MONITOR line with its time and client port masked. */
  const maskMonitor = (f: Buffer) =>
    f
      .toString("latin1")
      .replace(/^\+\d+\.\d{6} /, "+T ")
      .replace(/ 127\.0\.0\.1:\d+\]/, " 127.0.0.1:P]");

  it("streams executed commands to MONITOR in Redis's format and order", async () => {
    const [tm, rm] = await Promise.all([tandem.client(), redis.client()]);
    try {
      await same(tm, rm, ["MONITOR"]);
      const script: (string | number)[][] = [
        ["SET", "plain", "value"],
        ["SET", 'quo"te\\back', "new\nline\r\t\x07\x08"],
        ["SET", "bin", "\x00\x01\x7f\xff é"],
        ["GET", "plain"],
        ["SELECT", "3"],
        ["INCR", "n"],
        ["SELECT", "0"],
        ["MULTI"],
        ["SET", "a", "1"],
        ["INCR", "a"],
        ["EXEC"],
        ["CONFIG", "GET", "maxmemory"],
        ["AUTH", "secret"],
        ["AUTH", "user", "secret"],
        ["HELLO", "2", "AUTH", "default", "pw"],
        ["HELLO", "9", "AUTH", "default", "pw"],
        ["CLIENT", "ID"],
        ["NOSUCHCOMMAND"],
        ["GET"],
        ["MULTI"],
        ["GET", "x", "y"],
        ["EXEC"],
        ["PING"],
      ];
      for (const cmd of script) await Promise.all([t.raw(...cmd), r.raw(...cmd)]);
      // Both stream what they showed; compare line by line (the PING marks the end).
      const tl: string[] = [];
      const rl: string[] = [];
      while (!tl.at(-1)?.includes('"PING"')) tl.push(maskMonitor((await tm.read(1))[0]));
      while (!rl.at(-1)?.includes('"PING"')) rl.push(maskMonitor((await rm.read(1))[0]));
      assert.deepEqual(tl, rl);
      assert.ok(tl.length >= 15, tl.join(""));
      // MONITOR twice: no reply. Inside MULTI: Redis's deny-blocking error at EXEC.
      const [m2, r2] = await Promise.all([tandem.client(), redis.client()]);
      await same(m2, r2, ["MULTI"]);
      await same(m2, r2, ["MONITOR"]);
      await same(m2, r2, ["EXEC"]);
      await same(m2, r2, ["RESET"]);
      m2.close();
      r2.close();
    } finally {
      tm.close();
      rm.close();
    }
  });

  it("keeps Redis's slow log: entries, truncation, order, LEN/RESET/GET count", async () => {
    await same(t, r, ["CONFIG", "GET", "slowlog-*"], { sortedPairs: true });
    await same(t, r, ["CONFIG", "SET", "slowlog-log-slower-than", "-2"]);
    await same(t, r, ["CONFIG", "SET", "slowlog-log-slower-than", "x"]);
    await same(t, r, ["CONFIG", "SET", "slowlog-max-len", "-1"]);
    await same(t, r, ["CONFIG", "SET", "slowlog-max-len", "5"]);
    await same(t, r, ["CLIENT", "SETNAME", "slowpoke"]);
    await same(t, r, ["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    await same(t, r, ["SLOWLOG", "RESET"]);
    await same(t, r, ["SET", "k", "x".repeat(200)]);
    const many = Array.from({ length: 40 }, (_, i) => `m${i}`);
    await same(t, r, ["DEL", ...many]);
    await same(t, r, ["AUTH", "pw"]);
    await same(t, r, ["CONFIG", "SET", "requirepass", ""]);
    await same(t, r, ["GET", "k"]);
    await same(t, r, ["BLPOP", "nolist", "0.01"]); // timed out: not logged
    const [tw, rw] = await Promise.all([tandem.client(), redis.client()]);
    const served = Promise.all([t.raw("BLPOP", "blist", "0"), r.raw("BLPOP", "blist", "0")]);
    await waitForBlocked(tw, rw);
    await same(tw, rw, ["RPUSH", "blist", "x"]);
    const [sa, sb] = await served;
    assert.equal(sa.toString("latin1"), sb.toString("latin1"));
    tw.close();
    rw.close();
    await same(t, r, ["MULTI"]);
    await same(t, r, ["INCR", "c"]);
    await same(t, r, ["EXEC"]);
    // Ids count every entry ever logged (SLOWLOG RESET keeps the counter), and commands slower than the
    // default 10 ms before this test depend on the machine: compare ids relative to the newest entry.
    const mask = (v: RespValue) => {
      const entries = v as RespValue[][];
      const top = entries.length > 0 ? (entries[0][0] as number) : 0;
      return entries.map((e) => [
        (e[0] as number) - top,
        "T",
        "D",
        e[3],
        (e[4] as Buffer).toString().replace(/:\d+$/, ":P"),
        e[5],
      ]);
    };
    const [a, b] = await Promise.all([t.call("SLOWLOG", "GET", "-1"), r.call("SLOWLOG", "GET", "-1")]);
    assert.equal(canon(mask(a)), canon(mask(b)));
    assert.equal((a as RespValue[]).length, 5);
    await same(t, r, ["SLOWLOG", "LEN"]);
    const [a1, b1] = await Promise.all([t.call("SLOWLOG", "GET", "2"), r.call("SLOWLOG", "GET", "2")]);
    assert.equal(canon(mask(a1)), canon(mask(b1)));
    await same(t, r, ["SLOWLOG", "GET", "-2"]);
    await same(t, r, ["SLOWLOG", "GET", "x"]);
    await same(t, r, ["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    await same(t, r, ["SLOWLOG", "RESET"]);
    await same(t, r, ["GET", "k"]);
    await same(t, r, ["SLOWLOG", "LEN"]);
    await same(t, r, ["SLOWLOG", "GET"]);
  });

  it("answers LATENCY as Redis: disabled doctor, empty history, samples once enabled", async () => {
    await same(t, r, ["CONFIG", "GET", "latency-*"], { sortedPairs: true });
    await same(t, r, ["LATENCY", "DOCTOR"]);
    await same(t, r, ["LATENCY", "LATEST"]);
    await same(t, r, ["LATENCY", "HISTORY", "command"]);
    await same(t, r, ["LATENCY", "GRAPH", "command"]);
    await same(t, r, ["LATENCY", "RESET"]);
    await same(t, r, ["CONFIG", "SET", "latency-monitor-threshold", "-1"]);
    await same(t, r, ["CONFIG", "SET", "latency-monitor-threshold", "10"]);
    await same(t, r, ["DEBUG", "SLEEP", "0.03"]);
    const [a, b] = await Promise.all([t.call("LATENCY", "LATEST"), r.call("LATENCY", "LATEST")]);
    const shape = (v: RespValue) =>
      (v as RespValue[][]).map((e) => [e[0], typeof e[1], (e[2] as number) >= 10]);
    assert.deepEqual(shape(a), shape(b));
    const [h1, h2] = await Promise.all([
      t.call("LATENCY", "HISTORY", "command"),
      r.call("LATENCY", "HISTORY", "command"),
    ]);
    assert.equal((h1 as RespValue[]).length, (h2 as RespValue[]).length);
    const [g1, g2] = await Promise.all([
      t.call("LATENCY", "GRAPH", "command"),
      r.call("LATENCY", "GRAPH", "command"),
    ]);
    const graphShape = (v: RespValue) =>
      (v as Buffer)
        .toString()
        .replace(/\d+/g, "N")
        .split("\n")
        .map((l) => l.length);
    assert.deepEqual(graphShape(g1), graphShape(g2));
    const [d1, d2] = await Promise.all([t.call("LATENCY", "DOCTOR"), r.call("LATENCY", "DOCTOR")]);
    const doctorShape = (v: RespValue) =>
      (v as Buffer)
        .toString()
        .replace(/\d+(\.\d+)?/g, "N")
        .replace(/\n- I detected a non zero amount of anonymous huge pages[^\n]*\n/, "\n");
    assert.equal(doctorShape(d1), doctorShape(d2));
    await same(t, r, ["LATENCY", "RESET", "COMMAND", "nosuch"]);
    await same(t, r, ["LATENCY", "LATEST"]);
    await same(t, r, ["CONFIG", "SET", "latency-monitor-threshold", "0"]);
  });

  it("LATENCY HISTOGRAM counts calls per command with Redis's bucket layout", async () => {
    await same(t, r, ["CONFIG", "RESETSTAT"]);
    for (let i = 0; i < 5; i++) await same(t, r, ["SET", `h${i}`, "v"]);
    await same(t, r, ["GET", "h0"]);
    await same(t, r, ["CONFIG", "GET", "latency-tracking"]);
    const [a, b] = await Promise.all([
      t.call("LATENCY", "HISTOGRAM", "set", "get", "nosuch", "config"),
      r.call("LATENCY", "HISTOGRAM", "set", "get", "nosuch", "config"),
    ]);
    /** name → calls, with each bucket a power-of-two step of Redis's layout and cumulative counts. */
    const summary = (v: RespValue) => {
      const flat = v as RespValue[];
      const out: Record<string, number> = {};
      for (let i = 0; i < flat.length; i += 2) {
        const body = flat[i + 1] as RespValue[];
        out[(flat[i] as Buffer).toString()] = body[1] as number;
        const buckets = body[3] as number[];
        for (let j = 0; j < buckets.length; j += 2) {
          assert.ok(
            [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113].includes(buckets[j]) || buckets[j] > 2113,
          );
          if (j > 0) assert.ok(buckets[j + 1] > buckets[j - 1]);
        }
      }
      return out;
    };
    assert.deepEqual(summary(a), summary(b));
    assert.equal(summary(a).set, 5);
    // INFO latencystats: the same commands, percentiles and format.
    await same(t, r, ["CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.90 x"]);
    await same(t, r, ["CONFIG", "SET", "latency-tracking-info-percentiles", "50 101"]);
    await same(t, r, ["CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.90 1e1"]);
    await same(t, r, ["CONFIG", "GET", "latency-tracking-info-percentiles"]);
    const stats = async (c: RawClient) =>
      (await c.text("INFO", "latencystats"))
        .split("\r\n")
        .filter((l) => /^latency_percentiles_usec_(set|get|config\|get):/.test(l))
        .map((l) => l.replace(/=\d+\.\d{3}/g, "=N"))
        .sort();
    const [sa, sb] = await Promise.all([stats(t), stats(r)]);
    assert.deepEqual(sa, sb);
    assert.equal(sa.length, 3, sa.join("\n"));
    await same(t, r, ["CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9"]);
  });
});
