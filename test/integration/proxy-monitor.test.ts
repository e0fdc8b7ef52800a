import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NO_REDIS } from "../helpers/processes.js";
import { type Deployment, startDeployment, waitInSync } from "../helpers/proxy-deployment.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * MONITOR and sharded pub/sub through the proxy, in front of Tandem's own servers: both tunnel the session
 * to a dedicated master connection, so the monitor sees the writes other proxy clients send to the master
 * (in Redis's line format) and shard-channel messages published through the proxy arrive, on the master
 * and, replicated, on the replicas.
 */
describe("MONITOR and sharded pub/sub through the proxy", { skip: NO_REDIS }, () => {
  let d: Deployment;
  const opened: RawClient[] = [];

  before(async () => {
    d = await startDeployment({ kind: "tandem", replicas: 1 });
  });

  after(async () => {
    for (const c of opened) c.close();
    await d?.stop();
  });

  async function client(): Promise<RawClient> {
    const c = await d.proxy.client();
    opened.push(c);
    return c;
  }

  it("streams the master's commands to a MONITOR session", async () => {
    const mon = await client();
    const w = await client();
    assert.equal(await mon.text("MONITOR"), "+OK\r\n");
    assert.equal(await w.text("SET", "mon:key", 'va"l'), "+OK\r\n");
    assert.equal(await w.text("INCR", "mon:n"), ":1\r\n");
    const lines: string[] = [];
    while (!lines.some((l) => l.includes('"INCR"'))) lines.push((await mon.read(1))[0].toString("latin1"));
    const set = lines.find((l) => l.includes('"SET"'));
    assert.match(set ?? "", /^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "mon:key" "va\\"l"\r\n$/);
  });

  it("delivers SPUBLISH messages to SSUBSCRIBE sessions, and to the replicas' subscribers", async () => {
    const sub = await client();
    const pub = await client();
    const onReplica = await d.replicas[0].client();
    opened.push(onReplica);
    await waitInSync(d.replicas[0]);
    assert.equal(
      await onReplica.text("SSUBSCRIBE", "shard:ch"),
      "*3\r\n$10\r\nssubscribe\r\n$8\r\nshard:ch\r\n:1\r\n",
    );
    assert.equal(
      await sub.text("SSUBSCRIBE", "shard:ch"),
      "*3\r\n$10\r\nssubscribe\r\n$8\r\nshard:ch\r\n:1\r\n",
    );
    assert.equal(await pub.text("SPUBLISH", "shard:ch", "hello"), ":1\r\n");
    const message = "*3\r\n$8\r\nsmessage\r\n$8\r\nshard:ch\r\n$5\r\nhello\r\n";
    assert.equal((await sub.read(1))[0].toString("latin1"), message);
    // SPUBLISH is propagated to replicas as PUBLISH is (Redis's PROPAGATE_REPL).
    assert.equal((await onReplica.read(1))[0].toString("latin1"), message);
  });
});
