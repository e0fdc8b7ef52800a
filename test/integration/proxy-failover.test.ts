import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import {
  commandCalls,
  type Deployment,
  infoFields,
  type ProxyProcess,
  startDeployment,
  startProxy,
  waitInSync,
} from "../helpers/proxy-deployment.js";
import { RawClient } from "../helpers/raw-client.js";
import { NO_SENTINEL, type SentinelGroup, startSentinels } from "../helpers/sentinel.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * The proxy follows the topology:
 * - without Sentinel, from the roles it polls: a replica promoted with `REPLICAOF NO ONE` and the old
 *   master made its replica — writes move to the new master, the demoted one gets none;
 * - under three real redis-sentinel processes: `kill -9` of the master under a write/read load through the
 *   proxy (configured with `sentinel:` only); the proxy follows Sentinel's promotion. Measured: client
 *   errors and the time from the kill to the first successful write; with `PROXY DURABILITY 1` every write
 *   the proxy acknowledged is on the new master (with durability 0 the loss is counted and printed only).
 * Both on Tandem servers and on Debian's redis-server, same settings. FAILOVER_DEBUG=1 adds the proxy's
 * PROXY BACKENDS at the first failed read to the printed line.
 */

const KINDS = ["tandem", "redis"] as const;

async function backendsOf(proxy: ProxyProcess): Promise<Map<string, string>[]> {
  const c = await proxy.client();
  try {
    const v = (await c.call("PROXY", "BACKENDS")) as unknown[];
    return v.map((entry) => {
      const m = new Map<string, string>();
      const f = entry as unknown[];
      for (let i = 0; i + 1 < f.length; i += 2) m.set(String(f[i]), String(f[i + 1]));
      return m;
    });
  } finally {
    c.close();
  }
}

async function masterOf(proxy: ProxyProcess): Promise<string | undefined> {
  return (await backendsOf(proxy)).find((b) => b.get("role") === "master")?.get("address");
}

async function role(s: ServerProcess): Promise<string | undefined> {
  const c = await s.client();
  try {
    return (await infoFields(c)).get("role");
  } finally {
    c.close();
  }
}

async function send(s: ServerProcess, ...argv: string[]): Promise<string> {
  const c = await s.client();
  try {
    return await c.text(...argv);
  } finally {
    c.close();
  }
}

/** Waits for a promise with a bound (load loops must end even if a connection hangs). */
function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  return Promise.race([p, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms).unref())]);
}

