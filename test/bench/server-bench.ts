import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../helpers/free-port.js";
import { startRedis, startTandem } from "../helpers/processes.js";
import { RawClient } from "../helpers/raw-client.js";
import {
  type BenchRow,
  cpuMicros,
  fmt,
  machineLine,
  mb,
  median,
  redisBenchmark,
  rssOf,
} from "./bench-util.js";

/**
 * Server throughput and memory, Tandem vs Debian's redis-server, measured alternately in one run:
 *   - redis-benchmark -t set,get,incr,mset -n 200000 -c 50            (target ratio ≥ 0.95)
 *   - redis-benchmark -t set,get -n 1000000 -c 50 -P 16               (target ratio ≥ 0.6)
 *   - redis-benchmark -t lpush,rpop,sadd,hset,zadd,lrange_100 -n 200000 -c 50  (target ≥ 0.9)
 *   - RSS after redis-benchmark -t set -r 1000000 -n 2000000 -d 8      (target ≤ 2× redis-server)
 * The first two suites also run against bare-resp-server.ts, a minimal Node RESP loop: the reference row
 * that says how close Tandem is to what Node itself does on this machine.
 * Run: npm run bench -- server      (or node dist/test/bench/server-bench.js after a build)
 *   - EVALSHA of a 3-command script and FCALL of the same function                    (target ≥ 0.5)
 *   - XADD, XRANGE of 100, PFADD, PFCOUNT, GEOADD, GEOSEARCH, BITFIELD                  (target ≥ 0.8)
 * Env: BENCH_ROUNDS (default 3), BENCH_SUITES=no,-P,data,scripts,new (name prefixes), BENCH_SKIP_MEMORY=1.
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Suite {
  name: string;
  args: string[];
  target: number;
  /** Also measured against the bare Node loop (it answers SET/GET/INCR/MSET/PING only). */
  bare?: boolean;
}

interface Target {
  kind: string;
  port: number;
  pid: number;
}

/** The bare Node RESP loop as a process (see bare-resp-server.ts). */
async function startBare(): Promise<Target & { stop(): void }> {
  const port = await freePort();
  const here = dirname(fileURLToPath(import.meta.url));
  const proc = spawn(process.execPath, [join(here, "bare-resp-server.js"), String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout?.once("data", () => resolve());
    proc.once("exit", (code) => reject(new Error(`bare-resp-server exited (${code})`)));
  });
  return { kind: "bare", port, pid: proc.pid ?? 0, stop: () => proc.kill("SIGTERM") };
}

const SUITES: Suite[] = [
  {
    name: "no pipelining",
    args: ["-t", "set,get,incr,mset", "-n", "200000", "-c", "50"],
    target: 0.95,
    bare: true,
  },
  {
    name: "-P 16",
    args: ["-t", "set,get", "-n", "1000000", "-c", "50", "-P", "16"],
    target: 0.7,
    bare: true,
  },
  {
    name: "data types",
    args: ["-t", "lpush,rpop,sadd,hset,zadd,lrange_100", "-n", "200000", "-c", "50"],
    target: 0.9,
  },
];

/**
 * Commands redis-benchmark has no -t test for, each run as its own `redis-benchmark … <command>` after a
 * setup sent to both servers: the script and function of issue 11, the types of issue 12.
 */
interface CustomSuite {
  name: string;
  target: number;
  setup: string[][];
  commands: { label: string; argv: string[] }[];
}

const SCRIPT_3 =
  "redis.call('INCR', KEYS[1]); redis.call('EXPIRE', KEYS[1], 60); return redis.call('GET', KEYS[1])";
const SCRIPT_SHA = createHash("sha1").update(SCRIPT_3).digest("hex");
const BENCH_LIBRARY = `#!lua name=benchlib\nredis.register_function('bench3', function(keys) ${SCRIPT_3.replaceAll("KEYS", "keys")} end)`;

