import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NO_REDIS } from "../helpers/processes.js";
import { commandCalls, type Deployment, startDeployment } from "../helpers/proxy-deployment.js";
import { type RywOptions, type RywResult, runRywChecker, startLagInjector } from "../helpers/ryw-checker.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Read-your-writes through the proxy, checked by the checker (test/helpers/ryw-checker.ts): many clients
 * each write a fresh value and read it back at once, while replicas are paused in turn (SIGSTOP/SIGCONT)
 * under a write load straight to the master. max_lag_ms/max_lag_bytes are generous so lagging replicas
 * stay eligible — only the consistency level keeps stale reads away.
 *
 * - straight to the master: 0 stale (the checker does not invent them);
 * - `eventual`: stale reads are found (the checker can see them);
 * - `session`, `strong`, and tokens carried across connections (PROXY TOKEN / PROXY AFTER on eventual
 *   connections): 0 stale, and session reads are still served by replicas.
 *
 * RYW_PAIRS sets the pairs per scenario (CI runs the default; `RYW_PAIRS=100000 node test/run.mjs
 * proxy-ryw` is the long local run).
 */
const PROXY_YAML = "max_lag_ms: 2000\nmax_lag_bytes: 100000000";
const CLIENTS = 20;
const PAIRS = Number(process.env.RYW_PAIRS ?? 20_000);
const MAX_MS = Math.max(20_000, PAIRS / 2);

for (const kind of ["tandem", "redis"] as const) {
  describe(`read-your-writes (${kind === "redis" ? "redis-server" : "Tandem"} backends)`, {
    skip: kind === "redis" && NO_REDIS,
  }, () => {
    let d: Deployment;

    before(async () => {
      d = await startDeployment({ kind, proxyYaml: PROXY_YAML });
      // Reads go to the master until the lag monitor has seen the replicas; the checks need replica reads.
      const c = await d.proxy.client();
      try {
        await waitFor("both replicas to serve reads", async () => {
          const before = await replicaGets();
          await c.pipeline(Array.from({ length: 8 }, () => ["GET", "ryw:warmup"]));
          const now = await replicaGets();
          return now.every((n, i) => n > before[i]);
        });
      } finally {
        c.close();
      }
    });

    after(async () => {
      await d?.stop();
    });

    const replicaGets = () => Promise.all(d.replicas.map((r) => commandCalls(r, "get")));

    /** The checker under the lag injector; also counts the GETs replicas served meanwhile. */
    async function underLag(o: Omit<RywOptions, "proxyPort" | "clients" | "pairs" | "maxMs">) {
      const before = await replicaGets();
      const lag = startLagInjector({
        replicas: d.replicas,
        masterPort: d.master.port,
        stopMs: 300,
        gapMs: 100,
        writeLoad: true,
      });
      let r: RywResult;
      let injected: { stops: number; masterWrites: number };
      try {
        r = await runRywChecker({
          proxyPort: d.proxy.port,
          clients: CLIENTS,
          pairs: PAIRS,
          maxMs: MAX_MS,
          ...o,
        });
      } finally {
        injected = await lag.stop();
      }
      const now = await replicaGets();
      const replicaReads = now.reduce((a, n, i) => a + n - before[i], 0);
      const line =
        `${r.pairs} pairs, ${r.stale} stale, ${r.errors} errors in ${r.ms} ms; ` +
        `${replicaReads} reads served by replicas; ${injected.stops} pauses, ${injected.masterWrites} load writes`;
      return { r, replicaReads, line };
    }

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

    it("eventual: finds stale reads while replicas lag (the checker can see them)", async (t) => {
      const { r, line } = await underLag({ level: "eventual", keyPrefix: "ryw:eventual" });
      t.diagnostic(`ryw checker (eventual): ${line}`);
      assert.equal(r.errors, 0, r.firstError);
      assert.ok(
        r.stale > 0,
        `no stale read in ${r.pairs} pairs: the checker cannot see eventual consistency`,
      );
    });

    it("session: no stale read, and replicas still serve reads", async (t) => {
      const { r, replicaReads, line } = await underLag({ level: "session", keyPrefix: "ryw:session" });
      t.diagnostic(`ryw checker (session): ${line}`);
      assert.equal(r.errors, 0, r.firstError);
      assert.equal(r.stale, 0, r.firstStale);
      assert.ok(r.pairs >= Math.min(PAIRS, 1000), `only ${r.pairs} pairs ran`);
      assert.ok(replicaReads > 0, "session reads all went to the master");
    });

    it("strong: no stale read", async (t) => {
      const { r, line } = await underLag({ level: "strong", keyPrefix: "ryw:strong" });
      t.diagnostic(`ryw checker (strong): ${line}`);
      assert.equal(r.errors, 0, r.firstError);
      assert.equal(r.stale, 0, r.firstStale);
    });

    it("across connections: PROXY TOKEN on the writer, PROXY AFTER on an eventual reader, no stale read", async (t) => {
      const { r, replicaReads, line } = await underLag({
        level: "eventual",
        acrossConnections: true,
        keyPrefix: "ryw:across",
      });
      t.diagnostic(`ryw checker (across, eventual + PROXY AFTER): ${line}`);
      assert.equal(r.errors, 0, r.firstError);
      assert.equal(r.stale, 0, r.firstStale);
      assert.ok(replicaReads > 0, "reads after PROXY AFTER all went to the master");
    });
  });
}
