import { AofError, parseAofCommands } from "../../src/persistence/aof.js";
import { RdbError } from "../../src/persistence/rdb-format.js";
import { loadRdbSync } from "../../src/persistence/rdb-loader.js";
import { saveRdbSync } from "../../src/persistence/rdb-snapshot.js";
import { FrameCutter } from "../../src/proxy/frame-cutter.js";
import { ProtocolError } from "../../src/resp/protocol-error.js";
import { encodeCommand } from "../../src/resp/reply-writer.js";
import { RequestParser, type RequestSink } from "../../src/resp/request-parser.js";
import { Keyspace } from "../../src/store/keyspace.js";
import { populateAllTypes } from "../helpers/keyspace-fixtures.js";
import { int, mutate, type Rng, randomReply, randomRequestStream, randomSplits } from "./fuzz-inputs.js";

/**
 * The in-process fuzz targets. Each one turns one input into either success or the module's own error
 * class; anything else (a TypeError, a RangeError, a broken invariant) is a finding, returned with the
 * input so it can be saved and replayed as a regression test.
 */

export interface Finding {
  target: string;
  input: Buffer;
  error: string;
}

export interface InProcessTarget {
  name: string;
  /** A fresh input for iteration `i` (valid or mutated). */
  generate(rng: Rng): Buffer;
  /** Runs one input; throws only on a finding. Splits come from `rng` (replayed with the same seed). */
  check(input: Buffer, rng: Rng): void;
}

const COMMAND_NAMES = [
  "SET",
  "GET",
  "DEL",
  "LPUSH",
  "HSET",
  "ZADD",
  "SADD",
  "INCR",
  "PING",
  "EXPIRE",
  "MSET",
];

class Finding_ extends Error {}

function expectOnly(err: unknown, cls: new (...a: never[]) => Error): void {
  if (err instanceof Finding_) throw err;
  if (!(err instanceof cls)) throw err;
}

/**
 * Errors that depend on how the bytes arrive, in Redis too: a line longer than 64 KiB is refused only
 * while its end has not arrived yet (networking.c checks the length when no newline is in the buffer).
 */
const CHUNK_DEPENDENT = new Set(["TOO_BIG_INLINE", "TOO_BIG_MBULK_COUNT", "TOO_BIG_BULK_COUNT"]);

/**
 * Whole and split reads must agree: the same commands (or frames) and the same error, if any. Except that
 * a chunk-dependent error may stop one of them early: then what it delivered is a prefix of the other's.
 */
function sameVerdict(whole: string, wholeErr: unknown, split: string, splitErr: unknown): void {
  const code = (e: unknown) => (e instanceof ProtocolError ? e.code : "");
  const prefixOf = (a: string, b: string) => b.startsWith(a.slice(0, -1)); // JSON/hex lists: drop the closing
  if (CHUNK_DEPENDENT.has(code(splitErr)) && prefixOf(split, whole)) return;
  if (CHUNK_DEPENDENT.has(code(wholeErr)) && prefixOf(whole, split)) return;
  if (code(wholeErr) === code(splitErr) && (wholeErr === null) === (splitErr === null) && whole === split)
    return;
  throw new Finding_(`whole and split reads differ: whole ${String(wholeErr)}, split ${String(splitErr)}`);
}

function collect(into: string[][]): RequestSink {
  return {
    onCommand(argv) {
      into.push(argv);
      return true;
    },
  };
}

// ─── the clients' request parser (also the master link's) ──────────────────────────────────────────────

const requestParser: InProcessTarget = {
  name: "request-parser",
  generate(rng) {
    const valid = randomRequestStream(rng, COMMAND_NAMES, 1 + int(rng, 6));
    return rng() < 0.2 ? valid : mutate(rng, valid);
  },
  check(input, rng) {
    const whole: string[][] = [];
    const split: string[][] = [];
    let wholeError: unknown = null;
    try {
      new RequestParser().feed(input, collect(whole));
    } catch (err) {
      expectOnly(err, ProtocolError);
      wholeError = err;
    }
    // The same bytes in random pieces must give the same commands and the same verdict.
    const p = new RequestParser();
    let splitError: unknown = null;
    try {
      for (const c of randomSplits(rng, input)) p.feed(c, collect(split));
    } catch (err) {
      expectOnly(err, ProtocolError);
      splitError = err;
    }
    sameVerdict(JSON.stringify(whole), wholeError, JSON.stringify(split), splitError);
  },
};