const CUSTOM: CustomSuite[] = [
  {
    name: "scripts",
    target: 0.5,
    setup: [
      ["SCRIPT", "LOAD", SCRIPT_3],
      ["FUNCTION", "LOAD", "REPLACE", BENCH_LIBRARY],
    ],
    commands: [
      { label: "EVALSHA (INCR, EXPIRE, GET)", argv: ["EVALSHA", SCRIPT_SHA, "1", "counter:__rand_int__"] },
      { label: "FCALL (INCR, EXPIRE, GET)", argv: ["FCALL", "bench3", "1", "counter:__rand_int__"] },
    ],
  },
  {
    name: "new types",
    target: 0.8,
    setup: [
      ...Array.from({ length: 100 }, (_, i) => [
        "XADD",
        "stream100",
        "*",
        "field",
        String(i),
        "other",
        "value",
      ]),
      ["PFADD", "hll", ...Array.from({ length: 5000 }, (_, i) => `e${i}`)],
      [
        "GEOADD",
        "geo",
        ...Array.from({ length: 2000 }, (_, i) => [
          String(-10 + (i % 200) * 0.1),
          String(40 + Math.floor(i / 200) * 0.1),
          `p${i}`,
        ]).flat(),
      ],
    ],
    commands: [
      {
        label: "XADD",
        argv: ["XADD", "bench:stream", "MAXLEN", "~", "100000", "*", "field", "__rand_int__"],
      },
      { label: "XRANGE of 100", argv: ["XRANGE", "stream100", "-", "+", "COUNT", "100"] },
      { label: "PFADD", argv: ["PFADD", "hll", "__rand_int__"] },
      { label: "PFCOUNT", argv: ["PFCOUNT", "hll"] },
      // Positions vary: redis-benchmark writes __rand_int__ as 12 zero-padded digits (below -r 100000 here),
      // so "13.__rand_int__" would only differ past the 7th decimal (one geohash cell, every score equal).
      // An exponent scales the digits instead: longitude 0–99.999, latitude 0–9.9999, 100k members moving.
      {
        label: "GEOADD",
        argv: ["GEOADD", "geo:w", "__rand_int__e-3", "__rand_int__e-4", "m:__rand_int__"],
      },
      // The points are 0.1° apart (about 8.5 km by 11 km here): 25 km holds 21 of them (5 km held one).
      {
        label: "GEOSEARCH (25 km, 21 hits)",
        argv: ["GEOSEARCH", "geo", "FROMLONLAT", "0", "40.5", "BYRADIUS", "25", "km", "ASC"],
      },
      { label: "BITFIELD", argv: ["BITFIELD", "bf", "INCRBY", "u8", "100", "1", "GET", "u4", "0"] },
    ],
  },
];

async function customThroughput(tandem: Target, redis: Target): Promise<string> {
  let out = "";
  const only = process.env.BENCH_SUITES?.split(",");
  for (const suite of CUSTOM.filter((x) => !only || only.some((o) => x.name.startsWith(o)))) {
    for (const t of [tandem, redis]) {
      await flush(t.port);
      const c = await RawClient.connect(t.port);
      for (const cmd of suite.setup) await c.call(...cmd);
      c.close();
    }
    const n = "100000";
    out += `\n#### ${suite.name}: \`redis-benchmark -n ${n} -c 50 <command>\` (median of ${ROUNDS} alternating rounds; target ratio ≥ ${suite.target})\n\n`;
    out +=
      "| command | tandem rps | redis rps | tandem/redis | CPU µs/req tandem | redis | tandem p50 ms | redis p50 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const cmd of suite.commands) {
      const rows = new Map<Target, (BenchRow & { cpuUs: number })[]>([
        [tandem, []],
        [redis, []],
      ]);
      for (let i = 0; i < ROUNDS; i++) {
        const order = i % 2 === 0 ? [tandem, redis] : [redis, tandem];
        for (const t of order) {
          const before = cpuMicros(t.pid);
          const got = redisBenchmark(t.port, ["-n", n, "-c", "50", "-r", "100000", ...cmd.argv]);
          const cpuUs = (cpuMicros(t.pid) - before) / Number(n);
          rows.get(t)?.push(...got.map((r) => ({ ...r, cpuUs })));
        }
      }
      const tr = rows.get(tandem) ?? [];
      const rr = rows.get(redis) ?? [];
      const trps = median(tr.map((x) => x.rps));
      const rrps = median(rr.map((x) => x.rps));
      const cpu = (xs: { cpuUs: number }[]) => median(xs.map((x) => x.cpuUs)).toFixed(2);
      out += `| ${cmd.label} | ${fmt(trps)} | ${fmt(rrps)} | ${(trps / rrps).toFixed(2)} | ${cpu(tr)} | ${cpu(rr)} | ${median(tr.map((x) => x.p50)).toFixed(3)} | ${median(rr.map((x) => x.p50)).toFixed(3)} |\n`;
    }
  }
  return out;
}

async function flush(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  await c.text("FLUSHALL");
  c.close();
}

