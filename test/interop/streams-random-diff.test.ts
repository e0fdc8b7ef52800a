import { after, before, describe, it } from "node:test";
import { startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import { pick, type RandomCommand, randInt, runRandomDiff, testSeed } from "../helpers/random-diff.js";
import type { RawClient } from "../helpers/raw-client.js";
import { maskStreamTimes } from "../helpers/stream-replies.js";

/**
 * A seeded random walk over the stream family: 12,000 commands over five stream keys (and a string key
 * for WRONGTYPE), sent to Tandem and redis-server alike and compared reply by reply. It covers XADD with
 * every ID form and trimming option (on small nodes, so approximate trimming and node splits happen
 * often), XDEL, XTRIM, ranges, XREAD, every consumer-group command, XINFO, XSETID, COPY/RENAME and DEBUG
 * RELOAD (an RDB round trip on both sides). IDs are explicit, never clock-made; min-idle and IDLE filters
 * are 0 or an hour, on either side of every delivery time the run makes; replies that carry clock
 * readings are compared with those fields masked. A failure prints the seed; rerun with TEST_SEED=<seed>.
 */

const COMMANDS = 12_000;
const KEYS = ["s0", "s1", "s2", "s3", "s4"];
const GROUPS = ["g0", "g1", "g2"];
const CONSUMERS = ["alice", "bob", "carol", "dave"];
const HOUR = 3_600_000;
const masked = (frame: Buffer) => maskStreamTimes(frame);
/** A key may hold the string copied from "str": only a stream's encoding name is compared. */
const streamEncodingOnly = (frame: Buffer) => {
  const text = frame.toString("latin1");
  return text === "$3\r\nraw\r\n" || text === "$6\r\nembstr\r\n" || text === "$3\r\nint\r\n"
    ? "string"
    : text;
};

function generator() {
  // A rough idea of each key's top ms, so most XADDs succeed; the servers decide, not this.
  const top = new Map<string, number>();
  return (rnd: () => number): RandomCommand | RandomCommand[] => {
    const int = (lo: number, hi: number) => randInt(rnd, lo, hi);
    const key = () => (rnd() < 0.03 ? "str" : pick(rnd, KEYS));
    const near = (k: string) => Math.max(1, (top.get(k) ?? 1) + int(-25, 2));
    const id = (k: string): string => {
      const r = rnd();
      if (r < 0.02)
        return pick(rnd, ["-", "+", "0", "0-0", "18446744073709551615-18446744073709551615", "x"]);
      if (r < 0.25) return String(near(k));
      return `${near(k)}-${rnd() < 0.6 ? 0 : int(1, 3)}`;
    };
    const rangeBound = (k: string, low: boolean): string => {
      const r = rnd();
      if (r < 0.3) return low ? "-" : "+";
      if (r < 0.45) return `(${id(k)}`;
      return id(k);
    };
    const value = (): string =>
      pick(rnd, [
        () => String(int(-200, 200)),
        () => pick(rnd, ["", "a", "hello", "9223372036854775807", "-0", "007", "1.5"]),
        () => "x".repeat(int(0, 80)),
      ])();
    const fields = (): string[] => {
      const out: string[] = [];
      const n = rnd() < 0.7 ? 1 : int(2, 3);
      const names = rnd() < 0.6 ? ["f", "g", "h"] : ["a", "12", "-7", "field", "f"];
      for (let i = 0; i < n; i++) out.push(names[i % names.length], value());
      return out;
    };
    const trim = (k: string): string[] => {
      const op = rnd() < 0.6 ? "MAXLEN" : "MINID";
      const how = pick(rnd, [[], ["="], ["~"]]);
      const arg = op === "MAXLEN" ? String(int(0, 40)) : id(k);
      const limit = how[0] === "~" && rnd() < 0.4 ? ["LIMIT", String(int(0, 30))] : [];
      return [op, ...how, arg, ...limit];
    };
    const count = (): string[] => (rnd() < 0.5 ? ["COUNT", String(int(-1, 12))] : []);
    const group = () => (rnd() < 0.05 ? "nogroup" : pick(rnd, GROUPS));
    const consumer = () => pick(rnd, CONSUMERS);
    const ids = (k: string, n: number) => Array.from({ length: n }, () => id(k));

    const r = rnd();
    const k = key();
    if (r < 0.22) {
      const ms = (top.get(k) ?? 0) + int(-1, 3);
      if (ms > (top.get(k) ?? 0)) top.set(k, ms);
      const idArg = pick(rnd, [`${ms}-${int(0, 2)}`, `${ms}-*`, String(ms), `${ms}-*`]);
      const opts = [...(rnd() < 0.05 ? ["NOMKSTREAM"] : []), ...(rnd() < 0.2 ? trim(k) : [])];
      return { args: ["XADD", k, ...opts, idArg, ...fields()] };
    }
    if (r < 0.27) return { args: ["XDEL", k, ...ids(k, int(1, 3))] };
    if (r < 0.3) return { args: ["XTRIM", k, ...trim(k)] };
    if (r < 0.38) {
      const rev = rnd() < 0.4;
      const [lo, hi] = [rangeBound(k, true), rangeBound(k, false)];
      return { args: rev ? ["XREVRANGE", k, hi, lo, ...count()] : ["XRANGE", k, lo, hi, ...count()] };
    }
    if (r < 0.4) {
      // OBJECT ENCODING by shape: a string's encoding name is not this family's business.
      if (rnd() < 0.2) return { args: ["OBJECT", "ENCODING", k], canon: streamEncodingOnly };
      return {
        args: pick(rnd, [
          ["XLEN", k],
          ["TYPE", k],
          ["EXISTS", k],
        ]),
      };
    }
    if (r < 0.45) {
      const k2 = key();
      const two = rnd() < 0.4;
      const idOf = (x: string) => (rnd() < 0.2 ? "$" : rnd() < 0.3 ? "0" : id(x));
      return {
        args: ["XREAD", ...count(), "STREAMS", k, ...(two ? [k2] : []), idOf(k), ...(two ? [idOf(k2)] : [])],
      };
    }
    if (r < 0.52) {
      const sub = rnd();
      if (sub < 0.55) {
        const start = pick(rnd, ["0", "$", id(k)]);
        const opts = [
          ...(rnd() < 0.5 ? ["MKSTREAM"] : []),
          ...(rnd() < 0.2 ? ["ENTRIESREAD", String(int(-2, 20))] : []),
        ];
        return { args: ["XGROUP", "CREATE", k, group(), start, ...opts] };
      }
      if (sub < 0.72) {
        const opts = rnd() < 0.4 ? ["ENTRIESREAD", String(int(-1, 20))] : [];
        return { args: ["XGROUP", "SETID", k, group(), pick(rnd, ["0", "$", id(k)]), ...opts] };
      }
      if (sub < 0.75) return { args: ["XGROUP", "DESTROY", k, group()] };
      if (sub < 0.86) return { args: ["XGROUP", "CREATECONSUMER", k, group(), consumer()] };
      return { args: ["XGROUP", "DELCONSUMER", k, group(), consumer()] };
    }
    if (r < 0.64) {
      const noack = rnd() < 0.15 ? ["NOACK"] : [];
      const from = rnd() < 0.75 ? ">" : pick(rnd, ["0", id(k)]);
      return { args: ["XREADGROUP", "GROUP", group(), consumer(), ...count(), ...noack, "STREAMS", k, from] };
    }
    if (r < 0.69) return { args: ["XACK", k, group(), ...ids(k, int(1, 4))] };
    if (r < 0.74) {
      if (rnd() < 0.5) return { args: ["XPENDING", k, group()] };
      const idle = rnd() < 0.3 ? ["IDLE", String(pick(rnd, [0, HOUR]))] : [];
      const who = rnd() < 0.3 ? [consumer()] : [];
      return {
        args: [
          "XPENDING",
          k,
          group(),
          ...idle,
          rangeBound(k, true),
          rangeBound(k, false),
          String(int(-1, 10)),
          ...who,
        ],
        canon: masked,
      };
    }
    if (r < 0.8) {
      const opts: string[] = [];
      if (rnd() < 0.3) opts.push("IDLE", String(pick(rnd, [0, 2 * HOUR])));
      if (rnd() < 0.15) opts.push("TIME", "1000");
      if (rnd() < 0.2) opts.push("RETRYCOUNT", String(int(0, 9)));
      if (rnd() < 0.2) opts.push("FORCE");
      if (rnd() < 0.4) opts.push("JUSTID");
      if (rnd() < 0.1) opts.push("LASTID", id(k));
      return {
        args: [
          "XCLAIM",
          k,
          group(),
          consumer(),
          String(pick(rnd, [0, 0, HOUR])),
          ...ids(k, int(1, 3)),
          ...opts,
        ],
      };
    }
    if (r < 0.84) {
      const opts = [...(rnd() < 0.5 ? ["COUNT", String(int(0, 6))] : []), ...(rnd() < 0.4 ? ["JUSTID"] : [])];
      return {
        args: [
          "XAUTOCLAIM",
          k,
          group(),
          consumer(),
          String(pick(rnd, [0, 0, HOUR])),
          rangeBound(k, true),
          ...opts,
        ],
      };
    }
    if (r < 0.93) {
      const sub = rnd();
      if (sub < 0.4) return { args: ["XINFO", "STREAM", k] };
      if (sub < 0.6) {
        const c = rnd() < 0.5 ? ["COUNT", String(int(-1, 5))] : [];
        return { args: ["XINFO", "STREAM", k, "FULL", ...c], canon: masked };
      }
      if (sub < 0.8) return { args: ["XINFO", "GROUPS", k] };
      return { args: ["XINFO", "CONSUMERS", k, group()], canon: masked };
    }
    if (r < 0.96) {
      const opts: string[] = [];
      if (rnd() < 0.3) opts.push("ENTRIESADDED", String(int(-1, 300)));
      if (rnd() < 0.3) opts.push("MAXDELETEDID", id(k));
      const ms = (top.get(k) ?? 0) + int(-3, 2);
      if (ms > (top.get(k) ?? 0)) top.set(k, ms);
      return { args: ["XSETID", k, `${Math.max(0, ms)}-${int(0, 5)}`, ...opts] };
    }
    if (r < 0.975) return { args: [pick(rnd, ["COPY", "COPY", "COPY", "RENAME"]), k, key()] };
    if (r < 0.978) return { args: ["DEL", k] };
    if (r < 0.99)
      return { args: ["CONFIG", "SET", "stream-node-max-entries", String(pick(rnd, [2, 3, 5, 100]))] };
    if (r < 0.995)
      return { args: ["CONFIG", "SET", "stream-node-max-bytes", String(pick(rnd, [0, 90, 200, 4096]))] };
    return { args: ["DEBUG", "RELOAD"] };
  };
}

describe("streams: seeded random differential run vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
  });

  after(async () => {
    await stopDiffPair({ tandem, redis, t, r });
  });

  it(`${COMMANDS} random stream commands answer byte for byte like Redis 7.0`, async () => {
    const seed = testSeed();
    console.log(`# streams random diff seed ${seed} (rerun with TEST_SEED=${seed})`);
    const init = [["FLUSHALL"], ["SET", "str", "v"], ["CONFIG", "SET", "stream-node-max-entries", "5"]];
    await Promise.all([t.pipeline(init), r.pipeline(init)]);
    await runRandomDiff(t, r, seed, COMMANDS, generator());
  });
});
