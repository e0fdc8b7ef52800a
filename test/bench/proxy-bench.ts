import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../helpers/free-port.js";
import { REDIS_BENCHMARK, startRedis, which } from "../helpers/processes.js";
import { startProxy } from "../helpers/proxy-deployment.js";
import { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";
import { median } from "./bench-util.js";

/**
 * redis-benchmark -t set,get -n 200000 -c 50, without pipelining and with -P 16: direct to redis-server,
 * through the Tandem proxy (eventual and session consistency) and through twemproxy (Debian's nutcracker), all in front of the same
 * redis-server, alternately in one run (ROUNDS rounds). Prints rps, ratio to direct and p50 per target.
 *
 * Run: npx tsc -p . && node dist/test/bench/proxy-bench.js [rounds]
 */

const ROUNDS = Number(process.argv[2] ?? 2);
const N = Number(process.env.BENCH_N ?? 200_000);
/** BENCH_PIPELINES=1 measures only the no-pipelining runs (quicker A/B rounds while tuning). */
/** BENCH_TANDEM_B=<launcher of another build>: adds it as target "tandem-b", for alternating A/B rounds. */
const TANDEM_B = process.env.BENCH_TANDEM_B ?? "";
const PIPELINES = (process.env.BENCH_PIPELINES ?? "1,16").split(",").map(Number);

interface Result {
  rps: number;
  p50: number;
}

function bench(port: number, pipeline: number): Record<string, Result> {
  const r = spawnSync(
    REDIS_BENCHMARK as string,
    [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-t",
      "set,get",
      "-n",
      String(N),
      "-c",
      "50",
      "-P",
      String(pipeline),
      "--csv",
    ],
    { encoding: "utf8", maxBuffer: 1 << 24 },
  );
  const out: Record<string, Result> = {};
  for (const line of r.stdout.split("\n")) {
    const f = line.split(",").map((x) => x.replace(/"/g, ""));
    if (f[0] === "SET" || f[0] === "GET") out[f[0]] = { rps: Number(f[1]), p50: Number(f[4]) };
  }
  if (!out.SET || !out.GET)
    throw new Error(`redis-benchmark failed on port ${port}: ${r.stderr || r.stdout}`);
  return out;
}

/**
 * CPU seconds (user + system) a process has used, from /proc (null elsewhere). Per request it is a far
 * steadier figure than rps on a shared, loaded machine: rps and p50 there mostly say how often the
 * scheduler let the process run.
 */
function cpuSeconds(pid: number | undefined): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "latin1").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

async function startTwemproxy(backendPort: number): Promise<{ port: number; proc: ChildProcess }> {
  const bin = which("nutcracker");
  if (!bin) throw new Error("nutcracker is not installed (apt-get install -y nutcracker)");
  const dir = mkdtempSync(join(tmpdir(), "twemproxy-bench-"));
  const port = await freePort();
  const stats = await freePort();
  const conf = join(dir, "nutcracker.yml");
  writeFileSync(
    conf,
    [
      "bench:",
      `  listen: 127.0.0.1:${port}`,
      "  hash: fnv1a_64",
      "  distribution: ketama",
      "  redis: true",
      "  auto_eject_hosts: false",
      "  servers:",
      `    - 127.0.0.1:${backendPort}:1`,
      "",
    ].join("\n"),
  );
  const proc = spawn(
    bin,
    ["-c", conf, "-s", String(stats), "-a", "127.0.0.1", "-o", join(dir, "nutcracker.log")],
    { stdio: "ignore" },
  );
  await waitFor("twemproxy to answer", async () => {
    const c = await RawClient.connect(port);
    try {
      return (await c.text("SET", "warm", "1")) === "+OK\r\n";
    } finally {
      c.close();
    }
  });
  return { port, proc };
}

async function main(): Promise<void> {
  if (!REDIS_BENCHMARK) throw new Error("redis-benchmark is not installed");
  const redis = await startRedis();
  const yaml = `master: 127.0.0.1:${redis.port}\nlog_level: warn\n`;
  // "tandem": eventual consistency (no offset probes: what the proxy did before read-your-writes);
  // "tandem-session": the default level, each batch of writes followed by an offset probe (ROLE here).
  const tandem = await startProxy(`${yaml}consistency: eventual\n`);
  const tandemSession = await startProxy(`${yaml}consistency: session\n`);
  // Another build may predate the consistency key: it gets the plain file.
  const tandemB = TANDEM_B === "" ? null : await startProxy(yaml, TANDEM_B);
  const twem = await startTwemproxy(redis.port);
  const targets: [string, number, number | undefined][] = [
    ["direct", redis.port, redis.pid],
    ["tandem", tandem.port, tandem.proc.pid],
    ["tandem-ses", tandemSession.port, tandemSession.proc.pid],
  ];
  if (tandemB !== null) targets.push(["tandem-b", tandemB.port, tandemB.proc.pid]);
  targets.push(["twemproxy", twem.port, twem.proc.pid]);
  const runs: Record<string, { rps: number[]; p50: number[] }> = {};
  const cpu: Record<string, { s: number; reqs: number }> = {};
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const pipeline of PIPELINES) {
        for (const [name, port, pid] of targets) {
          const c0 = cpuSeconds(pid);
          const r = bench(port, pipeline);
          const c1 = cpuSeconds(pid);
          if (c0 !== null && c1 !== null) {
            const k = `${name} -P ${pipeline}`;
            cpu[k] ??= { s: 0, reqs: 0 };
            cpu[k].s += c1 - c0;
            cpu[k].reqs += 2 * N;
          }
          for (const t of ["SET", "GET"]) {
            const key = `${name} ${t} -P ${pipeline}`;
            runs[key] ??= { rps: [], p50: [] };
            runs[key].rps.push(r[t].rps);
            runs[key].p50.push(r[t].p50);
            process.stdout.write(
              `round ${round} ${key}: ${r[t].rps.toFixed(0)} rps, p50 ${r[t].p50.toFixed(3)} ms\n`,
            );
          }
        }
      }
    }
    process.stdout.write(
      `\nredis-benchmark -t set,get -n ${N} -c 50, median of ${ROUNDS} alternating rounds\n`,
    );
    process.stdout.write(
      "target      test  -P   rps        ratio  p50 ms  (+ vs direct; medians over rounds)\n",
    );
    for (const pipeline of PIPELINES) {
      for (const t of ["SET", "GET"]) {
        const d = runs[`direct ${t} -P ${pipeline}`];
        for (const [name] of targets) {
          const x = runs[`${name} ${t} -P ${pipeline}`];
          // Ratios are taken per round (target and direct ran back to back), then the median of those.
          const ratio = median(x.rps.map((v, i) => v / d.rps[i]));
          const added = median(x.p50.map((v, i) => v - d.p50[i]));
          process.stdout.write(
            `${name.padEnd(11)} ${t}   ${String(pipeline).padEnd(4)} ${median(x.rps).toFixed(0).padEnd(10)} ${ratio.toFixed(2).padEnd(6)} ${median(x.p50).toFixed(3)}   (+${added.toFixed(3)})\n`,
          );
        }
      }
    }
    process.stdout.write("\nCPU per request (user+system, µs) of the process serving the port\n");
    for (const pipeline of PIPELINES) {
      for (const [name] of targets) {
        const c = cpu[`${name} -P ${pipeline}`];
        if (c)
          process.stdout.write(
            `${name.padEnd(11)} -P ${String(pipeline).padEnd(3)} ${((c.s * 1e6) / c.reqs).toFixed(2)}\n`,
          );
      }
    }
  } finally {
    twem.proc.kill("SIGTERM");
    await tandem.stop();
    await tandemSession.stop();
    await tandemB?.stop();
    await redis.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
