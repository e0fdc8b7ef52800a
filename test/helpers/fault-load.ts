import { RawClient } from "./raw-client.js";
import { waitFor } from "./wait-for.js";

/**
 * Fault scenarios: a mixed load through the proxy, and a check that master and replicas hold the same data.
 *
 * The load runs `clients` closed loops (one request at a time each, on its own connection), bounded by
 * `maxOps` per client and `maxMs` of wall time. Each client writes only its own keys (`<prefix>:<c>:…`), so
 * what it was told is exactly what the master must hold: every acknowledged SET is remembered (key →
 * value, with the values it sent after that one whose fate is unknown), every acknowledged INCR (the
 * counter must be at least that). Writes also touch hashes, lists, sets, sorted sets and keys with a
 * TTL, so the data comparison sees every type. Every error reply is counted by its code (`-ERR …` → ERR),
 * reads and writes apart; a request unanswered after `requestTimeoutMs` counts as TIMEOUT and ends that
 * client (its connection is in an unknown state), a lost connection as CONN (same).
 */

export interface FaultLoadOptions {
  port: number;
  clients: number;
  /** Per client: stop after this many requests. */
  maxOps: number;
  /** Stop every client after this long (also when stop() is never called). */
  maxMs: number;
  /** Out of 10 requests, how many are writes (default 5). */
  writesPerTen?: number;
  keyPrefix?: string;
  /** String keys per client (default 64): SETs cycle over them. */
  keysPerClient?: number;
  requestTimeoutMs?: number;
  /** Pause after an error reply, so a client does not spin on a dead backend (default 10 ms). */
  pauseAfterErrorMs?: number;
}

export interface FaultLoadResult {
  writesOk: number;
  readsOk: number;
  /** Error replies (and TIMEOUT / CONN) by code. */
  writeErrors: Map<string, number>;
  readErrors: Map<string, number>;
  /** The first error of each kind, whole, for messages. */
  firstWriteError: string;
  firstReadError: string;
  /** The slowest error reply to a write (how fast writes fail). */
  maxWriteErrorMs: number;
  /** The slowest successful read (a read held by a stopped backend until the proxy moves it). */
  maxReadMs: number;
  /**
   * Acknowledged SETs: key → the sequence number of the value acknowledged last. Values are
   * `<client>:<n>[:ttl]` with n growing per client, so a key may hold that value or a later one (a write
   * in flight, or one whose reply was an error) — never an older one, never none.
   */
  acked: Map<string, number>;
  /** Acknowledged INCRs: counter key → the highest value returned. */
  counters: Map<string, number>;
  ms: number;
}

export interface FaultLoad {
  /** Live figures (the same object the result is). */
  readonly result: FaultLoadResult;
  /** Ends the loops (they finish the request in flight) and resolves with the result. */
  stop(): Promise<FaultLoadResult>;
  /** Resolves with Date.now() at the reply of the first successful write sent after `t`. */
  firstWriteOkSentAfter(t: number): Promise<number>;
  /** Resolves once `n` more writes and `n` more reads succeeded than when called. */
  progress(n: number, timeoutMs?: number): Promise<void>;
}

const code = (reply: string): string => reply.slice(1).split(/[ \r]/)[0] || "?";

