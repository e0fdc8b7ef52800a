import { connect, type Socket } from "node:net";
import { INCOMPLETE, scanFrame } from "../../src/resp/frame-scanner.js";
import { encodeCommand } from "../../src/resp/reply-writer.js";
import { NO_REDIS } from "../helpers/processes.js";
import { commandCalls, type Deployment, startDeployment } from "../helpers/proxy-deployment.js";
import { machineLine, median } from "./bench-util.js";

/**
 * What read-your-writes costs. A 50/50 SET/GET load through the proxy (CLIENTS connections, each one
 * request at a time, random keys out of KEYS) with healthy replication, in `eventual` and in `session`
 * consistency, alternately in one run, in front of Tandem servers and in front of Debian's redis-server.
 *
 * Per level it prints the read p50/p99 as the client sees it, the write p50, and the share of reads the
 * replicas served (GET calls in INFO commandstats of each backend: the proxy's own probes are WAITOFFSET
 * and ROLE, never GET). In `session` a read right after the connection's own write must wait until a
 * replica has reached that write's offset, or go to the master after `ryw_wait_ms`; those are the costs
 * this measures.
 *
 * Run: npx tsc -p . && node dist/test/bench/ryw-bench.js [rounds]   (BENCH_SECONDS per phase, default 5)
 */

