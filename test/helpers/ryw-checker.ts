import { RawClient } from "./raw-client.js";

/**
 * Read-your-writes checking through the proxy, and a lag injector that makes replicas fall behind.
 *
 * The checker runs `clients` loops, each writing a fresh value to its own key and reading it straight back
 * (pipelined, so the read reaches the proxy before the write's reply does — the hardest case for a
 * read/write splitter). Any read that does not return the value just written is stale. With
 * `acrossConnections` the causal token is carried by hand: SET + `PROXY TOKEN` on connection A, then
 * `PROXY AFTER <token>` + GET on connection B.
 *
 * Everything is bounded: `pairs` in total and `maxMs` of wall time (connections are closed at the deadline,
 * so a hung proxy cannot hang the checker).
 */

export type ConsistencyLevel = "eventual" | "session" | "strong";

export interface RywOptions {
  proxyPort: number;
  /** Concurrent checker loops (two connections each in across mode). */
  clients: number;
  /** Total write/read pairs to run (stop when reached). */
  pairs: number;
  /** Hard time bound: stop when reached even if `pairs` are not done. */
  maxMs: number;
  /** Sent as `PROXY CONSISTENCY <level>` on each connection when given; an error reply rejects the run. */
  level?: ConsistencyLevel;
  /** Write on A, `PROXY TOKEN` on A, `PROXY AFTER <token>` + read on B. */
  acrossConnections?: boolean;
  keyPrefix?: string;
}

export interface RywResult {
  /** Pairs completed (stale and errored ones included). */
  pairs: number;
  /** Reads that returned anything but the value just written. */
  stale: number;
  /** Pairs with an error reply (or a token that was missing), plus connections lost before the deadline. */
  errors: number;
  /** The first stale read: key, expected and received reply. */
  firstStale?: string;
  /** The first error, for failure messages. */
  firstError?: string;
  ms: number;
}

/** The reply text of a bulk string holding `v` (values here are ASCII). */
function bulk(v: string): string {
  return `$${v.length}\r\n${v}\r\n`;
}

/** A reply frame as one readable line for messages. */
function show(frame: Buffer): string {
  return JSON.stringify(frame.toString("latin1"));
}

/** A bulk-string reply's payload, or null for `$-1` / any other type. */
function bulkPayload(frame: Buffer): string | null {
  if (frame[0] !== 0x24 /* $ */ || frame[1] === 0x2d /* - */) return null;
  const eol = frame.indexOf("\r\n");
  return frame.toString("latin1", eol + 2, frame.length - 2);
}

/** Whether the proxy knows `PROXY CONSISTENCY` (sets `level` on a throwaway connection to find out). */
export async function consistencySupported(proxyPort: number, level: ConsistencyLevel): Promise<boolean> {
  const c = await RawClient.connect(proxyPort);
  try {
    const r = await c.text("PROXY", "CONSISTENCY", level);
    if (r === "+OK\r\n") return true;
    if (r.startsWith("-")) return false;
    throw new Error(`PROXY CONSISTENCY ${level}: unexpected reply ${JSON.stringify(r)}`);
  } finally {
    c.close();
  }
}