export function startFaultLoad(o: FaultLoadOptions): FaultLoad {
  const prefix = o.keyPrefix ?? "fl";
  const keys = o.keysPerClient ?? 64;
  const writesPerTen = o.writesPerTen ?? 5;
  const timeoutMs = o.requestTimeoutMs ?? 5000;
  const pause = o.pauseAfterErrorMs ?? 10;
  const t0 = Date.now();
  const deadline = t0 + o.maxMs;
  let stopping = false;
  const r: FaultLoadResult = {
    writesOk: 0,
    readsOk: 0,
    writeErrors: new Map(),
    readErrors: new Map(),
    firstWriteError: "",
    firstReadError: "",
    maxWriteErrorMs: 0,
    maxReadMs: 0,
    acked: new Map(),
    counters: new Map(),
    ms: 0,
  };
  const watchers: { after: number; resolve: (t: number) => void }[] = [];
  const conns = new Set<RawClient>();

  const countError = (write: boolean, reply: string): void => {
    const m = write ? r.writeErrors : r.readErrors;
    const k = code(reply);
    m.set(k, (m.get(k) ?? 0) + 1);
    if (write && r.firstWriteError === "") r.firstWriteError = reply.trim();
    if (!write && r.firstReadError === "") r.firstReadError = reply.trim();
  };

  /** One request with a bound: its reply text, "-TIMEOUT …" or "-CONN …". */
  const send = (c: RawClient, argv: string[]): Promise<string> =>
    new Promise((resolve) => {
      const t = setTimeout(() => resolve(`-TIMEOUT no reply in ${timeoutMs} ms to ${argv[0]}`), timeoutMs);
      c.text(...argv).then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: Error) => {
          clearTimeout(t);
          resolve(`-CONN ${e.message}`);
        },
      );
    });

  /** The n-th request of client `ci`: [argv, isWrite, what to remember when acknowledged]. */
  function request(
    ci: number,
    n: number,
  ): { argv: string[]; write: boolean; onOk?: (reply: string) => void } {
    const base = `${prefix}:${ci}`;
    const slot = Math.floor(n / 10);
    const write = n % 10 < writesPerTen;
    if (write) {
      const key = `${base}:s:${slot % keys}`;
      switch (slot % 8) {
        case 1:
          return {
            argv: ["INCR", `${base}:ctr`],
            write,
            onOk: (reply) => r.counters.set(`${base}:ctr`, Number(reply.slice(1))),
          };
        case 2:
          return { argv: ["HSET", `${base}:h:${slot % 4}`, `f${slot % 16}`, String(n)], write };
        case 3:
          // Lists stay bounded: RPUSH, and every 64th list write trims.
          return slot % 64 === 3
            ? { argv: ["LTRIM", `${base}:l`, "-32", "-1"], write }
            : { argv: ["RPUSH", `${base}:l`, String(n)], write };
        case 4:
          return { argv: ["SADD", `${base}:set`, String(slot % 50)], write };
        case 5:
          return { argv: ["ZADD", `${base}:z`, String(n % 97), `m${slot % 40}`], write };
        case 6: {
          // A long TTL (no key expires during a run: the comparison would race with expiry).
          const value = `${ci}:${n}:ttl`;
          return { argv: ["SET", key, value, "EX", "3600"], write, onOk: () => r.acked.set(key, n) };
        }
        default: {
          const value = `${ci}:${n}`;
          return { argv: ["SET", key, value], write, onOk: () => r.acked.set(key, n) };
        }
      }
    }
    switch (slot % 4) {
      case 1:
        return { argv: ["HGETALL", `${base}:h:${slot % 4}`], write };
      case 2:
        return { argv: ["LRANGE", `${base}:l`, "0", "9"], write };
      case 3:
        return { argv: ["ZRANGE", `${base}:z`, "0", "-1", "WITHSCORES"], write };
      default:
        return { argv: ["GET", `${base}:s:${slot % keys}`], write };
    }
  }

  let running = 0;

  async function loop(ci: number): Promise<void> {
    const c = await RawClient.connect(o.port);
    conns.add(c);
    running++;
    try {
      for (let n = 0; n < o.maxOps && !stopping && Date.now() < deadline; n++) {
        const q = request(ci, n);
        const sentAt = Date.now();
        const reply = await send(c, q.argv);
        if (reply.startsWith("-")) {
          countError(q.write, reply);
          if (q.write) {
            r.maxWriteErrorMs = Math.max(r.maxWriteErrorMs, Date.now() - sentAt);
          }
          if (reply.startsWith("-TIMEOUT") || reply.startsWith("-CONN")) return;
          await new Promise((res) => setTimeout(res, pause));
          continue;
        }
        if (!q.write) {
          r.readsOk++;
          r.maxReadMs = Math.max(r.maxReadMs, Date.now() - sentAt);
          continue;
        }
        r.writesOk++;
        q.onOk?.(reply);
        for (let i = watchers.length - 1; i >= 0; i--) {
          if (sentAt > watchers[i].after) {
            watchers[i].resolve(Date.now());
            watchers.splice(i, 1);
          }
        }
      }
    } finally {
      running--;
      c.close();
      conns.delete(c);
    }
  }

  const loops = Promise.all(Array.from({ length: o.clients }, (_, i) => loop(i)));
  const done = loops.then(() => {
    r.ms = Date.now() - t0;
    return r;
  });

  return {
    result: r,
    stop: () => {
      stopping = true;
      return done;
    },
    firstWriteOkSentAfter: (t) => new Promise((resolve) => watchers.push({ after: t, resolve })),
    progress: async (n, timeout = 10_000) => {
      const w = r.writesOk + n;
      const rd = r.readsOk + n;
      await waitFor(
        `${n} more writes and reads through the load`,
        () => {
          if (r.writesOk >= w && r.readsOk >= rd) return true;
          throw new Error(
            `${r.writesOk - w + n} writes, ${r.readsOk - rd + n} reads so far; ${running} clients running; ` +
              `write errors ${formatErrors(r.writeErrors)} ${r.firstWriteError}; read errors ${formatErrors(r.readErrors)} ${r.firstReadError}`,
          );
        },
        { timeoutMs: timeout },
      );
    },
  };
}

/** "ERR 3, TIMEOUT 1" or "none". */
export function formatErrors(m: Map<string, number>): string {
  return [...m].map(([k, v]) => `${k} ${v}`).join(", ") || "none";
}

export function errorCount(m: Map<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}

/**
 * Reads every acknowledged write back from `c` (the master), also while the load runs: a SET key must
 * hold the value acknowledged last or a later one of the same client; an INCR counter at least the value
 * returned. Returns the keys that fail, with what was found.
 */
