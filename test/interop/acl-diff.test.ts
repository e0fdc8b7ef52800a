import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RespDecoder } from "../../src/resp/resp-decoder.js";
import { RespErrorReply, type RespValue } from "../../src/resp/resp-value.js";
import { same, seededRandom } from "../helpers/differential.js";
import { NO_REDIS, REDIS_CLI, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import { pick, randInt, testSeed } from "../helpers/random-diff.js";
import { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * The ACL against Debian's redis-server 7.0: ACL SETUSER/GETUSER/LIST/USERS/CAT/DELUSER/DRYRUN/LOG/
 * WHOAMI/GENPASS/HELP replies, AUTH/HELLO, and the NOPERM errors of restricted users, byte for byte.
 *
 * Two things Redis leaves to chance are normalized: the order of single-command rules in a description
 * (Redis walks a hash table seeded at random per process; the category part is deterministic and compared
 * as is), and, in ACL LOG, the age and the client's address/id/timings.
 */

/**
 * Commands Tandem has and Redis 7.0 lacks: a description may need a rule for them (`-waitoffset` after
 * `+@all -@admin`, as it is @slow), which Redis's cannot have.
 */
const TANDEM_ONLY = new Set(["waitoffset", "client|setinfo", "client|no-touch"]);

/**
 * Sorts the single-command rules (`+get`, `-config|set`) of every selector in an ACL description, and
 * drops those about Tandem-only commands.
 */
export function normalizeRules(text: string): string {
  return text.replace(/(^|\()([^()]*)/g, (_m, open: string, body: string) => {
    const words = body.split(" ");
    const firstCmd = words.findIndex((w) => w === "+@all" || w === "-@all");
    if (firstCmd < 0) return open + body;
    const head = words.slice(0, firstCmd);
    const rules = words.slice(firstCmd);
    const cats = rules.filter((w) => w.includes("@") || w === "");
    const singles = rules.filter((w) => !w.includes("@") && w !== "" && !TANDEM_ONLY.has(w.slice(1))).sort();
    return (
      open +
      [...head, ...cats.filter((w) => w !== ""), ...singles].join(" ") +
      (body.endsWith(" ") ? " " : "")
    );
  });
}

const CINFO_KEPT = ["name", "db", "sub", "psub", "multi", "cmd", "user", "resp"];

function normalizeValue(v: RespValue, key: string | null): unknown {
  if (Buffer.isBuffer(v) || typeof v === "string") {
    const s = Buffer.isBuffer(v) ? v.toString("latin1") : v;
    if (key === "age-seconds") return "<age>";
    if (key === "client-info") {
      const fields = new Map(
        s.split(" ").map((f) => [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)]),
      );
      return CINFO_KEPT.map((k) => `${k}=${fields.get(k)}`).join(" ");
    }
    return normalizeRules(s);
  }
  if (v instanceof RespErrorReply) return { error: v.message };
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      const prev = i > 0 ? v[i - 1] : null;
      const k = Buffer.isBuffer(prev) ? prev.toString("latin1") : typeof prev === "string" ? prev : null;
      out.push(normalizeValue(v[i], i % 2 === 1 ? k : null));
    }
    return out;
  }
  if (v instanceof Map) {
    return [...v].map(([k, x]) => [
      normalizeValue(k, null),
      normalizeValue(x, Buffer.isBuffer(k) ? k.toString() : null),
    ]);
  }
  if (v instanceof Set) return { set: [...v].map((x) => normalizeValue(x, null)) };
  if (typeof v === "number" && key === "age-seconds") return "<age>";
  return v;
}

/** Same reply modulo the normalizations above; the reply's type byte must match too. */
async function sameAcl(t: RawClient, r: RawClient, args: (string | number)[]): Promise<RespValue> {
  const [a, b] = await Promise.all([t.raw(...args), r.raw(...args)]);
  const da = RespDecoder.decodeAll(a)[0];
  const db = RespDecoder.decodeAll(b)[0];
  assert.equal(String.fromCharCode(a[0]), String.fromCharCode(b[0]), `reply type to ${JSON.stringify(args)}`);
  assert.deepEqual(
    normalizeValue(da, null),
    normalizeValue(db, null),
    `reply to ${JSON.stringify(args)} differs:\n tandem: ${JSON.stringify(a.toString("latin1"))}\n  redis: ${JSON.stringify(b.toString("latin1"))}`,
  );
  return da;
}

