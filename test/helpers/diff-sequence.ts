import assert from "node:assert/strict";
import { RespDecoder } from "../../src/resp/resp-decoder.js";
import type { RespValue } from "../../src/resp/resp-value.js";
import type { RawClient } from "./raw-client.js";

/**
 * Runs a command sequence against Tandem and redis-server side by side (pipelined) and fails with every
 * differing reply listed at once, which makes a long differential table far quicker to read than a
 * stop-at-the-first-difference loop. Commands whose reply order is unspecified are marked with
 * `sorted(...)`; the elements of their array reply (and of nested arrays) are sorted before comparing.
 */

export type Cmd = (string | number)[];

const SORTED = Symbol("sorted");

/** Marks a command whose array reply is compared as a multiset (KEYS, SCAN pages, ...). */
export function sorted(cmd: Cmd): Cmd {
  const c = cmd.slice();
  (c as unknown as Record<symbol, boolean>)[SORTED] = true;
  return c;
}

function isSorted(cmd: Cmd): boolean {
  return (cmd as unknown as Record<symbol, boolean>)[SORTED] === true;
}

function sortDeep(v: RespValue): string {
  if (Array.isArray(v)) return `[${v.map(sortDeep).sort().join(",")}]`;
  if (v instanceof Buffer) return JSON.stringify(v.toString("latin1"));
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x));
}

function canonical(frame: Buffer, cmd: Cmd): string {
  if (!isSorted(cmd)) return frame.toString("latin1");
  return sortDeep(RespDecoder.decodeAll(frame)[0]);
}

/** Sends `cmds` to both (one pipeline each) and asserts every pair of replies is equal. */
export async function sameSequence(t: RawClient, r: RawClient, cmds: readonly Cmd[]): Promise<void> {
  const [a, b] = await Promise.all([t.pipeline(cmds as Cmd[]), r.pipeline(cmds as Cmd[])]);
  const diffs: string[] = [];
  for (let i = 0; i < cmds.length; i++) {
    if (canonical(a[i], cmds[i]) !== canonical(b[i], cmds[i])) {
      diffs.push(
        `#${i} ${JSON.stringify(cmds[i])}\n   tandem: ${JSON.stringify(a[i].toString("latin1"))}\n    redis: ${JSON.stringify(b[i].toString("latin1"))}`,
      );
    }
  }
  assert.equal(diffs.length, 0, `${diffs.length} replies differ:\n${diffs.join("\n")}`);
}
