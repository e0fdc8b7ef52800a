import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/**
 * Shared pieces of the benchmarks: running redis-benchmark and parsing its CSV, RSS of a PID, and the
 * markdown header every table carries (command, date, machine). Timing never decides a test: benchmarks only
 * print.
 */

export interface BenchRow {
  test: string;
  rps: number;
  p50: number;
  p99: number;
}

/** Runs redis-benchmark with --csv and returns one row per test. */
export function redisBenchmark(port: number, args: string[]): BenchRow[] {
  const r = spawnSync("redis-benchmark", ["-h", "127.0.0.1", "-p", String(port), "--csv", ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  const rows: BenchRow[] = [];
  for (const line of r.stdout.split("\n")) {
    const cols = line.split(",").map((c) => c.replace(/^"|"$/g, ""));
    if (cols.length < 8 || cols[0] === "test") continue;
    rows.push({ test: cols[0], rps: Number(cols[1]), p50: Number(cols[4]), p99: Number(cols[6]) });
  }
  return rows;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU time (user + system) a process has used, in µs (Linux /proc, clock ticks of 10 ms). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

export function machineLine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? "cpu"}, Node.js ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}`;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
