import type { ChildProcess } from "node:child_process";
import { connect, type Socket } from "node:net";
import { encodeCommand } from "../../src/resp/reply-writer.js";
import { seededRandom } from "../helpers/differential.js";
import { startTandem } from "../helpers/processes.js";
import { startDeployment } from "../helpers/proxy-deployment.js";
import type { RawClient } from "../helpers/raw-client.js";
import { rssMb } from "../helpers/rss.js";
import { int, mutate, type Rng, randomRequestStream } from "./fuzz-inputs.js";

/**
 * Fuzzing `tandem server` and `tandem proxy` as processes: many connections send valid, mutated and
 * garbage request streams, some cut off mid-frame by a disconnect, while a watcher connection PINGs.
 * Findings: the process exits, a PING waits longer than HANG_MS (a hang), or the target does not answer
 * at the end. Replies are read and dropped. Commands that would change the setup (CONFIG, SHUTDOWN, DEBUG,
 * REPLICAOF, CLIENT, FLUSHALL…) are never generated on purpose — mutations may still produce anything.
 */

const HANG_MS = 10_000;
const CONNECTIONS = 16;

/** Commands the fuzz drives on purpose: every family, transactions, pub/sub, scans, protocol switches. */
const NAMES = [
  "SET",
  "GET",
  "DEL",
  "MSET",
  "MGET",
  "INCR",
  "INCRBY",
  "APPEND",
  "GETRANGE",
  "STRLEN",
  "EXPIRE",
  "TTL",
  "EXISTS",
  "TYPE",
  "LPUSH",
  "RPOP",
  "LRANGE",
  "LINSERT",
  "HSET",
  "HGETALL",
  "HINCRBY",
  "SADD",
  "SMEMBERS",
  "SINTER",
  "ZADD",
  "ZRANGE",
  "ZRANGEBYSCORE",
  "ZINCRBY",
  "MULTI",
  "EXEC",
  "DISCARD",
  "WATCH",
  "SUBSCRIBE",
  "PSUBSCRIBE",
  "UNSUBSCRIBE",
  "PUBLISH",
  "SCAN",
  "KEYS",
  "HELLO",
  "SELECT",
  "PING",
  "ECHO",
  "SORT",
  "OBJECT",
  "DBSIZE",
  "INFO",
  "WAITOFFSET",
  "PROXY",
];

export interface ProcessFuzzResult {
  messages: number;
  ms: number;
  connections: number;
  disconnects: number;
  slowestPingMs: number;
  peakRssMb: number;
  findings: string[];
}

export interface ProcessTarget {
  name: string;
  run(seed: number, iterations: number, log: (line: string) => void): Promise<ProcessFuzzResult>;
}

class FuzzConnection {
  socket: Socket | null = null;
  opened = 0;

  constructor(private readonly port: number) {}

  get usable(): boolean {
    return this.socket !== null && !this.socket.destroyed;
  }

  open(): Promise<void> {
    return new Promise((resolve) => {
      const s = connect({ port: this.port, host: "127.0.0.1" });
      s.on("data", () => {}); // replies are read and dropped
      s.on("error", () => {});
      s.once("connect", () => resolve());
      s.once("close", () => resolve()); // refused (maxclients, a crash): the finding shows elsewhere
      this.socket = s;
      this.opened++;
    });
  }

  /** Writes; waits for the socket to drain when its buffer is full (never queues without bound). */
  async write(b: Buffer): Promise<void> {
    const s = this.socket;
    if (s === null || s.destroyed) return;
    if (!s.write(b)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          s.off("drain", done);
          s.off("close", done);
          resolve();
        };
        s.on("drain", done);
        s.on("close", done);
      });
    }
  }
}

