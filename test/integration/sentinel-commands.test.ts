import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freePort } from "../helpers/free-port.js";
import {
  NO_REDIS,
  type ServerProcess,
  type StartOptions,
  startRedis,
  startTandem,
} from "../helpers/processes.js";
import { RawClient } from "../helpers/raw-client.js";
import { suiteResources } from "../helpers/suite-resources.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Everything Redis Sentinel (src/sentinel.c) sends to a monitored instance and reads back, checked on
 * Tandem beside redis-server with the same setup and compared reply for reply: the reconfiguration
 * transaction (MULTI, SLAVEOF, CONFIG REWRITE, CLIENT KILL TYPE normal/pubsub, EXEC) with and without a
 * config file, the replicaof line CONFIG REWRITE writes and removes, the INFO fields Sentinel parses,
 * PING's -MASTERDOWN and -LOADING, SCRIPT KILL's -NOTBUSY, and the hello channel over pub/sub.
 */

type Kind = "tandem" | "redis";
const KINDS: readonly Kind[] = ["tandem", "redis"];
const FAST = ["--repl-diskless-sync-delay", "0"];
const TRANSACTION_TAIL = [
  ["CONFIG", "REWRITE"],
  ["CLIENT", "KILL", "TYPE", "normal"],
  ["CLIENT", "KILL", "TYPE", "pubsub"],
  ["EXEC"],
];

/** Sentinel's reconfiguration transaction: `SLAVEOF NO ONE` (target null) or `SLAVEOF host port`. */
function reconfiguration(target: number | null): string[][] {
  const slaveof = target === null ? ["SLAVEOF", "NO", "ONE"] : ["SLAVEOF", "127.0.0.1", String(target)];
  return [["MULTI"], slaveof, ...TRANSACTION_TAIL];
}

function replies(frames: Buffer[]): string[] {
  return frames.map((f) => f.toString("latin1"));
}

function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

async function info(c: RawClient, ...section: string[]): Promise<Map<string, string>> {
  return parseInfo(String(await c.call("INFO", ...section)));
}

/** Waits until the server closed this client's connection. */
async function closedByServer(c: RawClient, what: string): Promise<void> {
  await waitFor(what, () => c.socket.readableEnded || c.socket.destroyed);
}

function replicaofLines(conf: string): string[] {
  return readFileSync(conf, "utf8")
    .split("\n")
    .filter((l) => /^(replicaof|slaveof)\b/i.test(l));
}

