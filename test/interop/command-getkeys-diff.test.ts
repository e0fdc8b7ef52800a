import { after, before, describe, it } from "node:test";
import { same } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * COMMAND GETKEYS / GETKEYSANDFLAGS for every command and subcommand Tandem implements that Redis 7.0
 * has, with argument lists of several lengths and shapes (plain words, numkeys counts, the keywords key
 * finders look for), against redis-server byte for byte. This checks the key specs the ACL's %R/%W key
 * rules rely on, and the key finders behind them. (COMMAND GETKEYS with only a command name is left out:
 * Redis 7.0's arity for it is -4, the shared table's newer one -3.)
 */

const SHAPES: string[][] = [
  ["a"],
  ["a", "b"],
  ["a", "b", "c"],
  ["a", "b", "c", "d"],
  ["a", "b", "c", "d", "e", "f"],
  ["2", "a", "b"],
  ["2", "a", "b", "c", "d"],
  ["a", "2", "b", "c"],
  ["a", "0", "b", "c"],
  ["x", "-1", "a"],
  ["a", "v", "GET"],
  ["a", "v", "EX", "10", "GET"],
  ["a", "BY", "w_*", "STORE", "dst"],
  ["a", "LIMIT", "0", "1", "STORE", "d1", "GET", "#", "STORE", "d2"],
  ["a", "STORE"],
  ["STREAMS", "a", "b", "0", "0"],
  ["COUNT", "2", "STREAMS", "a", "0"],
  ["a", "GET", "u8", "0"],
  ["a", "SET", "u8", "0", "1"],
  ["a", "OVERFLOW", "SAT", "GET", "u8", "0"],
  ["h", "p", "0", "", "0", "100", "KEYS", "k1", "k2"],
  ["h", "p", "k", "0", "100", "AUTH", "x", "COPY"],
];

describe("COMMAND GETKEYS/GETKEYSANDFLAGS: tandem vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    [tandem, redis] = await Promise.all([startTandem(), startRedis()]);
    [t, r] = await Promise.all([tandem.client(), redis.client()]);
  });
  after(async () => {
    t?.close();
    r?.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

  it("finds the same keys with the same flags for every command", async () => {
    const names = ((await t.call("COMMAND", "LIST")) as Buffer[]).map(String);
    const redisNames = new Set(((await r.call("COMMAND", "LIST")) as Buffer[]).map(String));
    const redisSubs = new Set<string>();
    for (const e of (await r.call("COMMAND")) as unknown[][]) {
      for (const sub of (e[9] as unknown[][]) ?? []) redisSubs.add(String(sub[0]));
    }
    const argvs: string[][] = [];
    for (const name of names) {
      // Tandem's table has newer arities for these two (ZRANK ... WITHSCORE): their checks differ by design.
      if (!redisNames.has(name) || name === "zrank" || name === "zrevrank") continue;
      const info = (await t.call("COMMAND", "INFO", name)) as unknown[][];
      const subs = ((info[0]?.[9] as unknown[][]) ?? []).map((s) => String(s[0]).split("|")[1]);
      const known = subs.filter((s) => redisSubs.has(`${name}|${s}`));
      const heads = subs.length > 0 ? known.map((s) => [name, s]) : [[name]];
      for (const head of heads) for (const shape of SHAPES) argvs.push([...head, ...shape]);
    }
    for (const argv of argvs) {
      await same(t, r, ["COMMAND", "GETKEYS", ...argv]);
      await same(t, r, ["COMMAND", "GETKEYSANDFLAGS", ...argv]);
    }
  });

  it("refuses what Redis refuses", async () => {
    for (const argv of [
      ["nosuch", "a"],
      ["ping", "x"],
      ["get", "a", "b", "c"],
      ["get", "a", "b"],
      ["config", "nosuch"],
      ["zunionstore", "d", "x", "a"],
    ]) {
      await same(t, r, ["COMMAND", "GETKEYS", ...argv]);
      await same(t, r, ["COMMAND", "GETKEYSANDFLAGS", ...argv]);
    }
  });
});