export async function runRywChecker(o: RywOptions): Promise<RywResult> {
  const prefix = o.keyPrefix ?? "ryw";
  const t0 = Date.now();
  const deadline = t0 + o.maxMs;
  const r: RywResult = { pairs: 0, stale: 0, errors: 0, ms: 0 };
  /** Pairs handed out so far (a loop takes one before running it, so the total never exceeds `pairs`). */
  let started = 0;
  /** One counter for the whole run: every SET writes a value never written before. */
  let seq = 0;
  let timedOut = false;
  const conns: RawClient[] = [];

  const error = (what: string): void => {
    r.errors++;
    r.firstError ??= what;
  };

  /** One pair on the same connection: SET and GET in one write. */
  async function samePair(c: RawClient, key: string, value: string): Promise<void> {
    const [set, get] = await c.pipeline([
      ["SET", key, value],
      ["GET", key],
    ]);
    if (set[0] === 0x2d || get[0] === 0x2d) return error(`SET/GET ${key}: ${show(set)} ${show(get)}`);
    check(key, value, get);
  }

  /** One pair across connections: SET + PROXY TOKEN on A, then PROXY AFTER + GET on B. */
  async function acrossPair(a: RawClient, b: RawClient, key: string, value: string): Promise<void> {
    const [set, tok] = await a.pipeline([
      ["SET", key, value],
      ["PROXY", "TOKEN"],
    ]);
    const token = bulkPayload(tok);
    if (set[0] === 0x2d || token === null)
      return error(`SET + PROXY TOKEN on ${key}: ${show(set)} ${show(tok)}`);
    const [after, get] = await b.pipeline([
      ["PROXY", "AFTER", token],
      ["GET", key],
    ]);
    if (after.toString("latin1") !== "+OK\r\n" || get[0] === 0x2d)
      return error(`PROXY AFTER ${token} + GET ${key}: ${show(after)} ${show(get)}`);
    check(key, value, get);
  }

  function check(key: string, value: string, get: Buffer): void {
    if (get.toString("latin1") === bulk(value)) return;
    r.stale++;
    r.firstStale ??= `GET ${key} after SET ${value}: got ${show(get)}`;
  }

  async function loop(i: number, a: RawClient, b: RawClient): Promise<void> {
    const key = `${prefix}:${i}`;
    while (started < o.pairs && Date.now() < deadline) {
      started++;
      const value = String(++seq);
      try {
        if (o.acrossConnections) await acrossPair(a, b, key, value);
        else await samePair(a, key, value);
        r.pairs++;
      } catch (err) {
        // Connections closed at the deadline end the loop quietly; anything else is a failure to report.
        if (!timedOut) error(`client ${i}: ${(err as Error).message}`);
        return;
      }
    }
  }

  async function open(): Promise<RawClient> {
    const c = await RawClient.connect(o.proxyPort);
    conns.push(c);
    if (o.level) {
      const reply = await c.text("PROXY", "CONSISTENCY", o.level);
      if (reply !== "+OK\r\n") throw new Error(`PROXY CONSISTENCY ${o.level}: ${JSON.stringify(reply)}`);
    }
    return c;
  }

  let timer: NodeJS.Timeout | undefined;
  try {
    const pairsOfConns = await Promise.all(
      Array.from({ length: o.clients }, async () => {
        const a = await open();
        return [a, o.acrossConnections ? await open() : a] as const;
      }),
    );
    timer = setTimeout(
      () => {
        timedOut = true;
        for (const c of conns) c.close();
      },
      Math.max(0, deadline - Date.now()),
    );
    await Promise.all(pairsOfConns.map(([a, b], i) => loop(i, a, b)));
  } finally {
    clearTimeout(timer);
    for (const c of conns) c.close();
  }
  r.ms = Date.now() - t0;
  return r;
}

// ─── lag injector ───────────────────────────────────────────────────────────────────────────────────────

export interface LagInjectorOptions {
  /** Processes to pause in turn (ServerProcess fits). */
  replicas: { kill(sig: NodeJS.Signals): void }[];
  masterPort: number;
  /** How long each replica stays SIGSTOPped. */
  stopMs: number;
  /** Pause between one replica's SIGCONT and the next one's SIGSTOP. */
  gapMs: number;
  /** Run a paced SET load straight to the master, so a paused replica has a backlog to catch up on. */
  writeLoad: boolean;
  /** Self-stop after this long even if stop() is never called (default 120 s). */
  maxMs?: number;
  /** Write load: SETs per batch (default 32), one batch at most every `writeEveryMs` (default 10). */
  writeBatch?: number;
  writeEveryMs?: number;
  /** Write load: value size (default 1024 bytes). */
  valueBytes?: number;
  /** Write load: keys are `<prefix>:<0..255>` (default "lag:load"), so memory stays bounded. */
  keyPrefix?: string;
}

