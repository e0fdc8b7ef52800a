import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NO_REDIS, startRedis, startTandem } from "../helpers/processes.js";
import { commandCalls, type Deployment, startDeployment, waitInSync } from "../helpers/proxy-deployment.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Replica health: a replica that is SIGSTOPped, killed or resyncing stops receiving reads within
 * max_lag_ms + one poll, gets them back when it recovers, and no client sees an error meanwhile.
 */
const MAX_LAG_MS = 300;
const POLL_MS = 100;

for (const kind of ["redis", "tandem"] as const) {
  describe(`proxy replica health (${kind === "redis" ? "redis-server" : "Tandem"} backends)`, {
    skip: NO_REDIS,
  }, () => {
    let d: Deployment;
    let c: RawClient;
    const start = kind === "redis" ? startRedis : startTandem;

    before(async () => {
      d = await startDeployment({
        kind,
        // A 2 s diskless-sync delay keeps a resyncing replica visibly in sync for a while.
        masterArgs: ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "2"],
        proxyYaml: `max_lag_ms: ${MAX_LAG_MS}\nhealth:\n  poll_interval_ms: ${POLL_MS}`,
      });
      c = await d.proxy.client();
      await c.text("SET", "h:k", "v");
      await waitFor(
        "both replicas to serve reads",
        async () => (await readsLandOn(1)) && (await readsLandOn(0)),
      );
    });

    after(async () => {
      c?.close();
      await d?.stop();
    });

    /** Sends reads and reports whether replica i served any of them. */
    async function readsLandOn(i: number): Promise<boolean> {
      const before = await commandCalls(d.replicas[i], "get");
      const replies = await c.pipeline(Array.from({ length: 8 }, () => ["GET", "h:k"]));
      for (const r of replies)
        assert.equal(r.toString(), "$1\r\nv\r\n", "no client error while one replica is healthy");
      return (await commandCalls(d.replicas[i], "get")) > before;
    }

    /** Reads with a timeout of their own (a stopped replica would not answer commandstats either). */
    async function readsAreServed(): Promise<number> {
      const t0 = Date.now();
      const replies = await c.pipeline(Array.from({ length: 8 }, () => ["GET", "h:k"]));
      for (const r of replies) assert.equal(r.toString(), "$1\r\nv\r\n");
      return Date.now() - t0;
    }

    it("a SIGSTOPped replica stops receiving reads within max_lag_ms + one poll, and gets them back after SIGCONT", async () => {
      const r = d.replicas[1];
      const before = await commandCalls(r, "get");
      r.kill("SIGSTOP");
      const stoppedAt = Date.now();
      try {
        // Keep reading while it is stopped: every read must still be answered (reads stuck on it move).
        while (Date.now() - stoppedAt < MAX_LAG_MS + 3 * POLL_MS) await readsAreServed();
        // After the detection window, reads no longer wait for the stopped replica at all.
        assert.ok((await readsAreServed()) < MAX_LAG_MS, "reads are served without the stopped replica");
      } finally {
        r.kill("SIGCONT");
      }
      // Whatever it received before being noticed, it got nothing after the detection window: it had at
      // most a few reads (those in flight when it stopped, which were moved elsewhere and are dropped).
      const after = await commandCalls(r, "get");
      assert.ok(after - before <= 16, `stopped replica received ${after - before} reads`);
      await waitFor("the resumed replica to get reads again", () => readsLandOn(1));
    });

    it("a killed replica stops receiving reads with no client error, and a restarted one gets them back", async () => {
      const old = d.replicas[0];
      const port = old.port;
      const pending = c.pipeline(Array.from({ length: 50 }, () => ["GET", "h:k"]));
      old.kill("SIGKILL");
      for (const r of await pending) assert.equal(r.toString(), "$1\r\nv\r\n");
      for (let i = 0; i < 5; i++) await readsAreServed();
      await old.exited;
      d.replicas[0] = await start({ port, args: ["--replicaof", "127.0.0.1", String(d.master.port)] });
      await waitInSync(d.replicas[0]);
      await waitFor("the restarted replica to get reads again", () => readsLandOn(0));
    });

    it("a resyncing replica (full sync in progress) gets no reads until it is in sync again", async () => {
      const r = d.replicas[1];
      const rc = await r.client();
      try {
        // A new replication ID makes the next sync a full one, delayed by repl-diskless-sync-delay.
        assert.equal(await rc.text("REPLICAOF", "NO", "ONE"), "+OK\r\n");
        assert.equal(await rc.text("REPLICAOF", "127.0.0.1", String(d.master.port)), "+OK\r\n");
      } finally {
        rc.close();
      }
      await new Promise((res) => setTimeout(res, MAX_LAG_MS + 2 * POLL_MS));
      const syncing = await r.client();
      try {
        const info = ((await syncing.call("INFO", "replication")) as Buffer).toString();
        assert.match(
          info,
          /master_link_status:down|master_sync_in_progress:1/,
          "still resyncing during the check",
        );
        const before = await commandCalls(r, "get");
        await readsAreServed();
        await readsAreServed();
        assert.equal(await commandCalls(r, "get"), before, "no reads while resyncing");
      } finally {
        syncing.close();
      }
      await waitInSync(r);
      await waitFor("the resynced replica to get reads again", () => readsLandOn(1));
    });
  });
}
