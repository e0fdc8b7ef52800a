import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FrameCutter } from "../../../src/proxy/frame-cutter.js";
import { encodeCommand } from "../../../src/resp/reply-writer.js";
import { seededRandom } from "../../helpers/differential.js";

function collect(cutter: FrameCutter, chunks: Buffer[]): string[] {
  const out: string[] = [];
  const sink = { onFrame: (b: Buffer, s: number, e: number) => out.push(b.toString("latin1", s, e)) };
  for (const c of chunks) cutter.feed(c, sink);
  return out;
}

/** Splits bytes at random points (seeded, so a failure replays). */
function randomChunks(bytes: Buffer, seed: number): Buffer[] {
  const rnd = seededRandom(seed);
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const n = 1 + Math.floor(rnd() * 40);
    out.push(Buffer.from(bytes.subarray(pos, pos + n)));
    pos += n;
  }
  return out;
}

describe("FrameCutter", () => {
  const replies = [
    "+OK\r\n",
    "$-1\r\n",
    "*-1\r\n",
    "$5\r\nhello\r\n",
    ":42\r\n",
    "-ERR wrong\r\n",
    "*3\r\n$1\r\na\r\n*2\r\n:1\r\n$0\r\n\r\n+x\r\n",
    "*0\r\n",
    "%1\r\n+k\r\n$1\r\nv\r\n",
    "|1\r\n+a\r\n+b\r\n:7\r\n",
  ];

  it("cuts replies at any chunk boundary into the original frames", () => {
    const all = Buffer.from(replies.join(""), "latin1");
    for (let seed = 1; seed <= 50; seed++) {
      assert.deepEqual(collect(new FrameCutter(false), randomChunks(all, seed)), replies, `seed ${seed}`);
    }
  });

  it("cuts requests, inline ones included", () => {
    const reqs = [
      encodeCommand(["SET", "k", "v"]).toString("latin1"),
      "PING\r\n",
      encodeCommand(["GET", "k"]).toString("latin1"),
      "\r\n",
    ];
    const all = Buffer.from(reqs.join(""), "latin1");
    for (let seed = 1; seed <= 30; seed++) {
      assert.deepEqual(collect(new FrameCutter(true), randomChunks(all, seed)), reqs, `seed ${seed}`);
    }
  });

  it("rejects a request array holding something other than bulk strings", () => {
    assert.throws(
      () => collect(new FrameCutter(true), [Buffer.from("*1\r\n:1\r\n")]),
      /expected '\$', got ':'/,
    );
  });

  it("assembles a large value from many chunks with one scan per needed length (no n² rescans)", () => {
    const value = "x".repeat(4 * 1024 * 1024);
    const frame = Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n${value}\r\n`, "latin1");
    const cutter = new FrameCutter(true);
    let frames = 0;
    let len = 0;
    const sink = {
      onFrame: (_b: Buffer, s: number, e: number) => {
        frames++;
        len = e - s;
      },
    };
    const scanSpy = cutter as unknown as { scan: (...a: unknown[]) => number };
    const realScan = scanSpy.scan.bind(cutter);
    let scans = 0;
    scanSpy.scan = (...a: unknown[]) => {
      scans++;
      return realScan(...a);
    };
    for (let pos = 0; pos < frame.length; pos += 16 * 1024)
      cutter.feed(frame.subarray(pos, pos + 16 * 1024), sink);
    assert.equal(frames, 1);
    assert.equal(len, frame.length);
    assert.ok(scans <= 3, `scanned ${scans} times for one 4 MB frame in 256 chunks`);
  });

  it("keeps frames it handed out intact while more data arrives", () => {
    const cutter = new FrameCutter(false);
    const got: Buffer[] = [];
    const sink = { onFrame: (b: Buffer, s: number, e: number) => got.push(b.subarray(s, e)) };
    cutter.feed(Buffer.from("$3\r\nab"), sink);
    cutter.feed(Buffer.from("c\r\n$3\r\nde"), sink);
    cutter.feed(Buffer.from("f\r\n+OK\r\n"), sink);
    assert.deepEqual(
      got.map((b) => b.toString()),
      ["$3\r\nabc\r\n", "$3\r\ndef\r\n", "+OK\r\n"],
    );
  });
});
