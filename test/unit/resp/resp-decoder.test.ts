import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { INCOMPLETE, scanFrame } from "../../../src/resp/frame-scanner.js";
import { ProtocolError } from "../../../src/resp/protocol-error.js";
import { RespDecoder } from "../../../src/resp/resp-decoder.js";
import { RespErrorReply, RespPush, type RespValue, RespVerbatim } from "../../../src/resp/resp-value.js";

/** One frame of every RESP2 and RESP3 type, with the value the decoder must return. */
const FRAMES: [string, RespValue][] = [
  ["+OK\r\n", "OK"],
  ["-ERR bad thing\r\n", new RespErrorReply("ERR bad thing")],
  [":42\r\n", 42],
  [":-7\r\n", -7],
  [":12345678901234567890\r\n", 12345678901234567890n],
  ["$5\r\nhe\r\no\r\n", Buffer.from("he\r\no")],
  ["$0\r\n\r\n", Buffer.alloc(0)],
  ["$-1\r\n", null],
  ["*-1\r\n", null],
  ["*0\r\n", []],
  ["*3\r\n:1\r\n*1\r\n+a\r\n$1\r\nb\r\n", [1, ["a"], Buffer.from("b")]],
  ["_\r\n", null],
  [",3.5\r\n", 3.5],
  [",inf\r\n", Infinity],
  ["#t\r\n", true],
  ["#f\r\n", false],
  ["(3492890328409238509324850943850943825024385\r\n", 3492890328409238509324850943850943825024385n],
  ["!8\r\nSYNTAX x\r\n", new RespErrorReply("SYNTAX x")],
  ["=8\r\ntxt:abcd\r\n", new RespVerbatim("txt", Buffer.from("abcd"))],
  ["%1\r\n+k\r\n:1\r\n", new Map<RespValue, RespValue>([["k", 1]])],
  ["~2\r\n+a\r\n+b\r\n", new Set<RespValue>(["a", "b"])],
  [">2\r\n+message\r\n+x\r\n", new RespPush(["message", "x"])],
  ["|1\r\n+key-popularity\r\n%0\r\n:9\r\n", 9],
];
const STREAM = Buffer.from(FRAMES.map(([f]) => f).join(""), "latin1");
const VALUES = FRAMES.map(([, v]) => v);

function decodeChunks(chunks: Buffer[]): RespValue[] {
  const d = new RespDecoder();
  const out: RespValue[] = [];
  for (const c of chunks) {
    d.feed(c);
    for (let v = d.next(); v !== undefined; v = d.next()) out.push(v);
  }
  assert.equal(d.buffered, 0);
  return out;
}

describe("RespDecoder", () => {
  it("decodes every type fed whole", () => {
    assert.deepEqual(decodeChunks([STREAM]), VALUES);
  });

  it("decodes fed byte by byte", () => {
    const bytes: Buffer[] = [];
    for (let i = 0; i < STREAM.length; i++) bytes.push(STREAM.subarray(i, i + 1));
    assert.deepEqual(decodeChunks(bytes), VALUES);
  });

  it("decodes split at every position", () => {
    for (let i = 0; i <= STREAM.length; i++) {
      assert.deepEqual(decodeChunks([STREAM.subarray(0, i), STREAM.subarray(i)]), VALUES, `split at ${i}`);
    }
  });

  it("returns bulk strings that do not share the input buffer", () => {
    const input = Buffer.from("$3\r\nabc\r\n");
    const [v] = RespDecoder.decodeAll(input);
    input.fill(0);
    assert.deepEqual(v, Buffer.from("abc"));
  });

  it("raises ProtocolError, not a SyntaxError, for malformed big integers", () => {
    assert.throws(() => RespDecoder.decodeAll(Buffer.from(":12345678901234567890x\r\n")), ProtocolError);
    assert.throws(() => RespDecoder.decodeAll(Buffer.from("(1.5\r\n")), ProtocolError);
    assert.throws(() => RespDecoder.decodeAll(Buffer.from("?\r\n")), ProtocolError);
  });
});

describe("scanFrame", () => {
  it("finds each frame's end, and INCOMPLETE for every proper prefix", () => {
    for (const [text] of FRAMES) {
      const frame = Buffer.from(text, "latin1");
      assert.equal(scanFrame(frame, 0, frame.length), frame.length, text);
      for (let i = 0; i < frame.length; i++) {
        assert.equal(scanFrame(frame, 0, i), INCOMPLETE, `${JSON.stringify(text)} cut at ${i}`);
      }
    }
  });

  it("walks a stream frame by frame from any offset", () => {
    let pos = 0;
    let n = 0;
    while (pos < STREAM.length) {
      pos = scanFrame(STREAM, pos, STREAM.length);
      assert.notEqual(pos, INCOMPLETE);
      n++;
    }
    assert.equal(n, FRAMES.length);
  });

  it("handles deep nesting without recursion", () => {
    const depth = 100_000;
    const frame = Buffer.from("*1\r\n".repeat(depth) + ":1\r\n");
    assert.equal(scanFrame(frame, 0, frame.length), frame.length);
  });

  it("rejects bytes that start no RESP type and negative lengths", () => {
    assert.throws(() => scanFrame(Buffer.from("hello\r\n"), 0, 7), ProtocolError);
    assert.throws(() => scanFrame(Buffer.from("$-2\r\n"), 0, 5), ProtocolError);
    assert.throws(() => scanFrame(Buffer.from("*-2\r\n"), 0, 5), ProtocolError);
  });
});
