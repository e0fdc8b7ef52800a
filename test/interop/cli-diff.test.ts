import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "../helpers/free-port.js";
import {
  NO_REDIS,
  REDIS_CLI,
  type ServerProcess,
  startRedis,
  startTandem,
  TANDEM_BIN,
} from "../helpers/processes.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * `tandem cli` against Debian's redis-cli 7.0, byte for byte: the same commands, run by both against the
 * same redis-server (its data reset before every run), must print the same stdout and stderr and exit with
 * the same code, one-shot and through stdin, formatted (--no-raw, FAKETTY), raw (--raw) and as piped output
 * by default, in RESP2 and with -3. Then the same commands against `tandem server` must print what they
 * print against redis-server.
 */

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const home = mkdtempSync(join(tmpdir(), "tandem-cli-home-"));

function run(cmd: string[], args: string[], input?: Buffer, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const baseEnv: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...env };
    if (env.FAKETTY === undefined) delete baseEnv.FAKETTY;
    const p = spawn(cmd[0], [...cmd.slice(1), ...args], { stdio: ["pipe", "pipe", "pipe"], env: baseEnv });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (d: Buffer) => out.push(d));
    p.stderr.on("data", (d: Buffer) => err.push(d));
    p.on("error", reject);
    p.on("close", (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString("latin1"),
        stderr: Buffer.concat(err).toString("latin1"),
      }),
    );
    p.stdin.on("error", () => {}); // a tool that exits early closes its stdin
    p.stdin.end(input ?? Buffer.alloc(0));
  });
}

const TANDEM_CLI = [process.execPath, TANDEM_BIN, "cli"];

/** A value with a quote, a backslash, control bytes, a NUL, a high byte and UTF-8 text. */
const ODD_VALUE = Buffer.concat([
  Buffer.from('a"b\\c\nd\r\te\x07\x08\x00\x7f', "latin1"),
  Buffer.from([0xff]),
  Buffer.from(" é 日本", "utf8"),
]);

/** Resets the server's data to the fixture every run starts from. */
async function resetData(s: ServerProcess): Promise<void> {
  const c = await s.client();
  try {
    await c.pipeline([
      ["FLUSHALL"],
      ["SELECT", "0"],
      ["SET", "plain", "hello world"],
      ["SET", "counter", "10"],
      ["RPUSH", "list", ...Array.from({ length: 11 }, (_, i) => `v${i + 1}`)],
      ["HSET", "h", "f1", "v1", "f2", "2"],
      ["SADD", "s", "member"],
      ["ZADD", "z", "1.5", "a", "2", "b"],
    ]);
    const odd = Buffer.concat([Buffer.from("*3\r\n$3\r\nSET\r\n$3\r\nodd\r\n"), bulk(ODD_VALUE)]);
    await c.sendRaw(odd);
  } finally {
    c.close();
  }
}

function bulk(b: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n")]);
}

/** Commands covering every reply shape both servers give alike. Arguments are latin1 byte strings. */
const COMMON: string[][] = [
  ["PING"],
  ["SET", "k", "v"],
  ["GET", "plain"],
  ["GET", "odd"],
  ["GET", "missing"],
  ["INCR", "counter"],
  ["INCRBYFLOAT", "counter", "1.5"],
  ["DEL", "missing"],
  ["NOSUCHCOMMAND", "x"],
  ["GET"],
  ["LRANGE", "nolist", "0", "-1"],
  ["LRANGE", "list", "0", "-1"],
  ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
  ["ZSCORE", "z", "a"],
  ["ZINCRBY", "z", "0.25", "b"],
  ["HGETALL", "h"],
  ["HGETALL", "missing"],
  ["SMEMBERS", "s"],
  ["SMEMBERS", "missing"],
  ["SCAN", "0", "MATCH", "plain", "COUNT", "1000"],
  ["CONFIG", "GET", "maxmemory-policy"],
  ["TYPE", "h"],
  ["EXISTS", "plain", "odd", "missing"],
  ["CLIENT", "LIST", "ID", "999999999"],
  ["EXEC"],
  ["MULTI"],
  ["SET", "uni", Buffer.from("é日本", "utf8").toString("latin1")],
  ["GET", "uni"],
  ["HELLO", "3"],
];

/** Replies Tandem's server gives differently from redis-server (or not at all); redis-cli only. */
const REDIS_ONLY: string[][] = [
  ["COMMAND", "INFO", "get"],
  ["DEBUG", "PROTOCOL", "double"],
  ["DEBUG", "PROTOCOL", "verbatim"],
  ["DEBUG", "PROTOCOL", "true"],
  ["DEBUG", "PROTOCOL", "false"],
  ["DEBUG", "PROTOCOL", "null"],
  ["DEBUG", "PROTOCOL", "map"],
  ["DEBUG", "PROTOCOL", "set"],
];

/** Client ids differ from one connection to the next: HELLO's "id" is the one thing not compared. */
function normalise(text: string): string {
  return text.replace(/("id" => \(integer\) )\d+/g, "$1N").replace(/(^|\n)id([ \n])\d+/g, "$1id$2N");
}

