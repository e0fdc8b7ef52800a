import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { dirname, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type AdminOutput,
  drainCommand,
  statusCommand,
  undrainCommand,
} from "../../../src/cli/admin-command.js";
import { formatBackendsTable, parseBackendsReply } from "../../../src/cli/backends-table.js";
import { RequestParser } from "../../../src/resp/request-parser.js";
import { RespDecoder } from "../../../src/resp/resp-decoder.js";
import { freePort } from "../../helpers/free-port.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

type Field = [string, string | number];

/** A PROXY BACKENDS reply as the spec writes it: per backend a flat array of bulk names and bulk/int values. */
function backendsResp(backends: Field[][]): string {
  const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  let out = `*${backends.length}\r\n`;
  for (const fields of backends) {
    out += `*${fields.length * 2}\r\n`;
    for (const [k, v] of fields) out += bulk(k) + (typeof v === "number" ? `:${v}\r\n` : bulk(v));
  }
  return out;
}

function backend(address: string, over: Record<string, string | number> = {}): Field[] {
  const base: Record<string, string | number> = {
    address,
    role: "replica",
    state: "up",
    offset: 1234,
    lag_bytes: 0,
    lag_ms: 3,
    in_flight: 0,
    breaker: "closed",
    eligible: "yes",
    reason: "",
    drain: "none",
    ...over,
  };
  return Object.entries(base);
}

const MASTER = backend("127.0.0.1:6379", { role: "master", offset: 5000, lag_ms: 0, in_flight: 2 });
const REPLICA = backend("127.0.0.1:6380", { offset: 4998, lag_bytes: 2, in_flight: 12 });

interface FakeProxy {
  port: number;
  /** Every command received, in order, over all connections. */
  commands: string[][];
  connections: number;
  close(): Promise<void>;
}

/**
 * A stand-in for the proxy's admin side: answers each command with the handler's raw RESP (null: close the
 * connection). The handler also sees whether this connection has sent a correct AUTH.
 */