/** The fuzz loop against one listening port; `alive` says whether every process of the target runs. */
async function fuzzPort(
  port: number,
  watcher: RawClient,
  alive: () => string | null,
  seed: number,
  iterations: number,
): Promise<Omit<ProcessFuzzResult, "peakRssMb">> {
  const rng: Rng = seededRandom(seed);
  const findings: string[] = [];
  const conns = Array.from({ length: CONNECTIONS }, () => new FuzzConnection(port));
  await Promise.all(conns.map((c) => c.open()));
  let watching = true;
  let slowest = 0;
  const watch = (async () => {
    while (watching) {
      const t = performance.now();
      const timer = setTimeout(() => findings.push(`a PING took longer than ${HANG_MS} ms (hang)`), HANG_MS);
      try {
        await watcher.call("PING");
      } catch (err) {
        findings.push(`the watcher's PING failed: ${(err as Error).message}`);
        clearTimeout(timer);
        return;
      }
      clearTimeout(timer);
      slowest = Math.max(slowest, performance.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const t0 = performance.now();
  let disconnects = 0;
  let i = 0;
  for (; i < iterations && findings.length === 0; i++) {
    const c = conns[int(rng, conns.length)];
    if (!c.usable) await c.open();
    const valid = randomRequestStream(rng, NAMES, 1 + int(rng, 4));
    const r = rng();
    if (r < 0.02) {
      // Cut off mid-frame: part of a command, then the connection goes away.
      const cmd = encodeCommand(["SET", "k", "x".repeat(int(rng, 5000))]);
      await c.write(cmd.subarray(0, 1 + int(rng, cmd.length - 1)));
      c.socket?.destroy();
      disconnects++;
    } else {
      await c.write(r < 0.35 ? mutate(rng, valid) : valid);
    }
    if (i % 64 === 0) {
      await new Promise((res) => setImmediate(res));
      const dead = alive();
      if (dead !== null) findings.push(dead);
    }
  }
  watching = false;
  await watch;
  const ms = performance.now() - t0;
  for (const c of conns) c.socket?.destroy();
  const dead = alive();
  if (dead !== null && !findings.includes(dead)) findings.push(dead);
  else if (findings.length === 0) {
    try {
      const pong = await watcher.call("PING");
      if (pong !== "PONG") findings.push(`final PING answered ${String(pong)}`);
    } catch (err) {
      findings.push(`final PING failed: ${(err as Error).message}`);
    }
  }
  return {
    messages: i,
    ms,
    connections: conns.reduce((n, c) => n + c.opened, 0),
    disconnects,
    slowestPingMs: slowest,
    findings,
  };
}

function exited(procs: { name: string; proc: ChildProcess; output(): string }[]): string | null {
  for (const p of procs) {
    if (p.proc.exitCode !== null || p.proc.signalCode !== null) {
      return `${p.name} exited (${p.proc.exitCode ?? p.proc.signalCode}); last output:\n${p.output().slice(-2000)}`;
    }
  }
  return null;
}

const serverTarget: ProcessTarget = {
  name: "server",
  async run(seed, iterations) {
    const s = await startTandem({ args: ["--appendonly", "no"] });
    const watcher = await s.client();
    try {
      const r = await fuzzPort(
        s.port,
        watcher,
        () => exited([{ name: "tandem server", ...s }]),
        seed,
        iterations,
      );
      return { ...r, peakRssMb: rssMb(s.pid) };
    } finally {
      watcher.close();
      await s.stop();
    }
  },
};

const proxyTarget: ProcessTarget = {
  name: "proxy",
  async run(seed, iterations) {
    const d = await startDeployment({ kind: "tandem", replicas: 2 });
    const watcher = await d.proxy.client();
    const procs = [
      { name: "proxy", proc: d.proxy.proc, output: () => d.proxy.output() },
      { name: "master", ...d.master },
      ...d.replicas.map((r, i) => ({ name: `replica ${i + 1}`, ...r })),
    ];
    try {
      const r = await fuzzPort(d.proxy.port, watcher, () => exited(procs), seed, iterations);
      return { ...r, peakRssMb: rssMb(d.proxy.proc.pid) };
    } finally {
      watcher.close();
      await d.stop();
    }
  },
};

export function processTargets(): ProcessTarget[] {
  return [serverTarget, proxyTarget];
}
