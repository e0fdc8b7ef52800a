import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { infoField, waitLinkUp, waitOffsetsEqual } from "../helpers/replication-helpers.js";
import { ReplicationStream } from "../helpers/replication-stream.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * maxmemory under a write load, with every maxmemory-policy: used_memory stays within maxmemory (plus at
 * most what one command adds, as in Redis, which checks before each command), evicted_keys grows, the
 * volatile-* policies evict only keys with a TTL and answer -OOM when none is left, noeviction answers
 * -OOM; the V8 heap itself stays bounded; the policies pick their victims by idle time, access frequency
 * or TTL; evictions reach replicas and the AOF as DEL (UNLINK with lazyfree-lazy-eviction) and a replica
 * never evicts on its own.
 */

const VALUE = "v".repeat(1000);
/** What one SET of our keys may add beyond maxmemory before the next command's check evicts it again. */
const SLACK = 8 * 1024;
/** Room above the start-up usage for the dataset. */
const ROOM = 2 * 1024 * 1024;

async function num(c: RawClient, section: string, field: string): Promise<number> {
  return Number(await infoField(c, section, field));
}

describe("maxmemory and eviction", () => {
  let srv: ServerProcess;
  let c: RawClient;

  before(async () => {
    srv = await startTandem();
    c = await srv.client();
  });

  after(async () => {
    c?.close();
    await srv?.stop();
  });

  it("keys loaded from an RDB age from their load: OBJECT IDLETIME grows, FREQ starts at 5, a touch resets", async () => {
    await c.call("CONFIG", "SET", "maxmemory", 0);
    await c.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
    await c.call("FLUSHALL");
    await c.call("DEBUG", "POPULATE", 100, "loaded");
    assert.equal(await c.text("DEBUG", "RELOAD"), "+OK\r\n");
    // Idle time counts from the load, in whole seconds, as Redis's LRU clock does.
    await waitFor(
      "a loaded key to age",
      async () => Number(await c.call("OBJECT", "IDLETIME", "loaded:7")) >= 1,
    );
    await c.call("GET", "loaded:7");
    assert.equal(await c.call("OBJECT", "IDLETIME", "loaded:7"), 0);
    assert.ok(Number(await c.call("OBJECT", "IDLETIME", "loaded:8")) >= 1, "an untouched key keeps ageing");
    await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
    await c.call("FLUSHALL");
    await c.call("DEBUG", "POPULATE", 10, "lfu");
    assert.equal(await c.text("DEBUG", "RELOAD"), "+OK\r\n");
    assert.equal(
      await c.call("OBJECT", "FREQ", "lfu:3"),
      5,
      "LFU_INIT_VAL for a key loaded without a counter",
    );
    await c.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
    await c.call("FLUSHALL");
  });

  /** Empties the server and sets a limit ROOM above what it uses empty. */
  async function limit(policy: string): Promise<number> {
    await c.call("CONFIG", "SET", "maxmemory", 0);
    await c.call("FLUSHALL");
    await c.call("CONFIG", "SET", "maxmemory-policy", policy);
    const max = (await num(c, "memory", "used_memory")) + ROOM;
    assert.equal(await c.text("CONFIG", "SET", "maxmemory", max), "+OK\r\n");
    return max;
  }

  /** Writes `batches` × 100 keys of 1 KB (every other one with a TTL when `ttl`); returns the replies. */
  async function write(prefix: string, batches: number, max: number, ttl: boolean): Promise<string[]> {
    const replies: string[] = [];
    for (let b = 0; b < batches; b++) {
      const cmds: (string | number)[][] = [];
      for (let i = 0; i < 100; i++) {
        const key = `${prefix}:${b * 100 + i}`;
        cmds.push(ttl && i % 2 === 0 ? ["SET", key, VALUE, "EX", 100000] : ["SET", key, VALUE]);
      }
      for (const r of await c.pipeline(cmds)) replies.push(r.toString("latin1"));
      const used = await num(c, "memory", "used_memory");
      assert.ok(used <= max + SLACK, `used_memory ${used} over maxmemory ${max} (batch ${b})`);
    }
    return replies;
  }

  for (const policy of ["allkeys-lru", "allkeys-lfu", "allkeys-random"]) {
    it(`${policy}: memory stays bounded and every write succeeds`, async () => {
      const max = await limit(policy);
      const evictedBefore = await num(c, "stats", "evicted_keys");
      const replies = await write("k", 60, max, false);
      assert.ok(replies.every((r) => r === "+OK\r\n"));
      const evicted = (await num(c, "stats", "evicted_keys")) - evictedBefore;
      const left = Number((await c.text("DBSIZE")).slice(1));
      assert.ok(evicted > 1000, `evicted ${evicted}`);
      assert.equal(left + evicted, 6000);
    });
  }

  for (const policy of ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"]) {
    it(`${policy}: evicts only keys with a TTL, then answers -OOM`, async () => {
      const max = await limit(policy);
      const replies = await write("k", 60, max, true); // 3 MB of keys without a TTL: more than fits
      // Keys without a TTL are never evicted: every one of them is still there.
      const persistent: string[] = [];
      for (let i = 1; i < 6000; i += 2) persistent.push(`k:${i}`);
      const exists = (await c.call("EXISTS", ...persistent)) as number;
      const ok = replies.filter((r) => r === "+OK\r\n").length;
      const oom = replies.filter((r) =>
        r.startsWith("-OOM command not allowed when used memory > 'maxmemory'."),
      );
      assert.equal(ok + oom.length, replies.length);
      // Every persistent key that was accepted is still there.
      const acceptedPersistent = replies.filter((r, i) => i % 2 === 1 && r === "+OK\r\n").length;
      assert.equal(exists, acceptedPersistent);
      assert.ok(oom.length > 0, "writes must be refused once only keys without a TTL are left");
      assert.ok((await num(c, "stats", "evicted_keys")) > 0);
      // Nothing left to evict: a denyoom command is refused, reads and deletes still work.
      assert.match(await c.text("SET", "one-more", "x"), /^-OOM /);
      assert.equal(await c.text("GET", "k:1"), `$1000\r\n${VALUE}\r\n`);
      assert.equal(await c.text("DEL", "k:1", "k:3", "k:5"), ":3\r\n");
    });
  }

  it("noeviction: -OOM for denyoom commands and inside MULTI, reads and DEL still served", async () => {
    const max = await limit("noeviction");
    const replies = await write("n", 30, max, false);
    assert.ok(replies.some((r) => r.startsWith("-OOM ")));
    const evicted = await num(c, "stats", "evicted_keys");
    assert.match(await c.text("SET", "x", "y"), /^-OOM /);
    assert.match(await c.text("RPUSH", "l", "y"), /^-OOM /);
    assert.equal(await c.text("GET", "n:0"), `$1000\r\n${VALUE}\r\n`);
    assert.equal(await num(c, "stats", "evicted_keys"), evicted, "noeviction never evicts");
    // In MULTI every queued command is refused (queuing takes memory), and EXEC is then aborted.
    assert.equal(await c.text("MULTI"), "+OK\r\n");
    assert.match(await c.text("GET", "n:0"), /^-OOM /);
    assert.equal(await c.text("EXEC"), "-EXECABORT Transaction discarded because of previous errors.\r\n");
    assert.equal(await c.text("DEL", "n:0", "n:1", "n:2", "n:3", "n:4", "n:5"), ":6\r\n");
    assert.equal(await c.text("SET", "x", "y"), "+OK\r\n");
    // A transaction queued under the limit and executed over it is aborted as Redis does.
    assert.equal(await c.text("MULTI"), "+OK\r\n");
    assert.equal(await c.text("SET", "x", "z"), "+QUEUED\r\n");
    const other = await srv.client();
    await other.call("CONFIG", "SET", "maxmemory", 1);
    other.close();
    assert.equal(
      await c.text("EXEC"),
      "-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.\r\n",
    );
  });

  it("fires the evicted keyspace event for each eviction", async () => {
    const max = await limit("allkeys-random");
    await c.call("CONFIG", "SET", "notify-keyspace-events", "Ee");
    const sub = await srv.client();
    try {
      await sub.call("SUBSCRIBE", "__keyevent@0__:evicted");
      const before = await num(c, "stats", "evicted_keys");
      await write("e", 30, max, false);
      const evicted = (await num(c, "stats", "evicted_keys")) - before;
      assert.ok(evicted > 0);
      const frames = await sub.read(evicted);
      for (const f of frames)
        assert.match(
          f.toString("latin1"),
          /^\*3\r\n\$7\r\nmessage\r\n\$22\r\n__keyevent@0__:evicted\r\n\$\d+\r\ne:\d+\r\n$/,
        );
    } finally {
      sub.close();
      await c.call("CONFIG", "SET", "notify-keyspace-events", "");
    }
  });

  it("keeps the V8 heap itself bounded under a write load many times the limit", async () => {
    const max = await limit("allkeys-random");
    await write("h", 200, max, false); // 20 MB written into 2 MB
    await c.call("MEMORY", "PURGE");
    const heap = await num(c, "memory", "allocator_allocated");
    const startup = await num(c, "memory", "used_memory_startup");
    // After a full collection the heap holds the start-up heap, the bounded dataset and some slack
    // (compiled code, buffers): far below the 20 MB that went through.
    assert.ok(heap < startup + 3 * ROOM + 8 * 1024 * 1024, `heap ${heap}, startup ${startup}`);
  });

  it("allkeys-lru evicts the keys idle longest, allkeys-lfu the least used, volatile-ttl the soonest to expire", async () => {
    const payload = (
      (await (async () => {
        await c.call("SET", "src", VALUE);
        return c.call("DUMP", "src");
      })()) as Buffer
    ).toString("latin1");
    const survivors = async (prefix: string, n: number) => {
      const keys = Array.from({ length: n }, (_, i) => `${prefix}:${i}`);
      return (await c.call("EXISTS", ...keys)) as number;
    };
    const cases: [string, (string | number)[], (string | number)[], boolean][] = [
      ["allkeys-lru", ["IDLETIME", 100000], ["IDLETIME", 0], false],
      ["allkeys-lfu", ["FREQ", 0], ["FREQ", 255], false],
      ["volatile-ttl", [], [], true],
    ];
    for (const [policy, coldOpt, hotOpt, ttl] of cases) {
      const max = await limit(policy);
      await c.call("CONFIG", "SET", "maxmemory", 0);
      for (let i = 0; i < 300; i++) {
        await c.call("RESTORE", `cold:${i}`, ttl ? 20000 : 0, payload, ...coldOpt);
        await c.call("RESTORE", `hot:${i}`, ttl ? 90000000 : 0, payload, ...hotOpt);
      }
      await c.call("CONFIG", "SET", "maxmemory", max);
      // New keys push the others out (with TTLs between the cold and hot ones for volatile-ttl).
      for (let b = 0; b < 25; b++) {
        const cmds = Array.from({ length: 100 }, (_, i) =>
          ttl ? ["SET", `fill:${b * 100 + i}`, VALUE, "PX", 50000000] : ["SET", `fill:${b * 100 + i}`, VALUE],
        );
        await c.pipeline(cmds);
      }
      const cold = await survivors("cold", 300);
      const hot = await survivors("hot", 300);
      assert.ok(cold < hot, `${policy}: ${cold} cold and ${hot} hot keys survive`);
      assert.ok(cold <= 30, `${policy}: ${cold} of 300 cold keys survive`);
    }
  });
});