async function fakeProxy(
  handler: (argv: string[], state: { authed: boolean }) => string | null,
): Promise<FakeProxy> {
  const sockets = new Set<Socket>();
  const fake = { commands: [] as string[][], connections: 0 };
  const server = createServer((socket) => {
    fake.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const parser = new RequestParser();
    const state = { authed: false };
    socket.on("data", (chunk: Buffer) =>
      parser.feed(chunk, {
        onCommand: (argv) => {
          fake.commands.push(argv);
          const reply = handler(argv, state);
          if (reply === null) socket.destroy();
          else socket.write(reply);
          return true;
        },
      }),
    );
  });
  await new Promise<void>((res) => server.listen({ host: "127.0.0.1", port: 0 }, res));
  const addr = server.address();
  assert.ok(addr !== null && typeof addr === "object");
  return {
    port: addr.port,
    get commands() {
      return fake.commands;
    },
    get connections() {
      return fake.connections;
    },
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}

/** Answers AUTH with the given password (or WRONGPASS), and PROXY commands via `proxy` once authed. */
function withAuth(
  password: string | null,
  proxy: (argv: string[]) => string,
): (argv: string[], state: { authed: boolean }) => string {
  return (argv, state) => {
    const cmd = argv[0].toUpperCase();
    if (cmd === "AUTH") {
      if (argv[1] === password) {
        state.authed = true;
        return "+OK\r\n";
      }
      return "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    }
    if (password !== null && !state.authed) return "-NOAUTH Authentication required.\r\n";
    return proxy(argv);
  };
}

class Captured implements AdminOutput {
  out = "";
  err = "";
  stdout(text: string): void {
    this.out += text;
  }
  stderr(text: string): void {
    this.err += text;
  }
}

async function run(
  cmd: (args: readonly string[], output: AdminOutput) => Promise<number>,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const c = new Captured();
  const code = await cmd(args, c);
  return { code, out: c.out, err: c.err };
}

/** One line on stderr, ending in a newline, with no stack frames. */
function assertOneLine(err: string): void {
  assert.match(err, /^[^\n]+\n$/, `expected exactly one stderr line, got ${JSON.stringify(err)}`);
  assert.doesNotMatch(err, /\bat .*\(|\bat file:|node:internal/, "no stack frames");
}

const fakes: FakeProxy[] = [];
async function startFake(handler: Parameters<typeof fakeProxy>[0]): Promise<FakeProxy> {
  const f = await fakeProxy(handler);
  fakes.push(f);
  return f;
}
after(async () => {
  await Promise.all(fakes.map((f) => f.close()));
});

describe("formatBackendsTable", () => {
  it("pads every column to its widest cell, numbers on the right, blank reason trimmed", () => {
    const rows = parseBackendsReply(
      RespDecoder.decodeAll(
        Buffer.from(
          backendsResp([
            MASTER,
            backend("127.0.0.1:16381", {
              state: "down",
              offset: 0,
              lag_bytes: 5000,
              lag_ms: 12000,
              breaker: "open",
              eligible: "no",
              reason: "link down",
              drain: "draining",
            }),
          ]),
        ),
      )[0],
    );
    assert.equal(
      formatBackendsTable(rows),
      [
        "ADDRESS          ROLE     STATE  OFFSET  LAG(B)  LAG(ms)  IN-FLIGHT  BREAKER  ELIGIBLE  DRAIN     REASON",
        "127.0.0.1:6379   master   up       5000       0        0          2  closed   yes       none",
        "127.0.0.1:16381  replica  down        0    5000    12000          0  open     no        draining  link down",
        "",
      ].join("\n"),
    );
  });

  it("reads fields by name: unknown fields are ignored, missing ones shown as '-'", () => {
    const reply = RespDecoder.decodeAll(
      Buffer.from(
        backendsResp([
          [
            ["future_field", "x"],
            ["drain", "none"],
            ["address", "10.0.0.1:7000"],
            ["in_flight", 7],
          ],
        ]),
      ),
    )[0];
    const lines = formatBackendsTable(parseBackendsReply(reply)).split("\n");
    assert.equal(lines.length, 3);
    assert.doesNotMatch(lines[1], /x/);
    // address, role, state, offset, lag(B), lag(ms), in-flight, breaker, eligible, drain, reason (absent).
    const cells = ["10.0.0.1:7000", "-", "-", "-", "-", "-", "7", "-", "-", "none", "-"];
    assert.deepEqual(lines[1].split(/\s+/), cells);
  });

  it("an error reply or a reply of another shape is an error with a readable message", () => {
    assert.throws(
      () => parseBackendsReply(RespDecoder.decodeAll(Buffer.from("-ERR unknown command 'PROXY'\r\n"))[0]),
      { message: "ERR unknown command 'PROXY'" },
    );
    assert.throws(() => parseBackendsReply("OK"), /not an array/);
    assert.throws(() => parseBackendsReply([[Buffer.from("address")]]), /backend #1/);
  });
});

describe("tandem status", () => {
  it("prints the table from PROXY BACKENDS, after AUTH when given -a", async () => {
    const fake = await startFake(
      withAuth("s3cret", (argv) =>
        argv[1] === "BACKENDS" ? backendsResp([MASTER, REPLICA]) : "-ERR no\r\n",
      ),
    );
    const r = await run(statusCommand, ["--proxy", `127.0.0.1:${fake.port}`, "-a", "s3cret"]);
    assert.equal(r.err, "");
    assert.equal(r.code, 0);
    const lines = r.out.trimEnd().split("\n");
    assert.equal(lines.length, 3);
    assert.match(
      lines[0],
      /^ADDRESS\s+ROLE\s+STATE\s+OFFSET\s+LAG\(B\)\s+LAG\(ms\)\s+IN-FLIGHT\s+BREAKER\s+ELIGIBLE\s+DRAIN\s+REASON$/,
    );
    assert.match(lines[1], /^127\.0\.0\.1:6379\s+master\s+up\s+5000\s+0\s+0\s+2\s+closed\s+yes\s+none$/);
    assert.match(lines[2], /^127\.0\.0\.1:6380\s+replica\s+up\s+4998\s+2\s+3\s+12\s+closed\s+yes\s+none$/);
    assert.deepEqual(fake.commands, [
      ["AUTH", "s3cret"],
      ["PROXY", "BACKENDS"],
    ]);
  });

  it("a wrong password prints the WRONGPASS reply as it comes, exit 1", async () => {
    const fake = await startFake(withAuth("s3cret", () => backendsResp([MASTER])));
    const r = await run(statusCommand, ["--proxy", `127.0.0.1:${fake.port}`, "-a", "nope"]);
    assert.equal(r.code, 1);
    assert.equal(r.out, "");
    assert.equal(r.err, "tandem status: WRONGPASS invalid username-password pair or user is disabled.\n");
  });

  it("no password against a proxy that needs one prints NOAUTH, exit 1", async () => {
    const fake = await startFake(withAuth("s3cret", () => backendsResp([MASTER])));
    const r = await run(statusCommand, ["--proxy", `127.0.0.1:${fake.port}`]);
    assert.equal(r.code, 1);
    assert.equal(r.err, "tandem status: NOAUTH Authentication required.\n");
  });

  it("an unreachable proxy is one line naming the address and the reason", async () => {
    const port = await freePort();
    const r = await run(statusCommand, ["--proxy", `127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.equal(r.out, "");
    assert.equal(
      r.err,
      `tandem status: cannot connect to the proxy at 127.0.0.1:${port}: connection refused\n`,
    );
  });

  it("a proxy that hangs up before answering is one line, exit 1", async () => {
    const fake = await startFake(() => null);
    const r = await run(statusCommand, ["--proxy", `127.0.0.1:${fake.port}`]);
    assert.equal(r.code, 1);
    assertOneLine(r.err);
    assert.match(r.err, /^tandem status: the proxy at 127\.0\.0\.1:\d+ closed the connection\n$/);
  });

  it("--help prints the usage with the default and an example, exit 0, without connecting", async () => {
    const r = await run(statusCommand, ["--proxy", "nonsense", "--help"]);
    assert.equal(r.code, 0);
    assert.equal(r.err, "");
    assert.match(r.out, /^Usage: tandem status \[--proxy host:port\] \[-a password\]\n/);
    assert.match(r.out, /default 127\.0\.0\.1:7379/);
    assert.match(r.out, /Example:\n {2}tandem status/);
  });

  it("spawned as `node bin/tandem status`: an unreachable proxy exits 1 with one stderr line, no stack", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["bin/tandem", "status", "--proxy", `127.0.0.1:${port}`], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((res) => child.on("close", (c) => res(c)));
    assert.equal(code, 1);
    assert.equal(out, "");
    assertOneLine(err);
    assert.equal(
      err,
      `tandem status: cannot connect to the proxy at 127.0.0.1:${port}: connection refused\n`,
    );
  });
});

describe("tandem drain", () => {
  it("sends PROXY DRAIN and, without --wait, says where to follow progress", async () => {
    const fake = await startFake(withAuth(null, (argv) => (argv[1] === "DRAIN" ? "+OK\r\n" : "-ERR no\r\n")));
    const r = await run(drainCommand, ["127.0.0.1:6380", "--proxy", `127.0.0.1:${fake.port}`]);
    assert.equal(r.err, "");
    assert.equal(r.code, 0);
    assert.equal(r.out, "127.0.0.1:6380: draining (tandem status shows progress)\n");
    assert.deepEqual(fake.commands, [["PROXY", "DRAIN", "127.0.0.1:6380"]]);
  });

  it("an error reply is printed with its text, exit 1", async () => {
    const fake = await startFake(
      withAuth(null, (argv) => `-ERR Tandem proxy: unknown backend '${argv[2]}'\r\n`),
    );
    const r = await run(drainCommand, ["1.2.3.4:1", "--proxy", `127.0.0.1:${fake.port}`]);
    assert.equal(r.code, 1);
    assert.equal(r.out, "");
    assert.equal(r.err, "tandem drain: ERR Tandem proxy: unknown backend '1.2.3.4:1'\n");
  });

  it("--wait prints each change of in-flight count or drain state and exits 0 once drained", async () => {
    // What successive PROXY BACKENDS calls report for the drained replica; the repeated 1 must print once.
    const steps: [number, string][] = [
      [3, "draining"],
      [1, "draining"],
      [1, "draining"],
      [0, "drained"],
    ];
    let polls = 0;
    const fake = await startFake(
      withAuth("pw", (argv) => {
        if (argv[1] === "DRAIN") return "+OK\r\n";
        const [inFlight, drain] = steps[Math.min(polls++, steps.length - 1)];
        return backendsResp([MASTER, backend("127.0.0.1:6380", { in_flight: inFlight, drain })]);
      }),
    );
    const started = Date.now();
    const r = await run(drainCommand, [
      "127.0.0.1:6380",
      "--wait",
      "-a",
      "pw",
      "--proxy",
      `127.0.0.1:${fake.port}`,
    ]);
    assert.equal(r.err, "");
    assert.equal(r.code, 0);
    assert.equal(
      r.out,
      "127.0.0.1:6380: draining, 3 in flight\n" +
        "127.0.0.1:6380: draining, 1 in flight\n" +
        "127.0.0.1:6380: drained, 0 in flight\n",
    );
    assert.equal(polls, 4, "stops polling once drained");
    assert.ok(Date.now() - started >= 3 * 190, "polls about every 200 ms");
    assert.equal(fake.connections, 1, "one connection for the whole wait");
    assert.deepEqual(fake.commands.slice(0, 3), [
      ["AUTH", "pw"],
      ["PROXY", "DRAIN", "127.0.0.1:6380"],
      ["PROXY", "BACKENDS"],
    ]);
  });

  it("--wait --timeout gives up with one clear line and exit 1 while still draining", async () => {
    const fake = await startFake(
      withAuth(null, (argv) =>
        argv[1] === "DRAIN"
          ? "+OK\r\n"
          : backendsResp([MASTER, backend("127.0.0.1:6380", { in_flight: 2, drain: "draining" })]),
      ),
    );
    const started = Date.now();
    const r = await run(drainCommand, [
      "127.0.0.1:6380",
      "--proxy",
      `127.0.0.1:${fake.port}`,
      "--wait",
      "--timeout",
      "0.5",
    ]);
    const elapsed = Date.now() - started;
    assert.equal(r.code, 1);
    assert.equal(r.out, "127.0.0.1:6380: draining, 2 in flight\n");
    assertOneLine(r.err);
    assert.match(r.err, /^tandem drain: 127\.0\.0\.1:6380 still draining after 0\.5 s \(2 in flight\)/);
    assert.ok(elapsed >= 450 && elapsed < 3000, `gave up after ${elapsed} ms`);
  });

  it("--wait fails when the drain is cancelled under it", async () => {
    let polls = 0;
    const fake = await startFake(
      withAuth(null, (argv) =>
        argv[1] === "DRAIN"
          ? "+OK\r\n"
          : backendsResp([
              backend("127.0.0.1:6380", { in_flight: 1, drain: polls++ === 0 ? "draining" : "none" }),
            ]),
      ),
    );
    const r = await run(drainCommand, ["127.0.0.1:6380", "--wait", "--proxy", `127.0.0.1:${fake.port}`]);
    assert.equal(r.code, 1);
    assert.equal(r.out, "127.0.0.1:6380: draining, 1 in flight\n127.0.0.1:6380: none, 1 in flight\n");
    assert.equal(r.err, "tandem drain: 127.0.0.1:6380 is no longer draining (undrained meanwhile?)\n");
  });

  it("wrong arguments are one line with the synopsis, exit 1, and no connection", async () => {
    const fake = await startFake(() => "+OK\r\n");
    const proxy = ["--proxy", `127.0.0.1:${fake.port}`];
    const cases: [string[], RegExp][] = [
      [[...proxy], /^tandem drain: missing the backend's host:port \(usage: tandem drain <host:port> /],
      [["127.0.0.1:6380", "extra", ...proxy], /unexpected argument 'extra'/],
      [["127.0.0.1:6380", "--frobnicate", ...proxy], /unknown option '--frobnicate'/],
      [["localhost", ...proxy], /expected the backend as host:port, got 'localhost'/],
      [["127.0.0.1:6380", "--proxy"], /--proxy needs a value \(host:port\)/],
      [
        ["127.0.0.1:6380", "--proxy", "127.0.0.1:99999"],
        /--proxy: expected host:port, got '127\.0\.0\.1:99999'/,
      ],
      [
        ["127.0.0.1:6380", "--wait", "--timeout", "soon", ...proxy],
        /--timeout: expected a number of seconds > 0/,
      ],
      [["127.0.0.1:6380", "--timeout", "5", ...proxy], /--timeout only applies with --wait/],
      [["127.0.0.1:6380", ...proxy, "-a"], /-a needs a value \(the password\)/],
    ];
    for (const [args, re] of cases) {
      const r = await run(drainCommand, args);
      assert.equal(r.code, 1, `exit 1 for ${args.join(" ")}`);
      assert.equal(r.out, "");
      assertOneLine(r.err);
      assert.match(r.err, re, `for ${args.join(" ")}`);
    }
    assert.equal(fake.connections, 0);
    const s = await run(statusCommand, ["127.0.0.1:6380"]);
    assert.equal(s.code, 1);
    assert.match(s.err, /^tandem status: unexpected argument '127\.0\.0\.1:6380' \(usage: tandem status /);
  });

  it("-h prints usage with the --timeout default and an example, exit 0", async () => {
    const r = await run(drainCommand, ["-h"]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^Usage: tandem drain <host:port> \[--proxy host:port\] \[-a password\] \[--wait\]/);
    assert.match(r.out, /--timeout seconds .*\(default 60\)/s);
    assert.match(r.out, /default 127\.0\.0\.1:7379/);
    assert.match(r.out, /Example:\n {2}tandem drain 127\.0\.0\.1:6380 --wait/);
  });
});

describe("tandem undrain", () => {
  it("sends PROXY UNDRAIN and says the backend serves reads again", async () => {
    const fake = await startFake(
      withAuth(null, (argv) => (argv[1] === "UNDRAIN" ? "+OK\r\n" : "-ERR no\r\n")),
    );
    const r = await run(undrainCommand, ["--proxy", `127.0.0.1:${fake.port}`, "127.0.0.1:6381"]);
    assert.equal(r.err, "");
    assert.equal(r.code, 0);
    assert.equal(r.out, "127.0.0.1:6381: serving reads again\n");
    assert.deepEqual(fake.commands, [["PROXY", "UNDRAIN", "127.0.0.1:6381"]]);
  });

  it("NOPERM and master errors come through as the proxy wrote them", async () => {
    const fake = await startFake(
      withAuth(null, (argv) =>
        argv[2] === "127.0.0.1:6379"
          ? "-ERR Tandem proxy: 127.0.0.1:6379 is the master; only replicas can be drained\r\n"
          : "-NOPERM this user has no permissions to run the 'proxy' command\r\n",
      ),
    );
    const master = await run(undrainCommand, ["127.0.0.1:6379", "--proxy", `127.0.0.1:${fake.port}`]);
    assert.equal(master.code, 1);
    assert.equal(
      master.err,
      "tandem undrain: ERR Tandem proxy: 127.0.0.1:6379 is the master; only replicas can be drained\n",
    );
    const noperm = await run(undrainCommand, ["127.0.0.1:6380", "--proxy", `127.0.0.1:${fake.port}`]);
    assert.equal(noperm.code, 1);
    assert.equal(
      noperm.err,
      "tandem undrain: NOPERM this user has no permissions to run the 'proxy' command\n",
    );
  });
});