for (const kind of KINDS) {
  const skip = kind === "redis" && NO_REDIS;

  describe(`proxy follows a promotion without Sentinel (${kind} nodes)`, { skip }, () => {
    let d: Deployment | undefined;
    after(async () => {
      await d?.stop();
    });

    it("REPLICAOF NO ONE on a replica and the old master made its replica: writes move, the demoted node gets none", async () => {
      d = await startDeployment({ kind, proxyYaml: "health:\n  poll_interval_ms: 50" });
      const [r0, r1] = d.replicas;
      const c = await d.proxy.client();
      try {
        assert.equal(await c.text("SET", "topo:before", "1"), "+OK\r\n");
        await waitInSync(r0);
        assert.equal(await send(r0, "REPLICAOF", "NO", "ONE"), "+OK\r\n");
        assert.equal(await send(d.master, "REPLICAOF", "127.0.0.1", String(r0.port)), "+OK\r\n");
        assert.equal(await send(r1, "REPLICAOF", "127.0.0.1", String(r0.port)), "+OK\r\n");
        await waitFor("the proxy to follow the promoted replica", async () => {
          return (await masterOf((d as Deployment).proxy)) === `127.0.0.1:${r0.port}`;
        });
        // Every write succeeds: one sent to the demoted master would get -READONLY.
        const setsOnNew = await commandCalls(r0, "set");
        for (let i = 0; i < 20; i++) {
          const r = await c.text("SET", `topo:after:${i}`, String(i));
          assert.equal(r, "+OK\r\n", `write ${i} after the switch`);
        }
        assert.equal(await commandCalls(r0, "set"), setsOnNew + 20, "the writes went to the new master");
        const demoted = `127.0.0.1:${d.master.port}`;
        await waitFor("the demoted master to serve reads as a replica", async () => {
          const b = (await backendsOf((d as Deployment).proxy)).find((x) => x.get("address") === demoted);
          return b?.get("role") === "replica" && b.get("eligible") === "yes";
        });
        assert.equal(
          await send(d.master, "GET", "topo:after:19"),
          "$2\r\n19\r\n",
          "replicated from the new master",
        );
      } finally {
        c.close();
      }
    });
  });

  describe(`proxy with no node accepting writes (${kind} nodes)`, { skip }, () => {
    let d: Deployment | undefined;
    after(async () => {
      await d?.stop();
    });

    it("the master made a replica with no master elsewhere: writes get -MASTERDOWN (not sent), reads go on; back when it is master again", async () => {
      d = await startDeployment({ kind, proxyYaml: "health:\n  poll_interval_ms: 50" });
      const dep = d;
      const c = await dep.proxy.client();
      try {
        assert.equal(await c.text("SET", "nowrite:k", "v"), "+OK\r\n");
        for (const r of dep.replicas) await waitInSync(r);
        // The master follows its own replica, which still follows it: nobody is a master now.
        assert.equal(
          await send(dep.master, "REPLICAOF", "127.0.0.1", String(dep.replicas[0].port)),
          "+OK\r\n",
        );
        const setsBefore = await commandCalls(dep.master, "set");
        await waitFor("writes to be refused by the proxy", async () =>
          (await c.text("SET", "nowrite:k", "w")).startsWith(
            "-MASTERDOWN Tandem proxy: no master accepts writes",
          ),
        );
        const r = await c.text("INCR", "nowrite:n");
        assert.match(r, /^-MASTERDOWN /);
        assert.equal(await commandCalls(dep.master, "set"), setsBefore, "no write was sent to the node");
        assert.equal(await commandCalls(dep.master, "incr"), 0);
        assert.equal(await c.text("GET", "nowrite:k"), "$1\r\nv\r\n", "reads are still served");
        assert.equal(await send(dep.master, "REPLICAOF", "NO", "ONE"), "+OK\r\n");
        await waitFor(
          "writes to succeed again",
          async () => (await c.text("SET", "nowrite:k", "x")) === "+OK\r\n",
        );
      } finally {
        c.close();
      }
    });
  });

  describe(`proxy under Redis Sentinel (${kind} nodes)`, { skip: skip || NO_SENTINEL }, () => {
    for (const durability of [1, 0]) {
      let nodes: ServerProcess[] = [];
      let sentinels: SentinelGroup | undefined;
      let proxy: ProxyProcess | undefined;
      after(async () => {
        await proxy?.stop();
        await sentinels?.stop();
        await Promise.all(nodes.map((n) => n.stop()));
      });

      it(`kill -9 of the master under load: the proxy follows the failover (durability ${durability})`, async (t) => {
        const start = kind === "tandem" ? startTandem : startRedis;
        const master = await start();
        nodes = [master];
        for (let i = 0; i < 2; i++)
          nodes.push(await start({ args: ["--replicaof", "127.0.0.1", String(master.port)] }));
        for (const r of nodes.slice(1)) await waitInSync(r);
        sentinels = await startSentinels({
          masterPort: master.port,
          downAfterMs: 1000,
          failoverTimeoutMs: 5000,
        });
        proxy = await startProxy(
          [
            "log_level: warn",
            "health:",
            "  poll_interval_ms: 50",
            `durability:\n  replicas: ${durability}\n  timeout_ms: 2000`,
            "sentinel:",
            `  master_name: ${sentinels.masterName}`,
            "  addresses:",
            ...sentinels.ports.map((p) => `    - 127.0.0.1:${p}`),
            "",
          ].join("\n"),
        );
        const p = proxy;
        assert.equal(
          await masterOf(p),
          `127.0.0.1:${master.port}`,
          "the proxy found the master through Sentinel",
        );
        await waitFor("both replicas to be eligible", async () => {
          const b = await backendsOf(p);
          return b.filter((x) => x.get("role") === "replica" && x.get("eligible") === "yes").length === 2;
        });

        // Load: 4 writers (SET wf:<w>:<n>, acknowledged ones remembered) and 2 readers, until 4 s after
        // writes succeed again on the new master (bounded: 40 s in all).
        const acked = new Map<string, string>();
        const errors = new Map<string, number>();
        let killedAt = 0;
        let firstWriteAfter = 0;
        let stopAt = Date.now() + 40_000;
        const countError = (reply: string) => {
          const code = reply.slice(1).split(" ")[0];
          errors.set(code, (errors.get(code) ?? 0) + 1);
        };
        const writer = async (w: number) => {
          const c = await RawClient.connect(p.port);
          try {
            for (let n = 0; Date.now() < stopAt; n++) {
              const key = `wf:${w}:${n}`;
              const sentAt = Date.now();
              const r = await within(c.text("SET", key, String(n)), 10_000).catch(
                (e: Error) => `-CONN ${e.message}`,
              );
              if (r === "+OK\r\n") {
                acked.set(key, String(n));
                // The first write sent after the kill that succeeds (one in flight at the kill proves nothing).
                if (killedAt > 0 && sentAt > killedAt && firstWriteAfter === 0) firstWriteAfter = Date.now();
              } else {
                countError(r === "timeout" ? "-TIMEOUT" : r);
                if (r === "timeout" || r.startsWith("-CONN")) return;
                await new Promise((res) => setTimeout(res, 10)); // pacing while no master takes writes
              }
            }
          } finally {
            c.close();
          }
        };
        let reads = 0;
        let readErrors = 0;
        let firstReadError = "";
        const reader = async () => {
          const c = await RawClient.connect(p.port);
          try {
            while (Date.now() < stopAt) {
              const r = await within(c.text("GET", "wf:0:0"), 10_000).catch(() => "-CONN");
              if (r === "timeout" || r === "-CONN") return;
              if (r.startsWith("-")) {
                readErrors++;
                if (firstReadError === "") {
                  firstReadError = r.trim();
                  if (process.env.FAILOVER_DEBUG)
                    firstReadError += ` ${JSON.stringify(await backendsOf(p).then((bs) => bs.map((b) => Object.fromEntries(b))))} ${Date.now() - killedAt} ms after kill`;
                }
              } else reads++;
              if (r.startsWith("-")) await new Promise((res) => setTimeout(res, 10));
            }
          } finally {
            c.close();
          }
        };
        const load = Promise.all([0, 1, 2, 3].map(writer).concat([reader(), reader()]));
        await waitFor("some writes before the kill", async () => acked.size >= 200);
        master.kill("SIGKILL");
        killedAt = Date.now();
        await master.exited;
        await waitFor(
          "Sentinel to promote a replica and the proxy to follow",
          async () => {
            const addr = await sentinels?.masterAddr();
            return (
              addr !== null &&
              addr !== undefined &&
              addr.port !== master.port &&
              (await masterOf(p)) === `127.0.0.1:${addr.port}` &&
              firstWriteAfter > 0
            );
          },
          { timeoutMs: 30_000 },
        );
        stopAt = Math.min(stopAt, Date.now() + 2000);
        await load;
        const addr = await sentinels.masterAddr();
        const promoted = nodes.find((n) => n.port === addr?.port) as ServerProcess;
        assert.equal(await role(promoted), "master", "Sentinel's choice reports role:master");

        // Every acknowledged write, read back from the new master.
        const c = await promoted.client();
        let lost = 0;
        try {
          const keys = [...acked.keys()];
          for (let i = 0; i < keys.length; i += 500) {
            const batch = keys.slice(i, i + 500);
            const vals = (await c.call("MGET", ...batch)) as (Buffer | null)[];
            vals.forEach((v, j) => {
              if (v === null || v.toString() !== acked.get(batch[j])) lost++;
            });
          }
        } finally {
          c.close();
        }
        const errText = [...errors].map(([k, v]) => `${k} ${v}`).join(", ") || "none";
        t.diagnostic(
          `failover (${kind} nodes, durability ${durability}): first write ${firstWriteAfter - killedAt} ms after kill -9; ` +
            `${acked.size} writes acknowledged, ${lost} lost; write errors: ${errText}; reads ${reads} ok, ${readErrors} errors ${firstReadError}`,
        );
        if (durability === 1) assert.equal(lost, 0, "an acknowledged write was lost");
        assert.ok(firstWriteAfter > killedAt, "writes succeed again after the failover");
        // No write error but the documented ones: the dead master's connection, the switch, and (durability)
        // writes not replicated in time.
        for (const code of errors.keys())
          assert.ok(
            ["ERR", "MASTERDOWN", "NOTREPLICATED", "READONLY"].includes(code),
            `unexpected write error ${code}`,
          );

        // The old master restarts on its port: Sentinel makes it a replica, and it serves reads again.
        const back = await start({ port: master.port });
        nodes.push(back);
        await waitFor(
          "the old master to rejoin as a replica and be eligible in the proxy",
          async () => {
            const b = (await backendsOf(p)).find((x) => x.get("address") === `127.0.0.1:${master.port}`);
            return b?.get("role") === "replica" && b.get("eligible") === "yes";
          },
          { timeoutMs: 30_000 },
        );
      });
    }
  });
}
