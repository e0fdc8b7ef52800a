import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { same } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Client-side caching (CLIENT TRACKING), sharded pub/sub, CLIENT REPLY with push messages and CLIENT INFO,
 * against Debian's redis-server, through raw clients: every reply and every invalidation message is
 * compared byte for byte (client ids, which differ between the servers, are looked up on each side).
 */

describe("client tracking and sharded pub/sub: tandem vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  const opened: RawClient[] = [];

  before(async () => {
    [tandem, redis] = await Promise.all([startTandem(), startRedis()]);
  });

  after(async () => {
    for (const c of opened) c.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

  /** n clients on each server: [tandem's, redis's] pairs. */
  async function pairs(n: number): Promise<[RawClient, RawClient][]> {
    const out: [RawClient, RawClient][] = [];
    for (let i = 0; i < n; i++) {
      const pair = await Promise.all([tandem.client(), redis.client()]);
      opened.push(...pair);
      out.push(pair);
    }
    return out;
  }

  /** Reads the next n frames on both and compares them. */
  async function nextSame(p: [RawClient, RawClient], n = 1): Promise<void> {
    const [a, b] = await Promise.all([p[0].read(n), p[1].read(n)]);
    assert.deepEqual(
      a.map((f) => f.toString("latin1")),
      b.map((f) => f.toString("latin1")),
    );
  }

  /** Each side's client id of a pair. */
  async function ids(p: [RawClient, RawClient]): Promise<[number, number]> {
    return (await Promise.all([p[0].call("CLIENT", "ID"), p[1].call("CLIENT", "ID")])) as [number, number];
  }

  /** The same command, with each side's own client id (`ta`, `tb`) substituted for "$ID". */
  async function withId(
    p: [RawClient, RawClient],
    [ta, tb]: [number, number],
    args: string[],
  ): Promise<void> {
    const [a, b] = await Promise.all([
      p[0].raw(...args.map((x) => (x === "$ID" ? String(ta) : x))),
      p[1].raw(...args.map((x) => (x === "$ID" ? String(tb) : x))),
    ]);
    assert.equal(a.toString("latin1"), b.toString("latin1"), JSON.stringify(args));
  }

  it("rejects bad CLIENT TRACKING/CACHING options with Redis's errors", async () => {
    const [c] = await pairs(1);
    const s = (args: string[]) => same(c[0], c[1], args);
    await s(["CLIENT", "TRACKING", "maybe"]);
    await s(["CLIENT", "TRACKING", "on", "nosuchoption"]);
    await s(["CLIENT", "TRACKING", "on", "PREFIX", "a"]);
    await s(["CLIENT", "TRACKING", "on", "BCAST", "OPTIN"]);
    await s(["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"]);
    await s(["CLIENT", "TRACKING", "on", "REDIRECT", "999999"]);
    await s(["CLIENT", "TRACKING", "on", "REDIRECT", "x"]);
    await s(["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "a"]);
    await s(["CLIENT", "CACHING", "yes"]);
    await s(["CLIENT", "GETREDIR"]);
    await s(["CLIENT", "TRACKINGINFO"]);
    await s(["CLIENT", "TRACKING", "on", "OPTIN"]);
    await s(["CLIENT", "CACHING", "no"]);
    await s(["CLIENT", "CACHING", "maybe"]);
    await s(["CLIENT", "TRACKING", "on", "OPTOUT"]);
    await s(["CLIENT", "TRACKING", "on", "BCAST"]);
    await s(["CLIENT", "TRACKINGINFO"]);
    await s(["CLIENT", "CACHING", "yes"]);
    await s(["CLIENT", "TRACKINGINFO"]);
    await s(["CLIENT", "TRACKING", "off"]);
    await s(["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b", "NOLOOP"]);
    await s(["CLIENT", "TRACKINGINFO"]);
    await s(["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "abc"]);
    await s(["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c"]);
    await s(["CLIENT", "TRACKINGINFO"]);
    await s(["CLIENT", "GETREDIR"]);
    await s(["CLIENT", "TRACKING", "on"]);
    await s(["CLIENT", "TRACKING", "off"]);
    await s(["CLIENT", "TRACKINGINFO"]);
  });

  it("sends RESP3 invalidation pushes for read keys, once, and null on FLUSHALL", async () => {
    const [c, w] = await pairs(2);
    await same(c[0], c[1], ["HELLO", "3"], { shapeOnly: true });
    await same(c[0], c[1], ["CLIENT", "TRACKING", "on"]);
    await same(w[0], w[1], ["MSET", "k1", "a", "k2", "b", "other", "c"]);
    await same(c[0], c[1], ["GET", "k1"]);
    await same(c[0], c[1], ["MGET", "k2", "missing"]);
    await same(w[0], w[1], ["SET", "k1", "x"]);
    await nextSame(c);
    await same(w[0], w[1], ["SET", "k1", "y"]); // no longer tracked: no second message
    await same(w[0], w[1], ["DEL", "k2", "missing"]); // only k2 was deleted: one message
    await nextSame(c);
    await same(w[0], w[1], ["SET", "missing", "now"]);
    await nextSame(c);
    await same(w[0], w[1], ["SET", "other", "z"]);
    await same(c[0], c[1], ["GET", "k1"]);
    // The client's own write: the invalidation follows its reply.
    const [a, b] = await Promise.all([
      c[0].sendRaw("*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$1\r\nq\r\n", 2),
      c[1].sendRaw("*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$1\r\nq\r\n", 2),
    ]);
    assert.deepEqual(
      a.map((f) => f.toString("latin1")),
      b.map((f) => f.toString("latin1")),
    );
    await same(c[0], c[1], ["GET", "k1"]);
    await same(w[0], w[1], ["FLUSHALL"]);
    await nextSame(c);
    await same(c[0], c[1], ["PING"]);
    // Expiry invalidates too.
    await same(w[0], w[1], ["SET", "exp", "1", "PX", "30"]);
    await same(c[0], c[1], ["GET", "exp"]);
    await nextSame(c);
  });

  it("redirects invalidations to a RESP2 subscriber of __redis__:invalidate", async () => {
    const [c, sub, w] = await pairs(3);
    const subIds = await ids(sub);
    await same(sub[0], sub[1], ["SUBSCRIBE", "__redis__:invalidate"]);
    await withId(c, subIds, ["CLIENT", "TRACKING", "on", "REDIRECT", "$ID"]);
    assert.deepEqual(
      await Promise.all([c[0].call("CLIENT", "GETREDIR"), c[1].call("CLIENT", "GETREDIR")]),
      subIds,
    );
    await same(c[0], c[1], ["GET", "rk"]);
    await same(w[0], w[1], ["SET", "rk", "1"]);
    await nextSame(sub);
    await same(c[0], c[1], ["GET", "rk"]);
    await same(w[0], w[1], ["FLUSHDB"]);
    await nextSame(sub);
    // The redirect target goes away: the tracking client is flagged broken_redirect.
    sub[0].close();
    sub[1].close();
    await same(c[0], c[1], ["GET", "rk"]);
    await waitFor("both servers to drop the redirect target", async () => {
      const [a, b] = await Promise.all([c[0].text("CLIENT", "LIST"), c[1].text("CLIENT", "LIST")]);
      return !a.includes(`id=${subIds[0]} `) && !b.includes(`id=${subIds[1]} `);
    });
    await same(w[0], w[1], ["SET", "rk", "2"]);
    const [ta, tb] = await Promise.all([
      c[0].text("CLIENT", "TRACKINGINFO"),
      c[1].text("CLIENT", "TRACKINGINFO"),
    ]);
    assert.equal(ta.replace(`:${subIds[0]}\r\n`, ":ID\r\n"), tb.replace(`:${subIds[1]}\r\n`, ":ID\r\n"));
    assert.ok(ta.includes("broken_redirect"), ta);
  });

  it("broadcasts by prefix (BCAST), honours NOLOOP and OPTIN/OPTOUT caching", async () => {
    const [b3, w, o] = await pairs(3);
    await same(b3[0], b3[1], ["HELLO", "3"], { shapeOnly: true });
    await same(b3[0], b3[1], [
      "CLIENT",
      "TRACKING",
      "on",
      "BCAST",
      "PREFIX",
      "user:",
      "PREFIX",
      "obj:",
      "NOLOOP",
    ]);
    await same(w[0], w[1], ["MSET", "user:2", "a", "user:1", "b", "obj:9", "c", "zzz", "d"]);
    await nextSame(b3, 2);
    await same(b3[0], b3[1], ["SET", "user:3", "own"]); // NOLOOP: its own change is not sent back
    await same(w[0], w[1], ["DEL", "user:1"]);
    await nextSame(b3);
    // OPTIN: only reads after CLIENT CACHING yes are tracked.
    await same(o[0], o[1], ["HELLO", "3"], { shapeOnly: true });
    await same(o[0], o[1], ["CLIENT", "TRACKING", "on", "OPTIN"]);
    await same(o[0], o[1], ["GET", "notcached"]);
    await same(o[0], o[1], ["CLIENT", "CACHING", "yes"]);
    await same(o[0], o[1], ["GET", "cached"]);
    await same(o[0], o[1], ["GET", "notcached2"]);
    await same(w[0], w[1], ["MSET", "notcached", "1", "cached", "2", "notcached2", "3"]);
    await nextSame(o);
    await same(o[0], o[1], ["PING"]);
    await same(o[0], o[1], ["CLIENT", "TRACKING", "off"]);
    await same(o[0], o[1], ["CLIENT", "TRACKING", "on", "OPTOUT"]);
    await same(o[0], o[1], ["CLIENT", "CACHING", "no"]);
    await same(o[0], o[1], ["GET", "skipped"]);
    await same(o[0], o[1], ["GET", "kept"]);
    await same(w[0], w[1], ["MSET", "skipped", "1", "kept", "2"]);
    await nextSame(o);
    await same(o[0], o[1], ["PING"]);
  });

  it("serves sharded pub/sub as a standalone Redis 7.0 does", async () => {
    const [s, p] = await pairs(2);
    await same(s[0], s[1], ["SSUBSCRIBE", "orders", "users"]);
    await nextSame(s);
    await same(p[0], p[1], ["SPUBLISH", "orders", "hello"]);
    await nextSame(s);
    await same(p[0], p[1], ["PUBLISH", "orders", "not-sharded"]);
    await same(p[0], p[1], ["SPUBLISH", "nobody", "x"]);
    await same(p[0], p[1], ["PUBSUB", "SHARDCHANNELS"], { sorted: true });
    await same(p[0], p[1], ["PUBSUB", "SHARDCHANNELS", "ord*"]);
    await same(p[0], p[1], ["PUBSUB", "SHARDNUMSUB", "orders", "none"]);
    await same(p[0], p[1], ["PUBSUB", "CHANNELS"]);
    await same(s[0], s[1], ["SUBSCRIBE", "plain"]);
    await same(s[0], s[1], ["SUNSUBSCRIBE", "orders"]);
    await same(s[0], s[1], ["SUNSUBSCRIBE"]);
    await same(s[0], s[1], ["SUNSUBSCRIBE"]);
    await same(s[0], s[1], ["UNSUBSCRIBE"]);
    await same(s[0], s[1], ["PING"]);
    await same(p[0], p[1], ["MULTI"]);
    await same(p[0], p[1], ["SSUBSCRIBE", "x"]);
    await same(p[0], p[1], ["EXEC"]);
    // RESP3 subscriber: pushes.
    await same(s[0], s[1], ["HELLO", "3"], { shapeOnly: true });
    await same(s[0], s[1], ["SSUBSCRIBE", "r3"]);
    await same(p[0], p[1], ["SPUBLISH", "r3", "m"]);
    await nextSame(s);
    await same(s[0], s[1], ["CLIENT", "INFO"], { shapeOnly: true });
  });

  it("keeps delivering pushes under CLIENT REPLY OFF, as Redis 7.0", async () => {
    const [q, p] = await pairs(2);
    await same(q[0], q[1], ["HELLO", "3"], { shapeOnly: true });
    await Promise.all([
      q[0].sendRaw("*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n", 0),
      q[1].sendRaw("*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n", 0),
    ]);
    // SUBSCRIBE's confirmation and messages are pushes: they still arrive; SET's +OK does not.
    const cmds = "*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n1\r\n";
    await Promise.all([q[0].sendRaw(cmds, 0), q[1].sendRaw(cmds, 0)]);
    await nextSame(q);
    await same(p[0], p[1], ["PUBLISH", "ch", "hi"]);
    await nextSame(q);
    await same(q[0], q[1], ["CLIENT", "REPLY", "ON"]);
    await same(q[0], q[1], ["GET", "x"]);
  });

  it("prints CLIENT INFO with Redis 7.0's fields and flags", async () => {
    const [c, m] = await pairs(2);
    const fields = (line: string) =>
      line
        .trim()
        .split(" ")
        .map((kv) => kv.split("=")[0]);
    const [a, b] = await Promise.all([c[0].text("CLIENT", "INFO"), c[1].text("CLIENT", "INFO")]);
    assert.deepEqual(fields(a.split("\r\n")[1]), fields(b.split("\r\n")[1]));
    await same(c[0], c[1], ["CLIENT", "TRACKING", "on", "BCAST"]);
    await same(c[0], c[1], ["SUBSCRIBE", "x"]);
    await same(m[0], m[1], ["MONITOR"]);
    const pick = (text: string, key: string) => new RegExp(`${key}=(\\S*)`).exec(text)?.[1];
    const [la, lb] = await Promise.all([m[0].text("CLIENT", "LIST"), m[1].text("CLIENT", "LIST")]);
    const flags = (list: string) =>
      list
        .split("\n")
        .map((l) => {
          const redir = pick(l, "redir");
          // A redirect names a client id, which differs between the servers.
          const r = redir === undefined || redir === "-1" || redir === "0" ? redir : "ID";
          return [pick(l, "flags"), r, pick(l, "sub"), pick(l, "ssub")].join(",");
        })
        .sort();
    assert.deepEqual(flags(la), flags(lb));
  });
});
