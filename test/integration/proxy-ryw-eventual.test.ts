import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NO_REDIS } from "../helpers/processes.js";
import { commandCalls, type Deployment, startDeployment } from "../helpers/proxy-deployment.js";
import { consistencySupported, runRywChecker, startLagInjector } from "../helpers/ryw-checker.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * The read-your-writes checker can see stale reads: under `eventual` consistency (the proxy's only
 * behaviour before `PROXY CONSISTENCY` exists) a read right after a write goes to any eligible replica,
 * and with replicas paused in turn under a write load, some of those reads return the previous value.
 * max_lag_ms/max_lag_bytes are generous so lagging replicas stay eligible. Straight to the master, the
 * same checker must find no stale read at all, which shows it does not invent them.
 */
const PROXY_YAML = "max_lag_ms: 2000\nmax_lag_bytes: 100000000";
const CLIENTS = 20;
const PAIRS = 20_000;
const MAX_MS = 20_000;

for (const kind of ["tandem", "redis"] as const) {
  describe(`read-your-writes checker, eventual consistency (${kind === "redis" ? "redis-server" : "Tandem"} backends)`, {
    skip: kind === "redis" && NO_REDIS,
  }, () => {
    let d: Deployment;

    before(async () => {
      d = await startDeployment({ kind, proxyYaml: PROXY_YAML });
      // Reads go to the master until the lag monitor has seen the replicas; the check needs replica reads.
      const c = await d.proxy.client();
      try {
        await waitFor("both replicas to serve reads", async () => {
          const before = await Promise.all(d.replicas.map((r) => commandCalls(r, "get")));
          await c.pipeline(Array.from({ length: 8 }, () => ["GET", "ryw:warmup"]));
          const now = await Promise.all(d.replicas.map((r) => commandCalls(r, "get")));
          return now.every((n, i) => n > before[i]);
        });
      } finally {
        c.close();
      }
    });

    after(async () => {
      await d?.stop();
    });

    it("finds no stale read straight from the master (the checker does not invent them)", async (t) => {
      const r = await runRywChecker({
        proxyPort: d.master.port,
        clients: CLIENTS,
        pairs: 5000,
        maxMs: 10_000,
      });
      t.diagnostic(
        `ryw checker (master): ${r.pairs} pairs, ${r.stale} stale, ${r.errors} errors in ${r.ms} ms`,
      );
      assert.equal(r.errors, 0, r.firstError);
      assert.equal(r.stale, 0, r.firstStale);
      assert.ok(r.pairs > 0);
    });

    it("finds stale reads through the proxy while replicas lag", async (t) => {
      // Today's proxy answers PROXY CONSISTENCY with an error: its behaviour then IS eventual.
      const level = (await consistencySupported(d.proxy.port, "eventual")) ? "eventual" : undefined;
      const lag = startLagInjector({
        replicas: d.replicas,
        masterPort: d.master.port,
        stopMs: 300,
        gapMs: 100,
        writeLoad: true,
      });
      let r: Awaited<ReturnType<typeof runRywChecker>>;
      let injected: { stops: number; masterWrites: number };
      try {
        r = await runRywChecker({
          proxyPort: d.proxy.port,
          clients: CLIENTS,
          pairs: PAIRS,
          maxMs: MAX_MS,
          level,
          keyPrefix: "ryw:eventual",
        });
      } finally {
        injected = await lag.stop();
      }
      t.diagnostic(
        `ryw checker (eventual): ${r.pairs} pairs, ${r.stale} stale, ${r.errors} errors in ${r.ms} ms` +
          ` [${level ? "PROXY CONSISTENCY eventual" : "no PROXY CONSISTENCY yet"};` +
          ` ${injected.stops} pauses, ${injected.masterWrites} load writes]`,
      );
      assert.equal(r.errors, 0, r.firstError);
      assert.ok(
        r.stale > 0,
        `no stale read in ${r.pairs} pairs: the checker cannot see eventual consistency`,
      );
    });
  });
}
