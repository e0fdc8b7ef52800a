import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { freePort } from "../helpers/free-port.js";
import {
  NO_REDIS,
  type ServerProcess,
  type StartOptions,
  startRedis,
  startTandem,
} from "../helpers/processes.js";
import { RawClient } from "../helpers/raw-client.js";
import { NO_SENTINEL, type SentinelGroup, sentinelFields, startSentinels } from "../helpers/sentinel.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Real Redis Sentinel (three redis-sentinel processes, quorum 2, down-after 1000 ms) failing over a master
 * and two replicas: kill -9 of the master, a replica promoted, the other reconfigured to it, the old master
 * restarted with its config file and turned into a replica of the new one by Sentinel (+convert-to-slave).
 * The same scenario runs on Tandem nodes and on redis-server nodes, and both kill → promotion times are
 * printed side by side. Sentinel's reconfiguration transaction ends with CONFIG REWRITE: the test also
 * checks that each node's config file names the master Sentinel gave it.
 */

type Kind = "tandem" | "redis";

/** Both kinds sync at once (Redis's default diskless delay of 5 s would dominate its rejoin time). */
const FAST = ["--repl-diskless-sync-delay", "0"];

interface Node {
  server: ServerProcess;
  readonly port: number;
  readonly dir: string;
  readonly conf: string;
}

function start(kind: Kind, opts: StartOptions): Promise<ServerProcess> {
  return kind === "tandem" ? startTandem(opts) : startRedis(opts);
}

/** A node in its own dir, started from its own config file (`replicaof` in it for a replica). */
async function startNode(kind: Kind, replicaOf: number | null, args: string[] = []): Promise<Node> {
  const dir = mkdtempSync(join(tmpdir(), `sentinel-${kind}-node-`));
  const conf = join(dir, "node.conf");
  const lines = ["# a node of the sentinel test"];
  if (replicaOf !== null) lines.push(`replicaof 127.0.0.1 ${replicaOf}`);
  writeFileSync(conf, lines.join("\n") + "\n");
  const port = await freePort();
  const server = await start(kind, { configFile: conf, dir, port, args: [...FAST, ...args] });
  return { server, port, dir, conf };
}

/** INFO <section> of the node on `port` over a fresh connection (Sentinel's CLIENT KILL ends old ones). */
async function info(port: number, section = "replication"): Promise<Map<string, string>> {
  const c = await RawClient.connect(port);
  try {
    const v = await c.call("INFO", section);
    const out = new Map<string, string>();
    for (const line of String(v).split("\r\n")) {
      const i = line.indexOf(":");
      if (i > 0 && !line.startsWith("#")) out.set(line.slice(0, i), line.slice(i + 1));
    }
    return out;
  } finally {
    c.close();
  }
}

async function command(port: number, ...args: (string | number)[]): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    return await c.text(...args);
  } finally {
    c.close();
  }
}

/** Waits until `replica` replicates from `masterPort` with its link up. */
async function waitReplicaOf(replica: Node, masterPort: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    `the node on port ${replica.port} to replicate from ${masterPort} with the link up`,
    async () => {
      const r = await info(replica.port);
      return (
        r.get("role") === "slave" &&
        r.get("master_port") === String(masterPort) &&
        r.get("master_link_status") === "up"
      );
    },
    { timeoutMs },
  );
}

/** A master and replicas (one per entry of `replicaArgs`), every replica online on the master. */
async function startTopology(
  kind: Kind,
  replicaArgs: string[][],
): Promise<{ master: Node; replicas: Node[] }> {
  const master = await startNode(kind, null);
  const replicas: Node[] = [];
  for (const args of replicaArgs) replicas.push(await startNode(kind, master.port, args));
  for (const r of replicas) await waitReplicaOf(r, master.port);
  await waitFor(`${replicaArgs.length} online replicas on the master`, async () => {
    const m = await info(master.port);
    let online = 0;
    for (let i = 0; m.has(`slave${i}`); i++) if (m.get(`slave${i}`)!.includes("state=online")) online++;
    return online === replicaArgs.length;
  });
  return { master, replicas };
}

/** The last lines of the sentinels' logs, appended to a failure's message. */
async function explained<T>(group: SentinelGroup, what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (err) {
    const log = group.output().split("\n").slice(-120).join("\n");
    if (err instanceof Error) err.message += `\n${log}`;
    throw err;
  }
}

function replicaofLines(conf: string): string[] {
  return readFileSync(conf, "utf8")
    .split("\n")
    .filter((l) => /^(replicaof|slaveof)\b/i.test(l));
}

/** kill → promotion times of the two kinds, for the side-by-side line. */
const promotionMs = new Map<Kind, number>();