/** One line of a stdin script, quoted so that any byte survives the line splitting. */
function quoteLine(args: string[]): string {
  return args
    .map((a) => {
      let q = '"';
      for (const ch of a) {
        const b = ch.charCodeAt(0);
        if (ch === '"' || ch === "\\") q += `\\${ch}`;
        else if (b < 0x20 || b > 0x7e) q += `\\x${b.toString(16).padStart(2, "0")}`;
        else q += ch;
      }
      return `${q}"`;
    })
    .join(" ");
}

function script(cmds: string[][]): Buffer {
  return Buffer.from(cmds.map((c) => `${quoteLine(c)}\n`).join(""), "latin1");
}

const argBytes = (args: string[]) => args.map((a) => Buffer.from(a, "latin1").toString("utf8"));

const MODES: { name: string; args: string[]; env?: NodeJS.ProcessEnv }[] = [
  { name: "--no-raw", args: ["--no-raw"] },
  { name: "--raw", args: ["--raw"] },
  { name: "piped (default raw)", args: [] },
  { name: "FAKETTY (default formatted)", args: [], env: { FAKETTY: "1" } },
];

function sameRun(ours: Run, theirs: Run, what: string): void {
  assert.equal(normalise(ours.stdout), normalise(theirs.stdout), `stdout of ${what}`);
  assert.equal(ours.stderr, theirs.stderr, `stderr of ${what}`);
  assert.equal(ours.code, theirs.code, `exit code of ${what}`);
}

