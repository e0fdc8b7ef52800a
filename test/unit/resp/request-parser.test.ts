import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProtocolError } from "../../../src/resp/protocol-error.js";
import { encodeCommand } from "../../../src/resp/reply-writer.js";
import { RequestParser, type RequestSink, splitArgs } from "../../../src/resp/request-parser.js";
import { PROTO_INLINE_MAX_SIZE, PROTO_MBULK_MAX_LEN } from "../../../src/resp/resp-limits.js";

/** Collects every command a parser delivers. */
class Collect implements RequestSink {
  readonly commands: string[][] = [];
  onCommand(argv: string[]): boolean {
    this.commands.push(argv);
    return true;
  }
}

function parseAll(chunks: Buffer[]): string[][] {
  const p = new RequestParser();
  const sink = new Collect();
  for (const c of chunks) p.feed(c, sink);
  assert.equal(p.bufferedBytes, 0, "nothing left over");
  return sink.commands;
}

function parseError(input: Buffer | string, maxBulkLen?: number): ProtocolError {
  const p = new RequestParser();
  if (maxBulkLen !== undefined) p.maxBulkLen = maxBulkLen;
  try {
    p.feed(Buffer.from(input as string, "latin1"), new Collect());
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${err}`);
    return err;
  }
  assert.fail(`no protocol error for ${JSON.stringify(String(input).slice(0, 80))}`);
}

const SAMPLE_COMMANDS: string[][] = [
  ["SET", "key", "value"],
  ["GET", "key"],
  ["SET", "bin", "\x00\r\n\xff\x80 binary"],
  ["MSET", "a", "", "b", "x".repeat(20_000)],
  ["PING"],
];
const MULTIBULK = Buffer.concat(SAMPLE_COMMANDS.map((c) => encodeCommand(c)));
const INLINE = Buffer.from("PING\r\nSET k \"a b\\x41\\n\" \r\nECHO 'it\\'s'\nGET k\r\n\r\n", "latin1");
const INLINE_EXPECTED = [["PING"], ["SET", "k", "a bA\n"], ["ECHO", "it's"], ["GET", "k"]];

describe("RequestParser", () => {
  it("parses multibulk commands fed whole", () => {
    assert.deepEqual(parseAll([MULTIBULK]), SAMPLE_COMMANDS);
  });

  it("parses multibulk commands fed byte by byte", () => {
    const bytes: Buffer[] = [];
    for (let i = 0; i < MULTIBULK.length; i++) bytes.push(MULTIBULK.subarray(i, i + 1));
    assert.deepEqual(parseAll(bytes), SAMPLE_COMMANDS);
  });

  it("parses multibulk commands split at every position", () => {
    const small = Buffer.concat(SAMPLE_COMMANDS.slice(0, 3).map((c) => encodeCommand(c)));
    for (let i = 0; i <= small.length; i++) {
      assert.deepEqual(
        parseAll([small.subarray(0, i), small.subarray(i)]),
        SAMPLE_COMMANDS.slice(0, 3),
        `split at ${i}`,
      );
    }
    // The big one at a stride (every position would be 20k parses of 20k bytes).
    for (let i = 0; i <= MULTIBULK.length; i += 97) {
      assert.deepEqual(parseAll([MULTIBULK.subarray(0, i), MULTIBULK.subarray(i)]), SAMPLE_COMMANDS);
    }
  });

  it("parses inline commands whole, byte by byte and split at every position", () => {
    assert.deepEqual(parseAll([INLINE]), INLINE_EXPECTED);
    const bytes: Buffer[] = [];
    for (let i = 0; i < INLINE.length; i++) bytes.push(INLINE.subarray(i, i + 1));
    assert.deepEqual(parseAll(bytes), INLINE_EXPECTED);
    for (let i = 0; i <= INLINE.length; i++) {
      assert.deepEqual(
        parseAll([INLINE.subarray(0, i), INLINE.subarray(i)]),
        INLINE_EXPECTED,
        `split at ${i}`,
      );
    }
  });

  it("mixes inline and multibulk in one stream, and skips empty multibulks", () => {
    const input = Buffer.concat([Buffer.from("PING\r\n*0\r\n*-1\r\n"), encodeCommand(["GET", "x"])]);
    assert.deepEqual(parseAll([input]), [["PING"], ["GET", "x"]]);
  });

  it("stops when the sink says so and resumes where it stopped", () => {
    const p = new RequestParser();
    const seen: string[][] = [];
    let allow = 1;
    const sink: RequestSink = {
      onCommand(argv) {
        seen.push(argv);
        return --allow > 0;
      },
    };
    p.feed(MULTIBULK, sink);
    assert.equal(seen.length, 1);
    allow = 2;
    p.resume(sink);
    assert.equal(seen.length, 3);
    allow = 100;
    p.resume(sink);
    assert.deepEqual(seen, SAMPLE_COMMANDS);
    assert.equal(p.bufferedBytes, 0);
  });

  it("returns latin1 strings that do not share the socket buffer", () => {
    const chunk = encodeCommand(["SET", "k", "v"]);
    const [argv] = parseAll([chunk]);
    chunk.fill(0);
    assert.deepEqual(argv, ["SET", "k", "v"]);
  });

  // ─── Redis's protocol limits and error texts ───────────────────────────────────────────────────────

  it("rejects a multibulk length over INT_MAX (Redis 7) and accepts exactly that much", () => {
    assert.equal(
      parseError(`*${PROTO_MBULK_MAX_LEN + 1}\r\n`).message,
      "Protocol error: invalid multibulk length",
    );
    const p = new RequestParser();
    p.feed(Buffer.from(`*${PROTO_MBULK_MAX_LEN}\r\n`), new Collect()); // waits for the arguments
    assert.equal(p.failed, false);
  });

  it("rejects malformed lengths with Redis's texts", () => {
    assert.equal(parseError("*abc\r\n").message, "Protocol error: invalid multibulk length");
    assert.equal(parseError("*1\r\n$-1\r\n").message, "Protocol error: invalid bulk length");
    assert.equal(parseError("*1\r\n$x\r\n").message, "Protocol error: invalid bulk length");
    assert.equal(parseError("*1\r\n+OK\r\n").message, "Protocol error: expected '$', got '+'");
    assert.equal(
      parseError('SET k "unterminated\r\n').message,
      "Protocol error: unbalanced quotes in request",
    );
  });

  it("rejects a bulk longer than proto-max-bulk-len before reading its data", () => {
    const e = parseError("*2\r\n$3\r\nGET\r\n$2000000\r\n", 1024 * 1024);
    assert.equal(e.message, "Protocol error: invalid bulk length");
  });

  it("rejects an inline request longer than 64 KiB without a newline", () => {
    const p = new RequestParser();
    const sink = new Collect();
    p.feed(Buffer.alloc(PROTO_INLINE_MAX_SIZE, "a"), sink); // exactly the limit: still waiting
    assert.equal(p.failed, false);
    assert.throws(() => p.feed(Buffer.from("aa"), sink), /too big inline request/);
    assert.equal(p.failed, true);
    assert.equal(p.bufferedBytes, 0, "a failed parser drops its buffer");
    p.feed(Buffer.from("PING\r\n"), sink); // and ignores anything after
    assert.equal(sink.commands.length, 0);
  });

  it("rejects an endless multibulk count or bulk count line", () => {
    assert.match(
      parseError("*" + "1".repeat(PROTO_INLINE_MAX_SIZE + 10)).message,
      /too big mbulk count string/,
    );
    assert.match(
      parseError("*1\r\n$" + "1".repeat(PROTO_INLINE_MAX_SIZE + 10)).message,
      /too big bulk count string/,
    );
  });
});

describe("RequestParser as the master link reads (deliverEmpty, lastFrame)", () => {
  /** The master's stream: commands with keepalive newlines and an empty multibulk between them. */
  const stream = Buffer.concat([
    encodeCommand(["SELECT", "0"]),
    Buffer.from("\n"),
    encodeCommand(["SET", "k", "\r\n\x00v"]),
    Buffer.from("*0\r\n"),
    encodeCommand(["PING"]),
  ]);
  const expected = [["SELECT", "0"], [], ["SET", "k", "\r\n\x00v"], [], ["PING"]];

  function readFrames(chunks: Buffer[]): { argv: string[][]; frames: Buffer[] } {
    const p = new RequestParser({ deliverEmpty: true });
    const argv: string[][] = [];
    const frames: Buffer[] = [];
    const sink: RequestSink = {
      onCommand(a) {
        argv.push(a);
        frames.push(Buffer.from(p.lastFrame()));
        return true;
      },
    };
    for (const c of chunks) p.feed(c, sink);
    assert.equal(p.bufferedBytes, 0);
    return { argv, frames };
  }

  it("delivers keepalives as empty commands and each command's exact bytes, split at every position", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const { argv, frames } = readFrames([stream.subarray(0, cut), stream.subarray(cut)]);
      assert.deepEqual(argv, expected, `cut at ${cut}`);
      assert.deepEqual(Buffer.concat(frames), stream, `frames cover the stream exactly (cut at ${cut})`);
    }
    const bytewise = readFrames([...stream].map((b) => Buffer.from([b])));
    assert.deepEqual(bytewise.argv, expected);
    assert.deepEqual(Buffer.concat(bytewise.frames), stream);
  });
});

describe("RequestParser with large commands arriving in pieces", () => {
  /** Feeds `cmd` in 64 KiB chunks; returns the commands and the bytes the parser allocated meanwhile. */
  function feedCounting(cmd: Buffer): { commands: string[][]; allocated: number } {
    const p = new RequestParser();
    const sink = new Collect();
    const allocUnsafe = Buffer.allocUnsafe;
    let allocated = 0;
    Buffer.allocUnsafe = ((n: number) => {
      allocated += n;
      return allocUnsafe(n);
    }) as typeof Buffer.allocUnsafe;
    try {
      for (let i = 0; i < cmd.length; i += 65536) p.feed(cmd.subarray(i, i + 65536), sink);
    } finally {
      Buffer.allocUnsafe = allocUnsafe;
    }
    assert.equal(p.bufferedBytes, 0);
    return { commands: sink.commands, allocated };
  }

  it("reads a 32 MB value into one buffer of the command's exact size (Redis's big-argument reservation)", () => {
    const value = "x".repeat(32 * 1024 * 1024);
    const cmd = encodeCommand(["SET", "big", value]);
    const { commands, allocated } = feedCounting(cmd);
    assert.equal(commands[0][2], value);
    assert.equal(allocated, cmd.length, "one buffer, sized once the $<len> line arrived");
  });

  it("keeps a little room after a big value that is not the last argument, and reads what follows", () => {
    const value = "y".repeat(3 * 1024 * 1024);
    const cmd = encodeCommand(["SET", "big", value, "EX", "100"]);
    const { commands, allocated } = feedCounting(cmd);
    assert.deepEqual(commands, [["SET", "big", value, "EX", "100"]]);
    assert.ok(allocated < cmd.length + 4096, `allocated ${allocated} bytes for a ${cmd.length}-byte command`);
  });

  it("reports the reservation as room left (qbuf-free) while the big value arrives", () => {
    const p = new RequestParser();
    const sink = new Collect();
    const head = Buffer.from("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n", "latin1");
    p.feed(Buffer.concat([head, Buffer.alloc(100_000, 97)]), sink);
    assert.equal(p.bufferedBytes, head.length + 100_000);
    assert.equal(p.bufferedBytes + p.freeBytes, head.length + 1_048_576 + 2);
    p.feed(Buffer.concat([Buffer.alloc(1_048_576 - 100_000, 97), Buffer.from("\r\n")]), sink);
    assert.equal(sink.commands[0][2].length, 1_048_576);
    assert.equal(p.bufferedBytes, 0);
  });

  it("grows by doubling while no big bulk is announced (many small arguments)", () => {
    const argv = ["RPUSH", "list"];
    for (let i = 0; i < 50_000; i++) argv.push(`e${i}`);
    const cmd = encodeCommand(argv);
    const { commands, allocated } = feedCounting(cmd);
    assert.deepEqual(commands, [argv]);
    assert.ok(allocated <= 4 * cmd.length, `allocated ${allocated} bytes for a ${cmd.length}-byte command`);
  });

  it("reads a 200,000-argument multibulk without rescanning what it already read", () => {
    const argv = ["RPUSH", "list"];
    for (let i = 0; i < 200_000; i++) argv.push(`element:${i}`);
    const cmd = encodeCommand(argv);
    const { commands, allocated } = feedCounting(cmd);
    assert.deepEqual(commands, [argv]);
    assert.ok(allocated <= 4 * cmd.length, `allocated ${allocated} bytes for a ${cmd.length}-byte command`);
  });

  it("refuses large multibulks and bulks while authentication is required, as Redis", () => {
    let required = true;
    const p = () => new RequestParser({ authRequired: () => required });
    const err = (input: string) => {
      try {
        p().feed(Buffer.from(input), new Collect());
      } catch (e) {
        return (e as ProtocolError).message;
      }
      return "";
    };
    assert.equal(err("*11\r\n"), "Protocol error: unauthenticated multibulk length");
    assert.equal(err("*2\r\n$4\r\nAUTH\r\n$16385\r\n"), "Protocol error: unauthenticated bulk length");
    assert.equal(err("*10\r\n$4\r\nAUTH\r\n$16384\r\n"), "");
    required = false;
    assert.equal(err("*11\r\n"), "");
  });
});

describe("splitArgs (sdssplitargs rules)", () => {
  it("handles quotes and escapes", () => {
    assert.deepEqual(splitArgs(`set "a\\x00b" 'c d'`), ["set", "a\x00b", "c d"]);
    assert.deepEqual(splitArgs(`  a   b  `), ["a", "b"]);
    assert.deepEqual(splitArgs(`""`), [""]);
    assert.equal(splitArgs(`"a"b`), null);
    assert.equal(splitArgs(`'a`), null);
  });
});
