import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { encodeCommand } from "../../src/resp/reply-writer.js";
import { NO_REDIS, type ServerProcess, startRedis } from "../helpers/processes.js";
import { type ProxyProcess, startProxy } from "../helpers/proxy-deployment.js";
import { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * The proxy's data path under faults: a client that goes away with replies pending must not shift the
 * reply matching of the sessions sharing its backend connection, and a backend that dies with requests in
 * flight fails each of them with a clear error, then is reconnected for later requests.
 */
/** True when the server does not answer a PING within 150 ms (it is running DEBUG SLEEP). */
async function busy(port: number): Promise<boolean> {
  const probe = await RawClient.connect(port);
  try {
    const answered = await Promise.race([
      probe.text("PING").then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), 150)),
    ]);
    return !answered;
  } finally {
    probe.close();
  }
}

describe("proxy data path under faults", { skip: NO_REDIS }, () => {
  const started: { stop(): Promise<void> }[] = [];
  after(async () => {
    for (const s of started.reverse()) await s.stop();
  });

  async function deployment(port?: number): Promise<{ redis: ServerProcess; proxy: ProxyProcess }> {
    const redis = await startRedis(port === undefined ? {} : { port });
    started.push(redis);
    const proxy = await startProxy(`master: 127.0.0.1:${redis.port}\nlog_level: silent\n`);
    started.push(proxy);
    return { redis, proxy };
  }

  it("a client that disconnects with replies pending does not shift other sessions' replies", async () => {
    const { redis, proxy } = await deployment();
    const proxyBackendPort = redis.port;
    const b = await proxy.client();
    assert.equal(await b.text("SET", "mine", "b-value"), "+OK\r\n");
    for (let round = 0; round < 5; round++) {
      // A stalls the shared backend connection, queues many replies behind it, and leaves.
      const a = await proxy.client();
      const cmds = [
        ["DEBUG", "SLEEP", "0.2"],
        ...Array.from({ length: 200 }, (_, i) => ["SET", `a:${i}`, "x"]),
      ];
      a.socket.write(Buffer.concat(cmds.map((c) => encodeCommand(c))));
      await waitFor("the backend to be busy with A's requests", () => busy(proxyBackendPort));
      a.close();
      // B's requests travel on the same connection behind A's: each reply must still be B's.
      const replies = await b.pipeline([
        ["GET", "mine"],
        ["INCR", "b:counter"],
        ["ECHO", `round ${round}`],
      ]);
      assert.deepEqual(
        replies.map((x) => x.toString()),
        ["$7\r\nb-value\r\n", `:${round + 1}\r\n`, `$7\r\nround ${round}\r\n`],
      );
    }
    b.close();
  });

  it("a backend that dies fails the requests in flight with a clear error, and later ones reconnect", async () => {
    const { redis, proxy } = await deployment();
    const clients = await Promise.all([proxy.client(), proxy.client(), proxy.client()]);
    assert.equal(await clients[0].text("SET", "k", "v"), "+OK\r\n");
    // Every client has a request stuck behind DEBUG SLEEP when the backend is killed.
    const pending = clients.map((c, i) => c.pipeline(i === 0 ? [["DEBUG", "SLEEP", "5"]] : [["GET", "k"]]));
    await waitFor("the backend to be busy sleeping", () => busy(redis.port));
    redis.kill("SIGKILL");
    const replies = await Promise.all(pending);
    for (const r of replies) {
      assert.match(r[0].toString(), /^-ERR Tandem proxy: lost the connection to backend 127\.0\.0\.1:\d+ /);
    }
    // The sessions are still usable: they get errors while the backend is down ...
    assert.match(await clients[1].text("GET", "k"), /^-ERR Tandem proxy: /);
    // ... and answers again once a backend listens on that port.
    const again = await startRedis({ port: redis.port });
    started.push(again);
    await waitFor("the proxy to reach the restarted backend", async () => {
      return (await clients[2].text("SET", "k2", "v2")) === "+OK\r\n";
    });
    assert.equal(await clients[1].text("GET", "k2"), "$2\r\nv2\r\n");
    for (const c of clients) c.close();
  });
});
