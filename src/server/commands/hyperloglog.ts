import { HLL_DENSE, HLL_REGISTERS, HLL_SPARSE, HyperLogLog } from "../../store/hyperloglog.js";
import { MutableString } from "../../store/mutable-string.js";
import type { StoredValue } from "../../store/redis-value.js";
import { type Client, ClientFlag } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import { ERR_WRONGTYPE } from "../shared-replies.js";
import { modified } from "./helpers.js";
import {
  commitString,
  isRawString,
  lookupRawRead,
  type RawString,
  readBytes,
  writableString,
} from "./string-bytes.js";

/**
 * PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST (Redis's hyperloglog.c commands). A HyperLogLog is a
 * plain string in Redis's exact encoding (store/hyperloglog.ts); a dense one (12 KB) is kept as bytes
 * (MutableString) once touched, so PFADD and PFCOUNT change registers and the cached cardinality in
 * place instead of rebuilding the string.
 */

const ERR_INVALID_HLL = "INVALIDOBJ Corrupted HLL object detected";
const ERR_NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value.";

/** hll-sparse-max-bytes: the size past which a sparse HyperLogLog is promoted to dense. */
function sparseMaxBytes(c: Client): number {
  return c.server.config.getInt("hll-sparse-max-bytes");
}

/** Redis's isHLLObjectOrReply: the value as a valid HyperLogLog string, or null after the error. */
function hllOrReply(c: Client, v: StoredValue): RawString | null {
  if (!isRawString(v)) {
    c.reply.error(ERR_WRONGTYPE);
    return null;
  }
  if (!HyperLogLog.isValid(v)) {
    c.reply.error(ERR_NOT_HLL);
    return null;
  }
  return v;
}

/** A new key holding an empty sparse HyperLogLog (createHLLObject + dbAdd); commitString stores it. */
function createHll(c: Client, key: string): MutableString {
  const ms = writableString(c, key, undefined, 0);
  ms.write(0, HyperLogLog.EMPTY);
  return ms;
}

// ─── PFADD ───────────────────────────────────────────────────────────────────────────────────────────────

/** PFADD key [element ...]: 1 when any register changed (or the key was created), else 0. */
function pfaddCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const v = c.db.lookupRawWrite(key);
  let ms: MutableString;
  let updated = 0;
  if (v === undefined) {
    ms = createHll(c, key);
    updated++;
  } else {
    const hll = hllOrReply(c, v);
    if (hll === null) return;
    ms = writableString(c, key, hll, 0);
  }
  const maxBytes = argv.length > 2 && ms.buf[4] === HLL_SPARSE ? sparseMaxBytes(c) : 0;
  for (let j = 2; j < argv.length; j++) {
    const r = HyperLogLog.add(ms, argv[j], maxBytes);
    if (r === 1) updated++;
    else if (r === -1) {
      // Registers already raised stay raised, as in Redis (which edits the value in place too).
      commitString(c, key, ms);
      c.reply.error(ERR_INVALID_HLL);
      return;
    }
  }
  if (updated > 0) {
    HyperLogLog.invalidateCache(ms.buf);
    commitString(c, key, ms);
    modified(c, key, Notify.STRING, "pfadd", updated);
  }
  c.reply.integer(updated > 0 ? 1 : 0);
}

// ─── PFCOUNT ─────────────────────────────────────────────────────────────────────────────────────────────

/** Registers of a PFCOUNT union or a PFMERGE, one byte each. */
const registers = new Uint8Array(HLL_REGISTERS);

/**
 * Merges the HyperLogLogs at argv[from..] into `registers` (missing keys are empty). Returns whether any
 * was dense (PFMERGE's use_dense), or null after replying an error.
 */
function mergeKeys(c: Client, argv: string[], from: number): boolean | null {
  registers.fill(0);
  let anyDense = false;
  for (let j = from; j < argv.length; j++) {
    const v = lookupRawRead(c, argv[j]);
    if (v === undefined) continue;
    const hll = hllOrReply(c, v);
    if (hll === null) return null;
    const p = readBytes(hll);
    if (p[4] === HLL_DENSE) anyDense = true;
    if (!HyperLogLog.merge(registers, p, hll.length)) {
      c.reply.error(ERR_INVALID_HLL);
      return null;
    }
  }
  return anyDense;
}