describe("tandem cli prints what redis-cli prints", { skip: NO_REDIS }, () => {
  let redis: ServerProcess;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  /** Runs one invocation with each tool on freshly reset data and compares the two. */
  async function compare(args: string[], input?: Buffer, env?: NodeJS.ProcessEnv): Promise<Run> {
    await resetData(redis);
    const theirs = await run([REDIS_CLI!], args, input, env);
    await resetData(redis);
    const ours = await run(TANDEM_CLI, args, input, env);
    sameRun(ours, theirs, `${args.join(" ")}${input ? " <stdin" : ""}${env?.FAKETTY ? " FAKETTY" : ""}`);
    return ours;
  }

  for (const resp of [[], ["-3"]]) {
    const label = resp.length ? "RESP3" : "RESP2";
    for (const mode of MODES.slice(0, 2)) {
      it(`one-shot, ${label}, ${mode.name}`, async () => {
        for (const cmd of [...COMMON, ...REDIS_ONLY]) {
          await compare(["-p", String(redis.port), ...resp, ...mode.args, ...argBytes(cmd)]);
        }
      });
    }
    for (const mode of MODES) {
      it(`commands on stdin, ${label}, ${mode.name}`, async () => {
        const r = await compare(
          ["-p", String(redis.port), ...resp, ...mode.args],
          script([...COMMON, ...REDIS_ONLY]),
          mode.env,
        );
        assert.ok(r.stdout.includes("hello world"), r.stdout);
      });
    }
  }

  it("one-shot in the default piped and FAKETTY modes", async () => {
    for (const cmd of [["GET", "odd"], ["HGETALL", "h"], ["NOSUCHCOMMAND"], ["LRANGE", "list", "0", "-1"]]) {
      for (const mode of MODES.slice(2)) {
        await compare(["-p", String(redis.port), "-3", ...argBytes(cmd)], undefined, mode.env);
      }
    }
  });

  it("a RESP3 big number: redis-cli 7.0 has no printer for it and exits 1", async () => {
    for (const mode of ["--no-raw", "--raw"]) {
      const r = await compare(["-p", String(redis.port), "-3", mode, "DEBUG", "PROTOCOL", "bignum"]);
      assert.equal(r.code, 1);
    }
  });

  it("-e: an error reply goes to stderr and the exit code is 1", async () => {
    const r = await compare(["-p", String(redis.port), "-e", "NOSUCHCOMMAND"]);
    assert.equal(r.code, 1);
    await compare(["-p", String(redis.port), "-e", "PING"]);
  });

  it("stdin: quit, blank lines, bad quoting, repeat counts, SELECT and the lines after quit", async () => {
    const input = Buffer.from(
      [
        "",
        "   ",
        'GET "unterminated',
        "3 INCR counter",
        "0 INCR counter",
        "SELECT 2",
        "SET in2 x",
        "DBSIZE",
        ":set hints",
        ":set bogus",
        ":what",
        "restart",
        "quit",
        "PING",
      ].join("\n"),
      "latin1",
    );
    for (const mode of ["--no-raw", "--raw"]) {
      const r = await compare(["-p", String(redis.port), mode], input);
      assert.ok(!r.stdout.includes("PONG"), "nothing runs after quit");
    }
    await compare(
      ["-p", String(redis.port), "--no-raw"],
      Buffer.from("PING\nECHO last-line-without-newline"),
    );
  });

  it("SUBSCRIBE: reads and prints messages until stopped", async () => {
    /** Subscribes with one tool, publishes once it is subscribed, returns what it printed. */
    async function subscribeWith(cmd: string[], args: string[]): Promise<string> {
      const p = spawn(cmd[0], [...cmd.slice(1), "-p", String(redis.port), ...args, "SUBSCRIBE", "news"], {
        env: { ...process.env, HOME: home },
      });
      let out = "";
      p.stdout.on("data", (d: Buffer) => (out += d.toString("latin1")));
      const exited = new Promise((resolve) => p.once("exit", resolve));
      try {
        await waitFor("the subscription", () => /\n1\n$|\(integer\) 1\n$/.test(out));
        const c = await redis.client();
        await c.call("PUBLISH", "news", "extra\nextra");
        c.close();
        await waitFor("the message", () => out.includes("extra"));
      } finally {
        p.kill("SIGTERM");
        await exited;
      }
      return out;
    }
    for (const args of [["--no-raw"], ["--raw"], ["-3", "--no-raw"]]) {
      const theirs = await subscribeWith([REDIS_CLI!], args);
      const ours = await subscribeWith(TANDEM_CLI, args);
      assert.equal(ours, theirs, args.join(" "));
    }
  });

  it("connection refused, one-shot and on stdin", async () => {
    const port = String(await freePort());
    const r = await compare(["-p", port, "PING"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Could not connect to Redis at 127.0.0.1:${port}: Connection refused\n`);
    await compare(["-p", port], Buffer.from("PING\nPING\n"));
  });

  it("the server closing the connection before replying", async () => {
    // A listener that hangs up on every command: "Error: Server closed the connection".
    const server = createServer((sock) => sock.once("data", () => sock.destroy()));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = String((server.address() as AddressInfo).port);
    try {
      const r = await compare(["-p", port, "PING"]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, "Error: Server closed the connection\n");
      await compare(["-p", port, "--no-raw"], Buffer.from("PING\nPING\n"));
    } finally {
      server.close();
    }
  });

  describe("AUTH, --user and -n against a password-protected server", () => {
    let locked: ServerProcess;
    before(async () => {
      locked = await startRedis({ args: ["--requirepass", "sesame"] });
    });
    after(async () => {
      await locked?.stop();
    });

    it("prints the same warnings, failures and replies", async () => {
      const p = ["-p", String(locked.port)];
      const c = await locked.client();
      await c.pipeline([
        ["AUTH", "sesame"],
        ["SELECT", "3"],
        ["SET", "marker", "in db 3"],
      ]);
      c.close();
      const cases: string[][] = [
        [...p, "PING"],
        [...p, "-a", "wrong", "PING"],
        [...p, "-a", "sesame", "PING"],
        [...p, "--no-auth-warning", "-a", "sesame", "--no-raw", "PING"],
        [...p, "--user", "default", "--pass", "sesame", "PING"],
        [...p, "--user", "nobody", "-a", "sesame", "PING"],
        [...p, "-a", "sesame", "-n", "3", "--no-raw", "GET", "marker"],
        [...p, "-a", "sesame", "-n", "99", "PING"],
        [...p, "-a", "sesame", "-3", "--no-raw", "HGETALL", "nothing"],
      ];
      for (const args of cases) {
        const r = await run([REDIS_CLI!], args);
        const ours = await run(TANDEM_CLI, args);
        sameRun(ours, r, args.join(" "));
        if (args.includes("marker")) assert.equal(ours.stdout, '"in db 3"\n');
      }
      const stdin = Buffer.from("PING\nAUTH sesame\nPING\nSELECT 1\nSET a 1\n", "latin1");
      sameRun(
        await run(TANDEM_CLI, [...p, "--no-raw"], stdin),
        await run([REDIS_CLI!], [...p, "--no-raw"], stdin),
        "AUTH on stdin",
      );
    });
  });
});

describe("tandem cli against tandem server prints what it prints against redis-server", {
  skip: NO_REDIS,
}, () => {
  let redis: ServerProcess;
  let tandem: ServerProcess;

  before(async () => {
    [redis, tandem] = await Promise.all([startRedis(), startTandem()]);
  });
  after(async () => {
    await Promise.all([redis?.stop(), tandem?.stop()]);
  });

  for (const args of [["--no-raw"], ["--raw"], ["-3", "--no-raw"], ["-3", "--raw"]]) {
    it(`commands on stdin, ${args.join(" ")}`, async () => {
      await resetData(redis);
      await resetData(tandem);
      const input = script(COMMON);
      const onRedis = await run(TANDEM_CLI, ["-p", String(redis.port), ...args], input);
      const onTandem = await run(TANDEM_CLI, ["-p", String(tandem.port), ...args], input);
      sameRun(onTandem, onRedis, `tandem cli ${args.join(" ")}`);
      assert.ok(onTandem.stdout.includes("hello world"), onTandem.stdout);
    });
  }
});