// ─── the proxy's frame cutter (backend replies) ─────────────────────────────────────────────────────────

function cutAll(chunks: Buffer[], requests: boolean, frames: Buffer[]): void {
  const cutter = new FrameCutter(requests);
  for (const c of chunks)
    cutter.feed(c, { onFrame: (b, s, e) => frames.push(Buffer.from(b.subarray(s, e))) });
}

const frameCutter: InProcessTarget = {
  name: "frame-cutter",
  generate(rng) {
    if (rng() < 0.3) {
      const valid = randomRequestStream(rng, COMMAND_NAMES, 1 + int(rng, 4));
      return Buffer.concat([Buffer.from([1]), rng() < 0.3 ? valid : mutate(rng, valid)]);
    }
    const parts: Buffer[] = [Buffer.from([0])];
    for (let i = 0, n = 1 + int(rng, 5); i < n; i++) parts.push(randomReply(rng, 1 + int(rng, 5)));
    const valid = Buffer.concat(parts);
    return rng() < 0.2 ? valid : Buffer.concat([valid.subarray(0, 1), mutate(rng, valid.subarray(1))]);
  },
  check(input, rng) {
    const requests = input[0] === 1;
    const body = input.subarray(1);
    const whole: Buffer[] = [];
    const split: Buffer[] = [];
    let wholeError: unknown = null;
    let splitError: unknown = null;
    try {
      cutAll([body], requests, whole);
    } catch (err) {
      expectOnly(err, ProtocolError);
      wholeError = err;
    }
    try {
      cutAll(randomSplits(rng, body), requests, split);
    } catch (err) {
      expectOnly(err, ProtocolError);
      splitError = err;
    }
    // Frames are the input's own bytes, in order, from its start.
    for (const f of [Buffer.concat(whole), Buffer.concat(split)]) {
      if (!body.subarray(0, f.length).equals(f)) throw new Finding_("frames are not the input's bytes");
    }
    const hex = (fs: Buffer[]) => fs.map((f) => f.toString("hex")).join(",");
    sameVerdict(hex(whole), wholeError, hex(split), splitError);
  },
};

// ─── the RDB loader ─────────────────────────────────────────────────────────────────────────────────────

class RdbSamples {
  private samples: Buffer[] | null = null;
  get(): Buffer[] {
    if (this.samples === null) {
      this.samples = [];
      for (const seed of [1, 2, 3]) {
        const ks = new Keyspace(16);
        populateAllTypes(ks, seed);
        this.samples.push(Buffer.concat(saveRdbSync(ks)));
      }
    }
    return this.samples;
  }
}

function rdbLoader(samples: RdbSamples): InProcessTarget {
  return {
    name: "rdb-loader",
    generate(rng) {
      const all = samples.get();
      return mutate(rng, all[int(rng, all.length)]);
    },
    check(input) {
      try {
        loadRdbSync(input, new Keyspace(16));
      } catch (err) {
        expectOnly(err, RdbError);
      }
    },
  };
}

// ─── the AOF loader ─────────────────────────────────────────────────────────────────────────────────────

const aofLoader: InProcessTarget = {
  name: "aof-loader",
  generate(rng) {
    const parts: Buffer[] = [encodeCommand(["SELECT", String(int(rng, 16))])];
    for (let i = 0, n = 1 + int(rng, 8); i < n; i++) {
      parts.push(encodeCommand(["SET", `k${int(rng, 100)}`, "v".repeat(int(rng, 100))]));
    }
    const valid = Buffer.concat(parts);
    return rng() < 0.2 ? valid : mutate(rng, valid);
  },
  check(input) {
    try {
      const r = parseAofCommands(input, () => {});
      if (r.end > input.length) throw new Finding_(`end ${r.end} past the input (${input.length})`);
    } catch (err) {
      expectOnly(err, AofError);
    }
  },
};

export function inProcessTargets(): InProcessTarget[] {
  return [requestParser, frameCutter, rdbLoader(new RdbSamples()), aofLoader];
}
