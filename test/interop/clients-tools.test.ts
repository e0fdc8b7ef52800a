import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { createClient } from "redis";
import {
  NO_REDIS,
  REDIS_BENCHMARK,
  REDIS_CLI,
  type ServerProcess,
  startTandem,
} from "../helpers/processes.js";

/** Real clients against `tandem server`: redis-cli (commands and --pipe), redis-benchmark, ioredis, node-redis. */

function run(
  cmd: string,
  args: string[],
  input?: Buffer | string,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("exit", (code) => resolve({ code, out, err }));
    if (input !== undefined) p.stdin.end(input);
    else p.stdin.end();
  });
}

describe("real clients against tandem server", () => {
  let s: ServerProcess;

  before(async () => {
    s = await startTandem();
  });
  after(async () => {
    await s?.stop();
  });

  it("redis-cli runs commands given on its command line", { skip: NO_REDIS }, async () => {
    const cli = (...a: string[]) => run(REDIS_CLI!, ["-p", String(s.port), ...a]);
    assert.equal((await cli("PING")).out, "PONG\n");
    assert.equal((await cli("SET", "cli:k", "hello world")).out, "OK\n");
    assert.equal((await cli("GET", "cli:k")).out, "hello world\n");
    assert.equal((await cli("INCR", "cli:n")).out, "1\n");
    assert.equal((await cli("GET", "cli:none")).out, "\n");
    assert.match((await cli("NOSUCHCMD")).out, /ERR unknown command 'NOSUCHCMD'/);
    assert.match((await cli("INFO", "server")).out, /redis_version:7\.0\.15/);
    assert.equal((await cli("--no-raw", "CLIENT", "GETNAME")).out, "(nil)\n");
  });

  it("redis-cli reads commands from a pipe (inline protocol)", { skip: NO_REDIS }, async () => {
    const r = await run(REDIS_CLI!, ["-p", String(s.port)], "SET pipe:a 1\nINCR pipe:a\nGET pipe:a\n");
    assert.equal(r.out, "OK\n2\n2\n");
  });

  it("redis-cli --pipe mass-inserts 100,000 SETs", { skip: NO_REDIS }, async () => {
    const n = 100_000;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const k = `mass:${i}`;
      const v = `value-${i}`;
      parts.push(`*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`);
    }
    const before = Number((await run(REDIS_CLI!, ["-p", String(s.port), "DBSIZE"])).out);
    const r = await run(REDIS_CLI!, ["-p", String(s.port), "--pipe"], parts.join(""));
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, new RegExp(`errors: 0, replies: ${n}`));
    const after = Number((await run(REDIS_CLI!, ["-p", String(s.port), "DBSIZE"])).out);
    assert.equal(after - before, n);
  });

  it("redis-benchmark runs with no errors", {
    skip: !REDIS_BENCHMARK && "redis-benchmark is not installed",
  }, async () => {
    const r = await run(REDIS_BENCHMARK!, [
      "-p",
      String(s.port),
      "-q",
      "-n",
      "2000",
      "-c",
      "10",
      "-t",
      "ping,set,get,incr,mset",
    ]);
    assert.equal(r.code, 0, r.err);
    for (const t of ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET"]) {
      assert.match(
        r.out,
        new RegExp(`${t}( \\(10 keys\\))?: [\\d.]+ requests per second`),
        `${t} in:\n${r.out}`,
      );
    }
    assert.doesNotMatch(r.out + r.err, /error|ERR/i);
    const p = await run(REDIS_BENCHMARK!, [
      "-p",
      String(s.port),
      "-q",
      "-n",
      "4000",
      "-P",
      "16",
      "-t",
      "set,get",
    ]);
    assert.equal(p.code, 0, p.err);
    assert.doesNotMatch(p.out + p.err, /error|ERR/i);
  });

  it("ioredis connects (ready check), sets, gets, pipelines and runs MULTI", async () => {
    const c = new Redis({ port: s.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await c.connect();
      assert.equal(await c.set("io:k", "v1"), "OK");
      assert.equal(await c.get("io:k"), "v1");
      assert.equal(await c.get("io:missing"), null);
      const res = await c.pipeline().set("io:a", "1").incr("io:a").get("io:a").exec();
      assert.deepEqual(res, [
        [null, "OK"],
        [null, 2],
        [null, "2"],
      ]);
      const m = await c.multi().set("io:b", "x").get("io:b").exec();
      assert.deepEqual(m, [
        [null, "OK"],
        [null, "x"],
      ]);
      await assert.rejects(c.call("NOSUCH"), /unknown command/);
      assert.equal(await c.client("SETNAME", "ioclient"), "OK");
      assert.equal(await c.client("GETNAME"), "ioclient");
    } finally {
      c.disconnect();
    }
  });

  it("node-redis connects (RESP2 and RESP3), sets, gets, pipelines and runs MULTI", async () => {
    for (const RESP of [2, 3] as const) {
      const c = createClient({ socket: { port: s.port, host: "127.0.0.1" }, RESP });
      c.on("error", () => {});
      await c.connect();
      try {
        assert.equal(await c.set(`nr${RESP}:k`, "v"), "OK");
        assert.equal(await c.get(`nr${RESP}:k`), "v");
        assert.equal(await c.get(`nr${RESP}:missing`), null);
        const [a, b] = await Promise.all([c.incr(`nr${RESP}:n`), c.incr(`nr${RESP}:n`)]); // auto-pipelined
        assert.deepEqual([a, b], [1, 2]);
        const r = await c.multi().set(`nr${RESP}:m`, "1").incr(`nr${RESP}:m`).exec();
        assert.deepEqual(r, ["OK", 2]);
        assert.equal(await c.ping(), "PONG");
      } finally {
        c.destroy();
      }
    }
  });
});