/**
 * PFCOUNT key [key ...]. One key: the cached cardinality, or a fresh estimate written back into the
 * header (a change to the value: WATCH breaks, and like Redis the command is propagated so replicas and
 * the AOF hold the same bytes). Several keys: the estimate of their union, never cached.
 */
function pfcountCommand(c: Client, argv: string[]): void {
  if (argv.length > 2) {
    if (mergeKeys(c, argv, 1) === null) return;
    c.reply.integer(HyperLogLog.countRegisters(registers));
    return;
  }
  const key = argv[1];
  const v = lookupRawRead(c, key);
  if (v === undefined) {
    c.reply.integer(0);
    return;
  }
  const hll = hllOrReply(c, v);
  if (hll === null) return;
  const cached = HyperLogLog.cachedCount(hll);
  if (cached !== -1) {
    c.reply.integer(cached);
    return;
  }
  const card = HyperLogLog.count(readBytes(hll), hll.length);
  if (card < 0) {
    c.reply.error(ERR_INVALID_HLL);
    return;
  }
  c.db.lookupRawWrite(key); // the snapshot hook, before the header changes
  const ms = writableString(c, key, hll, 0);
  HyperLogLog.setCachedCount(ms.buf, card);
  commitString(c, key, ms);
  c.server.signalModifiedKey(c.db, key);
  c.server.dirty++;
  // PFCOUNT is not a write command, so call() would not propagate it; Redis does (dirty, MAY_REPLICATE).
  if (!(c.flags & ClientFlag.PREVENT_PROP)) c.server.propagator.add(c.db.id, c.argv);
  c.reply.integer(card);
}

// ─── PFMERGE ─────────────────────────────────────────────────────────────────────────────────────────────

/** PFMERGE destkey [sourcekey ...]: the destination (itself a source) gets the registers' maxima. */
function pfmergeCommand(c: Client, argv: string[]): void {
  const useDense = mergeKeys(c, argv, 1);
  if (useDense === null) return;
  const key = argv[1];
  const v = c.db.lookupRawWrite(key);
  // The destination was checked as a source: it is missing or a valid HyperLogLog.
  const ms = v === undefined ? createHll(c, key) : writableString(c, key, v as RawString, 0);
  if (useDense && !HyperLogLog.sparseToDense(ms)) {
    commitString(c, key, ms);
    c.reply.error(ERR_INVALID_HLL);
    return;
  }
  const maxBytes = sparseMaxBytes(c);
  for (let j = 0; j < HLL_REGISTERS; j++) {
    if (registers[j] !== 0) HyperLogLog.set(ms, j, registers[j], maxBytes);
  }
  HyperLogLog.invalidateCache(ms.buf);
  commitString(c, key, ms);
  // A PFADD event: in theory a mass-add of elements (as Redis says).
  modified(c, key, Notify.STRING, "pfadd");
  c.reply.ok();
}

// ─── PFDEBUG / PFSELFTEST ────────────────────────────────────────────────────────────────────────────────

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key — the key is checked before the subcommand, as in Redis. */
function pfdebugCommand(c: Client, argv: string[]): void {
  const cmd = argv[1];
  const key = argv[2];
  const v = c.db.lookupRawWrite(key);
  if (v === undefined) {
    c.reply.error("ERR The specified key does not exist");
    return;
  }
  const hll = hllOrReply(c, v);
  if (hll === null) return;
  const sub = cmd.toLowerCase();
  const known = sub === "getreg" || sub === "decode" || sub === "encoding" || sub === "todense";
  if (!known) {
    c.reply.error(`ERR Unknown PFDEBUG subcommand '${cmd}'`);
    return;
  }
  if (argv.length !== 3) {
    c.reply.error(`ERR Wrong number of arguments for the '${cmd}' subcommand`);
    return;
  }
  const encoding = typeof hll === "string" ? hll.charCodeAt(4) : hll.buf[4];
  if (sub === "encoding") {
    c.reply.simple(encoding === HLL_DENSE ? "dense" : "sparse");
    return;
  }
  if (sub === "decode") {
    if (encoding !== HLL_SPARSE) {
      c.reply.error("ERR HLL encoding is not sparse");
      return;
    }
    c.reply.bulk(HyperLogLog.decode(readBytes(hll), hll.length));
    return;
  }
  // GETREG and TODENSE turn a sparse value dense (propagated: replicas convert too).
  let converted = false;
  let p: Buffer;
  if (encoding === HLL_SPARSE) {
    const ms = writableString(c, key, hll, 0);
    if (!HyperLogLog.sparseToDense(ms)) {
      c.reply.error(ERR_INVALID_HLL);
      return;
    }
    commitString(c, key, ms);
    converted = true;
    c.server.dirty++;
    p = ms.buf;
  } else p = readBytes(hll);
  if (sub === "todense") {
    c.reply.integer(converted ? 1 : 0);
    return;
  }
  c.reply.arrayHeader(HLL_REGISTERS);
  for (let j = 0; j < HLL_REGISTERS; j++) c.reply.integer(HyperLogLog.register(p, j));
}

