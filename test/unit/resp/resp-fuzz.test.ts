import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { INCOMPLETE, scanFrame } from "../../../src/resp/frame-scanner.js";
import { ProtocolError } from "../../../src/resp/protocol-error.js";
import { encodeCommand } from "../../../src/resp/reply-writer.js";
import { RequestParser } from "../../../src/resp/request-parser.js";
import { RespDecoder } from "../../../src/resp/resp-decoder.js";
import { seededRandom } from "../../helpers/differential.js";

/**
 * Fuzzing the three readers with random bytes and with valid frames mutated (bytes flipped, inserted,
 * deleted, truncated): the only exception allowed out is ProtocolError, and every call returns (the loops
 * are bounded by the input size, so a hang shows up as the test timing out). Failures print the seed.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 0x7a4d3);
const ITERATIONS = 3000;
const ALPHABET = Buffer.from("*$+-:_,#(!=%~>|\r\n0123456789-abcxyz \"'\\", "latin1");

const VALID = [
  encodeCommand(["SET", "key", "value"]),
  encodeCommand(["MSET", "a", "1", "b", "2"]),
  Buffer.from('PING\r\nECHO "hi\\x41"\r\n'),
  Buffer.from("*2\r\n$3\r\nfoo\r\n%1\r\n+k\r\n~1\r\n:5\r\n"),
  Buffer.from(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n=8\r\ntxt:data\r\n"),
  Buffer.from("|1\r\n+a\r\n+b\r\n,1.5\r\n(123\r\n#t\r\n_\r\n!3\r\nERR\r\n"),
];

function randomInput(rnd: () => number): Buffer {
  const n = Math.floor(rnd() * 64);
  const out = Buffer.alloc(n);
  const structured = rnd() < 0.7;
  for (let i = 0; i < n; i++) {
    out[i] = structured ? ALPHABET[Math.floor(rnd() * ALPHABET.length)] : Math.floor(rnd() * 256);
  }
  return out;
}

function mutate(rnd: () => number, base: Buffer): Buffer {
  const bytes = [...base];
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (bytes.length + 1));
    const r = rnd();
    const b = rnd() < 0.5 ? ALPHABET[Math.floor(rnd() * ALPHABET.length)] : Math.floor(rnd() * 256);
    if (r < 0.4) bytes[Math.min(at, bytes.length - 1)] = b;
    else if (r < 0.7) bytes.splice(at, 0, b);
    else if (r < 0.9) bytes.splice(at, 1);
    else bytes.length = at;
  }
  return Buffer.from(bytes);
}

function inputs(): Buffer[] {
  const rnd = seededRandom(SEED);
  const out: Buffer[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    out.push(i % 2 === 0 ? randomInput(rnd) : mutate(rnd, VALID[Math.floor(rnd() * VALID.length)]));
  }
  return out;
}

function onlyProtocolErrors(what: string, input: Buffer, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return;
    assert.fail(`${what} threw ${err} for ${JSON.stringify(input.toString("latin1"))} (FUZZ_SEED=${SEED})`);
  }
}

describe("RESP fuzz", () => {
  const cases = inputs();

  it("RequestParser: only ProtocolError, whole and split", () => {
    for (const input of cases) {
      onlyProtocolErrors("RequestParser", input, () => {
        const p = new RequestParser();
        p.maxBulkLen = 1024;
        p.feed(input, { onCommand: () => true });
      });
      const cut = input.length >> 1;
      onlyProtocolErrors("RequestParser (split)", input, () => {
        const p = new RequestParser();
        const sink = { onCommand: () => true };
        p.feed(input.subarray(0, cut), sink);
        p.feed(input.subarray(cut), sink);
      });
    }
  });

  it("RespDecoder: only ProtocolError, whole and split", () => {
    for (const input of cases) {
      for (const cut of [input.length, input.length >> 1, 1]) {
        onlyProtocolErrors("RespDecoder", input, () => {
          const d = new RespDecoder();
          d.feed(input.subarray(0, cut));
          let n = 0;
          while (d.next() !== undefined) assert.ok(++n <= input.length, "more values than bytes");
          d.feed(input.subarray(cut));
          while (d.next() !== undefined) assert.ok(++n <= input.length, "more values than bytes");
        });
      }
    }
  });

  it("scanFrame: only ProtocolError, and any end it returns lies within the input", () => {
    for (const input of cases) {
      onlyProtocolErrors("scanFrame", input, () => {
        let pos = 0;
        while (pos < input.length) {
          const end = scanFrame(input, pos, input.length);
          if (end === INCOMPLETE) break;
          assert.ok(end > pos && end <= input.length, `end ${end} out of range`);
          pos = end;
        }
      });
    }
  });
});
