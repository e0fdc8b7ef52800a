import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Cmd, sameSequence } from "../helpers/diff-sequence.js";
import { seededRandom, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import { testSeed } from "../helpers/random-diff.js";
import type { RawClient } from "../helpers/raw-client.js";
import { startReplicaOf, waitLinkUp, waitOffsetsEqual } from "../helpers/replication-helpers.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * HyperLogLog differentially against Debian's redis-server 7.0: replies and errors of PFADD, PFCOUNT,
 * PFMERGE and PFDEBUG; for sets of 1 to 100,000 seeded random elements the same estimates and the same
 * bytes (sparse, dense, cached cardinality); PFMERGE of sparse and dense; corrupt values; and the value
 * itself moving between the two servers — as a plain string, through RDB files both ways and through
 * replication both ways (PFCOUNT's cache update included, which Redis propagates).
 */

/** A seeded element generator: binary-safe strings of varied length (hashing covers every tail size). */
function elements(seed: number, n: number, prefix: string): string[] {
  const rnd = seededRandom(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = Math.floor(rnd() * 24);
    let s = prefix;
    for (let k = 0; k < len; k++) s += String.fromCharCode(Math.floor(rnd() * 256));
    out.push(`${s}#${i}`);
  }
  return out;
}

/** PFADD in batches: the commands, for sameSequence (every PFADD reply is compared too). */
function pfadds(key: string, els: string[], batch = 500): Cmd[] {
  const cmds: Cmd[] = [];
  for (let i = 0; i < els.length; i += batch) cmds.push(["PFADD", key, ...els.slice(i, i + batch)]);
  return cmds;
}

/** A sparse HLL header (stale cache unless `card` is given) followed by `opcodes`. */
function sparseHll(opcodes: number[], card?: number): string {
  const head = [72, 89, 76, 76, 1, 0, 0, 0, card ?? 0, 0, 0, 0, 0, 0, 0, card === undefined ? 0x80 : 0];
  return String.fromCharCode(...head, ...opcodes);
}

describe("HyperLogLog vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
  });

  after(async () => {
    await stopDiffPair({ tandem, redis, t, r });
  });

  async function run(cmds: Cmd[]): Promise<void> {
    await sameSequence(t, r, [["FLUSHALL"], ...cmds]);
  }

  it("replies and errors of PFADD, PFCOUNT, PFMERGE", async () => {
    await run([
      ["PFADD", "h"],
      ["PFADD", "h"],
      ["GET", "h"],
      ["PFCOUNT", "h"],
      ["PFADD", "h", "a", "b", "c"],
      ["PFADD", "h", "a", "b", "c"],
      ["PFADD", "h", "a", "d"],
      ["PFCOUNT", "h"],
      ["GET", "h"],
      ["PFCOUNT", "nosuch"],
      ["PFCOUNT", "nosuch", "h", "nosuch2"],
      ["EXISTS", "nosuch"],
      ["LPUSH", "list", "x"],
      ["SET", "str", "hello"],
      ["SET", "int", "12345678901234567"],
      ["SET", "short", "HYLL"],
      ["SET", "badenc", "HYLL\x02\0\0\0\0\0\0\0\0\0\0\0"],
      ["SET", "baddense", "HYLL\x00\0\0\0\0\0\0\0\0\0\0\0xyz"],
      ...["list", "str", "int", "short", "badenc", "baddense"].flatMap((k): Cmd[] => [
        ["PFADD", k, "x"],
        ["PFADD", k],
        ["PFCOUNT", k],
        ["PFCOUNT", "h", k],
        ["PFMERGE", "dest", "h", k],
        ["PFMERGE", k, "h"],
      ]),
      ["EXISTS", "dest"],
      ["PFMERGE", "dest"],
      ["GET", "dest"],
      ["PFMERGE", "dest2", "nosuch", "h"],
      ["GET", "dest2"],
      ["PFCOUNT", "dest2"],
      ["PFMERGE", "h", "h"],
      ["GET", "h"],
      ["PFADD"],
      ["PFCOUNT"],
      ["PFMERGE"],
      ["pfadd", "H", "α", "", "\0", "\xff\xfe"],
      ["GET", "H"],
    ]);
  });

  it("PFDEBUG and PFSELFTEST", async () => {
    await run([
      ["PFADD", "h", "a", "b", "c"],
      ["PFDEBUG", "ENCODING", "h"],
      ["PFDEBUG", "DECODE", "h"],
      ["PFDEBUG", "decode", "h", "extra"],
      ["PFDEBUG", "Nope", "h"],
      ["PFDEBUG", "Nope", "nosuch"],
      ["PFDEBUG", "GETREG", "nosuch"],
      ["SET", "str", "x"],
      ["PFDEBUG", "GETREG", "str"],
      ["LPUSH", "list", "x"],
      ["PFDEBUG", "ENCODING", "list"],
      ["PFDEBUG", "GETREG", "h"],
      ["PFDEBUG", "ENCODING", "h"],
      ["PFDEBUG", "DECODE", "h"],
      ["GET", "h"],
      ["PFADD", "h2", "x", "y"],
      ["PFDEBUG", "TODENSE", "h2"],
      ["PFDEBUG", "TODENSE", "h2"],
      ["PFDEBUG", "todense", "h2", "x"],
      ["GET", "h2"],
      ["PFCOUNT", "h2"],
      ["PFDEBUG"],
      ["PFDEBUG", "GETREG"],
      ["PFSELFTEST"],
      ["PFSELFTEST", "x"],
    ]);
  });

  it("the same estimate and bytes for sets of 1 to 100,000 random elements", async () => {
    const seed = testSeed();
    console.log(`# hll element seed ${seed} (replay with TEST_SEED=${seed})`);
    await run([]);
    const sizes = [1, 2, 3, 10, 50, 100, 200, 500, 1000, 2000, 3000, 5000, 10_000, 30_000, 100_000];
    for (const n of sizes) {
      const key = `h${n}`;
      const els = elements(seed + n, n, "");
      // Each element twice (the second PFADD of a batch changes nothing), counted along the way.
      await sameSequence(t, r, [...pfadds(key, els), ["PFCOUNT", key], ...pfadds(key, els.slice(0, 1000))]);
      await sameSequence(t, r, [
        ["PFCOUNT", key],
        ["PFCOUNT", key],
        ["GET", key],
        ["PFDEBUG", "ENCODING", key],
      ]);
    }
    // Unions of sparse and dense values, cached nowhere; then merged into new and existing keys.
    await sameSequence(t, r, [
      ["PFCOUNT", "h1", "h100", "h1000"],
      ["PFCOUNT", "h10", "h100000", "h2000"],
      ["PFCOUNT", "h3000", "h5000", "h30000", "nosuch"],
      ["PFMERGE", "m-sparse", "h10", "h200", "h500"],
      ["GET", "m-sparse"],
      ["PFCOUNT", "m-sparse"],
      ["PFMERGE", "m-mixed", "h50", "h10000", "h1000"],
      ["GET", "m-mixed"],
      ["PFCOUNT", "m-mixed"],
      ["PFMERGE", "h100", "h30000"],
      ["GET", "h100"],
      ["PFCOUNT", "h100"],
      ["PFMERGE", "h100000", "h2", "h3"],
      ["GET", "h100000"],
      ["PFCOUNT", "h100000"],
      ["PFCOUNT", "m-sparse", "m-mixed", "h100", "h100000"],
    ]);
  });

  it("hll-sparse-max-bytes decides the promotion to dense", async () => {
    const els = elements(7, 400, "p");
    for (const limit of ["0", "100", "500", "1000", "20000"]) {
      await Promise.all([
        t.raw("CONFIG", "SET", "hll-sparse-max-bytes", limit),
        r.raw("CONFIG", "SET", "hll-sparse-max-bytes", limit),
      ]);
      await run([
        ["CONFIG", "GET", "hll-sparse-max-bytes"],
        ...pfadds("h", els, 37),
        ["PFDEBUG", "ENCODING", "h"],
        ["GET", "h"],
        ["PFCOUNT", "h"],
        ["PFMERGE", "m", "h"],
        ["GET", "m"],
      ]);
    }
    await Promise.all([
      t.raw("CONFIG", "SET", "hll-sparse-max-bytes", "3000"),
      r.raw("CONFIG", "SET", "hll-sparse-max-bytes", "3000"),
    ]);
  });

  it("corrupt values: INVALIDOBJ where Redis detects it, cached counts where it does not look", async () => {
    // XZERO of 100 registers only: the code covers 100 of 16384 registers.
    const short = sparseHll([0x40, 99]);
    // XZERO 16384 then one more ZERO: too many registers.
    const long = sparseHll([0x7f, 0xff, 0x00]);
    // VAL runs past the last register.
    const overrun = sparseHll([0x7f, 0xfe, 0x83]);
    // A corrupt code whose cached cardinality is valid: PFCOUNT trusts the cache.
    const cached = sparseHll([0x40, 99], 42);
    const cmds: Cmd[] = [
      ["SET", "short", short],
      ["SET", "long", long],
      ["SET", "overrun", overrun],
      ["SET", "cached", cached],
      ["PFADD", "ok", "x"],
    ];
    for (const k of ["short", "long", "overrun", "cached"]) {
      cmds.push(
        ["PFCOUNT", k],
        ["PFCOUNT", k, "ok"],
        ["PFMERGE", "dest", "ok", k],
        ["PFDEBUG", "TODENSE", k],
        ["PFDEBUG", "GETREG", k],
        ["PFDEBUG", "DECODE", k],
        ["GET", k],
      );
    }
    // PFADD finds a register outside the short code (an error) after raising ones inside it.
    cmds.push(["PFADD", "short", ...elements(3, 50, "c")], ["GET", "short"]);
    cmds.push(["PFADD", "long", ...elements(4, 50, "c")], ["GET", "long"]);
    cmds.push(["PFADD", "overrun", ...elements(5, 50, "c")], ["GET", "overrun"]);
    cmds.push(["EXISTS", "dest"]);
    await run(cmds);
  });

  it("a HyperLogLog moves between the servers as a plain string and counts the same", async () => {
    await run([]);
    const setup: Cmd[] = [
      ...pfadds("sparse", elements(11, 300, "s")),
      ...pfadds("dense", elements(12, 20_000, "d")),
      ["PFCOUNT", "sparse"],
    ];
    await sameSequence(t, r, setup);
    for (const [from, to] of [
      [r, t],
      [t, r],
    ] as const) {
      for (const k of ["sparse", "dense"]) {
        const bytes = (await from.raw("GET", k)).toString("latin1");
        const value = bytes.slice(bytes.indexOf("\r\n") + 2, -2);
        await to.raw("SET", `copy-${k}`, value);
        await from.raw("SET", `copy-${k}`, value);
      }
      const more = elements(13, 2000, "m");
      await sameSequence(t, r, [
        ["PFCOUNT", "copy-sparse"],
        ["PFCOUNT", "copy-dense"],
        ["PFCOUNT", "copy-sparse", "copy-dense"],
        ...pfadds("copy-sparse", more),
        ...pfadds("copy-dense", more),
        ["GET", "copy-sparse"],
        ["GET", "copy-dense"],
        ["PFCOUNT", "copy-sparse"],
        ["PFCOUNT", "copy-dense"],
      ]);
    }
  });

  it("RDB files both ways: values, encodings and counts survive", async () => {
    const seed = 99;
    const build: Cmd[] = [
      ["FLUSHALL"],
      ...pfadds("sparse", elements(seed, 200, "s")),
      ...pfadds("dense", elements(seed + 1, 50_000, "d")),
      ["PFCOUNT", "dense"],
      ...pfadds("stale", elements(seed + 2, 5000, "x")),
      ["SETBIT", "bitmap", "80000", "1"],
      ["SETRANGE", "bitmap", "5000", "in place"],
    ];
    const keys = ["sparse", "dense", "stale", "bitmap"];
    const read: Cmd[] = keys.map((k) => ["GET", k]);
    const after: Cmd[] = [
      ...keys.slice(0, 3).map((k): Cmd => ["PFCOUNT", k]),
      ...pfadds("dense", elements(seed + 3, 100, "y")),
      ["GET", "dense"],
    ];
    for (const source of ["redis", "tandem"] as const) {
      const from = source === "redis" ? r : t;
      await from.pipeline(build);
      assert.equal((await from.text("SAVE")).trim(), "+OK");
      const dir = mkdtempSync(join(tmpdir(), "hll-rdb-"));
      copyFileSync(join(source === "redis" ? redis.dir : tandem.dir, "dump.rdb"), join(dir, "dump.rdb"));
      const loaded = source === "redis" ? await startTandem({ dir }) : await startRedis({ dir });
      const lc = await loaded.client();
      try {
        const [a, b] = await Promise.all([from.pipeline(read), lc.pipeline(read)]);
        for (let i = 0; i < keys.length; i++) {
          assert.equal(
            b[i].toString("latin1"),
            a[i].toString("latin1"),
            `${keys[i]} loaded from ${source}'s RDB`,
          );
        }
        await sameSequence(from, lc, after);
      } finally {
        lc.close();
        await loaded.stop();
      }
    }
  });

  it("replication both ways: PFADD, PFMERGE, PFDEBUG and PFCOUNT's cache update reach the replica", async () => {
    const ops: Cmd[] = [
      ["FLUSHALL"],
      ...pfadds("a", elements(21, 150, "a")),
      ...pfadds("b", elements(22, 8000, "b")),
      ["PFCOUNT", "a"],
      ["PFCOUNT", "b"],
      ["PFMERGE", "c", "a", "b"],
      ["PFADD", "d", "x", "y"],
      ["PFDEBUG", "TODENSE", "d"],
      ["PFCOUNT", "c", "d"],
      ["PFCOUNT", "c"],
      ["SETBIT", "bits", "20000", "1"],
      ["BITFIELD", "bits", "INCRBY", "i64", "#10", "-5", "SET", "u8", "#3", "200"],
    ];
    const keys = ["a", "b", "c", "d", "bits"];
    for (const masterKind of ["redis", "tandem"] as const) {
      const master = masterKind === "redis" ? await startRedis() : await startTandem();
      const replicaArgs = ["--replicaof", "127.0.0.1", String(master.port)];
      const replica =
        masterKind === "redis" ? await startReplicaOf(master) : await startRedis({ args: replicaArgs });
      const m = await master.client();
      const rc = await replica.client();
      try {
        await waitLinkUp(rc);
        await m.pipeline(ops);
        await waitOffsetsEqual(m, [rc]);
        for (const k of keys) {
          const [mv, rv] = await Promise.all([m.raw("GET", k), rc.raw("GET", k)]);
          assert.equal(
            rv.toString("latin1"),
            mv.toString("latin1"),
            `${k} on a ${masterKind} master's replica`,
          );
        }
        // The replica's cached cardinalities are valid, as the master's: PFCOUNT answers from them.
        await waitFor(
          "replica count",
          async () => (await rc.text("PFCOUNT", "a")) === (await m.text("PFCOUNT", "a")),
        );
      } finally {
        m.close();
        rc.close();
        await replica.stop();
        await master.stop();
      }
    }
  });
});
