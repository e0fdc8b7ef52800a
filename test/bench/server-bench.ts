import { type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import { RawClient } from "../helpers/raw-client.js";
import { type BenchRow, fmt, machineLine, mb, median, redisBenchmark, rssOf } from "./bench-util.js";

/**
 * Server throughput and memory, Tandem vs Debian's redis-server, measured alternately in one run:
 *   - redis-benchmark -t set,get,incr,mset -n 200000 -c 50            (target ratio ≥ 0.95)
 *   - redis-benchmark -t set,get -n 1000000 -c 50 -P 16               (target ratio ≥ 0.6)
 *   - redis-benchmark -t lpush,rpop,sadd,hset,zadd,lrange_100 -n 200000 -c 50  (target ≥ 0.9)
 *   - RSS after redis-benchmark -t set -r 1000000 -n 2000000 -d 8      (target ≤ 2× redis-server)
 * Run: npm run bench -- server      (or node dist/test/bench/server-bench.js after a build)
 * Env: BENCH_ROUNDS (default 3), BENCH_SUITES=no,-P (name prefixes), BENCH_SKIP_MEMORY=1.
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Suite {
  name: string;
  args: string[];
  target: number;
}

const SUITES: Suite[] = [
  { name: "no pipelining", args: ["-t", "set,get,incr,mset", "-n", "200000", "-c", "50"], target: 0.95 },
  { name: "-P 16", args: ["-t", "set,get", "-n", "1000000", "-c", "50", "-P", "16"], target: 0.6 },
  {
    name: "data types",
    args: ["-t", "lpush,rpop,sadd,hset,zadd,lrange_100", "-n", "200000", "-c", "50"],
    target: 0.9,
  },
];

async function flush(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  await c.text("FLUSHALL");
  c.close();
}

function byTest(rows: BenchRow[][]): Map<string, BenchRow[]> {
  const m = new Map<string, BenchRow[]>();
  for (const round of rows) for (const r of round) m.set(r.test, [...(m.get(r.test) ?? []), r]);
  return m;
}

async function throughput(tandem: ServerProcess, redis: ServerProcess): Promise<string> {
  let out = "";
  const only = process.env.BENCH_SUITES?.split(",");
  for (const suite of SUITES.filter((x) => !only || only.some((o) => x.name.startsWith(o)))) {
    const t: BenchRow[][] = [];
    const r: BenchRow[][] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which server goes first so drift on the shared machine hits both equally.
      const order = i % 2 === 0 ? [tandem, redis] : [redis, tandem];
      for (const s of order) {
        await flush(s.port);
        const rows = redisBenchmark(s.port, suite.args);
        (s === tandem ? t : r).push(rows);
      }
    }
    const tt = byTest(t);
    const rr = byTest(r);
    out += `\n#### ${suite.name}: \`redis-benchmark ${suite.args.join(" ")}\` (median of ${ROUNDS} alternating rounds; target ratio ≥ ${suite.target})\n\n`;
    out +=
      "| test | tandem rps | redis rps | ratio | tandem p50 ms | redis p50 ms |\n|---|---:|---:|---:|---:|---:|\n";
    for (const [test, rows] of tt) {
      const tr = median(rows.map((x) => x.rps));
      const rrps = median((rr.get(test) ?? []).map((x) => x.rps));
      out += `| ${test} | ${fmt(tr)} | ${fmt(rrps)} | ${(tr / rrps).toFixed(2)} | ${median(rows.map((x) => x.p50)).toFixed(3)} | ${median((rr.get(test) ?? []).map((x) => x.p50)).toFixed(3)} |\n`;
    }
  }
  return out;
}

async function memory(): Promise<string> {
  const args = ["-t", "set", "-r", "1000000", "-n", "2000000", "-d", "8", "-c", "50", "-q"];
  const rows: string[] = [];
  const rss: number[] = [];
  for (const start of [startTandem, startRedis]) {
    const s = await start();
    try {
      redisBenchmark(s.port, args);
      const c = await s.client();
      const keys = String(await c.call("DBSIZE"));
      c.close();
      rss.push(rssOf(s.pid));
      rows.push(`| ${s.kind} | ${keys} | ${mb(rss[rss.length - 1])} |`);
    } finally {
      await s.stop();
    }
  }
  return `\n#### Memory: RSS after \`redis-benchmark ${args.join(" ")}\` (target ≤ 2× redis-server)\n\n| server | keys | RSS |\n|---|---:|---:|\n${rows.join("\n")}\n\nRatio tandem/redis: ${(rss[0] / rss[1]).toFixed(2)}\n`;
}

async function main(): Promise<void> {
  const [tandem, redis] = await Promise.all([startTandem(), startRedis()]);
  let report = `### Server: tandem server vs redis-server\n\nMachine: ${machineLine()}. Command: \`npm run bench -- server\`.\n`;
  try {
    report += await throughput(tandem, redis);
  } finally {
    await Promise.all([tandem.stop(), redis.stop()]);
  }
  if (process.env.BENCH_SKIP_MEMORY !== "1") report += await memory();
  process.stdout.write(`${report}\n`);
}

await main();