const ROUNDS = Number(process.argv[2] ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const KEYS = 10_000;
const LEVELS = ["eventual", "session"] as const;
type Level = (typeof LEVELS)[number];

/** One connection running the closed loop: one request in flight, latencies in µs by kind. */
class LoadConnection {
  private buf: Buffer = Buffer.alloc(0);
  private sentAt = 0n;
  private sentWrite = false;
  private stopAt = 0;
  private done: (() => void) | null = null;
  private fail: ((e: Error) => void) | null = null;
  private setupReply: ((reply: string) => void) | null = null;
  readonly reads: number[] = [];
  readonly writes: number[] = [];
  errors = 0;
  firstError = "";

  private constructor(
    private readonly socket: Socket,
    private readonly sets: Buffer[],
    private readonly gets: Buffer[],
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (e) => this.fail?.(e));
    socket.on("close", () => this.fail?.(new Error("connection closed")));
  }

  static open(port: number, sets: Buffer[], gets: Buffer[]): Promise<LoadConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: "127.0.0.1" }, () => {
        s.off("error", reject);
        resolve(new LoadConnection(s, sets, gets));
      });
      s.once("error", reject);
    });
  }

  /** Sends one command and resolves with its reply (setup only, not timed; never during run()). */
  call(...argv: string[]): Promise<string> {
    return new Promise((resolve) => {
      this.setupReply = resolve;
      this.socket.write(encodeCommand(argv));
    });
  }

  /** Runs the loop until `ms` from now; resolves when the last reply has arrived. */
  run(ms: number): Promise<void> {
    this.reads.length = 0;
    this.writes.length = 0;
    this.stopAt = Date.now() + ms;
    return new Promise((resolve, reject) => {
      this.done = resolve;
      this.fail = reject;
      this.next();
    });
  }

  private next(): void {
    if (Date.now() >= this.stopAt) {
      const d = this.done;
      this.done = null;
      this.fail = null;
      d?.();
      return;
    }
    const k = (Math.random() * KEYS) | 0;
    this.sentWrite = Math.random() < 0.5;
    this.sentAt = process.hrtime.bigint();
    this.socket.write(this.sentWrite ? this.sets[k] : this.gets[k]);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const end = scanFrame(this.buf, 0, this.buf.length);
    if (end === INCOMPLETE) return;
    if (this.setupReply !== null) {
      const r = this.setupReply;
      this.setupReply = null;
      r(this.buf.toString("latin1", 0, end));
      this.buf = this.buf.subarray(end);
      return;
    }
    const us = Number(process.hrtime.bigint() - this.sentAt) / 1000;
    if (this.buf[0] === 0x2d /* - */) {
      this.errors++;
      if (this.firstError === "") this.firstError = this.buf.toString("latin1", 0, end);
    }
    (this.sentWrite ? this.writes : this.reads).push(us);
    this.buf = this.buf.subarray(end);
    this.next();
  }

  close(): void {
    this.fail = null;
    this.socket.destroy();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Phase {
  reads: number;
  writes: number;
  readP50: number;
  readP99: number;
  writeP50: number;
  replicaShare: number;
  errors: number;
}

async function getCalls(d: Deployment): Promise<{ master: number; replicas: number }> {
  let replicas = 0;
  for (const r of d.replicas) replicas += await commandCalls(r, "get");
  return { master: await commandCalls(d.master, "get"), replicas };
}

async function phase(d: Deployment, conns: LoadConnection[], level: Level): Promise<Phase> {
  for (const c of conns) {
    const r = await c.call("PROXY", "CONSISTENCY", level);
    if (r !== "+OK\r\n") throw new Error(`PROXY CONSISTENCY ${level}: ${r}`);
  }
  const before = await getCalls(d);
  await Promise.all(conns.map((c) => c.run(SECONDS * 1000)));
  const after = await getCalls(d);
  const reads = conns.flatMap((c) => c.reads).sort((a, b) => a - b);
  const writes = conns.flatMap((c) => c.writes).sort((a, b) => a - b);
  const onReplicas = after.replicas - before.replicas;
  const onMaster = after.master - before.master;
  const errors = conns.reduce((n, c) => n + c.errors, 0);
  if (errors > 0) process.stderr.write(`errors: ${conns.find((c) => c.errors > 0)?.firstError}\n`);
  return {
    reads: reads.length,
    writes: writes.length,
    readP50: percentile(reads, 50) / 1000,
    readP99: percentile(reads, 99) / 1000,
    writeP50: percentile(writes, 50) / 1000,
    replicaShare: onReplicas / Math.max(1, onReplicas + onMaster),
    errors,
  };
}

async function benchKind(kind: "tandem" | "redis"): Promise<Record<Level, Phase[]>> {
  const d = await startDeployment({ kind });
  const sets: Buffer[] = [];
  const gets: Buffer[] = [];
  for (let k = 0; k < KEYS; k++) {
    sets.push(encodeCommand(["SET", `ryw:${k}`, `value-${k}`]));
    gets.push(encodeCommand(["GET", `ryw:${k}`]));
  }
  const conns: LoadConnection[] = [];
  const out: Record<Level, Phase[]> = { eventual: [], session: [] };
  try {
    for (let i = 0; i < CLIENTS; i++) conns.push(await LoadConnection.open(d.proxy.port, sets, gets));
    // Warm-up: every key exists, JIT and connection pools are warm.
    await phase(d, conns, "session");
    for (let round = 1; round <= ROUNDS; round++) {
      for (const level of round % 2 ? LEVELS : [...LEVELS].reverse()) {
        const p = await phase(d, conns, level);
        out[level].push(p);
        process.stderr.write(
          `${kind} round ${round} ${level}: ${p.reads} reads p50 ${p.readP50.toFixed(3)} ms p99 ${p.readP99.toFixed(3)} ms, ` +
            `write p50 ${p.writeP50.toFixed(3)} ms, ${(p.replicaShare * 100).toFixed(1)}% of reads on replicas, ${p.errors} errors\n`,
        );
      }
    }
  } finally {
    for (const c of conns) c.close();
    await d.stop();
  }
  return out;
}

async function main(): Promise<void> {
  const kinds: ("tandem" | "redis")[] = NO_REDIS ? ["tandem"] : ["tandem", "redis"];
  if (NO_REDIS) process.stderr.write(`redis-server backends skipped: ${NO_REDIS}\n`);
  const rows: string[] = [];
  for (const kind of kinds) {
    const r = await benchKind(kind);
    const ev = r.eventual;
    for (const level of LEVELS) {
      const ps = r[level];
      // Added latency is taken per round (the two levels ran back to back), then the median of those.
      const addedP50 = median(ps.map((p, i) => p.readP50 - ev[i].readP50));
      rows.push(
        `| ${kind === "tandem" ? "tandem server" : "redis-server"} | ${level} | ${median(ps.map((p) => p.reads / SECONDS)).toFixed(0)} | ` +
          `${median(ps.map((p) => p.readP50)).toFixed(3)} | ${median(ps.map((p) => p.readP99)).toFixed(3)} | ` +
          `${level === "eventual" ? "" : `+${addedP50.toFixed(3)}`} | ${median(ps.map((p) => p.writeP50)).toFixed(3)} | ` +
          `${(median(ps.map((p) => p.replicaShare)) * 100).toFixed(1)}% | ${ps.reduce((n, p) => n + p.errors, 0)} |`,
      );
    }
  }
  process.stdout.write(
    `\nRead-your-writes: 50/50 SET/GET, ${CLIENTS} connections one request at a time, ${KEYS} keys, ` +
      `${SECONDS} s per phase, medians of ${ROUNDS} alternating rounds. ${machineLine()}\n\n`,
  );
  process.stdout.write(
    "| backends | level | reads/s | read p50 ms | read p99 ms | p50 vs eventual | write p50 ms | reads on replicas | errors |\n",
  );
  process.stdout.write("|---|---|---|---|---|---|---|---|---|\n");
  for (const row of rows) process.stdout.write(`${row}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
