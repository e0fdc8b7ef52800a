import { spawn } from "node:child_process";
import { REDIS_BENCHMARK, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { fmt, machineLine } from "./bench-util.js";

/**
 * Replication figures, Tandem vs Debian's redis-server (repl-diskless-sync-delay 0), in one run:
 *   - full sync of 1,000,000 keys: time from starting the replica to link up and DBSIZE equal (≤ 2.5 s)
 *   - the master's longest event-loop stall during that sync, seen as the slowest PING a client sent to
 *     the master every few ms meanwhile (≤ 50 ms)
 *   - replica lag under `redis-benchmark -t set -c 50`: repeatedly read the master's offset, then time
 *     until the replica's own offset (INFO slave_repl_offset) reaches it; p50/p99 (p99 ≤ 2× Redis's)
 *   - full sync under load: a new replica of a 200k-key master while `redis-benchmark -t set -P 16 -c 20`
 *     writes as fast as it can; replica start → master_link_status:up (≤ 2× Redis's + 2 s)
 *   - a 256 MB value: SET on the master (upload included) → the replica's STRLEN equal (≤ 3× Redis's)
 * Run: npm run bench -- replication     (or node dist/test/bench/replication-bench.js after a build)
 * Env: BENCH_KEYS (default 1000000), BENCH_LAG_REQUESTS (default 300000), BENCH_ROUNDS (default 1:
 * alternating rounds, each figure reported per round), BENCH_ONLY=sync|lag|syncload|bigvalue (one part),
 * BENCH_BIG_MB (default 256),
 * BENCH_PROFILE_DIR (the Tandem servers of the lag part write --cpu-prof profiles there).
 */

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const LAG_REQUESTS = Number(process.env.BENCH_LAG_REQUESTS ?? 300_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const ONLY = process.env.BENCH_ONLY ?? "";
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR ?? "";
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 256);
const LOAD_KEYS = 200_000;
const ARGS = ["--repl-diskless-sync-delay", "0", "--appendonly", "no"];

type Start = (opts: { args: string[]; nodeFlags?: string[] }) => Promise<ServerProcess>;

async function info(c: RawClient, field: string): Promise<string> {
  const text = String(await c.call("INFO", "replication"));
  const m = new RegExp(`${field}:([^\\r]*)`).exec(text);
  return m ? m[1] : "";
}

async function fill(c: RawClient, n: number): Promise<void> {
  const batch = 1000;
  const cmds: (string | number)[][] = [];
  for (let i = 0; i < n; i += batch) {
    const args: (string | number)[] = ["MSET"];
    for (let j = i; j < Math.min(n, i + batch); j++) args.push(`key:${j}`, `value:${j}`);
    cmds.push(args);
    if (cmds.length === 50) await c.pipeline(cmds.splice(0));
  }
  if (cmds.length) await c.pipeline(cmds.splice(0));
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function fullSync(start: Start): Promise<{ ms: number; stallMs: number }> {
  const master = await start({ args: ARGS });
  const m = await master.client();
  await fill(m, KEYS);
  const want = String(await m.call("DBSIZE"));
  // A separate client measures the master's responsiveness while it serves the sync.
  const probe = await master.client();
  let probing = true;
  let stall = 0;
  const probeLoop = (async () => {
    while (probing) {
      const t = performance.now();
      await probe.call("PING");
      stall = Math.max(stall, performance.now() - t);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  const t0 = performance.now();
  const replica = await start({ args: [...ARGS, "--replicaof", "127.0.0.1", String(master.port)] });
  const r = await replica.client();
  for (;;) {
    try {
      if ((await info(r, "master_link_status")) === "up" && String(await r.call("DBSIZE")) === want) break;
    } catch {
      // LOADING while the RDB is being loaded
    }
    await new Promise((res) => setTimeout(res, 10));
  }
  const ms = performance.now() - t0;
  probing = false;
  await probeLoop;
  for (const c of [m, probe, r]) c.close();
  await Promise.all([replica.stop(), master.stop()]);
  return { ms, stallMs: stall };
}

async function lag(start: Start): Promise<{ p50: number; p99: number; samples: number }> {
  const nodeFlags = PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const master = await start({ args: ARGS, nodeFlags });
  const replica = await start({
    args: [...ARGS, "--replicaof", "127.0.0.1", String(master.port)],
    nodeFlags,
  });
  const m = await master.client();
  const r = await replica.client();
  while ((await info(r, "master_link_status")) !== "up") await new Promise((res) => setTimeout(res, 20));
  const load = spawn(
    REDIS_BENCHMARK ?? "redis-benchmark",
    ["-p", String(master.port), "-t", "set", "-c", "50", "-n", String(LAG_REQUESTS), "-r", "100000", "-q"],
    { stdio: "ignore" },
  );
  let running = true;
  load.on("exit", () => (running = false));
  const samples: number[] = [];
  while (running) {
    const t0 = performance.now();
    const target = Number(await info(m, "master_repl_offset"));
    while (Number(await info(r, "slave_repl_offset")) < target) {
      /* poll the replica's own offset */
    }
    samples.push(performance.now() - t0);
  }
  m.close();
  r.close();
  await Promise.all([replica.stop(), master.stop()]);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), samples: samples.length };
}

async function waitLinkUp(r: RawClient, deadlineMs: number): Promise<void> {
  const until = performance.now() + deadlineMs;
  while ((await info(r, "master_link_status").catch(() => "")) !== "up") {
    if (performance.now() > until) throw new Error("the replica's link did not come up in time");
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** A new replica of a 200k-key master while a pipelined write load saturates the master. */
async function syncUnderLoad(start: Start): Promise<number> {
  const master = await start({ args: ARGS });
  const m = await master.client();
  await fill(m, LOAD_KEYS);
  const load = spawn(
    REDIS_BENCHMARK ?? "redis-benchmark",
    [
      "-p",
      String(master.port),
      "-t",
      "set",
      "-P",
      "16",
      "-c",
      "20",
      "-n",
      "50000000",
      "-r",
      String(LOAD_KEYS),
      "-q",
    ],
    { stdio: "ignore" },
  );
  try {
    // Let the load reach its pace before the replica arrives. (Not by master_repl_offset: like Redis, a
    // master has no backlog, so no offset, until its first replica.)
    const processed = async () => {
      const text = String(await m.call("INFO", "stats"));
      return Number(/total_commands_processed:(\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await processed();
    while ((await processed()) < before + 1_000_000) {
      if (load.exitCode !== null) throw new Error(`redis-benchmark exited early (${load.exitCode})`);
      await new Promise((res) => setTimeout(res, 20));
    }
    const t0 = performance.now();
    const replica = await start({ args: [...ARGS, "--replicaof", "127.0.0.1", String(master.port)] });
    const r = await replica.client();
    await waitLinkUp(r, 120_000);
    const ms = performance.now() - t0;
    r.close();
    await replica.stop();
    return ms;
  } finally {
    load.kill("SIGTERM");
    m.close();
    await master.stop();
  }
}

/** One large SET crossing the link: client upload + master + stream + replica apply. */
async function bigValue(start: Start): Promise<number> {
  const master = await start({ args: ARGS });
  const replica = await start({ args: [...ARGS, "--replicaof", "127.0.0.1", String(master.port)] });
  const m = await master.client();
  const r = await replica.client();
  try {
    await waitLinkUp(r, 30_000);
    const size = BIG_MB * 1024 * 1024;
    const value = "v".repeat(size);
    const t0 = performance.now();
    await m.call("SET", "big", value);
    const until = t0 + 120_000;
    while (Number(await r.call("STRLEN", "big")) !== size) {
      if (performance.now() > until) throw new Error("the value did not reach the replica in 120 s");
      await new Promise((res) => setTimeout(res, 10));
    }
    return performance.now() - t0;
  } finally {
    m.close();
    r.close();
    await Promise.all([replica.stop(), master.stop()]);
  }
}

async function main(): Promise<void> {
  const kinds: [string, Start][] = [
    ["tandem", startTandem],
    ["redis-server", startRedis],
  ];
  let out = `## Replication\n\n${machineLine()}\n\n`;
  out += `| round | measure | tandem | redis-server | ratio | target |\n|---|---|---|---|---|---|\n`;
  for (let round = 1; round <= ROUNDS; round++) {
    if (ONLY === "" || ONLY === "sync") {
      const sync: Record<string, { ms: number; stallMs: number }> = {};
      for (const [name, start] of kinds) sync[name] = await fullSync(start);
      const t = sync.tandem;
      const r = sync["redis-server"];
      out += `| ${round} | full sync of ${fmt(KEYS)} keys (replica start → link up, DBSIZE equal) | ${fmt(t.ms)} ms | ${fmt(r.ms)} ms | ${fmt(t.ms / r.ms, 2)} | ≤ 2500 ms |\n`;
      out += `| ${round} | master's longest stall during the sync (slowest PING) | ${fmt(t.stallMs, 1)} ms | ${fmt(r.stallMs, 1)} ms | | ≤ 50 ms |\n`;
    }
    if (ONLY === "" || ONLY === "syncload") {
      const t = await syncUnderLoad(startTandem);
      const r = await syncUnderLoad(startRedis);
      out += `| ${round} | full sync of a ${fmt(LOAD_KEYS)}-key master under redis-benchmark -t set -P 16 -c 20 (replica start → link up) | ${fmt(t)} ms | ${fmt(r)} ms | ${fmt(t / r, 2)} | ≤ 2× redis + 2000 ms |\n`;
    }
    if (ONLY === "" || ONLY === "bigvalue") {
      const t = await bigValue(startTandem);
      const r = await bigValue(startRedis);
      out += `| ${round} | SET of a ${BIG_MB} MB value → on the replica (upload included) | ${fmt(t)} ms | ${fmt(r)} ms | ${fmt(t / r, 2)} | ≤ 3× redis |\n`;
    }
    if (ONLY === "" || ONLY === "lag") {
      const lags: Record<string, { p50: number; p99: number; samples: number }> = {};
      for (const [name, start] of kinds) lags[name] = await lag(start);
      const t = lags.tandem;
      const r = lags["redis-server"];
      out += `| ${round} | replica lag p50 under redis-benchmark -t set -c 50 | ${fmt(t.p50, 2)} ms | ${fmt(r.p50, 2)} ms | ${fmt(t.p50 / r.p50, 2)} | |\n`;
      out += `| ${round} | replica lag p99 under redis-benchmark -t set -c 50 | ${fmt(t.p99, 2)} ms | ${fmt(r.p99, 2)} ms | ${fmt(t.p99 / r.p99, 2)} | ≤ 2× redis |\n`;
      process.stderr.write(`round ${round}: lag samples tandem ${t.samples}, redis ${r.samples}\n`);
    }
  }
  process.stdout.write(out);
}

await main();
