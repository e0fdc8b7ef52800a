import assert from "node:assert/strict";
import { RespDecoder } from "../../src/resp/resp-decoder.js";
import type { RespValue } from "../../src/resp/resp-value.js";
import { type ServerProcess, startRedis, startTandem } from "./processes.js";
import type { RawClient } from "./raw-client.js";

/**
 * Differential testing: the same commands go to Tandem and to Debian's redis-server and the raw reply
 * bytes must match. Where Redis leaves an order unspecified (SMEMBERS, HGETALL, KEYS, ...), compare with
 * `sorted: true`, which sorts the elements of a flat array reply (pairs kept together for maps).
 */

export interface DiffOptions {
  /** Sort a flat array reply's elements before comparing. */
  sorted?: boolean;
  /** Sort pairs (HGETALL-style replies). */
  sortedPairs?: boolean;
  /** Compare only the reply's type byte and, for errors, the prefix word (for messages that differ by design). */
  shapeOnly?: boolean;
}

function canonical(frame: Buffer, opts: DiffOptions): string {
  if (opts.shapeOnly) {
    const t = String.fromCharCode(frame[0]);
    if (t === "-") return frame.toString("latin1").split(" ")[0];
    return t;
  }
  if (!opts.sorted && !opts.sortedPairs) return frame.toString("latin1");
  const v = RespDecoder.decodeAll(frame)[0];
  if (!Array.isArray(v)) return frame.toString("latin1");
  const enc = (x: RespValue) => JSON.stringify(x instanceof Buffer ? x.toString("latin1") : x);
  if (opts.sortedPairs) {
    const pairs: string[] = [];
    for (let i = 0; i < v.length; i += 2) pairs.push(enc(v[i]) + "=" + enc(v[i + 1]));
    return `pairs:${pairs.sort().join(",")}`;
  }
  return `sorted:${v.map(enc).sort().join(",")}`;
}

/** Sends one command to both and asserts equal replies. Returns Tandem's raw reply. */
export async function same(
  tandem: RawClient,
  redis: RawClient,
  args: (string | number)[],
  opts: DiffOptions = {},
): Promise<Buffer> {
  const [a, b] = await Promise.all([tandem.raw(...args), redis.raw(...args)]);
  assert.equal(
    canonical(a, opts),
    canonical(b, opts),
    `reply to ${JSON.stringify(args)} differs:\n tandem: ${JSON.stringify(a.toString("latin1"))}\n  redis: ${JSON.stringify(b.toString("latin1"))}`,
  );
  return a;
}

/** A small seeded PRNG (mulberry32) so randomized tests print a seed that replays them. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ─── the two servers ─────────────────────────────────────────────────────────────────────────────────

export interface DiffPair {
  tandem: ServerProcess;
  redis: ServerProcess;
  /** A client of Tandem. */
  t: RawClient;
  /** A client of redis-server. */
  r: RawClient;
}

/** Starts Tandem and Debian's redis-server side by side, with one client each. */
export async function startDiffPair(): Promise<DiffPair> {
  const [tandem, redis] = await Promise.all([startTandem(), startRedis()]);
  const [t, r] = await Promise.all([tandem.client(), redis.client()]);
  return { tandem, redis, t, r };
}

/** Closes the clients and stops both servers (any of them may be missing if start-up failed). */
export async function stopDiffPair(p: Partial<DiffPair>): Promise<void> {
  p.t?.close();
  p.r?.close();
  await Promise.all([p.tandem?.stop(), p.redis?.stop()]);
}
