import { statSync } from "node:fs";
import { join } from "node:path";
import { infoField } from "../helpers/info.js";
import { type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import { fmt, machineLine, mb, median, redisBenchmark } from "./bench-util.js";

/**
 * Persistence, Tandem vs Debian's redis-server in one run:
 *   - SAVE time and RDB size for 1,000,000 keys (DEBUG POPULATE 1000000)   targets: size within 10%, time ≤ 3×
 *   - longest event-loop stall during BGSAVE of those keys                  target ≤ 50 ms
 *     (server side: INFO tandem_last_bgsave_max_stall_ms, from perf_hooks.monitorEventLoopDelay; client
 *     side: the slowest PING of a client pinging back-to-back while BGSAVE runs, for both servers)
 *   - redis-benchmark -t set -n 200000 -c 50 with appendonly yes, appendfsync everysec  target ≥ 0.8×
 * Run: npm run bench -- persistence   (or node dist/test/bench/persistence-bench.js after a build)
 * Env: BENCH_KEYS (default 1000000), BENCH_ROUNDS (default 2).
 */

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

async function saveFigures(
  s: ServerProcess,
): Promise<{ saveMs: number; bytes: number; bgsaveMs: number; pingMaxMs: number; stallMs: string }> {
  const c = await s.client();
  await c.text("FLUSHALL");
  await c.text("DEBUG", "POPULATE", KEYS);
  const t0 = performance.now();
  const r = await c.text("SAVE");
  const saveMs = performance.now() - t0;
  if (r !== "+OK\r\n") throw new Error(`SAVE: ${r}`);
  const bytes = statSync(join(s.dir, "dump.rdb")).size;
  // BGSAVE with a client pinging back-to-back: its slowest round trip is the stall clients feel.
  const probe = await s.client();
  const t1 = performance.now();
  await c.text("BGSAVE");
  let pingMaxMs = 0;
  let done = false;
  while (!done) {
    const p0 = performance.now();
    await probe.text("PING");
    pingMaxMs = Math.max(pingMaxMs, performance.now() - p0);
    done = (await infoField(probe, "persistence", "rdb_bgsave_in_progress")) === "0";
  }
  const bgsaveMs = performance.now() - t1;
  const stallMs =
    s.kind === "tandem"
      ? ((await infoField(c, "persistence", "tandem_last_bgsave_max_stall_ms")) ?? "")
      : "n/a (fork)";
  probe.close();
  await c.text("FLUSHALL");
  c.close();
  return { saveMs, bytes, bgsaveMs, pingMaxMs, stallMs };
}

async function main(): Promise<void> {
  let out = `### Persistence (${machineLine()})\n\n`;
  const tandem = await startTandem({});
  const redis = await startRedis({});
  const t = await saveFigures(tandem);
  const r = await saveFigures(redis);
  await tandem.stop();
  await redis.stop();
  out += `| ${fmt(KEYS)} keys (DEBUG POPULATE) | Tandem | redis-server | ratio |\n|---|---|---|---|\n`;
  out += `| SAVE time | ${fmt(t.saveMs)} ms | ${fmt(r.saveMs)} ms | ${(t.saveMs / r.saveMs).toFixed(2)}× |\n`;
  out += `| RDB size | ${mb(t.bytes)} (${fmt(t.bytes)} B) | ${mb(r.bytes)} (${fmt(r.bytes)} B) | ${(t.bytes / r.bytes).toFixed(3)} |\n`;
  out += `| BGSAVE wall time | ${fmt(t.bgsaveMs)} ms | ${fmt(r.bgsaveMs)} ms | ${(t.bgsaveMs / r.bgsaveMs).toFixed(2)}× |\n`;
  out += `| slowest PING during BGSAVE | ${fmt(t.pingMaxMs, 1)} ms | ${fmt(r.pingMaxMs, 1)} ms | |\n`;
  out += `| longest event-loop stall during BGSAVE (server) | ${t.stallMs} ms | ${r.stallMs} | |\n\n`;

  // AOF everysec throughput, alternating which server runs first.
  const aofArgs = ["--appendonly", "yes", "--appendfsync", "everysec"];
  const tr: number[] = [];
  const rr: number[] = [];
  const ta = await startTandem({ args: aofArgs });
  const ra = await startRedis({ args: aofArgs });
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 === 0 ? [ta, ra] : [ra, ta];
    for (const s of order) {
      const rows = redisBenchmark(s.port, ["-t", "set", "-n", "200000", "-c", "50"]);
      (s === ta ? tr : rr).push(rows[0]?.rps ?? 0);
    }
  }
  await ta.stop();
  await ra.stop();
  const tm = median(tr);
  const rm = median(rr);
  out += `| redis-benchmark -t set -n 200000 -c 50, appendonly yes, appendfsync everysec | Tandem | redis-server | ratio |\n|---|---|---|---|\n`;
  out += `| SET requests/s (median of ${ROUNDS}) | ${fmt(tm)} | ${fmt(rm)} | ${(tm / rm).toFixed(2)} |\n`;
  process.stdout.write(out);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