async function failoverScenario(t: TestContext, kind: Kind): Promise<void> {
  const { master, replicas } = await startTopology(kind, [[], []]);
  const nodes = [master, ...replicas];
  let group: SentinelGroup | null = null;
  t.after(async () => {
    await group?.stop();
    await Promise.all(nodes.map((n) => n.server.stop()));
  });
  const setReply = await command(master.port, "SET", "before-failover", kind);
  assert.equal(setReply, "+OK\r\n");
  group = await startSentinels({ masterPort: master.port, quorum: 2, downAfterMs: 1000 });
  const sentinels = group;

  await explained(sentinels, async () => {
    assert.deepEqual(await sentinels.masterAddr(), { host: "127.0.0.1", port: master.port });
    const killedAt = Date.now();
    master.server.kill("SIGKILL");
    await master.server.exited;

    // A replica is promoted: the first INFO that says role:master.
    const promoted = await waitFor(
      "a replica to be promoted",
      async () => {
        for (const r of replicas) if ((await info(r.port)).get("role") === "master") return r;
        return null;
      },
      { timeoutMs: 30_000 },
    );
    const promotedMs = Date.now() - killedAt;
    promotionMs.set(kind, promotedMs);
    const other = replicas.find((r) => r !== promoted)!;

    await waitFor(
      "Sentinel to name the promoted replica as master",
      async () => (await sentinels.masterAddr())?.port === promoted.port,
      { timeoutMs: 20_000 },
    );
    const switchedMs = Date.now() - killedAt;
    await waitReplicaOf(other, promoted.port);
    const reconfiguredMs = Date.now() - killedAt;
    assert.equal(await command(other.port, "GET", "before-failover"), `$${kind.length}\r\n${kind}\r\n`);
    // The promoted node kept the old history as replid2: the other replica continued it partially.
    const stats = await info(promoted.port, "stats");
    assert.deepEqual([stats.get("sync_full"), stats.get("sync_partial_ok")], ["0", "1"]);

    // CONFIG REWRITE in Sentinel's transactions: the promoted node's file lost its replicaof line, the
    // other's names the new master.
    assert.deepEqual(replicaofLines(promoted.conf), []);
    assert.deepEqual(replicaofLines(other.conf), [`replicaof 127.0.0.1 ${promoted.port}`]);

    // The old master comes back on its port with its own config file (still a master's): Sentinel turns it
    // into a replica of the new master, and it syncs.
    const restartedAt = Date.now();
    master.server = await start(kind, {
      configFile: master.conf,
      dir: master.dir,
      port: master.port,
      args: FAST,
    });
    // Sentinel may fail over once more meanwhile (on a busy machine a node can miss its PINGs for
    // down-after-milliseconds): the old master must then follow whichever node Sentinel names.
    let current = promoted;
    await waitFor(
      "the old master to rejoin as a replica of the master Sentinel names",
      async () => {
        const addr = await sentinels.masterAddr();
        const m = [promoted, other].find((n) => n.port === addr?.port);
        if (m === undefined) return false;
        current = m;
        const r = await info(master.port);
        return (
          r.get("role") === "slave" &&
          r.get("master_port") === String(m.port) &&
          r.get("master_link_status") === "up"
        );
      },
      { timeoutMs: 30_000 },
    );
    const rejoinedMs = Date.now() - restartedAt;
    // Sentinel turned it into a replica: +convert-to-slave, or, when a second failover happened meanwhile,
    // as one of the replicas that failover reconfigured (+slave-reconf-sent).
    const logs = sentinels.output();
    const who = `slave 127.0.0.1:${master.port} 127.0.0.1 ${master.port}`;
    assert.ok(
      logs.includes(`+convert-to-slave ${who}`) || logs.includes(`+slave-reconf-sent ${who}`),
      "a sentinel logged +convert-to-slave (or +slave-reconf-sent) for the old master",
    );
    assert.equal(await command(current.port, "SET", "after-failover", "yes"), "+OK\r\n");
    await waitFor("the old master to receive a write made on the new one", async () => {
      return (await command(master.port, "GET", "after-failover")) === "$3\r\nyes\r\n";
    });
    assert.deepEqual(replicaofLines(master.conf), [`replicaof 127.0.0.1 ${current.port}`]);

    t.diagnostic(
      `${kind}: kill -9 → promotion ${promotedMs} ms, → Sentinel names it ${switchedMs} ms, → other replica linked ${reconfiguredMs} ms; restart → rejoined ${rejoinedMs} ms` +
        (current === promoted ? "" : " (Sentinel failed over a second time meanwhile)"),
    );
    const tandemMs = promotionMs.get("tandem");
    const redisMs = promotionMs.get("redis");
    if (tandemMs !== undefined && redisMs !== undefined) {
      t.diagnostic(`kill -9 → promotion: tandem ${tandemMs} ms, redis-server ${redisMs} ms`);
    }
  });
}

describe("Sentinel fails over three nodes (quorum 2, down-after 1000 ms)", { skip: NO_SENTINEL }, () => {
  it("Tandem: a replica is promoted, the other follows it, the old master rejoins as a replica", async (t) => {
    await failoverScenario(t, "tandem");
  });

  it("redis-server: the same scenario, for comparison", { skip: NO_REDIS }, async (t) => {
    await failoverScenario(t, "redis");
  });
});