export async function lostWrites(c: RawClient, r: FaultLoadResult): Promise<string[]> {
  const lost: string[] = [];
  const sets = [...r.acked];
  for (let i = 0; i < sets.length; i += 500) {
    const batch = sets.slice(i, i + 500);
    const vals = (await c.call("MGET", ...batch.map(([k]) => k))) as (Buffer | null)[];
    batch.forEach(([k, n], j) => {
      const got = vals[j]?.toString() ?? null;
      const seq = got === null ? Number.NaN : Number(got.split(":")[1]);
      if (!(seq >= n)) lost.push(`${k}: acknowledged value number ${n}, found ${got}`);
    });
  }
  for (const [k, v] of r.counters) {
    const got = Number((await c.text("GET", k)).split("\r\n")[1]);
    if (!(got >= v)) lost.push(`${k}: INCR acknowledged ${v}, found ${got}`);
  }
  return lost;
}

// ─── data comparison ──────────────────────────────────────────────────────────────────────────────────────

interface Node {
  port: number;
  client(): Promise<RawClient>;
}

async function info(c: RawClient, section: string): Promise<Map<string, string>> {
  const text = String(await c.call("INFO", section));
  const m = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && line[0] !== "#") m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** Every key of db 0..15 (SCAN) with its type, a canonical form of its value and whether it has a TTL. */
export async function scanDump(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (let db = 0; db < 16; db++) {
    await c.call("SELECT", db);
    const keys = new Set<string>();
    let cursor = "0";
    // Bounded: SCAN ends when the cursor comes back to 0; 1e6 rounds is far more than any test holds.
    for (let round = 0; round < 1_000_000; round++) {
      const [next, batch] = (await c.call("SCAN", cursor, "COUNT", 1000)) as [Buffer, Buffer[]];
      for (const k of batch) keys.add(k.toString("latin1"));
      cursor = next.toString();
      if (cursor === "0") break;
    }
    for (const k of [...keys].sort()) {
      const type = String(await c.call("TYPE", k));
      const list = async (...argv: string[]): Promise<string[]> =>
        ((await c.call(...argv)) as Buffer[]).map((b) => b.toString("latin1"));
      let value: string;
      if (type === "string") value = String(await c.call("GET", k));
      else if (type === "list") value = JSON.stringify(await list("LRANGE", k, "0", "-1"));
      else if (type === "hash") {
        const f = await list("HGETALL", k);
        const pairs: string[] = [];
        for (let i = 0; i < f.length; i += 2) pairs.push(`${f[i]}=${f[i + 1]}`);
        value = JSON.stringify(pairs.sort());
      } else if (type === "set") value = JSON.stringify((await list("SMEMBERS", k)).sort());
      else if (type === "zset") value = JSON.stringify(await list("ZRANGE", k, "0", "-1", "WITHSCORES"));
      else value = `(${type})`;
      const pttl = Number(await c.call("PTTL", k));
      out.push(`${db} ${type} ${k} ${value} ${pttl >= 0 ? "ttl" : "no-ttl"}`);
    }
  }
  await c.call("SELECT", 0);
  return out;
}

/**
 * Waits until every replica has applied all the master has (offsets equal, twice in a row: the master
 * may feed a PING), then compares the nodes' data: DEBUG DIGEST when the servers answer it (Tandem and
 * redis-server both do, each with its own hash: master and replicas are the same kind here), else a
 * full SCAN dump. On a mismatch the SCAN dumps are compared to name the first keys that differ.
 * Returns the master's key count (callers check the comparison was not of empty datasets).
 */
export async function assertSameData(master: Node, replicas: Node[], timeoutMs = 30_000): Promise<number> {
  const m = await master.client();
  const rs = await Promise.all(replicas.map((r) => r.client()));
  try {
    await waitFor(
      "every replica at the master's offset",
      async () => {
        const off = (await info(m, "replication")).get("master_repl_offset");
        for (const r of rs) {
          const ri = await info(r, "replication");
          if (ri.get("master_link_status") !== "up" || ri.get("slave_repl_offset") !== off) return false;
        }
        return (await info(m, "replication")).get("master_repl_offset") === off;
      },
      { timeoutMs },
    );
    const digest = async (c: RawClient): Promise<string> => (await c.text("DEBUG", "DIGEST")).trim();
    const md = await digest(m);
    const usable = md.startsWith("+") || md.startsWith("$");
    const differ: number[] = [];
    for (let i = 0; i < rs.length; i++) {
      if (!usable || (await digest(rs[i])) !== md) differ.push(i);
    }
    if (differ.length > 0) {
      const want = await scanDump(m);
      for (const i of differ) {
        const got = await scanDump(rs[i]);
        const wantSet = new Set(want);
        const gotSet = new Set(got);
        const missing = want.filter((l) => !gotSet.has(l));
        const extra = got.filter((l) => !wantSet.has(l));
        if (missing.length + extra.length > 0) {
          throw new Error(
            `replica ${replicas[i].port} differs from master ${master.port}: ${missing.length} master lines ` +
              `missing (first: ${missing.slice(0, 3).join(" | ")}), ${extra.length} extra (first: ${extra.slice(0, 3).join(" | ")})`,
          );
        }
        if (usable) throw new Error(`replica ${replicas[i].port}: same SCAN dump, but DEBUG DIGEST differs`);
      }
    }
    return Number(await m.call("DBSIZE"));
  } finally {
    m.close();
    for (const r of rs) r.close();
  }
}