function byTest<R extends BenchRow>(rows: R[][]): Map<string, R[]> {
  const m = new Map<string, R[]>();
  for (const round of rows) for (const r of round) m.set(r.test, [...(m.get(r.test) ?? []), r]);
  return m;
}

/**
 * One redis-benchmark run per test of the suite (so each gets its own CPU figure): the rows, each with the
 * server's CPU time per request (user + system, from /proc) — steadier than requests/s on a shared machine,
 * where the benchmark client competes for the same two cores.
 */
function runPerTest(t: Target, args: string[]): (BenchRow & { cpuUs: number })[] {
  const ti = args.indexOf("-t");
  const n = Number(args[args.indexOf("-n") + 1]);
  const out: (BenchRow & { cpuUs: number })[] = [];
  for (const test of args[ti + 1].split(",")) {
    const one = [...args];
    one[ti + 1] = test;
    const before = cpuMicros(t.pid);
    const rows = redisBenchmark(t.port, one);
    const cpuUs = (cpuMicros(t.pid) - before) / (n * rows.length);
    for (const r of rows) out.push({ ...r, cpuUs });
  }
  return out;
}

async function throughput(tandem: Target, redis: Target, bare: Target): Promise<string> {
  let out = "";
  const only = process.env.BENCH_SUITES?.split(",");
  for (const suite of SUITES.filter((x) => !only || only.some((o) => x.name.startsWith(o)))) {
    const targets = suite.bare ? [tandem, redis, bare] : [tandem, redis];
    const rows = new Map<Target, (BenchRow & { cpuUs: number })[][]>(targets.map((t) => [t, []]));
    for (let i = 0; i < ROUNDS; i++) {
      // Rotate which server goes first so drift on the shared machine hits all equally.
      for (let k = 0; k < targets.length; k++) {
        const s = targets[(i + k) % targets.length];
        if (s !== bare) await flush(s.port);
        rows.get(s)?.push(runPerTest(s, suite.args));
      }
    }
    const tt = byTest(rows.get(tandem) ?? []);
    const rr = byTest(rows.get(redis) ?? []);
    const bb = byTest(rows.get(bare) ?? []);
    out += `\n#### ${suite.name}: \`redis-benchmark ${suite.args.join(" ")}\` (one test per run; median of ${ROUNDS} rotating rounds; target ratio ≥ ${suite.target})\n\n`;
    out += suite.bare
      ? "| test | tandem rps | redis rps | bare Node rps | tandem/redis | bare/redis | tandem/bare | CPU µs/req tandem | redis | bare | tandem p50 ms | redis p50 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
      : "| test | tandem rps | redis rps | tandem/redis | CPU µs/req tandem | redis | tandem p50 ms | redis p50 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const [test, trows] of tt) {
      const tr = median(trows.map((x) => x.rps));
      const rrows = rr.get(test) ?? [];
      const rrps = median(rrows.map((x) => x.rps));
      const p50 = `${median(trows.map((x) => x.p50)).toFixed(3)} | ${median(rrows.map((x) => x.p50)).toFixed(3)}`;
      const cpu = (xs: { cpuUs: number }[]) => median(xs.map((x) => x.cpuUs)).toFixed(2);
      if (suite.bare) {
        const brows = bb.get(test) ?? [];
        const br = median(brows.map((x) => x.rps));
        out += `| ${test} | ${fmt(tr)} | ${fmt(rrps)} | ${fmt(br)} | ${(tr / rrps).toFixed(2)} | ${(br / rrps).toFixed(2)} | ${(tr / br).toFixed(2)} | ${cpu(trows)} | ${cpu(rrows)} | ${cpu(brows)} | ${p50} |\n`;
      } else {
        out += `| ${test} | ${fmt(tr)} | ${fmt(rrps)} | ${(tr / rrps).toFixed(2)} | ${cpu(trows)} | ${cpu(rrows)} | ${p50} |\n`;
      }
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
  const [tandem, redis, bare] = await Promise.all([startTandem(), startRedis(), startBare()]);
  let report = `### Server: tandem server vs redis-server\n\nMachine: ${machineLine()}. Command: \`npm run bench -- server\`.\n`;
  try {
    report += await throughput(tandem, redis, bare);
    report += await customThroughput(tandem, redis);
  } finally {
    bare.stop();
    await Promise.all([tandem.stop(), redis.stop()]);
  }
  if (process.env.BENCH_SKIP_MEMORY !== "1") report += await memory();
  process.stdout.write(`${report}\n`);
}

await main();
