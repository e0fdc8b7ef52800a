import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DiffPair, same, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS } from "../helpers/processes.js";

/**
 * Redis 7 functions differentially against Debian's redis-server 7.0: FUNCTION LOAD and its errors,
 * register_function in both forms with flags, FCALL/FCALL_RO, LIST/STATS/DELETE/FLUSH/HELP, and
 * FUNCTION DUMP payloads restored across the two servers both ways.
 */

type Cmd = (string | number)[];

const LIB = `#!lua name=mylib
redis.register_function('myfunc', function(keys, args) return {keys[1], args[1]} end)
redis.register_function{function_name='ro', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='read it'}
redis.register_function{function_name='w', callback=function(keys, args) return redis.call('set', keys[1], args[1]) end}
redis.register_function{function_name='boom', callback=function(keys, args) return redis.call('incr', keys[1]) end}`;

const ONE =
  "#!lua name=onelib\nredis.register_function{function_name='one', callback=function() return 1 end, flags={'allow-stale', 'no-writes'}, description='just one'}";

describe("functions vs redis-server", { skip: NO_REDIS }, () => {
  let p: DiffPair;

  before(async () => {
    p = await startDiffPair();
  });

  after(async () => {
    await stopDiffPair(p ?? {});
  });

  async function run(cmds: Cmd[]): Promise<void> {
    await same(p.t, p.r, ["FLUSHALL"]);
    await same(p.t, p.r, ["FUNCTION", "FLUSH"]);
    for (const c of cmds) await same(p.t, p.r, c);
  }

  const load = (body: string, replace = false): Cmd => [
    "FUNCTION",
    "LOAD",
    ...(replace ? ["REPLACE"] : []),
    body,
  ];

  it("LOAD, FCALL, FCALL_RO and their errors", async () => {
    await run([
      load(LIB),
      ["FCALL", "myfunc", 1, "k", "v"],
      ["FCALL", "w", 1, "k", "v"],
      ["FCALL", "ro", 1, "k"],
      ["FCALL_RO", "ro", 1, "k"],
      ["FCALL_RO", "w", 1, "k", "v"],
      ["FCALL", "boom", 1, "k"],
      ["FCALL", "nosuch", 0],
      ["FCALL", "myfunc", "x"],
      ["FCALL", "myfunc", 3, "a"],
      ["FCALL", "myfunc", -1],
      load(LIB),
      load("#!lua name=other\nredis.register_function('myfunc', function() return 1 end)"),
      load("#!lua name=mylib\nredis.register_function('myfunc', function() return 'replaced' end)", true),
      ["FCALL", "myfunc", 0],
      ["FCALL", "ro", 0],
      load(ONE),
      ["FUNCTION", "LIST", "LIBRARYNAME", "one*"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "one*", "WITHCODE"],
      ["FUNCTION", "LIST", "LIBRARYNAME"],
      ["FUNCTION", "LIST", "foo"],
      ["FUNCTION", "STATS"],
      ["FUNCTION", "DELETE", "nosuch"],
      ["FUNCTION", "DELETE", "mylib"],
      ["FCALL", "myfunc", 0],
      ["FUNCTION", "FLUSH", "ASYNC"],
      ["FUNCTION", "FLUSH", "bad"],
      ["FUNCTION", "LIST"],
      ["FUNCTION", "HELP"],
      ["FUNCTION", "KILL"],
      ["FUNCTION", "RESTORE", "bogus"],
      ["FUNCTION", "RESTORE", "bogus", "bad"],
      ["FUNCTION", "LOAD"],
      ["FUNCTION", "LOAD", "REPLACE"],
      ["FUNCTION", "LOAD", "foo", "#!lua name=x\n"],
    ]);
  });

  it("library metadata and registration errors", async () => {
    const bodies = [
      "return 1",
      "#!lua",
      "#!lua name=a name=b\n",
      "#!lua foo=bar\n",
      "#!js name=x\n",
      "#!LUA name=upper\nredis.register_function('up', function() return 1 end)",
      "#!lua name=bad-name\n",
      "#!lua name=empty\nlocal x = 1",
      "#!lua name=e2\nredis.call('ping')",
      "#!lua name=e3\nreturn string.len('x')",
      "#!lua name=e4\nredis.register_function('f', 'notfn')",
      "#!lua name=e5\nredis.register_function{function_name='f', callback=function() end, flags={'bogus'}}",
      "#!lua name=e6\nredis.register_function{function_name='f'}",
      "#!lua name=e7\nredis.register_function{callback=function() end}",
      "#!lua name=e8\nredis.register_function{function_name='f', callback=function() end, extra=1}",
      "#!lua name=e9\nredis.register_function('bad name', function() end)",
      "#!lua name=e10\nredis.register_function('f', function() end) redis.register_function('f', function() end)",
      "#!lua name=e11\nlocal x = 1 +",
      "#!lua name=e12\nerror('boom')",
      "#!lua name=e13\nredis.register_function()",
      "#!lua name=e14\nredis.register_function(1, function() end)",
      "#!lua name=e15\nredis.register_function{function_name=1, callback=function() end}",
      "#!lua name=e16\nx = 1",
    ];
    await run(bodies.map((b) => load(b)));
  });

  it("functions run with the script globals; errors name the function", async () => {
    await run([
      load(
        "#!lua name=rt\nredis.register_function('g', function(keys, args) return {string.upper(args[1]), cjson.encode({1}), type(KEYS)} end)\n" +
          "redis.register_function('e', function() error('bad') end)\n" +
          "redis.register_function('c', function() return redis.call('nosuch') end)\n" +
          "redis.register_function('ok', function() return redis.status_reply('FINE') end)",
      ),
      ["FCALL", "g", 0, "abc"],
      ["FCALL", "e", 0],
      ["FCALL", "c", 0],
      ["FCALL", "ok", 0],
    ]);
  });

  it("FUNCTION DUMP payloads restore across the two servers both ways", async () => {
    await run([load(LIB), load(ONE)]);
    const fromRedis = await p.r.call("FUNCTION", "DUMP");
    const fromTandem = await p.t.call("FUNCTION", "DUMP");
    assert.ok(Buffer.isBuffer(fromRedis) && Buffer.isBuffer(fromTandem));
    for (const [client, payload] of [
      [p.t, fromRedis],
      [p.r, fromTandem],
    ] as const) {
      // Which of the two colliding libraries is named depends on hash order.
      assert.match(
        await client.text("FUNCTION", "RESTORE", payload.toString("latin1")),
        /^-ERR Library (mylib|onelib) already exists\r\n$/,
      );
      assert.equal(
        await client.text("FUNCTION", "RESTORE", payload.toString("latin1"), "REPLACE"),
        "+OK\r\n",
      );
      assert.equal(await client.text("FUNCTION", "FLUSH"), "+OK\r\n");
      assert.equal(await client.text("FUNCTION", "RESTORE", payload.toString("latin1")), "+OK\r\n");
      assert.equal(await client.text("FCALL", "one", 0), ":1\r\n");
      assert.equal(await client.text("FCALL", "myfunc", 1, "a", "b"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    }
    await same(p.t, p.r, ["FUNCTION", "LIST", "LIBRARYNAME", "one*", "WITHCODE"]);
    const corrupt = Buffer.from(fromTandem);
    corrupt[3] ^= 0xff;
    await same(p.t, p.r, ["FUNCTION", "RESTORE", corrupt.toString("latin1")]);
    await same(p.t, p.r, ["FUNCTION", "RESTORE", fromTandem.toString("latin1"), "FLUSH"]);
  });
});