export interface LagInjector {
  /** Ends both loops, SIGCONTs every paused replica (also on error), and rethrows a loop's error. */
  stop(): Promise<{ stops: number; masterWrites: number }>;
}

/**
 * Pauses each replica in turn (SIGSTOP for `stopMs`, SIGCONT, `gapMs`, next) while, optionally, a bounded
 * write load goes straight to the master. A paused replica keeps its proxy connections and stays eligible
 * while max_lag_ms allows, so reads sent to it are answered from old data once it resumes — exactly
 * what read-your-writes must prevent. A process-exit hook resumes paused replicas if the test dies
 * mid-pause (a stopped process would otherwise ignore the SIGTERM it is sent at exit).
 */
export function startLagInjector(o: LagInjectorOptions): LagInjector {
  const end = Date.now() + (o.maxMs ?? 120_000);
  const paused = new Set<{ kill(sig: NodeJS.Signals): void }>();
  let stopping = false;
  let stops = 0;
  let masterWrites = 0;
  /** Sleepers to wake early when stop() is called. */
  const wakers = new Set<() => void>();
  /** The write load's connection, closed by stop() so a batch stuck on a hung master cannot hang it. */
  let load: RawClient | null = null;

  const resumeAll = (): void => {
    for (const p of paused) p.kill("SIGCONT");
    paused.clear();
  };
  process.on("exit", resumeAll);

  const sleep = (ms: number): Promise<void> =>
    new Promise((res) => {
      const done = (): void => {
        clearTimeout(t);
        wakers.delete(done);
        res();
      };
      const t = setTimeout(done, Math.max(0, Math.min(ms, end - Date.now())));
      wakers.add(done);
    });
  const running = (): boolean => !stopping && Date.now() < end;

  async function pauseLoop(): Promise<void> {
    try {
      for (let i = 0; running() && o.replicas.length > 0; i++) {
        const r = o.replicas[i % o.replicas.length];
        paused.add(r);
        r.kill("SIGSTOP");
        stops++;
        await sleep(o.stopMs);
        r.kill("SIGCONT");
        paused.delete(r);
        if (running()) await sleep(o.gapMs);
      }
    } finally {
      resumeAll();
    }
  }

  async function writeLoop(): Promise<void> {
    const batch = o.writeBatch ?? 32;
    const every = o.writeEveryMs ?? 10;
    const value = "x".repeat(o.valueBytes ?? 1024);
    const prefix = o.keyPrefix ?? "lag:load";
    const c = await RawClient.connect(o.masterPort);
    load = c;
    try {
      for (let n = 0; running(); ) {
        const t = Date.now();
        const cmds = Array.from({ length: batch }, () => ["SET", `${prefix}:${n++ % 256}`, value]);
        const replies = await c.pipeline(cmds);
        const bad = replies.find((f) => f[0] === 0x2d);
        if (bad) throw new Error(`write load: ${show(bad)}`);
        masterWrites += batch;
        await sleep(every - (Date.now() - t));
      }
    } catch (err) {
      if (!stopping) throw err; // a batch cut short by stop() is not a failure
    } finally {
      c.close();
    }
  }

  const loops = [pauseLoop(), o.writeLoad ? writeLoop() : Promise.resolve()];
  // Rejections are collected by stop(); until then they must not count as unhandled.
  for (const l of loops) l.catch(() => {});

  return {
    stop: async () => {
      stopping = true;
      for (const w of [...wakers]) w();
      resumeAll();
      load?.close();
      try {
        const settled = await Promise.allSettled(loops);
        const failed = settled.find((s) => s.status === "rejected");
        if (failed) throw (failed as PromiseRejectedResult).reason;
        return { stops, masterWrites };
      } finally {
        resumeAll();
        process.off("exit", resumeAll);
      }
    },
  };
}