describe("what Sentinel sends: Tandem beside redis-server", { skip: NO_REDIS }, () => {
  const res = suiteResources();

  async function start(kind: Kind, opts: StartOptions = {}): Promise<ServerProcess> {
    const options = { ...opts, args: [...FAST, ...(opts.args ?? [])] };
    return res.track(await (kind === "tandem" ? startTandem(options) : startRedis(options)));
  }

  /** A server whose PING may not answer +PONG (a replica of nothing, with stale data refused). */
  async function startAnswering(
    kind: Kind,
    args: string[],
  ): Promise<{ server: ServerProcess; c: RawClient }> {
    const server = await start(kind, { args, waitReady: false });
    const c = await waitFor(`${kind} to accept connections`, () => RawClient.connect(server.port));
    await waitFor(`${kind} to answer`, async () => (await c.text("PING")).length > 0);
    return { server, c };
  }

  /** A master and one replica of it, linked, with a client of each. */
  async function pair(kind: Kind, replicaArgs: string[] = []) {
    const master = await start(kind);
    const replica = await start(kind, {
      args: ["--replicaof", "127.0.0.1", String(master.port), ...replicaArgs],
    });
    const m = await res.client(master);
    const r = await res.client(replica);
    await waitFor(
      `${kind} replica link up`,
      async () => (await info(r, "replication")).get("master_link_status") === "up",
    );
    await waitFor(`${kind} replica online`, async () =>
      (await info(m, "replication")).get("slave0")?.includes("state=online"),
    );
    return { master, replica, m, r };
  }

  /** Runs the same scenario on both kinds at once; returns [tandem's result, redis's result]. */
  async function both<T>(scenario: (kind: Kind) => Promise<T>): Promise<[T, T]> {
    const [t, r] = await Promise.all(KINDS.map(scenario));
    return [t, r];
  }

  it("the reconfiguration transaction without a config file: every command queues, EXEC answers as Redis", async () => {
    const [tandem, redis] = await both(async (kind) => {
      const { master, replica, m, r } = await pair(kind);
      // A normal client and a subscriber of the replica: the transaction disconnects both.
      const normal = await replica.client();
      const subscriber = await replica.client();
      await subscriber.text("SUBSCRIBE", "__sentinel__:hello");
      const promote = replies(await r.pipeline(reconfiguration(null)));
      await closedByServer(normal, `${kind}: the normal client to be killed`);
      await closedByServer(subscriber, `${kind}: the subscriber to be killed`);
      const promoted = (await info(r, "replication")).get("role");
      // And back: the master becomes a replica of the promoted node (Sentinel's +convert-to-slave).
      const demote = replies(await m.pipeline(reconfiguration(replica.port)));
      await waitFor(`${kind}: the old master to link to the promoted node`, async () => {
        const i = await info(m, "replication");
        return i.get("master_port") === String(replica.port) && i.get("master_link_status") === "up";
      });
      return { promote, promoted, demote, masterPort: master.port };
    });
    assert.deepEqual(tandem.promote, redis.promote);
    assert.deepEqual(tandem.promote, [
      "+OK\r\n",
      "+QUEUED\r\n",
      "+QUEUED\r\n",
      "+QUEUED\r\n",
      "+QUEUED\r\n",
      "*4\r\n+OK\r\n-ERR The server is running without a config file\r\n:1\r\n:1\r\n",
    ]);
    assert.equal(tandem.promoted, "master");
    assert.equal(redis.promoted, "master");
    assert.deepEqual(tandem.demote, redis.demote);
  });

  it("CLIENT KILL TYPE normal / pubsub leave the master link and replica links alone", async () => {
    const [tandem, redis] = await both(async (kind) => {
      const { m, r } = await pair(kind);
      const killed = [
        ...replies(
          await r.pipeline([
            ["CLIENT", "KILL", "TYPE", "normal"],
            ["CLIENT", "KILL", "TYPE", "pubsub"],
          ]),
        ),
        ...replies(
          await m.pipeline([
            ["CLIENT", "KILL", "TYPE", "normal"],
            ["CLIENT", "KILL", "TYPE", "pubsub"],
          ]),
        ),
      ];
      assert.equal(await m.text("SET", "after-kill", "1"), "+OK\r\n");
      await waitFor(
        `${kind}: the write to reach the replica`,
        async () => (await r.text("GET", "after-kill")) === "$1\r\n1\r\n",
      );
      const ri = await info(r, "replication");
      const mi = await info(m, "replication", "stats");
      return {
        killed,
        link: ri.get("master_link_status"),
        replicas: mi.get("connected_slaves"),
        fullSyncs: mi.get("sync_full"),
      };
    });
    assert.deepEqual(tandem, redis);
    assert.deepEqual(tandem, {
      killed: [":0\r\n", ":0\r\n", ":0\r\n", ":0\r\n"],
      link: "up",
      replicas: "1",
      fullSyncs: "1",
    });
  });

  it("the reconfiguration transaction with a config file: CONFIG REWRITE writes replicaof, then removes it", async () => {
    const [tandem, redis] = await both(async (kind) => {
      const target = await start(kind);
      const dir = mkdtempSync(join(tmpdir(), `sentinel-rewrite-${kind}-`));
      const conf = join(dir, "node.conf");
      writeFileSync(conf, "# a node Sentinel reconfigures\n");
      const port = await freePort();
      let node = await start(kind, { configFile: conf, dir, port });
      let c = await res.client(node);
      const demote = replies(await c.pipeline(reconfiguration(target.port)));
      const afterDemote = replicaofLines(conf);
      // Restarted from its file, the node is a replica of the master Sentinel gave it.
      await node.stop();
      node = await start(kind, { configFile: conf, dir, port });
      c = await res.client(node);
      await waitFor(`${kind}: the restarted node to link to its master`, async () => {
        const i = await info(c, "replication");
        return i.get("master_port") === String(target.port) && i.get("master_link_status") === "up";
      });
      const promote = replies(await c.pipeline(reconfiguration(null)));
      const afterPromote = replicaofLines(conf);
      return { demote, afterDemote, promote, afterPromote, target: target.port };
    });
    const expected = [
      "+OK\r\n",
      "+QUEUED\r\n",
      "+QUEUED\r\n",
      "+QUEUED\r\n",
      "+QUEUED\r\n",
      "*4\r\n+OK\r\n+OK\r\n:0\r\n:0\r\n",
    ];
    for (const r of [tandem, redis]) {
      assert.deepEqual(r.demote, expected);
      assert.deepEqual(r.afterDemote, [`replicaof 127.0.0.1 ${r.target}`]);
      assert.deepEqual(r.promote, expected);
      assert.deepEqual(r.afterPromote, []);
    }
  });

  it("INFO: one bulk reply with Redis's sections, run_id, and the replication fields Sentinel parses", async () => {
    const [tandem, redis] = await both(async (kind) => {
      const announcePort = await freePort();
      const { master, replica, m, r } = await pair(kind, [
        "--replica-announce-ip",
        "127.0.0.5",
        "--replica-announce-port",
        String(announcePort),
        "--replica-priority",
        "7",
      ]);
      const plain = await start(kind, { args: ["--replicaof", "127.0.0.1", String(master.port)] });
      await waitFor(`${kind}: two online replicas`, async () => {
        const mi = await info(m, "replication");
        return mi.get("slave1")?.includes("state=online") && mi.get("slave0")?.includes("state=online");
      });
      const whole = await m.raw("INFO");
      assert.equal(whole[0], "$".charCodeAt(0), `${kind}: INFO is one bulk string`);
      const sections = whole
        .toString("latin1")
        .split("\r\n")
        .filter((l) => l.startsWith("# "));
      const mi = await info(m);
      // Sentinel's reading of slaveN lines: ip= and port= up to the next comma.
      const slaves = [mi.get("slave0")!, mi.get("slave1")!]
        .map((l) => {
          assert.match(l, /^ip=[^,]+,port=\d+,state=online,offset=\d+,lag=\d+$/);
          return /ip=([^,]+),port=(\d+)/.exec(l)!.slice(1).join(":");
        })
        .sort();
      const ri = await info(r, "replication");
      const up = [...ri.keys()];
      const runId = (await info(r, "server")).get("run_id")!;
      // The master goes away: the replica's link is down, since a moment.
      await master.stop();
      await waitFor(
        `${kind}: the replica to see its link down`,
        async () => (await info(r, "replication")).get("master_link_status") === "down",
      );
      const rd = await info(r, "replication");
      const down = [...rd.keys()];
      // A restart is a new run.
      await replica.stop();
      const again = await start(kind, { port: replica.port, waitReady: false });
      const c = await waitFor("the restarted replica", () => RawClient.connect(again.port));
      const runIdAgain = parseInfo(String(await waitFor("INFO", () => c.call("INFO", "server")))).get(
        "run_id",
      )!;
      c.close();
      return {
        sections,
        slaves,
        expectedSlaves: [`127.0.0.1:${plain.port}`, `127.0.0.5:${announcePort}`].sort(),
        replicaUp: {
          role: ri.get("role"),
          host: ri.get("master_host"),
          port: ri.get("master_port") === String(master.port),
          link: ri.get("master_link_status"),
          downSince: ri.get("master_link_down_since_seconds"),
          priority: ri.get("slave_priority"),
          offset: /^\d+$/.test(ri.get("slave_repl_offset") ?? ""),
          announced: ri.get("replica_announced"),
        },
        fieldsUp: up,
        fieldsDown: down,
        downSince: /^\d+$/.test(rd.get("master_link_down_since_seconds") ?? ""),
        runIds: [/^[0-9a-f]{40}$/.test(runId), /^[0-9a-f]{40}$/.test(runIdAgain), runId !== runIdAgain],
      };
    });
    assert.deepEqual(tandem.sections, redis.sections);
    assert.deepEqual(tandem.slaves, tandem.expectedSlaves);
    assert.deepEqual(redis.slaves, redis.expectedSlaves);
    assert.deepEqual(tandem.replicaUp, redis.replicaUp);
    assert.deepEqual(tandem.replicaUp, {
      role: "slave",
      host: "127.0.0.1",
      port: true,
      link: "up",
      downSince: undefined,
      priority: "7",
      offset: true,
      announced: "1",
    });
    assert.deepEqual(tandem.fieldsUp, redis.fieldsUp);
    assert.deepEqual(tandem.fieldsDown, redis.fieldsDown);
    assert.equal(tandem.downSince, true);
    assert.equal(redis.downSince, true);
    assert.deepEqual(tandem.runIds, [true, true, true]);
    assert.deepEqual(redis.runIds, [true, true, true]);
  });

  it("a replica that never reached its master: offsets 1, master_link_down_since_seconds -1, as Redis", async () => {
    const dead = await freePort();
    const pick = [
      "slave_read_repl_offset",
      "slave_repl_offset",
      "master_link_down_since_seconds",
      "master_last_io_seconds_ago",
    ];
    const [tandem, redis] = await both(async (kind) => {
      const { c } = await startAnswering(kind, ["--replicaof", "127.0.0.1", String(dead)]);
      const before = await info(c, "replication");
      // REPLICAOF on a former master: no link was ever up either.
      assert.equal(await c.text("REPLICAOF", "NO", "ONE"), "+OK\r\n");
      assert.equal(await c.text("REPLICAOF", "127.0.0.1", String(dead)), "+OK\r\n");
      const after = await info(c, "replication");
      return [pick.map((f) => before.get(f)), pick.map((f) => after.get(f))];
    });
    assert.deepEqual(tandem, redis);
    assert.deepEqual(tandem[0], ["1", "1", "-1", "-1"]);
  });

  it("PING answers -MASTERDOWN on a replica whose link is down with replica-serve-stale-data no", async () => {
    const dead = await freePort();
    const [tandem, redis] = await both(async (kind) => {
      const { c } = await startAnswering(kind, [
        "--replicaof",
        "127.0.0.1",
        String(dead),
        "--replica-serve-stale-data",
        "no",
      ]);
      const out = replies(
        await c.pipeline([
          ["PING"],
          ["GET", "k"],
          ["SCRIPT", "KILL"],
          ["CLIENT", "SETNAME", "sentinel-0123abcd-cmd"],
        ]),
      );
      const infoReply = await c.raw("INFO");
      out.push(infoReply.subarray(0, 1).toString(), parseInfo(infoReply.toString("latin1")).get("role")!);
      out.push(...replies(await c.pipeline(reconfiguration(null))));
      out.push(await c.text("PING"));
      return out;
    });
    assert.deepEqual(tandem, redis);
    const masterdown =
      "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n";
    assert.deepEqual(tandem.slice(0, 6), [masterdown, masterdown, masterdown, "+OK\r\n", "$", "slave"]);
    assert.equal(tandem[tandem.length - 1], "+PONG\r\n");
  });

  it("a CONFIG REWRITE that cannot write fails at EXEC with Redis's error; the rest of the transaction runs", async () => {
    const [tandem, redis] = await both(async (kind) => {
      const confDir = mkdtempSync(join(tmpdir(), `sentinel-gone-${kind}-`));
      const conf = join(confDir, "node.conf");
      writeFileSync(conf, "# a node whose config directory disappears\n");
      const node = await start(kind, {
        configFile: conf,
        dir: mkdtempSync(join(tmpdir(), `sentinel-data-${kind}-`)),
      });
      const c = await res.client(node);
      rmSync(confDir, { recursive: true });
      const out = replies(await c.pipeline(reconfiguration(await freePort())));
      out.push((await info(c, "replication")).get("role")!);
      return out;
    });
    assert.deepEqual(tandem, redis);
    assert.equal(
      tandem[5],
      "*4\r\n+OK\r\n-ERR Rewriting config file: No such file or directory\r\n:0\r\n:0\r\n",
    );
    assert.equal(tandem[6], "slave");
  });

  it("SCRIPT KILL answers -NOTBUSY; SCRIPT alone and unknown subcommands answer as Redis", async () => {
    const [tandem, redis] = await both(async (kind) => {
      const s = await start(kind);
      const c = await res.client(s);
      return replies(
        await c.pipeline([
          ["SCRIPT", "KILL"],
          ["script", "kill"],
          ["SCRIPT"],
          ["SCRIPT", "KILL", "now"],
          ["SCRIPT", "NOSUCH"],
          ["MULTI"],
          ["SCRIPT", "KILL"],
          ["EXEC"],
        ]),
      );
    });
    assert.deepEqual(tandem, redis);
    assert.equal(tandem[0], "-NOTBUSY No scripts in execution right now.\r\n");
  });

  it("the hello channel: SUBSCRIBE on one connection, PUBLISH on another, on a master and on its replica", async () => {
    const hello = "127.0.0.1,26379,0123456789abcdef0123456789abcdef01234567,0,mymaster,127.0.0.1,6379,0";
    const [tandem, redis] = await both(async (kind) => {
      const { m, r, master, replica } = await pair(kind);
      const onMaster = await res.client(master);
      const onReplica = await res.client(replica);
      const out = [
        await onMaster.text("SUBSCRIBE", "__sentinel__:hello"),
        await onReplica.text("SUBSCRIBE", "__sentinel__:hello"),
      ];
      // Published on the replica: its own subscriber only.
      out.push(await r.text("PUBLISH", "__sentinel__:hello", `${hello},replica`));
      out.push(...replies(await onReplica.read()));
      // Published on the master: its subscriber, and the replica's through the replication stream.
      out.push(await m.text("PUBLISH", "__sentinel__:hello", `${hello},master`));
      out.push(...replies(await onMaster.read()), ...replies(await onReplica.read()));
      return out;
    });
    assert.deepEqual(tandem, redis);
    assert.equal(tandem[2], ":1\r\n");
  });

  it("-LOADING while the dataset loads, and INFO meanwhile", async () => {
    const [tandem, redis] = await both(async (kind) => {
      const s = await start(kind);
      const c = await res.client(s);
      // Enough keys that loading lasts well beyond the first PING; Redis is slowed per key to make sure.
      await c.call("DEBUG", "POPULATE", kind === "tandem" ? 400_000 : 20_000);
      assert.equal(await c.text("SAVE"), "+OK\r\n");
      await s.stop();
      // Redis accepts connections while loading only between chunks of loading-process-events-interval-bytes.
      const slow =
        kind === "redis" ? ["--key-load-delay", "50", "--loading-process-events-interval-bytes", "1024"] : [];
      const again = await start(kind, { port: s.port, dir: s.dir, args: slow, waitReady: false });
      const l = await waitFor(
        "the restarted server to accept connections",
        () => RawClient.connect(again.port),
        {
          intervalMs: 5,
        },
      );
      try {
        const ping = await l.text("PING");
        const loading = (await info(l, "persistence")).get("loading");
        await waitFor(`${kind} to finish loading`, async () => (await l.text("PING")) === "+PONG\r\n", {
          timeoutMs: 30_000,
        });
        return [ping, loading];
      } finally {
        l.close();
      }
    });
    assert.deepEqual(tandem, redis);
    assert.deepEqual(tandem, ["-LOADING Redis is loading the dataset in memory\r\n", "1"]);
  });
});