describe("Sentinel and replica-priority", { skip: NO_SENTINEL }, () => {
  it("a Tandem replica with replica-priority 0 is never promoted", async (t) => {
    // Sentinel prefers the lowest priority: were the 0 not honoured (or reported as the default 100), the
    // priority-0 replica would win over the one at 200.
    const { master, replicas } = await startTopology("tandem", [
      ["--replica-priority", "0"],
      ["--replica-priority", "200"],
    ]);
    const [never, chosen] = replicas;
    const nodes = [master, ...replicas];
    const group = await startSentinels({ masterPort: master.port });
    t.after(async () => {
      await group.stop();
      await Promise.all(nodes.map((n) => n.server.stop()));
    });
    await explained(group, async () => {
      const c = await group.client(0);
      try {
        const seen = ((await c.call("SENTINEL", "replicas", group.masterName)) as unknown[]).map((r) =>
          sentinelFields(r as never),
        );
        const byPort = new Map(seen.map((f) => [f.get("port"), f.get("slave-priority")]));
        assert.equal(byPort.get(String(never.port)), "0");
        assert.equal(byPort.get(String(chosen.port)), "200");
      } finally {
        c.close();
      }
      master.server.kill("SIGKILL");
      await master.server.exited;
      const promoted = await waitFor(
        "a replica to be promoted",
        async () => {
          for (const r of replicas) if ((await info(r.port)).get("role") === "master") return r;
          return null;
        },
        { timeoutMs: 30_000 },
      );
      assert.equal(
        promoted.port,
        chosen.port,
        "the priority-200 replica is promoted, not the priority-0 one",
      );
      await waitFor(
        "Sentinel to name the priority-200 replica as master",
        async () => (await group.masterAddr())?.port === chosen.port,
        { timeoutMs: 20_000 },
      );
      await waitReplicaOf(never, chosen.port);
      assert.equal((await info(never.port)).get("slave_priority"), "0");
    });
  });
});

describe("Sentinel and passwords", { skip: NO_SENTINEL }, () => {
  it("Sentinel authenticates to password-protected Tandem nodes and names its connections", async (t) => {
    // Without AUTH every INFO would answer -NOAUTH: the sentinels would find neither the replica nor each
    // other (their hello messages go through the nodes' pub/sub), and startSentinels would time out.
    const auth = ["--requirepass", "s3cret", "--masterauth", "s3cret"];
    const master = await startTandem({ args: [...FAST, ...auth] });
    const replica = await startTandem({
      args: [...FAST, ...auth, "--replicaof", "127.0.0.1", String(master.port)],
    });
    let group: SentinelGroup | null = null;
    const clients: RawClient[] = [];
    t.after(async () => {
      for (const c of clients) c.close();
      await group?.stop();
      await Promise.all([master.stop(), replica.stop()]);
    });
    const m = await master.client();
    const r = await replica.client();
    clients.push(m, r);
    assert.equal(await m.text("AUTH", "s3cret"), "+OK\r\n");
    assert.equal(await r.text("AUTH", "s3cret"), "+OK\r\n");
    await waitFor("the replica online on the master", async () =>
      String(await m.call("INFO", "replication")).includes("state=online"),
    );
    group = await startSentinels({ masterPort: master.port, authPass: "s3cret" });
    const sentinels = group;
    await explained(sentinels, async () => {
      // CLIENT SETNAME on both links of every sentinel, on the master and on the replica.
      for (const c of [m, r]) {
        await waitFor("three sentinels' cmd and pubsub connections, named", async () => {
          const names = String(await c.call("CLIENT", "LIST"))
            .split("\n")
            .map((l) => /\bname=(\S*)/.exec(l)?.[1] ?? "");
          const cmd = names.filter((n) => /^sentinel-[0-9a-f]{8}-cmd$/.test(n)).length;
          const pubsub = names.filter((n) => /^sentinel-[0-9a-f]{8}-pubsub$/.test(n)).length;
          return cmd === 3 && pubsub === 3;
        });
      }
      const s = await sentinels.client(0);
      clients.push(s);
      const masterFields = sentinelFields(await s.call("SENTINEL", "master", sentinels.masterName));
      assert.equal(masterFields.get("flags"), "master");
      assert.equal(masterFields.get("num-slaves"), "1");
      assert.equal(masterFields.get("num-other-sentinels"), "2");
      const replicaFields = sentinelFields(
        ((await s.call("SENTINEL", "replicas", sentinels.masterName)) as unknown[])[0] as never,
      );
      assert.equal(replicaFields.get("flags"), "slave");
      assert.equal(replicaFields.get("port"), String(replica.port));
      assert.equal(replicaFields.get("master-link-status"), "ok");
    });
  });
});