describe("eviction and replication", () => {
  const started: ServerProcess[] = [];
  after(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it("propagates evictions as DEL (UNLINK with lazyfree-lazy-eviction); a replica never evicts on its own", async () => {
    const master = await startTandem({ args: ["--repl-diskless-sync-delay", "0"] });
    started.push(master);
    const m = await master.client();
    // The replica's own limit is far below the data: with replica-ignore-maxmemory yes it must not evict.
    const replica = await startTandem({
      args: [
        "--replicaof",
        "127.0.0.1",
        String(master.port),
        "--maxmemory",
        "1mb",
        "--maxmemory-policy",
        "allkeys-random",
      ],
    });
    started.push(replica);
    const r = await replica.client();
    await waitLinkUp(r);
    const stream = await ReplicationStream.open(master.port);
    try {
      await stream.ready();
      await m.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random");
      const max = (await num(m, "memory", "used_memory")) + ROOM;
      await m.call("CONFIG", "SET", "maxmemory", max);
      for (let b = 0; b < 40; b++) {
        await m.pipeline(Array.from({ length: 100 }, (_, i) => ["SET", `r:${b * 100 + i}`, VALUE]));
        if (b === 20) await m.call("CONFIG", "SET", "lazyfree-lazy-eviction", "yes");
      }
      await m.call("SET", "end", "1");
      await stream.until("SET", "end", "1");
      const dels = stream.commands.filter((x) => x[0] === "DEL");
      const unlinks = stream.commands.filter((x) => x[0] === "UNLINK");
      assert.ok(dels.length > 0 && unlinks.length > 0, `${dels.length} DEL, ${unlinks.length} UNLINK`);
      assert.ok([...dels, ...unlinks].every((x) => x.length === 2 && x[1].startsWith("r:")));
      assert.equal(dels.length + unlinks.length, await num(m, "stats", "evicted_keys"));
      await waitOffsetsEqual(m, [r]);
      assert.equal(await r.text("DBSIZE"), await m.text("DBSIZE"));
      assert.equal(await num(r, "stats", "evicted_keys"), 0);
      assert.ok((await num(r, "memory", "used_memory")) > 1024 * 1024);
    } finally {
      stream.close();
      m.close();
      r.close();
    }
  });
});
