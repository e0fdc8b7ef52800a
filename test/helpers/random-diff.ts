import assert from "node:assert/strict";
import { RespDecoder } from "../../src/resp/resp-decoder.js";
import type { RespValue } from "../../src/resp/resp-value.js";
import { seededRandom } from "./differential.js";
import type { RawClient } from "./raw-client.js";

/**
 * Seeded randomized differential runs: a generator produces commands, each batch is pipelined to Tandem
 * and to redis-server, and the replies are compared one by one. A mismatch fails with the seed, the
 * command's position and the commands before it, so the run can be replayed exactly.
 *
 * Compare modes: "exact" (raw bytes), "sorted" (a flat array's elements as a multiset), "pairs" (a flat
 * array of field/value pairs as a multiset of pairs), "shape" (for random results such as SPOP or
 * SRANDMEMBER: the reply type and, for arrays, the length), "scan" (a SCAN-family page: the cursor, and the
 * page's elements as a multiset).
 */

export type CompareMode = "exact" | "sorted" | "pairs" | "shape" | "scan";

export interface RandomCommand {
  args: string[];
  mode?: CompareMode;
  /** Replaces `mode`: turns a raw reply into the text compared (e.g. with time fields masked). */
  canon?: (frame: Buffer) => string;
}

export type CommandGenerator = (rnd: () => number) => RandomCommand | RandomCommand[];

/** A random element of `items`. */
export function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)];
}

/** A random integer in [lo, hi]. */
export function randInt(rnd: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

const text = (v: RespValue): string => JSON.stringify(v instanceof Buffer ? v.toString("latin1") : v);

function canonicalReply(frame: Buffer, mode: CompareMode): string {
  if (mode === "exact") return frame.toString("latin1");
  const type = String.fromCharCode(frame[0]);
  if (type !== "*" && type !== "~" && type !== "%") {
    return mode === "shape" ? (type === "-" ? frame.toString("latin1") : type) : frame.toString("latin1");
  }
  const v = RespDecoder.decodeAll(frame)[0];
  if (!Array.isArray(v)) return frame.toString("latin1");
  if (mode === "shape") return `${type}${v.length}`;
  if (mode === "scan" && v.length === 2 && Array.isArray(v[1])) {
    return `scan:${text(v[0])}:${v[1].map(text).sort().join(",")}`;
  }
  if (mode === "pairs") {
    const pairs: string[] = [];
    for (let i = 0; i < v.length; i += 2) pairs.push(`${text(v[i])}=${text(v[i + 1])}`);
    return `pairs:${pairs.sort().join(",")}`;
  }
  return `sorted:${v.map(text).sort().join(",")}`;
}

/**
 * Runs `total` generated commands against both servers in pipelined batches of `batch` and asserts equal
 * replies. The generator may return several commands at once (they stay together in order).
 */
export async function runRandomDiff(
  tandem: RawClient,
  redis: RawClient,
  seed: number,
  total: number,
  gen: CommandGenerator,
  batch = 200,
): Promise<void> {
  const rnd = seededRandom(seed);
  const history: string[] = [];
  let sent = 0;
  while (sent < total) {
    const cmds: RandomCommand[] = [];
    while (cmds.length < batch && sent + cmds.length < total) {
      const g = gen(rnd);
      if (Array.isArray(g)) cmds.push(...g);
      else cmds.push(g);
    }
    const argvs = cmds.map((c) => c.args);
    const [a, b] = await Promise.all([tandem.pipeline(argvs), redis.pipeline(argvs)]);
    for (let i = 0; i < cmds.length; i++) {
      const canon = cmds[i].canon;
      const mode = canon ? "custom" : (cmds[i].mode ?? "exact");
      const ta = canon ? canon(a[i]) : canonicalReply(a[i], mode as CompareMode);
      const rb = canon ? canon(b[i]) : canonicalReply(b[i], mode as CompareMode);
      if (ta !== rb) {
        const recent = [
          ...history.slice(-20),
          ...argvs.slice(Math.max(0, i - 20), i).map((x) => x.join(" ")),
        ];
        assert.fail(
          `seed ${seed}: command #${sent + i} ${JSON.stringify(cmds[i].args)} differs (${mode})\n` +
            `  tandem: ${JSON.stringify(a[i].toString("latin1"))}\n` +
            `   redis: ${JSON.stringify(b[i].toString("latin1"))}\n` +
            `  preceding commands:\n    ${recent.slice(-20).join("\n    ")}`,
        );
      }
    }
    for (const argv of argvs) history.push(argv.join(" "));
    if (history.length > 100) history.splice(0, history.length - 100);
    sent += cmds.length;
  }
}

/** The seed for a randomized run: TEST_SEED from the environment (to replay), else a fresh one. */
export function testSeed(): number {
  const fromEnv = process.env.TEST_SEED;
  return fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
}