/** Same reply bytes once HELLO's connection id is masked. */
async function sameHello(t: RawClient, r: RawClient, args: (string | number)[]): Promise<void> {
  const [a, b] = await Promise.all([t.text(...args), r.text(...args)]);
  const mask = (s: string) => s.replace(/(\$2\r\nid\r\n):\d+/, "$1:<id>");
  assert.equal(mask(a), mask(b), `reply to ${JSON.stringify(args)}`);
}

describe("ACL: tandem vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;
  const extra: RawClient[] = [];

  before(async () => {
    [tandem, redis] = await Promise.all([startTandem(), startRedis()]);
    [t, r] = await Promise.all([tandem.client(), redis.client()]);
  });

  after(async () => {
    for (const c of [t, r, ...extra]) c?.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

  const both = (...args: (string | number)[]) => same(t, r, args);
  const acl = (...args: (string | number)[]) => sameAcl(t, r, args);

  /** A pair of fresh connections, one to each server. */
  async function pair(): Promise<[RawClient, RawClient]> {
    const p = await Promise.all([tandem.client(), redis.client()]);
    extra.push(...p);
    return p;
  }

  async function resetUsers(): Promise<void> {
    const users = (await r.call("ACL", "USERS")) as Buffer[];
    for (const u of users.map(String)) if (u !== "default") await both("ACL", "DELUSER", u);
    await both("ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all");
    await both("ACL", "LOG", "RESET");
  }

  it("creates users and describes them as Redis does (LIST, USERS, GETUSER in RESP2 and RESP3)", async () => {
    await resetUsers();
    const rules: string[][] = [
      [],
      ["on", ">p1", ">p2", "~x", "%R~y", "%W~z", "%RW~w", "&ch", "+get", "+@hash", "-hdel", "+select|0"],
      ["on", "nopass", "allkeys", "allchannels", "allcommands"],
      ["+@all", "-@dangerous", "~*"],
      ["-@all", "+@read", "+@write", "-@keyspace"],
      ["+@all", "-@admin", "-@slow", "+config|get", "-client|kill"],
      ["-@all", "+client", "-client|kill", "+acl|whoami", "+@pubsub", "-publish"],
      [
        "on",
        "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
        "(+get ~k1)",
        "(+set %W~k2 &c*)",
      ],
      ["reset", "on", "skip-sanitize-payload", ">pw", "<pw", ">pw2", "resetpass", ">pw3"],
      [
        "-@all",
        "+@string",
        "+@list",
        "+@set",
        "+@sortedset",
        "+@hash",
        "+@bitmap",
        "-@write",
        "+debug|object",
      ],
      ["+@all", "-@all", "+@fast", "-@read", "+get", "+mget"],
      ["resetkeys", "~a*", "~b?", "%R~c[a-z]", "resetchannels", "&x", "&y"],
      ["on", "sanitize-payload", ">same", ">same", "~dup", "~dup", "%R~dup"],
    ];
    for (let i = 0; i < rules.length; i++) {
      await both("ACL", "SETUSER", `u${i}`, ...rules[i]);
      await acl("ACL", "GETUSER", `u${i}`);
    }
    // Changing an existing user keeps what the new rules do not touch.
    await both("ACL", "SETUSER", "u1", "-get", "+set", "&other", "off");
    await both("ACL", "SETUSER", "u7", "clearselectors", "(+ping)");
    await acl("ACL", "LIST");
    await both("ACL", "USERS");
    await acl("ACL", "GETUSER", "u1");
    await both("ACL", "GETUSER", "nosuchuser");
    const [t3, r3] = await pair();
    await sameHello(t3, r3, ["HELLO", "3"]);
    for (const u of ["u1", "u7", "default", "nosuchuser"]) await sameAcl(t3, r3, ["ACL", "GETUSER", u]);
    await sameAcl(t3, r3, ["ACL", "LIST"]);
  });

  it("refuses bad rules with Redis's errors and changes nothing", async () => {
    await resetUsers();
    await both("ACL", "SETUSER", "v", "on", ">keep", "~k");
    const bad: string[][] = [
      ["+nosuchcommand"],
      ["-nosuchcommand"],
      ["+@nosuchcategory"],
      ["-@"],
      ["+"],
      ["bogus"],
      ["~*", "~more"],
      ["&*", "&more"],
      ["allkeys", "%R~x"],
      ["<notapassword"],
      ["!0123"],
      ["#ABCDEF"],
      ["+config|get|x"],
      ["+config|nosuch"],
      ["+select|"],
      ["(+get", "~x"],
      ["(+nosuch)"],
      ["%~x"],
      ["%RR~x"],
      ["%X~x"],
      ["~a b"],
      ["&a\tb"],
      ["on", "+get", "+nosuch", "+set"],
    ];
    for (const b of bad) await both("ACL", "SETUSER", "v", ...b);
    await both("ACL", "SETUSER", "with space", "on");
    await both("ACL", "SETUSER", "nul\0char", "on");
    await acl("ACL", "GETUSER", "v");
    await both("ACL", "DELUSER", "default");
    await both("ACL", "DELUSER", "v", "default");
    await both("ACL", "DELUSER", "v", "nosuch", "v");
  });

  it("ACL CAT lists Redis's categories and each category's commands", async () => {
    await both("ACL", "CAT");
    await both("ACL", "CAT", "nosuch");
    await both("ACL", "CAT", "read", "extra");
    const tandemOnly = new Set(["client|setinfo", "client|no-touch", "waitoffset"]);
    const cats = ((await r.call("ACL", "CAT")) as Buffer[]).map(String);
    for (const cat of [...cats, "HASH", "Dangerous"]) {
      const tl = ((await t.call("ACL", "CAT", cat)) as Buffer[]).map(String);
      const rl = ((await r.call("ACL", "CAT", cat)) as Buffer[]).map(String);
      assert.deepEqual(tl.filter((n) => !tandemOnly.has(n)).sort(), [...rl].sort(), `ACL CAT ${cat}`);
    }
  });

  it("answers AUTH and HELLO AUTH as Redis, per user", async () => {
    await resetUsers();
    await both("ACL", "SETUSER", "alice", "on", ">wonderland", "+@all", "~*");
    await both("ACL", "SETUSER", "bob", "off", ">builder", "+@all", "~*");
    await both("ACL", "SETUSER", "carol", "on", "nopass", "+@all", "~*");
    await both("ACL", "SETUSER", "dave", "on", "+@all", "~*");
    const [t2, r2] = await pair();
    const on = (...args: string[]) => same(t2, r2, args);
    await on("AUTH", "justapassword");
    await on("AUTH", "a", "b", "c");
    await on("AUTH", "alice", "wrong");
    await on("AUTH", "bob", "builder");
    await on("AUTH", "nosuch", "x");
    await on("AUTH", "dave", "anything");
    await on("AUTH", "carol", "anything");
    await on("ACL", "WHOAMI");
    await on("AUTH", "alice", "wonderland");
    await on("ACL", "WHOAMI");
    await on("HELLO", "2", "AUTH", "alice", "nope");
    await sameHello(t2, r2, ["HELLO", "2", "AUTH", "carol", "x", "SETNAME", "conn"]);
    await on("ACL", "WHOAMI");
    await on("CLIENT", "GETNAME");
    await on("RESET");
    await on("ACL", "WHOAMI");
    // requirepass is the default user's password.
    await both("CONFIG", "SET", "requirepass", "s3cret");
    await acl("ACL", "GETUSER", "default");
    await on("PING");
    await sameHello(t2, r2, ["HELLO", "3"]);
    await on("AUTH", "s3cret");
    await on("PING");
    await on("RESET");
    await on("GET", "x");
    await on("AUTH", "default", "wrong");
    await sameHello(t2, r2, ["HELLO", "2", "AUTH", "default", "s3cret"]);
    await on("ACL", "WHOAMI");
    await both("CONFIG", "GET", "requirepass");
    await on("CONFIG", "SET", "requirepass", "");
    await acl("ACL", "GETUSER", "default");
    await on("AUTH", "whatever");
  });

  it("refuses what a restricted user may not run with Redis's NOPERM errors", async () => {
    await resetUsers();
    await both(
      "ACL",
      "SETUSER",
      "lim",
      "on",
      ">pw",
      "-@all",
      "+get",
      "+set",
      "+mget",
      "+lpush",
      "+sort",
      "+publish",
      "+subscribe",
      "+psubscribe",
      "+ssubscribe",
      "+multi",
      "+exec",
      "+copy",
      "+select|0",
      "+config|get",
      "+object",
      "~pub:*",
      "%R~ro:*",
      "%W~wo:*",
      "&news.*",
      "(+hset ~h:*)",
    );
    const [t2, r2] = await pair();
    const on = (...args: string[]) => same(t2, r2, args);
    await on("AUTH", "lim", "pw");
    await on("GET", "pub:1");
    await on("GET", "ro:1");
    await on("GET", "wo:1");
    await on("GET", "other");
    await on("SET", "pub:1", "v");
    await on("SET", "wo:1", "v");
    await on("SET", "ro:1", "v");
    await on("SET", "ro:1", "v", "GET");
    await on("SET", "wo:1", "v", "GET");
    await on("MGET", "pub:1", "ro:2", "secret");
    await on("COPY", "ro:1", "wo:1");
    await on("COPY", "wo:1", "ro:1");
    await on("SORT", "pub:l");
    await on("SORT", "ro:l", "STORE", "wo:dst");
    await on("SORT", "ro:l", "STORE", "pub:dst");
    await on("SORT", "ro:l", "BY", "nosort", "STORE", "ro:dst");
    await on("SORT", "pub:l", "BY", "w_*");
    await on("SORT", "pub:l", "GET", "#");
    await both("ACL", "SETUSER", "wide", "on", "nopass", "+sort", "%R~*", "%W~dst");
    await both("ACL", "DRYRUN", "wide", "sort", "a", "BY", "w_*", "GET", "o_*", "STORE", "dst");
    const [tw, rw] = await pair();
    await same(tw, rw, ["AUTH", "wide", "x"]);
    await same(tw, rw, ["SORT", "a", "BY", "w_*", "GET", "o_*", "STORE", "dst"]);
    await same(tw, rw, ["SORT", "a", "BY", "w_*", "GET", "o_*", "STORE", "other"]);
    await on("LPUSH", "ro:l", "x");
    await on("DEL", "pub:1");
    await on("CONFIG", "GET", "maxclients");
    await on("CONFIG", "SET", "port", "1");
    await on("OBJECT", "ENCODING", "secret");
    await on("OBJECT", "HELP");
    await on("SELECT", "0");
    await on("SELECT", "1");
    await on("HSET", "h:1", "f", "v");
    await on("HSET", "x:1", "f", "v");
    await on("PUBLISH", "news.today", "hi");
    await on("PUBLISH", "sports", "hi");
    await on("PSUBSCRIBE", "news.*");
    await on("PUNSUBSCRIBE");
    await on("PSUBSCRIBE", "news.today");
    await on("SUBSCRIBE", "news.a", "other");
    await on("SUBSCRIBE", "news.a");
    await on("UNSUBSCRIBE");
    await on("PING");
    await on("NOSUCHCOMMAND");
    await on("GET");
    await on("ACL", "WHOAMI");
    // Queued while allowed, refused at EXEC once the rules changed.
    await on("MULTI");
    await on("GET", "pub:1");
    await on("HGET", "pub:1", "f");
    await on("SET", "pub:2", "x");
    await both("ACL", "SETUSER", "lim", "-set");
    await on("EXEC");
    // EXEC itself refused: the transaction is discarded with the reason (Redis's execCommandAbort).
    await both("ACL", "SETUSER", "lim", "-exec");
    await on("MULTI");
    await on("GET", "pub:1");
    await on("EXEC");
    await on("EXEC");
    await both("ACL", "DRYRUN", "lim", "get", "pub:1");
    await both("ACL", "DRYRUN", "lim", "get", "ro:1");
    await both("ACL", "DRYRUN", "lim", "set", "ro:1", "v");
    await both("ACL", "DRYRUN", "lim", "set", "wo:1", "v");
    await both("ACL", "DRYRUN", "lim", "hset", "h:1", "f", "v");
    await both("ACL", "DRYRUN", "lim", "publish", "sports", "x");
    await both("ACL", "DRYRUN", "lim", "config", "get", "port");
    await both("ACL", "DRYRUN", "lim", "config", "set", "port", "1");
    await both("ACL", "DRYRUN", "lim", "get");
    await both("ACL", "DRYRUN", "lim", "nosuchcmd", "x");
    await both("ACL", "DRYRUN", "nosuchuser", "get", "x");
    await both("ACL", "DRYRUN", "default", "flushall");
  });

  it("keeps Redis's ACL LOG (entries, grouping, COUNT, RESET)", async () => {
    await resetUsers();
    await both("ACL", "SETUSER", "logged", "on", ">pw", "-@all", "+get", "+publish", "+multi", "~allowed");
    const [t2, r2] = await pair();
    const on = (...args: string[]) => same(t2, r2, args);
    await on("AUTH", "logged", "wrong");
    await on("AUTH", "logged", "pw");
    await on("SET", "k", "v");
    await on("SET", "k", "v");
    await on("GET", "secret");
    await on("PUBLISH", "chan", "x");
    await on("MULTI");
    await on("GET", "nope");
    await on("AUTH", "nobody", "x");
    await acl("ACL", "LOG");
    await acl("ACL", "LOG", "2");
    await acl("ACL", "LOG", "0");
    await acl("ACL", "LOG", "-1");
    await both("ACL", "LOG", "notanumber");
    await both("ACL", "LOG", "1", "2");
    const [t3, r3] = await pair();
    await sameHello(t3, r3, ["HELLO", "3"]);
    await sameAcl(t3, r3, ["ACL", "LOG", "3"]);
    await both("ACL", "LOG", "RESET");
    await both("ACL", "LOG");
  });

  it("closes the connections of a deleted user, and revokes channels of subscribed ones", async () => {
    await resetUsers();
    await both("ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*", "&*");
    const [t2, r2] = await pair();
    await same(t2, r2, ["AUTH", "gone", "pw"]);
    await both("ACL", "DELUSER", "gone");
    for (const c of [t2, r2]) {
      await waitFor("the deleted user's connection to close", async () => {
        try {
          await c.raw("PING");
          return false;
        } catch {
          return true;
        }
      });
    }
    // A subscriber whose channel permission goes away is disconnected; one still covered stays.
    await both("ACL", "SETUSER", "sub", "on", ">pw", "+@all", "~*", "resetchannels", "&a", "&b");
    const [ta, ra] = await pair();
    const [tb, rb] = await pair();
    for (const [x, y, ch] of [
      [ta, ra, "a"],
      [tb, rb, "b"],
    ] as const) {
      await same(x, y, ["AUTH", "sub", "pw"]);
      await same(x, y, ["SUBSCRIBE", ch]);
    }
    await both("ACL", "SETUSER", "sub", "resetchannels", "&b");
    for (const c of [ta, ra]) {
      await waitFor("the revoked subscriber to be disconnected", async () => {
        try {
          await c.raw("PING");
          return false;
        } catch {
          return true;
        }
      });
    }
    await same(tb, rb, ["PING"]);
  });

  it("COMMAND INFO shows each command's ACL categories as Redis", async () => {
    const names = [
      "get",
      "set",
      "config",
      "config|get",
      "acl|setuser",
      "blpop",
      "publish",
      "exec",
      "zadd",
      "sort",
      "client|kill",
    ];
    for (const n of names) {
      const [a, b] = await Promise.all([t.call("COMMAND", "INFO", n), r.call("COMMAND", "INFO", n)]);
      const cats = (v: RespValue) => normalizeValue(((v as RespValue[])[0] as RespValue[])[6], null);
      assert.deepEqual(cats(a), cats(b), n);
    }
  });

  it("redis-cli --user/--pass authenticates as the user", { skip: REDIS_CLI === null }, async () => {
    await both("ACL", "SETUSER", "cliuser", "on", ">clipw", "+@all", "~*");
    for (const port of [tandem.port, redis.port]) {
      const out = execFileSync(
        REDIS_CLI!,
        ["-p", String(port), "--user", "cliuser", "--pass", "clipw", "ACL", "WHOAMI"],
        {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        },
      );
      assert.equal(out.trim(), "cliuser");
    }
  });

  it("random rule sets: the same descriptions and the same DRYRUN answers (seeded)", async () => {
    const seed = testSeed();
    console.log(`acl random rules: TEST_SEED=${seed}`);
    const rnd = seededRandom(seed);
    await resetUsers();
    const cats = ((await r.call("ACL", "CAT")) as Buffer[]).map(String);
    const cmds = [
      "get",
      "set",
      "del",
      "hset",
      "hget",
      "lpush",
      "lrange",
      "sadd",
      "zadd",
      "incr",
      "mget",
      "mset",
      "publish",
      "subscribe",
      "psubscribe",
      "config",
      "config|get",
      "config|set",
      "client|kill",
      "client",
      "select",
      "keys",
      "scan",
      "flushall",
      "info",
      "ping",
      "multi",
      "exec",
      "acl",
      "acl|whoami",
      "xadd",
      "geoadd",
      "pfadd",
      "bitcount",
      "eval",
      "debug",
      "object|encoding",
      "sort",
      "copy",
      "rename",
    ];
    const patterns = ["k*", "a?", "x", "*", "pre:*", "[ab]*"];
    const ruleOf = (): string => {
      const kind = randInt(rnd, 0, 15);
      if (kind <= 3) return `${pick(rnd, ["+", "-"])}@${pick(rnd, [...cats, "all"])}`;
      if (kind <= 7) return `${pick(rnd, ["+", "-"])}${pick(rnd, cmds)}`;
      if (kind === 8) return `+${pick(rnd, ["select", "debug"])}|${pick(rnd, ["0", "1", "object", "sleep"])}`;
      if (kind === 9) return `${pick(rnd, ["~", "%R~", "%W~", "%RW~"])}${pick(rnd, patterns)}`;
      if (kind === 10) return `&${pick(rnd, ["news.*", "ch", "*", "a?"])}`;
      if (kind === 11)
        return pick(rnd, [
          "resetkeys",
          "resetchannels",
          "allkeys",
          "allchannels",
          "allcommands",
          "nocommands",
        ]);
      if (kind === 12) return pick(rnd, ["on", "off", "nopass", "resetpass", ">pw", "<pw", "reset"]);
      if (kind === 13)
        return `(${pick(rnd, ["+get", "+@read", "-@all +set"])} ${pick(rnd, ["~k*", "%R~x", "&ch"])})`;
      return pick(rnd, ["clearselectors", "~*", "&*", "+@all", "-@all"]);
    };
    const probes: string[][] = [
      ["get", "k1"],
      ["get", "x"],
      ["set", "pre:a", "v"],
      ["set", "a1", "v", "GET"],
      ["hset", "k2", "f", "v"],
      ["mget", "k1", "x", "zz"],
      ["publish", "news.a", "m"],
      ["publish", "ch", "m"],
      ["subscribe", "ch", "zz"],
      ["psubscribe", "news.*"],
      ["config", "get", "maxclients"],
      ["config", "set", "maxclients", "10"],
      ["select", "0"],
      ["select", "1"],
      ["keys", "*"],
      ["flushall"],
      ["ping"],
      ["client", "kill", "id", "1"],
      ["sort", "k1", "store", "x"],
      ["copy", "a1", "pre:b"],
      ["object", "encoding", "k1"],
      ["lpush", "bz", "1"],
    ];
    for (let u = 0; u < 60; u++) {
      const rules = Array.from({ length: randInt(rnd, 1, 8) }, ruleOf);
      const name = `rnd${u % 7}`;
      await both("ACL", "SETUSER", name, ...rules);
      await acl("ACL", "GETUSER", name);
      for (let i = 0; i < 4; i++) await both("ACL", "DRYRUN", name, ...pick(rnd, probes));
    }
    await acl("ACL", "LIST");
  });

  it("GENPASS, WHOAMI, HELP, LOAD/SAVE without an aclfile, and syntax errors", async () => {
    for (const bits of ["1", "4", "5", "255", "256", "4096"]) {
      const [a, b] = await Promise.all([t.call("ACL", "GENPASS", bits), r.call("ACL", "GENPASS", bits)]);
      assert.equal(String(a).length, String(b).length, `GENPASS ${bits}`);
      assert.match(String(a), /^[0-9a-f]+$/);
    }
    assert.equal(String(await t.call("ACL", "GENPASS")).length, 64);
    await both("ACL", "GENPASS", "0");
    await both("ACL", "GENPASS", "4097");
    await both("ACL", "GENPASS", "-1");
    await both("ACL", "GENPASS", "x");
    await both("ACL", "GENPASS", "1", "2");
    await both("ACL", "WHOAMI");
    await both("ACL", "HELP");
    await both("ACL", "LOAD");
    await both("ACL", "SAVE");
    await both("ACL");
    await both("ACL", "NOSUCH");
    await both("ACL", "GETUSER");
    await both("ACL", "SETUSER");
    await both("ACL", "WHOAMI", "x");
    await both("ACL", "DRYRUN", "default");
  });
});

describe("ACL files and config users: tandem vs redis-server", { skip: NO_REDIS }, () => {
  const dir = mkdtempSync(join(tmpdir(), "acl-diff-"));
  const servers: ServerProcess[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function startBoth(args: string[]): Promise<[ServerProcess, ServerProcess, RawClient, RawClient]> {
    const [ts, rs] = await Promise.all([startTandem({ args }), startRedis({ args })]);
    servers.push(ts, rs);
    const [tc, rc] = await Promise.all([ts.client(), rs.client()]);
    return [ts, rs, tc, rc];
  }

  it("loads the aclfile, reports its errors by file:line, and saves it as Redis", async () => {
    const file = join(dir, "users.acl");
    writeFileSync(
      file,
      [
        "user default on nopass ~* &* +@all",
        "user alice on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~cache:* -@all +get",
        "",
        "user bob off resetchannels -@all +@read (~b* +set)",
        "",
      ].join("\n"),
    );
    const [, , tc, rc] = await startBoth(["--aclfile", file]);
    await sameAcl(tc, rc, ["ACL", "LIST"]);
    await same(tc, rc, ["AUTH", "alice", "password"]);
    await same(tc, rc, ["ACL", "WHOAMI"]);
    await same(tc, rc, ["GET", "cache:1"]);
    await same(tc, rc, ["GET", "other"]);
    await same(tc, rc, ["AUTH", "default", "x"]);
    // A file with errors: every error at once, nothing changed.
    writeFileSync(
      file,
      [
        "user default on nopass ~* &* +@all",
        "user carol on +nosuch +@nosuch ~x",
        "not a user line",
        "user dave on ~* ~x bogus",
        "user carol on",
        "user e (+get",
      ].join("\n"),
    );
    await same(tc, rc, ["ACL", "LOAD"]);
    await sameAcl(tc, rc, ["ACL", "LIST"]);
    // Authenticated connections of users the new file drops are closed; default's stay.
    const [ta, ra] = await Promise.all([
      RawClient.connect(servers[0].port),
      RawClient.connect(servers[1].port),
    ]);
    await same(ta, ra, ["AUTH", "alice", "password"]);
    writeFileSync(file, "user zed on >z +@all ~*\n");
    await same(tc, rc, ["ACL", "LOAD"]);
    await sameAcl(tc, rc, ["ACL", "LIST"]);
    for (const c of [ta, ra]) {
      await waitFor("a dropped user's connection to close", async () => {
        try {
          await c.raw("PING");
          return false;
        } catch {
          return true;
        }
      });
    }
    await same(tc, rc, ["ACL", "SETUSER", "yan", "on", ">y", "~y*", "+@hash"]);
    await same(tc, rc, ["ACL", "SAVE"]);
    const saved = normalizeRules(readFileSync(file, "latin1"));
    await same(tc, rc, ["ACL", "SAVE"]); // Redis's copy last, then compare with what Tandem wrote
    assert.equal(normalizeRules(readFileSync(file, "latin1")), saved);
    tc.close();
    rc.close();
    ta.close();
    ra.close();
  });

  it("applies `user` lines of the config file and refuses bad ones with file:line", async () => {
    const conf = join(dir, "users.conf");
    writeFileSync(
      conf,
      [
        "user default on >defpw ~* &* +@all",
        "user ops on >ops (+info) -@all +ping ~ops:* &ops",
        'user "odd" on nopass +@read allkeys',
        "",
      ].join("\n"),
    );
    const [ts, rs] = await Promise.all([startTandem({ configFile: conf }), startRedis({ configFile: conf })]);
    servers.push(ts, rs);
    const [tc, rc] = await Promise.all([ts.client(), rs.client()]);
    await same(tc, rc, ["PING"]);
    await same(tc, rc, ["AUTH", "defpw"]);
    await sameAcl(tc, rc, ["ACL", "LIST"]);
    tc.close();
    rc.close();

    const bad = join(dir, "bad.conf");
    writeFileSync(bad, "port 0\nuser x on\nuser x off\n");
    const t2 = await startTandem({ configFile: bad, waitReady: false });
    servers.push(t2);
    const code = await t2.exited;
    assert.equal(code, 1);
    assert.match(t2.output(), /bad\.conf:3: Error in user declaration 'x': Duplicate user found/);
    writeFileSync(bad, "port 0\nuser y on >secretpw +nosuch\n");
    const t3 = await startTandem({ configFile: bad, waitReady: false });
    servers.push(t3);
    assert.equal(await t3.exited, 1);
    assert.match(t3.output(), /bad\.conf:2: Error in user declaration '\+nosuch': Unknown command/);
    assert.doesNotMatch(t3.output(), /secretpw/);
  });
});
