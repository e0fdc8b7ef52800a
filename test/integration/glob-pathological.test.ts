import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseBackendsReply } from "../../src/cli/backends-table.js";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import { commandCalls, type Deployment, startDeployment } from "../helpers/proxy-deployment.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Patterns that made the old backtracking matcher run for ever (issue 13): every command that matches a
 * glob must answer them promptly, and the server must keep answering other clients meanwhile.
 */

/** The pattern: twenty `a*` and a `b`, against forty `a`s (no match, exponential for backtracking). */
const EVIL = `${"a*".repeat(20)}b`;
const LONG = "a".repeat(40);
/** The same shape, matching: a control that the long string really is there. */
const GOOD = `${"a*".repeat(20)}a`;
/** For configuration names (20-40 characters): sixteen `*?` then a character no name has. */
const EVIL_CONFIG = `${"*?".repeat(16)}#`;
/** Generous for a reply that takes about a millisecond, far below the old matcher's minutes. */
const DEADLINE_MS = 2000;

/** `p`'s result, or a failure naming `what` once DEADLINE_MS passes. */
async function promptly<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no reply within ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends `args` on `c` and, right behind it, PING on `other`: both must be answered within the deadline.
 * Returns the command's reply text.
 */
async function answersWhileOthersAreServed(c: RawClient, other: RawClient, args: string[]): Promise<string> {
  const t0 = performance.now();
  const [reply, pong] = await promptly(
    `${args[0]} ${args.slice(1).join(" ").slice(0, 60)}`,
    Promise.all([c.text(...args), other.text("PING")]),
  );
  const ms = performance.now() - t0;
  assert.equal(pong, "+PONG\r\n");
  assert.ok(ms < DEADLINE_MS, `${args[0]} took ${ms.toFixed(0)} ms`);
  return reply;
}

const EMPTY_SCAN_PAGE = "*2\r\n$1\r\n0\r\n*0\r\n";

describe("pathological glob patterns answer promptly (tandem server)", () => {
  let server: ServerProcess;
  let c: RawClient;
  let other: RawClient;
  let sub: RawClient;

  before(async () => {
    server = await startTandem();
    [c, other, sub] = await Promise.all([server.client(), server.client(), server.client()]);
    assert.equal(await c.text("SET", LONG, "1"), "+OK\r\n");
    assert.equal(await c.text("HSET", "h", LONG, "1"), ":1\r\n");
    assert.equal(await c.text("SADD", "s", LONG, "x"), ":2\r\n");
    assert.equal(await c.text("ZADD", "z", "1", LONG), ":1\r\n");
  });
  after(async () => {
    for (const x of [c, other, sub]) x?.close();
    await server?.stop();
  });

  it("KEYS", async () => {
    assert.equal(await answersWhileOthersAreServed(c, other, ["KEYS", EVIL]), "*0\r\n");
    assert.equal(await answersWhileOthersAreServed(c, other, ["KEYS", GOOD]), `*1\r\n$40\r\n${LONG}\r\n`);
  });

  it("SCAN MATCH", async () => {
    assert.equal(
      await answersWhileOthersAreServed(c, other, ["SCAN", "0", "MATCH", EVIL, "COUNT", "100"]),
      EMPTY_SCAN_PAGE,
    );
  });

  it("HSCAN, SSCAN and ZSCAN MATCH", async () => {
    for (const [cmd, key] of [
      ["HSCAN", "h"],
      ["SSCAN", "s"],
      ["ZSCAN", "z"],
    ]) {
      assert.equal(
        await answersWhileOthersAreServed(c, other, [cmd, key, "0", "MATCH", EVIL, "COUNT", "100"]),
        EMPTY_SCAN_PAGE,
        cmd,
      );
    }
    assert.equal(
      await answersWhileOthersAreServed(c, other, ["HSCAN", "h", "0", "MATCH", GOOD]),
      `*2\r\n$1\r\n0\r\n*2\r\n$40\r\n${LONG}\r\n$1\r\n1\r\n`,
    );
  });

  it("PSUBSCRIBE, then PUBLISH on a long channel name; PUBSUB CHANNELS", async () => {
    const [subscribed] = await sub.sendRaw(`*2\r\n$10\r\nPSUBSCRIBE\r\n$${EVIL.length}\r\n${EVIL}\r\n`);
    assert.equal(
      subscribed.toString("latin1"),
      `*3\r\n$10\r\npsubscribe\r\n$${EVIL.length}\r\n${EVIL}\r\n:1\r\n`,
    );
    assert.equal(await answersWhileOthersAreServed(c, other, ["PUBLISH", LONG, "m"]), ":0\r\n");
    // A channel of that name, listed by pattern.
    const listener = await server.client();
    try {
      await listener.sendRaw(`*2\r\n$9\r\nSUBSCRIBE\r\n$40\r\n${LONG}\r\n`);
      assert.equal(await answersWhileOthersAreServed(c, other, ["PUBSUB", "CHANNELS", EVIL]), "*0\r\n");
      assert.equal(
        await answersWhileOthersAreServed(c, other, ["PUBSUB", "CHANNELS", GOOD]),
        `*1\r\n$40\r\n${LONG}\r\n`,
      );
    } finally {
      listener.close();
    }
  });

  it("CONFIG GET and COMMAND LIST FILTERBY PATTERN", async () => {
    assert.equal(await answersWhileOthersAreServed(c, other, ["CONFIG", "GET", EVIL_CONFIG]), "*0\r\n");
    assert.equal(
      await answersWhileOthersAreServed(c, other, ["COMMAND", "LIST", "FILTERBY", "PATTERN", EVIL_CONFIG]),
      "*0\r\n",
    );
    // The same shape with `?` in place of `#` finds the long names.
    const found = await answersWhileOthersAreServed(c, other, ["CONFIG", "GET", `${"*?".repeat(16)}?`]);
    assert.match(found, /client-output-buffer-limit/);
  });
});

describe("pathological glob patterns answer promptly (through the proxy)", () => {
  let d: Deployment;

  before(async () => {
    d = await startDeployment({
      kind: "tandem",
      replicas: 1,
      proxyYaml: "health:\n  poll_interval_ms: 100\n",
    });
  });
  after(async () => {
    await d?.stop();
  });

  it("KEYS through the proxy is served by the replica, promptly, and PING still answers", async () => {
    const [c, other] = await Promise.all([d.proxy.client(), d.proxy.client()]);
    try {
      // Written on the master directly: this connection has no write of its own to read back, so its reads
      // may go to the replica.
      const master = await d.master.client();
      try {
        assert.equal(await master.text("SET", LONG, "1"), "+OK\r\n");
      } finally {
        master.close();
      }
      const replica = await d.replicas[0].client();
      try {
        await waitFor(
          "the key on the replica",
          async () => (await replica.text("EXISTS", LONG)) === ":1\r\n",
        );
      } finally {
        replica.close();
      }
      await waitFor("the replica eligible for reads", async () => {
        const bs = parseBackendsReply(await other.call("PROXY", "BACKENDS"));
        return bs.some((b) => b.role === "replica" && b.eligible === "yes");
      });
      const before = await commandCalls(d.replicas[0], "keys");
      assert.equal(await answersWhileOthersAreServed(c, other, ["KEYS", EVIL]), "*0\r\n");
      assert.equal(await commandCalls(d.replicas[0], "keys"), before + 1, "KEYS went to the replica");
      assert.equal(await answersWhileOthersAreServed(c, other, ["KEYS", GOOD]), `*1\r\n$40\r\n${LONG}\r\n`);
    } finally {
      c.close();
      other.close();
    }
  });
});