/**
 * PFSELFTEST: Redis's self-test of the register packing and of the estimator's error, dense and sparse
 * side by side over 10 million elements (it blocks the server for a few seconds, as in Redis).
 */
function pfselftestCommand(c: Client, _argv: string[]): void {
  const dense = Buffer.alloc(HLL_DENSE_BYTES + 1);
  const bytecounters = new Uint8Array(HLL_REGISTERS);
  for (let j = 0; j < 1000; j++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = Math.floor(Math.random() * 64);
      bytecounters[i] = r;
      setRegister(dense, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const val = HyperLogLog.register(dense, i);
      if (val !== bytecounters[i]) {
        c.reply.error(`TESTFAILED Register ${i} should be ${bytecounters[i]} but is ${val}`);
        return;
      }
    }
  }

  dense.fill(0);
  dense.write("HYLL", 0, "latin1");
  const sparse = writableScratch();
  const maxBytes = sparseMaxBytes(c);
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  let checkpoint = 1;
  // Elements are the 8 bytes of j ^ seed (j < 2^32 only touches the low half).
  const seedLo = Math.floor(Math.random() * 2 ** 32);
  const seedHi = Math.floor(Math.random() * 2 ** 32);
  const denseMs = new MutableString(dense, HLL_DENSE_BYTES);
  for (let j = 1; j <= 10_000_000; j++) {
    const lo = (j ^ seedLo) >>> 0;
    HyperLogLog.addU64(denseMs, seedHi, lo, maxBytes);
    HyperLogLog.addU64(sparse, seedHi, lo, maxBytes);
    if (j !== checkpoint) continue;
    if (j < Math.floor(maxBytes / 2) && sparse.buf[4] !== HLL_SPARSE) {
      c.reply.error("TESTFAILED sparse encoding not used");
      return;
    }
    const denseCount = HyperLogLog.count(dense, HLL_DENSE_BYTES);
    if (denseCount !== HyperLogLog.count(sparse.buf, sparse.length)) {
      c.reply.error("TESTFAILED dense/sparse disagree");
      return;
    }
    const abserr = Math.abs(checkpoint - denseCount);
    const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
    if (abserr > maxerr) {
      c.reply.error(`TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`);
      return;
    }
    checkpoint *= 10;
  }
  c.reply.ok();
}

const HLL_DENSE_BYTES = 16 + (HLL_REGISTERS * 6) / 8;

/** Sets a dense register directly (PFSELFTEST's packing test, any value 0..63). */
function setRegister(p: Buffer, reg: number, val: number): void {
  const bit = reg * 6;
  const byte = 16 + (bit >> 3);
  const fb = bit & 7;
  p[byte] = (p[byte] & ~(63 << fb)) | (val << fb);
  p[byte + 1] = (p[byte + 1] & ~(63 >> (8 - fb))) | (val >> (8 - fb));
}

/** A private empty sparse HyperLogLog for PFSELFTEST (not stored under any key). */
function writableScratch(): MutableString {
  const buf = Buffer.alloc(HLL_DENSE_BYTES + 8);
  buf.write(HyperLogLog.EMPTY, 0, "latin1");
  return new MutableString(buf, HyperLogLog.EMPTY.length);
}

export const hyperloglogCommands: CommandDef[] = [
  { name: "pfadd", handler: pfaddCommand },
  { name: "pfcount", handler: pfcountCommand },
  { name: "pfmerge", handler: pfmergeCommand },
  { name: "pfdebug", handler: pfdebugCommand },
  { name: "pfselftest", handler: pfselftestCommand },
];
