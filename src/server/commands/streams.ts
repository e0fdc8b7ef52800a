import { ReplyWriter } from "../../resp/reply-writer.js";
import type { Database } from "../../store/database.js";
import type { Listpack } from "../../store/listpack.js";
import {
  type I64,
  incrI64,
  RedisStream,
  SCG_INVALID_ENTRIES_READ,
  STREAM_ITEM_FLAG_SAMEFIELDS,
  type StreamCG,
  StreamConsumer,
  StreamIterator,
  type StreamNACK,
  type StreamNode,
  type TrimArgs,
} from "../../store/redis-stream.js";
import type { RedisValue } from "../../store/redis-value.js";
import {
  compareId,
  decrId,
  formatId,
  incrId,
  MAX_ID,
  parseStreamId,
  type StreamID,
  U64_MAX,
} from "../../store/stream-id.js";
import { eqi, getExactLongLongOrReply, parseInt64 } from "../arguments.js";
import { blockingDenied } from "../blocking.js";
import { type Client, ClientFlag } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import type { Server } from "../server.js";
import {
  ERR_COUNT_GT_ZERO,
  ERR_NO_SUCH_KEY,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_TIMEOUT_INVALID,
  ERR_TIMEOUT_NEGATIVE,
  ERR_WRONGTYPE,
  errSubcommandSyntax,
  errWrongArity,
} from "../shared-replies.js";
import { lookupRead, modified, rewriteCommandVector } from "./helpers.js";

/**
 * Streams (Redis 7.0's t_stream.c): XADD, XRANGE/XREVRANGE, XLEN, XDEL, XTRIM, XREAD, consumer groups
 * (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM), XINFO and XSETID, with Redis's replies, error
 * texts and argument-parsing order. The value type is src/store/redis-stream.ts.
 *
 * Propagation follows Redis: XADD with `*`, `<ms>-*` or an approximate trim is rewritten to the ID it
 * produced and an exact `MAXLEN =`/`MINID =`; XREADGROUP, XCLAIM and XAUTOCLAIM do not propagate
 * themselves but one `XCLAIM ... FORCE JUSTID LASTID` per PEL change (streamPropagateXCLAIM), `XGROUP SETID
 * ... ENTRIESREAD` for NOACK reads and `XGROUP CREATECONSUMER` for consumers created by NOACK reads, so a
 * replica (or the AOF) rebuilds the same groups. XREAD/XREADGROUP BLOCK use src/server/blocking.ts.
 */

// ─── fixed texts ───────────────────────────────────────────────────────────────────────────────────────

const ERR_INVALID_ID = "ERR Invalid stream ID specified as stream command argument";
const ERR_XADD_EQUAL_OR_SMALLER =
  "ERR The ID specified in XADD is equal or smaller than the target stream top item";
const ERR_XADD_ZERO = "ERR The ID specified in XADD must be greater than 0-0";
const ERR_EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items";
const ERR_TOO_LARGE = "ERR Elements are too large to be stored";
const ERR_INVALID_START = "ERR invalid start ID for the interval";
const ERR_INVALID_END = "ERR invalid end ID for the interval";
const ERR_MAXLEN_MINID = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";

// ─── per-server settings and scratch space ─────────────────────────────────────────────────────────────

interface StreamSettings {
  nodeMaxBytes: number;
  nodeMaxEntries: number;
  /** Builds replies whose length is known only at the end (Redis's deferred lengths). */
  scratch: ReplyWriter;
}

const settingsOf = new WeakMap<Server, StreamSettings>();

function settings(server: Server): StreamSettings {
  let st = settingsOf.get(server);
  if (st === undefined) {
    const created: StreamSettings = { nodeMaxBytes: 4096, nodeMaxEntries: 100, scratch: new ReplyWriter() };
    server.config.onChange("stream-node-max-bytes", (v) => (created.nodeMaxBytes = Number(v)));
    server.config.onChange("stream-node-max-entries", (v) => (created.nodeMaxEntries = Number(v)));
    settingsOf.set(server, created);
    st = created;
  }
  return st;
}

// ─── small helpers ─────────────────────────────────────────────────────────────────────────────────────

const isStream = (v: RedisValue | undefined): v is RedisStream => v instanceof RedisStream;

/** checkType for streams: replies WRONGTYPE and returns true when `v` exists and is not a stream. */
function notStream(c: Client, v: RedisValue | undefined): boolean {
  if (v !== undefined && !(v instanceof RedisStream)) {
    c.reply.error(ERR_WRONGTYPE);
    return true;
  }
  return false;
}

/**
 * signalModifiedKey for the commands that only remove entries (XDEL, XTRIM): WATCH sees the change, but
 * blocked readers are not looked at again, as in Redis, where only XADD and the key's creation, deletion
 * or replacement wake them (a reader woken by a removal could be answered an empty list of entries).
 */
function touchWatched(c: Client, key: string): void {
  if (c.server.watches.size !== 0) c.server.watches.touch(c.db, key);
}

/** Redis's mustObeyClient: the master's link and the AOF replay are never refused over limits. */
function mustObey(c: Client): boolean {
  return (c.flags & (ClientFlag.MASTER | ClientFlag.AOF)) !== 0;
}

/** getLongLongFromObjectOrReply as a bigint (stream IDs and times need the exact int64), or null after `message`. */
function longLong(c: Client, s: string, message = ERR_NOT_INTEGER): bigint | null {
  const v = getExactLongLongOrReply(c, s, message);
  return v === null ? null : BigInt(v);
}

/** A long long as a JS number where exactness does not matter (counts, limits, times: clamped uses). */
const num = (v: bigint): number => Number(v);

function parseIdOrReply(
  c: Client,
  arg: string,
  missingSeq: number | bigint,
  strict: boolean,
): StreamID | null {
  const p = parseStreamId(arg, missingSeq, strict);
  if (p === null) {
    c.reply.error(ERR_INVALID_ID);
    return null;
  }
  return p.id;
}

/** streamParseIntervalIDOrReply: "(" makes the bound exclusive (and strict: "(-" is invalid). */
function parseIntervalOrReply(
  c: Client,
  arg: string,
  missingSeq: number | bigint,
): { id: StreamID; exclude: boolean } | null {
  const exclude = arg.length > 1 && arg.charCodeAt(0) === 40;
  const id = exclude
    ? parseIdOrReply(c, arg.slice(1), missingSeq, true)
    : parseIdOrReply(c, arg, missingSeq, false);
  return id === null ? null : { id, exclude };
}

/** Parses [start, end] with "(" exclusions applied; null after replying. */
function parseRangeOrReply(
  c: Client,
  startArg: string,
  endArg: string,
): { start: StreamID; end: StreamID } | null {
  const s = parseIntervalOrReply(c, startArg, 0);
  if (s === null) return null;
  let start = s.id;
  if (s.exclude) {
    const r = incrId(start);
    if (r.wrapped) {
      c.reply.error(ERR_INVALID_START);
      return null;
    }
    start = r.id;
  }
  const e = parseIntervalOrReply(c, endArg, U64_MAX);
  if (e === null) return null;
  let end = e.id;
  if (e.exclude) {
    const r = decrId(end);
    if (r.wrapped) {
      c.reply.error(ERR_INVALID_END);
      return null;
    }
    end = r.id;
  }
  return { start, end };
}

function replyId(w: ReplyWriter, id: StreamID): void {
  w.bulk(formatId(id));
}

/** addReplyHelp: the command's usage line, the lines, then HELP itself. */
function replyHelp(c: Client, argv: string[], lines: readonly string[]): void {
  c.reply.arrayHeader(lines.length + 3);
  c.reply.simple(`${argv[0].toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const l of lines) c.reply.simple(l);
  c.reply.simple("HELP");
  c.reply.simple("    Prints this help.");
}

/** Appends what `scratch` holds to the client's reply. */
function flushScratch(c: Client, scratch: ReplyWriter): void {
  for (const chunk of scratch.takeChunks()) c.reply.rawBuffer(chunk);
}

// ─── consumers (streamLookupConsumer / streamCreateConsumer) ───────────────────────────────────────────

function lookupConsumer(cg: StreamCG, name: string, refresh: boolean): StreamConsumer | undefined {
  const consumer = cg.consumers.get(name);
  if (consumer !== undefined && refresh) consumer.seenTime = Date.now();
  return consumer;
}

/** Creates a consumer (dirty++ and the xgroup-createconsumer event, as SCC_DEFAULT); null when it exists. */
function createConsumer(
  c: Client,
  cg: StreamCG,
  name: string,
  key: string,
  db: Database,
): StreamConsumer | null {
  if (cg.consumers.has(name)) return null;
  const consumer = new StreamConsumer(name, Date.now());
  cg.addConsumer(consumer);
  c.server.dirty++;
  c.server.notifyKeyspaceEvent(Notify.STREAM, "xgroup-createconsumer", key, db.id);
  return consumer;
}

// ─── propagation helpers (streamPropagateXCLAIM & co.) ─────────────────────────────────────────────────

function propagateXclaim(
  c: Client,
  db: Database,
  key: string,
  groupName: string,
  cg: StreamCG,
  id: string,
  nack: StreamNACK,
): void {
  c.server.propagator.add(db.id, [
    "XCLAIM",
    key,
    groupName,
    (nack.consumer as StreamConsumer).name,
    "0",
    id,
    "TIME",
    String(nack.deliveryTime),
    "RETRYCOUNT",
    String(nack.deliveryCount),
    "FORCE",
    "JUSTID",
    "LASTID",
    formatId(cg.lastId),
  ]);
}

function propagateGroupId(c: Client, db: Database, key: string, groupName: string, cg: StreamCG): void {
  c.server.propagator.add(db.id, [
    "XGROUP",
    "SETID",
    key,
    groupName,
    formatId(cg.lastId),
    "ENTRIESREAD",
    String(cg.entriesRead),
  ]);
}

function propagateConsumerCreation(
  c: Client,
  db: Database,
  key: string,
  groupName: string,
  consumer: string,
): void {
  c.server.propagator.add(db.id, ["XGROUP", "CREATECONSUMER", key, groupName, consumer]);
}

// ─── emitting ranges (streamReplyWithRange) ────────────────────────────────────────────────────────────

const RWR_NOACK = 1;
const RWR_RAWENTRIES = 2;
const RWR_HISTORY = 4;

interface GroupContext {
  cg: StreamCG;
  consumer: StreamConsumer;
  /** Where to propagate the PEL changes (null: no propagation). */
  key: string;
  groupName: string;
  db: Database;
}

/**
 * Writes entries between start and end (inclusive) into `w`, at most `count` (0: all), as an array unless
 * RWR_RAWENTRIES. With a group, delivers them to the consumer: the group's last ID and read counter
 * advance, PEL entries are created or reassigned, and each change is propagated. Returns how many entries
 * it emitted.
 */
function replyWithRange(
  c: Client,
  w: ReplyWriter,
  s: RedisStream,
  start: StreamID | null,
  end: StreamID | null,
  count: number,
  rev: boolean,
  group: GroupContext | null,
  flags: number,
): number {
  if (group !== null && flags & RWR_HISTORY) {
    return replyWithRangeFromConsumerPEL(w, s, start as StreamID, count, group.consumer);
  }
  const noack = (flags & RWR_NOACK) !== 0;
  const raw = (flags & RWR_RAWENTRIES) !== 0;
  const it = new StreamIterator(s, start, end, rev);
  // Entries go straight from the listpack into the reply; the array's length is filled in at the end.
  const lengthToken = raw ? 0 : w.deferLength();
  let n = 0;
  let propagateLastId = false;
  const now = group === null ? 0 : Date.now();
  while (it.next()) {
    writeCurrentEntry(w, it);
    if (group !== null) {
      const id: StreamID = { ms: it.ms, seq: it.seq };
      const cg = group.cg;
      if (compareId(id, cg.lastId) > 0) {
        if (cg.entriesRead !== SCG_INVALID_ENTRIES_READ && !s.rangeHasTombstones(id, null)) {
          cg.entriesRead = incrI64(cg.entriesRead);
        } else if (s.entriesAdded !== 0) {
          cg.entriesRead = s.estimateDistanceFromFirstEverEntry(id);
        }
        cg.lastId = id;
        if (noack) propagateLastId = true;
      }
      if (!noack) {
        const consumer = group.consumer;
        let nack: StreamNACK = { deliveryTime: now, deliveryCount: 1, consumer };
        if (cg.pel.insert(id, nack)) {
          consumer.pel.set(id, nack);
        } else {
          // Already pending (XGROUP SETID moved the group back): the entry now belongs to this consumer.
          nack = cg.pel.get(id) as StreamNACK;
          (nack.consumer as StreamConsumer).pel.delete(id);
          nack.consumer = consumer;
          nack.deliveryTime = now;
          nack.deliveryCount = 1;
          consumer.pel.set(id, nack);
        }
        propagateXclaim(c, group.db, group.key, group.groupName, cg, formatId(id), nack);
      }
    }
    if (++n === count) break;
  }
  if (group !== null && propagateLastId) propagateGroupId(c, group.db, group.key, group.groupName, group.cg);
  if (!raw) w.setDeferredArray(lengthToken, n);
  return n;
}

/**
 * The iterator's current entry as RESP, [id, [field, value, ...]] (the same in RESP2 and RESP3), its
 * bytes copied from the listpack: no strings or arrays are made per entry.
 */
function writeCurrentEntry(w: ReplyWriter, it: StreamIterator): void {
  const node = it.node as StreamNode;
  const lp = node.lp;
  const n = it.numFields;
  w.arrayHeader(2);
  w.bulkIdPair(it.ms, it.seq);
  w.arrayHeader(n * 2);
  let p = it.dataPos;
  if (it.flags & STREAM_ITEM_FLAG_SAMEFIELDS) {
    const mf = node.masterFields;
    for (let i = 0; i < n; i++) {
      w.bulk(mf[i]);
      writeElement(w, lp, p);
      p = lp.next(p);
    }
  } else {
    for (let i = 0; i < 2 * n; i++) {
      writeElement(w, lp, p);
      p = lp.next(p);
    }
  }
}

/** A listpack element as a bulk string: its bytes, or an integer's decimal text. */
function writeElement(w: ReplyWriter, lp: Listpack, p: number): void {
  const at = lp.stringStart(p);
  if (at >= 0) w.bulkBytes(lp.buf, at, lp.stringLength(p));
  else w.bulkInteger(lp.getInt(p));
}

/** One entry by ID, as an [id, fields] pair; false when it does not exist. */
function writeEntryById(w: ReplyWriter, s: RedisStream, id: StreamID): boolean {
  const it = new StreamIterator(s, id, id, false);
  if (!it.next()) return false;
  writeCurrentEntry(w, it);
  return true;
}

/**
 * XREADGROUP with an ID other than ">": the consumer's own pending entries from `start`, each re-read
 * from the stream (an entry deleted meanwhile is [id, nil]); their delivery time and count advance.
 */
function replyWithRangeFromConsumerPEL(
  w: ReplyWriter,
  s: RedisStream,
  start: StreamID,
  count: number,
  consumer: StreamConsumer,
): number {
  const picked: [StreamID, StreamNACK][] = [];
  for (const e of consumer.pel.entries(start)) {
    if (count && picked.length >= count) break;
    picked.push(e);
  }
  w.arrayHeader(picked.length);
  const now = Date.now();
  for (const [id, nack] of picked) {
    if (writeEntryById(w, s, id)) {
      nack.deliveryTime = now;
      nack.deliveryCount = incrI64(nack.deliveryCount);
    } else {
      w.arrayHeader(2);
      replyId(w, id);
      w.nullArray();
    }
  }
  return picked.length;
}

// ─── XADD / XTRIM arguments (streamParseAddOrTrimArgsOrReply) ──────────────────────────────────────────

interface AddTrimArgs extends TrimArgs {
  id: StreamID;
  idGiven: boolean;
  seqGiven: boolean;
  noMkstream: boolean;
  /** Index of the MAXLEN/MINID value, for rewriting. */
  trimArgIdx: number;
  /** XADD: index of the ID argument. */
  idPos: number;
}

function parseAddOrTrimArgs(c: Client, argv: string[], xadd: boolean): AddTrimArgs | null {
  const a: AddTrimArgs = {
    strategy: "none",
    approx: false,
    limit: 0,
    maxlen: 0,
    minid: { ms: 0, seq: 0 },
    id: { ms: 0, seq: 0 },
    idGiven: false,
    seqGiven: true,
    noMkstream: false,
    trimArgIdx: 0,
    idPos: 0,
  };
  const argc = argv.length;
  let limitGiven = false;
  let i = 2;
  for (; i < argc; i++) {
    const moreargs = argc - 1 - i;
    const opt = argv[i];
    if (xadd && opt === "*") {
      break;
    } else if (moreargs && eqi(opt, "maxlen")) {
      if (a.strategy !== "none") {
        c.reply.error(ERR_MAXLEN_MINID);
        return null;
      }
      a.approx = false;
      const next = argv[i + 1];
      if (moreargs >= 2 && next === "~") {
        a.approx = true;
        i++;
      } else if (moreargs >= 2 && next === "=") {
        i++;
      }
      const maxlen = longLong(c, argv[i + 1]);
      if (maxlen === null) return null;
      if (maxlen < 0n) {
        c.reply.error("ERR The MAXLEN argument must be >= 0.");
        return null;
      }
      a.maxlen = num(maxlen);
      i++;
      a.strategy = "maxlen";
      a.trimArgIdx = i;
    } else if (moreargs && eqi(opt, "minid")) {
      if (a.strategy !== "none") {
        c.reply.error(ERR_MAXLEN_MINID);
        return null;
      }
      a.approx = false;
      const next = argv[i + 1];
      if (moreargs >= 2 && next === "~") {
        a.approx = true;
        i++;
      } else if (moreargs >= 2 && next === "=") {
        i++;
      }
      const id = parseIdOrReply(c, argv[i + 1], 0, true);
      if (id === null) return null;
      a.minid = id;
      i++;
      a.strategy = "minid";
      a.trimArgIdx = i;
    } else if (moreargs && eqi(opt, "limit")) {
      const limit = longLong(c, argv[i + 1]);
      if (limit === null) return null;
      if (limit < 0n) {
        c.reply.error("ERR The LIMIT argument must be >= 0.");
        return null;
      }
      a.limit = num(limit);
      limitGiven = true;
      i++;
    } else if (xadd && eqi(opt, "nomkstream")) {
      a.noMkstream = true;
    } else if (xadd) {
      const p = parseStreamId(opt, 0, true, true);
      if (p === null) {
        c.reply.error(ERR_INVALID_ID);
        return null;
      }
      a.id = p.id;
      a.seqGiven = p.seqGiven;
      a.idGiven = true;
      break;
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  if (a.limit && a.strategy === "none") {
    c.reply.error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return null;
  }
  if (!xadd && a.strategy === "none") {
    c.reply.error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return null;
  }
  if (mustObey(c)) {
    a.limit = 0;
  } else if (limitGiven) {
    if (!a.approx) {
      c.reply.error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return null;
    }
  } else if (a.approx) {
    let limit = 100 * settings(c.server).nodeMaxEntries;
    if (limit <= 0) limit = 10000;
    if (limit > 1000000) limit = 1000000;
    a.limit = limit;
  } else {
    a.limit = 0;
  }
  a.idPos = i;
  return a;
}

/** MAXLEN/MINID ~ x is propagated as "= <what it became>", so replicas and the AOF trim the same. */
function rewriteApproxTrim(argv: string[], s: RedisStream, a: AddTrimArgs): void {
  argv[a.trimArgIdx - 1] = "=";
  argv[a.trimArgIdx] = a.strategy === "maxlen" ? String(s.length) : formatId(s.edgeId(true, false));
}

// ─── XADD ──────────────────────────────────────────────────────────────────────────────────────────────

function xaddCommand(c: Client, argv: string[]): void {
  const a = parseAddOrTrimArgs(c, argv, true);
  if (a === null) return;
  const fieldPos = a.idPos + 1;
  const nargs = argv.length - fieldPos;
  if (nargs < 2 || nargs % 2 === 1) {
    c.reply.error(errWrongArity("xadd"));
    return;
  }
  if (a.idGiven && a.seqGiven && a.id.ms === 0 && a.id.seq === 0) {
    c.reply.error(ERR_XADD_ZERO);
    return;
  }
  const key = argv[1];
  const db = c.db;
  let s = db.lookupKeyWrite(key);
  if (notStream(c, s)) return;
  if (s === undefined) {
    if (a.noMkstream) {
      c.reply.nullBulk();
      return;
    }
    s = new RedisStream();
    db.setKey(key, s);
  }
  const stream = s as RedisStream;
  if (stream.lastId.ms === U64_MAX && stream.lastId.seq === U64_MAX) {
    c.reply.error(ERR_EXHAUSTED);
    return;
  }
  const st = settings(c.server);
  const id = stream.append(
    argv,
    fieldPos,
    nargs / 2,
    a.idGiven ? a.id : null,
    a.seqGiven,
    st.nodeMaxBytes,
    st.nodeMaxEntries,
    Date.now(),
  );
  if (id === "EDOM") {
    c.reply.error(ERR_XADD_EQUAL_OR_SMALLER);
    return;
  }
  if (id === "ERANGE") {
    c.reply.error(ERR_TOO_LARGE);
    return;
  }
  const idText = formatId(id);
  c.reply.bulk(idText);
  modified(c, key, Notify.STREAM, "xadd");

  let rewritten: string[] | null = null;
  if (a.strategy !== "none") {
    if (stream.trim(a)) c.server.notifyKeyspaceEvent(Notify.STREAM, "xtrim", key, db.id);
    if (a.approx) {
      rewritten = argv.slice();
      rewriteApproxTrim(rewritten, stream, a);
    }
  }
  if (!a.idGiven || !a.seqGiven) {
    rewritten ??= argv.slice();
    rewritten[a.idPos] = idText;
  }
  if (rewritten !== null) rewriteCommandVector(c, rewritten);
}

// ─── XRANGE / XREVRANGE / XLEN ─────────────────────────────────────────────────────────────────────────

function xrangeGeneric(c: Client, argv: string[], rev: boolean): void {
  const range = rev ? parseRangeOrReply(c, argv[3], argv[2]) : parseRangeOrReply(c, argv[2], argv[3]);
  if (range === null) return;
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    const additional = argv.length - j - 1;
    if (eqi(argv[j], "count") && additional >= 1) {
      const n = longLong(c, argv[j + 1]);
      if (n === null) return;
      count = n < 0n ? 0 : num(n);
      j++;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const s = lookupRead(c, argv[1]);
  if (s === undefined) {
    c.reply.arrayHeader(0);
    return;
  }
  if (notStream(c, s)) return;
  if (count === 0) {
    c.reply.nullArray();
    return;
  }
  replyWithRange(
    c,
    c.reply,
    s as RedisStream,
    range.start,
    range.end,
    count === -1 ? 0 : count,
    rev,
    null,
    0,
  );
}

function xlenCommand(c: Client, argv: string[]): void {
  const s = lookupRead(c, argv[1]);
  if (s === undefined) {
    c.reply.integer(0);
    return;
  }
  if (notStream(c, s)) return;
  c.reply.integer((s as RedisStream).length);
}

// ─── XDEL / XTRIM ──────────────────────────────────────────────────────────────────────────────────────

function xdelCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const v = c.db.lookupKeyWrite(key);
  if (v === undefined) {
    c.reply.integer(0);
    return;
  }
  if (notStream(c, v)) return;
  const s = v as RedisStream;
  const ids: StreamID[] = [];
  for (let j = 2; j < argv.length; j++) {
    const id = parseIdOrReply(c, argv[j], 0, true);
    if (id === null) return;
    ids.push(id);
  }
  let deleted = 0;
  let firstEntry = false;
  for (const id of ids) {
    if (s.deleteItem(id)) {
      if (compareId(id, s.firstId) === 0) firstEntry = true;
      if (compareId(id, s.maxDeletedId) > 0) s.maxDeletedId = { ms: id.ms, seq: id.seq };
      deleted++;
    }
  }
  if (deleted) {
    if (s.length === 0) s.firstId = { ms: 0, seq: 0 };
    else if (firstEntry) s.firstId = s.edgeId(true, true);
    touchWatched(c, key);
    c.server.notifyKeyspaceEvent(Notify.STREAM, "xdel", key, c.db.id);
    c.server.dirty += deleted;
  }
  c.reply.integer(deleted);
}

function xtrimCommand(c: Client, argv: string[]): void {
  const a = parseAddOrTrimArgs(c, argv, false);
  if (a === null) return;
  const key = argv[1];
  const v = c.db.lookupKeyWrite(key);
  if (v === undefined) {
    c.reply.integer(0);
    return;
  }
  if (notStream(c, v)) return;
  const s = v as RedisStream;
  const deleted = s.trim(a);
  if (deleted) {
    c.server.notifyKeyspaceEvent(Notify.STREAM, "xtrim", key, c.db.id);
    if (a.approx) {
      const rewritten = argv.slice();
      rewriteApproxTrim(rewritten, s, a);
      rewriteCommandVector(c, rewritten);
    }
    touchWatched(c, key);
    c.server.dirty += deleted;
  }
  c.reply.integer(deleted);
}

// ─── XREAD / XREADGROUP ────────────────────────────────────────────────────────────────────────────────

/** Without COUNT, a blocked reader is served at most this many entries (XREAD_BLOCKED_DEFAULT_COUNT). */
const XREAD_BLOCKED_DEFAULT_COUNT = 1000;

interface BlockedStreamRead {
  /** Per key, the ID the reader wants entries after (its first occurrence in the command wins). */
  ids: Map<string, StreamID>;
  count: number;
  group: string | null;
  consumer: string;
  noack: boolean;
}

function xreadGeneric(c: Client, argv: string[], xreadgroup: boolean): void {
  const argc = argv.length;
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let streamsCount = 0;
  let noack = false;
  let groupName: string | null = null;
  let consumerName = "";
  for (let i = 1; i < argc; i++) {
    const moreargs = argc - i - 1;
    const o = argv[i];
    if (moreargs && eqi(o, "block")) {
      i++;
      const t = longLong(c, argv[i], ERR_TIMEOUT_INVALID);
      if (t === null) return;
      if (t < 0n) {
        c.reply.error(ERR_TIMEOUT_NEGATIVE);
        return;
      }
      timeout = t > 0n ? Date.now() + num(t) : 0;
    } else if (moreargs && eqi(o, "count")) {
      i++;
      const n = longLong(c, argv[i]);
      if (n === null) return;
      count = n < 0n ? 0 : num(n);
    } else if (moreargs && eqi(o, "streams")) {
      streamsArg = i + 1;
      streamsCount = argc - streamsArg;
      if (streamsCount % 2 !== 0) {
        c.reply.error(
          "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        );
        return;
      }
      streamsCount /= 2;
      break;
    } else if (moreargs >= 2 && eqi(o, "group")) {
      if (!xreadgroup) {
        c.reply.error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
        return;
      }
      groupName = argv[i + 1];
      consumerName = argv[i + 2];
      i += 2;
    } else if (eqi(o, "noack")) {
      if (!xreadgroup) {
        c.reply.error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
        return;
      }
      noack = true;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (streamsArg === 0) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  if (xreadgroup && groupName === null) {
    c.reply.error("ERR Missing GROUP option for XREADGROUP");
    return;
  }

  const db = c.db;
  const ids: StreamID[] = new Array(streamsCount);
  const groups: (StreamCG | null)[] = new Array(streamsCount).fill(null);
  for (let i = streamsArg + streamsCount; i < argc; i++) {
    const idIdx = i - streamsArg - streamsCount;
    const key = argv[i - streamsCount];
    const o = lookupRead(c, key);
    if (notStream(c, o)) return;
    const s = o as RedisStream | undefined;
    if (groupName !== null) {
      const cg = s?.lookupCG(groupName);
      if (cg === undefined) {
        c.reply.error(
          `NOGROUP No such key '${key}' or consumer group '${groupName}' in XREADGROUP with GROUP option`,
        );
        return;
      }
      groups[idIdx] = cg;
    }
    const arg = argv[i];
    if (arg === "$") {
      if (xreadgroup) {
        c.reply.error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
        );
        return;
      }
      ids[idIdx] = s !== undefined ? { ...s.lastId } : { ms: 0, seq: 0 };
      continue;
    }
    if (arg === ">") {
      if (!xreadgroup) {
        c.reply.error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
        );
        return;
      }
      ids[idIdx] = { ms: U64_MAX, seq: U64_MAX };
      continue;
    }
    const id = parseIdOrReply(c, arg, 0, true);
    if (id === null) return;
    ids[idIdx] = id;
  }

  // Serve synchronously what can be served; the reply's length is known only at the end.
  const scratch = settings(c.server).scratch;
  scratch.proto = c.reply.proto;
  scratch.takeChunks();
  let arraylen = 0;
  for (let i = 0; i < streamsCount; i++) {
    const key = argv[streamsArg + i];
    const o = lookupRead(c, key);
    if (o === undefined) continue;
    const s = o as RedisStream;
    let gt = ids[i];
    let serve = false;
    let history = false;
    const cg = groups[i];
    if (cg !== null) {
      if (gt.ms !== U64_MAX || gt.seq !== U64_MAX) {
        serve = true;
        history = true;
      } else if (s.length) {
        if (compareId(s.lastValidId(), cg.lastId) > 0) {
          serve = true;
          gt = cg.lastId;
        }
      }
    } else if (s.length) {
      if (compareId(s.lastValidId(), gt) > 0) serve = true;
    }
    if (!serve) continue;
    arraylen++;
    const start = incrId(gt).id;
    if (scratch.proto === 2) scratch.arrayHeader(2);
    scratch.bulk(key);
    let group: GroupContext | null = null;
    if (cg !== null) {
      db.lookupKeyWrite(key); // the group changes: let a running snapshot take the key's pre-image first
      let consumer = lookupConsumer(cg, consumerName, true);
      if (consumer === undefined) {
        consumer = createConsumer(c, cg, consumerName, key, db) as StreamConsumer;
        if (noack) propagateConsumerCreation(c, db, key, groupName as string, consumerName);
      }
      group = { cg, consumer, key, groupName: groupName as string, db };
    }
    let flags = 0;
    if (noack) flags |= RWR_NOACK;
    if (history) flags |= RWR_HISTORY;
    replyWithRange(c, scratch, s, start, null, count, false, group, flags);
    if (cg !== null) c.server.dirty++;
  }
  // The command itself is never propagated: what it changed was, by the calls above.
  c.flags |= ClientFlag.PREVENT_PROP;
  if (arraylen) {
    if (c.reply.proto === 2) c.reply.arrayHeader(arraylen);
    else c.reply.mapHeader(arraylen);
    flushScratch(c, scratch);
    return;
  }
  scratch.takeChunks();
  if (timeout !== -1) {
    if (blockingDenied(c)) {
      c.reply.nullArray();
      return;
    }
    const keys: string[] = [];
    const byKey = new Map<string, StreamID>();
    for (let i = 0; i < streamsCount; i++) {
      const key = argv[streamsArg + i];
      keys.push(key);
      if (!byKey.has(key)) byKey.set(key, ids[i]);
    }
    const data: BlockedStreamRead = {
      ids: byKey,
      count: count || XREAD_BLOCKED_DEFAULT_COUNT,
      group: groupName,
      consumer: consumerName,
      noack,
    };
    c.server.blocking.blockForKeys(c, "stream", keys, timeout, serveBlockedStreamRead, data);
    return;
  }
  c.reply.nullArray();
}

/** Serves a client blocked in XREAD/XREADGROUP (Redis's serveClientsBlockedOnStreamKey). */
function serveBlockedStreamRead(c: Client, key: string, data: unknown): boolean {
  const d = data as BlockedStreamRead;
  const db = c.db;
  const o = db.lookupKeyRead(key);
  if (!isStream(o)) {
    // The stream was deleted or replaced: a group reader cannot be served any more (XREAD waits on).
    if (d.group === null) return false;
    c.reply.error("UNBLOCKED the stream key no longer exists");
    return true;
  }
  const s = o;
  let gt = d.ids.get(key) as StreamID;
  let cg: StreamCG | undefined;
  if (d.group !== null) {
    cg = s.lookupCG(d.group);
    if (cg === undefined) {
      c.reply.error("NOGROUP the consumer group this client was blocked on no longer exists");
      return true;
    }
    gt = cg.lastId;
    d.ids.set(key, gt);
  }
  if (compareId(s.lastId, gt) <= 0) return false;
  const start = incrId(gt).id;
  let group: GroupContext | null = null;
  if (cg !== undefined) {
    db.lookupKeyWrite(key);
    const groupName = d.group as string;
    let consumer = lookupConsumer(cg, d.consumer, true);
    if (consumer === undefined) {
      consumer = createConsumer(c, cg, d.consumer, key, db) as StreamConsumer;
      if (d.noack) propagateConsumerCreation(c, db, key, groupName, d.consumer);
    }
    group = { cg, consumer, key, groupName, db };
  }
  if (c.reply.proto === 2) {
    c.reply.arrayHeader(1);
    c.reply.arrayHeader(2);
  } else {
    c.reply.mapHeader(1);
  }
  c.reply.bulk(key);
  replyWithRange(c, c.reply, s, start, null, d.count, false, group, d.noack ? RWR_NOACK : 0);
  return true;
}

function xreadCommand(c: Client, argv: string[]): void {
  xreadGeneric(c, argv, false);
}

function xreadgroupCommand(c: Client, argv: string[]): void {
  xreadGeneric(c, argv, true);
}

// ─── XGROUP ────────────────────────────────────────────────────────────────────────────────────────────

const XGROUP_HELP = [
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a new consumer group. Options are:",
  "    * MKSTREAM",
  "      Create the empty stream if it does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Set the group's entries_read counter (internal use).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Create a new consumer in the specified group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove the specified consumer.",
  "DESTROY <key> <groupname>",
  "    Remove the specified group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Set the current group ID and entries_read counter.",
];

function xgroupCommand(c: Client, argv: string[]): void {
  const argc = argv.length;
  const opt = argv[1];
  let s: RedisStream | undefined;
  let cg: StreamCG | undefined;
  let mkstream = false;
  let entriesRead: I64 = SCG_INVALID_ENTRIES_READ;
  const db = c.db;
  let groupName = "";
  if (argc >= 4) {
    const create = eqi(opt, "create");
    const setid = eqi(opt, "setid");
    let i = 5;
    while (i < argc) {
      if (create && eqi(argv[i], "mkstream")) {
        mkstream = true;
        i++;
      } else if ((create || setid) && i + 1 < argc && eqi(argv[i], "entriesread")) {
        const v = longLong(c, argv[i + 1]);
        if (v === null) return;
        if (v < 0n && v !== -1n) {
          c.reply.error("ERR value for ENTRIESREAD must be positive or -1");
          return;
        }
        entriesRead = v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
        i += 2;
      } else {
        c.reply.error(errSubcommandSyntax(argv));
        return;
      }
    }
    const o = db.lookupKeyWrite(argv[2]);
    if (o !== undefined) {
      if (notStream(c, o)) return;
      s = o as RedisStream;
    }
    groupName = argv[3];
  }
  if (argc >= 4 && !mkstream) {
    if (s === undefined) {
      c.reply.error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
      );
      return;
    }
    cg = s.lookupCG(groupName);
    if (cg === undefined && (eqi(opt, "setid") || eqi(opt, "createconsumer") || eqi(opt, "delconsumer"))) {
      c.reply.error(`NOGROUP No such consumer group '${groupName}' for key name '${argv[2]}'`);
      return;
    }
  }
  const key = argv[2];
  if (argc === 2 && eqi(opt, "help")) {
    replyHelp(c, argv, XGROUP_HELP);
  } else if (eqi(opt, "create") && argc >= 5 && argc <= 8) {
    let id: StreamID;
    if (argv[4] === "$") {
      id = s !== undefined ? { ...s.lastId } : { ms: 0, seq: 0 };
    } else {
      const parsed = parseIdOrReply(c, argv[4], 0, true);
      if (parsed === null) return;
      id = parsed;
    }
    if (s === undefined) {
      s = new RedisStream();
      db.setKey(key, s);
      c.server.signalModifiedKey(db, key);
    }
    if (s.createCG(groupName, id, entriesRead) !== null) {
      c.reply.ok();
      c.server.dirty++;
      c.server.notifyKeyspaceEvent(Notify.STREAM, "xgroup-create", key, db.id);
    } else {
      c.reply.error("BUSYGROUP Consumer Group name already exists");
    }
  } else if (eqi(opt, "setid") && (argc === 5 || argc === 7)) {
    const stream = s as RedisStream;
    const group = cg as StreamCG;
    let id: StreamID;
    if (argv[4] === "$") {
      id = { ...stream.lastId };
    } else {
      const parsed = parseIdOrReply(c, argv[4], 0, false);
      if (parsed === null) return;
      id = parsed;
    }
    group.lastId = id;
    group.entriesRead = entriesRead;
    c.reply.ok();
    c.server.dirty++;
    c.server.notifyKeyspaceEvent(Notify.STREAM, "xgroup-setid", key, db.id);
  } else if (eqi(opt, "destroy") && argc === 4) {
    if (cg !== undefined) {
      (s as RedisStream).destroyCG(groupName);
      c.reply.integer(1);
      c.server.dirty++;
      c.server.notifyKeyspaceEvent(Notify.STREAM, "xgroup-destroy", key, db.id);
      // Readers blocked on that group end with -NOGROUP.
      c.server.blocking.signalKeyAsReady(db, key);
    } else {
      c.reply.integer(0);
    }
  } else if (eqi(opt, "createconsumer") && argc === 5) {
    const created = createConsumer(c, cg as StreamCG, argv[4], key, db);
    c.reply.integer(created !== null ? 1 : 0);
  } else if (eqi(opt, "delconsumer") && argc === 5) {
    const group = cg as StreamCG;
    let pending = 0;
    const consumer = lookupConsumer(group, argv[4], false);
    if (consumer !== undefined) {
      pending = consumer.pel.size;
      group.deleteConsumer(consumer);
      c.server.dirty++;
      c.server.notifyKeyspaceEvent(Notify.STREAM, "xgroup-delconsumer", key, db.id);
    }
    c.reply.integer(pending);
  } else {
    c.reply.error(errSubcommandSyntax(argv));
  }
}

// ─── XSETID ────────────────────────────────────────────────────────────────────────────────────────────

function xsetidCommand(c: Client, argv: string[]): void {
  const id = parseIdOrReply(c, argv[2], 0, true);
  if (id === null) return;
  let maxXdel: StreamID = { ms: 0, seq: 0 };
  let entriesAdded: bigint = -1n;
  let i = 3;
  while (i < argv.length) {
    const moreargs = argv.length - 1 - i;
    const opt = argv[i];
    if (moreargs && eqi(opt, "entriesadded")) {
      const v = longLong(c, argv[i + 1]);
      if (v === null) return;
      if (v < 0n) {
        c.reply.error("ERR entries_added must be positive");
        return;
      }
      entriesAdded = v;
      i += 2;
    } else if (moreargs && eqi(opt, "maxdeletedid")) {
      const v = parseIdOrReply(c, argv[i + 1], 0, true);
      if (v === null) return;
      if (compareId(id, v) < 0) {
        c.reply.error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
        return;
      }
      maxXdel = v;
      i += 2;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const key = argv[1];
  const o = c.db.lookupKeyWrite(key);
  if (o === undefined) {
    c.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  if (notStream(c, o)) return;
  const s = o as RedisStream;
  if (s.length > 0) {
    if (compareId(id, s.lastValidId()) < 0) {
      c.reply.error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entriesAdded !== -1n && BigInt(s.length) > entriesAdded) {
      c.reply.error("ERR The entries_added specified in XSETID is smaller than the target stream length");
      return;
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1n)
    s.entriesAdded = entriesAdded <= 9007199254740991n ? Number(entriesAdded) : entriesAdded;
  if (maxXdel.ms !== 0 || maxXdel.seq !== 0) s.maxDeletedId = maxXdel;
  c.reply.ok();
  c.server.dirty++;
  c.server.notifyKeyspaceEvent(Notify.STREAM, "xsetid", key, c.db.id);
}

// ─── XACK ──────────────────────────────────────────────────────────────────────────────────────────────

function xackCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const o = lookupRead(c, key);
  let cg: StreamCG | undefined;
  if (o !== undefined) {
    if (notStream(c, o)) return;
    cg = (o as RedisStream).lookupCG(argv[2]);
  }
  if (o === undefined || cg === undefined) {
    c.reply.integer(0);
    return;
  }
  const ids: StreamID[] = [];
  for (let j = 3; j < argv.length; j++) {
    const id = parseIdOrReply(c, argv[j], 0, true);
    if (id === null) return;
    ids.push(id);
  }
  let acknowledged = 0;
  let hooked = false;
  for (const id of ids) {
    const nack = cg.pel.get(id);
    if (nack === undefined) continue;
    if (!hooked) {
      c.db.lookupKeyWrite(key);
      hooked = true;
    }
    cg.pel.delete(id);
    (nack.consumer as StreamConsumer).pel.delete(id);
    acknowledged++;
    c.server.dirty++;
  }
  c.reply.integer(acknowledged);
}

// ─── XPENDING ──────────────────────────────────────────────────────────────────────────────────────────

function xpendingCommand(c: Client, argv: string[]): void {
  const argc = argv.length;
  const justinfo = argc === 3;
  const key = argv[1];
  const groupName = argv[2];
  let consumerName: string | null = null;
  let start: StreamID = { ms: 0, seq: 0 };
  let end: StreamID = { ms: 0, seq: 0 };
  let count = 0;
  let minidle = 0;
  if (argc !== 3 && (argc < 6 || argc > 9)) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  if (argc >= 6) {
    let startidx = 3;
    if (eqi(argv[3], "idle")) {
      const v = longLong(c, argv[4]);
      if (v === null) return;
      minidle = num(v);
      if (argc < 8) {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      startidx += 2;
    }
    const n = longLong(c, argv[startidx + 2]);
    if (n === null) return;
    count = n < 0n ? 0 : num(n);
    const range = parseRangeOrReply(c, argv[startidx], argv[startidx + 1]);
    if (range === null) return;
    start = range.start;
    end = range.end;
    if (startidx + 3 < argc) consumerName = argv[startidx + 3];
  }
  const o = lookupRead(c, key);
  if (notStream(c, o)) return;
  const cg = (o as RedisStream | undefined)?.lookupCG(groupName);
  if (cg === undefined) {
    c.reply.error(`NOGROUP No such key '${key}' or consumer group '${groupName}'`);
    return;
  }
  if (justinfo) {
    c.reply.arrayHeader(4);
    c.reply.integer(cg.pel.size);
    if (cg.pel.size === 0) {
      c.reply.nullBulk();
      c.reply.nullBulk();
      c.reply.nullArray();
      return;
    }
    replyId(c.reply, cg.pel.firstId() as StreamID);
    replyId(c.reply, cg.pel.lastId() as StreamID);
    const withPending = cg.sortedConsumers().filter((x) => x.pel.size !== 0);
    c.reply.arrayHeader(withPending.length);
    for (const consumer of withPending) {
      c.reply.arrayHeader(2);
      c.reply.bulk(consumer.name);
      c.reply.bulk(String(consumer.pel.size));
    }
    return;
  }
  let pel = cg.pel;
  if (consumerName !== null) {
    const consumer = lookupConsumer(cg, consumerName, false);
    if (consumer === undefined) {
      c.reply.arrayHeader(0);
      return;
    }
    pel = consumer.pel;
  }
  const now = Date.now();
  const rows: [StreamID, StreamNACK][] = [];
  if (count > 0) {
    for (const e of pel.entries(start)) {
      if (compareId(e[0], end) > 0) break;
      if (minidle && now - e[1].deliveryTime < minidle) continue;
      rows.push(e);
      if (--count === 0) break;
    }
  }
  c.reply.arrayHeader(rows.length);
  for (const [id, nack] of rows) {
    c.reply.arrayHeader(4);
    replyId(c.reply, id);
    c.reply.bulk((nack.consumer as StreamConsumer).name);
    const elapsed = now - nack.deliveryTime;
    c.reply.integer(Math.max(elapsed, 0));
    c.reply.integer(nack.deliveryCount);
  }
}

// ─── XCLAIM ────────────────────────────────────────────────────────────────────────────────────────────

function xclaimCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const groupName = argv[2];
  const db = c.db;
  const o = lookupRead(c, key);
  let cg: StreamCG | undefined;
  if (o !== undefined) {
    if (notStream(c, o)) return;
    cg = (o as RedisStream).lookupCG(groupName);
  }
  if (o === undefined || cg === undefined) {
    c.reply.error(`NOGROUP No such key '${key}' or consumer group '${groupName}'`);
    return;
  }
  const s = o as RedisStream;
  const mi = longLong(c, argv[4], "ERR Invalid min-idle-time argument for XCLAIM");
  if (mi === null) return;
  const minidle = mi < 0n ? 0 : num(mi);

  const ids: StreamID[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const p = parseStreamId(argv[j], 0, true);
    if (p === null) break;
    ids.push(p.id);
  }
  const lastIdArg = j - 1;
  const now = Date.now();
  let retrycount: bigint = -1n;
  let deliverytime = -1;
  let force = false;
  let justid = false;
  let lastId: StreamID = { ms: 0, seq: 0 };
  for (; j < argv.length; j++) {
    const moreargs = argv.length - 1 - j;
    const opt = argv[j];
    if (eqi(opt, "force")) {
      force = true;
    } else if (eqi(opt, "justid")) {
      justid = true;
    } else if (moreargs && eqi(opt, "idle")) {
      j++;
      const v = longLong(c, argv[j], "ERR Invalid IDLE option argument for XCLAIM");
      if (v === null) return;
      deliverytime = now - num(v);
    } else if (moreargs && eqi(opt, "time")) {
      j++;
      const v = longLong(c, argv[j], "ERR Invalid TIME option argument for XCLAIM");
      if (v === null) return;
      deliverytime = num(v);
    } else if (moreargs && eqi(opt, "retrycount")) {
      j++;
      const v = longLong(c, argv[j], "ERR Invalid RETRYCOUNT option argument for XCLAIM");
      if (v === null) return;
      retrycount = v;
    } else if (moreargs && eqi(opt, "lastid")) {
      j++;
      const v = parseIdOrReply(c, argv[j], 0, true);
      if (v === null) return;
      lastId = v;
    } else {
      c.reply.error(`ERR Unrecognized XCLAIM option '${opt}'`);
      return;
    }
  }
  db.lookupKeyWrite(key); // the group may change: a running snapshot takes the pre-image first
  let propagateLastId = false;
  if (compareId(lastId, cg.lastId) > 0) {
    cg.lastId = lastId;
    propagateLastId = true;
  }
  // No IDLE/TIME (-1), or a bogus one (negative, in the future): the delivery time is now.
  if (deliverytime < 0 || deliverytime > now) deliverytime = now;

  let consumer: StreamConsumer | undefined;
  const w = c.reply;
  const out = settings(c.server).scratch;
  out.proto = w.proto;
  out.takeChunks();
  let arraylen = 0;
  for (let k = 5; k <= lastIdArg; k++) {
    const id = ids[k - 5];
    let nack = cg.pel.get(id);
    if (!s.entryExists(id)) {
      // The entry is gone from the stream: its PEL entry goes too (and the replicas are told so).
      if (nack !== undefined) {
        propagateXclaim(c, db, key, groupName, cg, argv[k], nack);
        propagateLastId = false;
        c.server.dirty++;
        cg.pel.delete(id);
        (nack.consumer as StreamConsumer).pel.delete(id);
      }
      continue;
    }
    if (force && nack === undefined) {
      nack = { deliveryTime: now, deliveryCount: 1, consumer: null };
      cg.pel.insert(id, nack);
    }
    if (nack === undefined) continue;
    if (nack.consumer !== null && minidle) {
      if (now - nack.deliveryTime < minidle) continue;
    }
    if (consumer === undefined) {
      consumer =
        lookupConsumer(cg, argv[3], true) ?? (createConsumer(c, cg, argv[3], key, db) as StreamConsumer);
    }
    if (nack.consumer !== consumer && nack.consumer !== null) nack.consumer.pel.delete(id);
    nack.deliveryTime = deliverytime;
    if (retrycount >= 0n)
      nack.deliveryCount = retrycount <= 9007199254740991n ? Number(retrycount) : retrycount;
    else if (!justid) nack.deliveryCount = incrI64(nack.deliveryCount);
    if (nack.consumer !== consumer) {
      consumer.pel.set(id, nack);
      nack.consumer = consumer;
    }
    if (justid) replyId(out, id);
    else writeEntryById(out, s, id);
    arraylen++;
    propagateXclaim(c, db, key, groupName, cg, argv[k], nack);
    propagateLastId = false;
    c.server.dirty++;
  }
  if (propagateLastId) {
    propagateGroupId(c, db, key, groupName, cg);
    c.server.dirty++;
  }
  w.arrayHeader(arraylen);
  flushScratch(c, out);
  c.flags |= ClientFlag.PREVENT_PROP;
}

// ─── XAUTOCLAIM ────────────────────────────────────────────────────────────────────────────────────────

/** LONG_MAX / max(sizeof(streamID), attempts factor 10). */
const XAUTOCLAIM_MAX_COUNT = 576460752303423487n;

function xautoclaimCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const groupName = argv[2];
  const db = c.db;
  const o = lookupRead(c, key);
  const mi = longLong(c, argv[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM");
  if (mi === null) return;
  const minidle = mi < 0n ? 0 : num(mi);
  const si = parseIntervalOrReply(c, argv[5], 0);
  if (si === null) return;
  let start = si.id;
  if (si.exclude) {
    const r = incrId(start);
    if (r.wrapped) {
      c.reply.error(ERR_INVALID_START);
      return;
    }
    start = r.id;
  }
  let count = 100;
  let justid = false;
  for (let j = 6; j < argv.length; j++) {
    const moreargs = argv.length - 1 - j;
    const opt = argv[j];
    if (moreargs && eqi(opt, "count")) {
      const v = parseInt64(argv[j + 1]);
      if (v === null || v < 1n || v > XAUTOCLAIM_MAX_COUNT) {
        c.reply.error(ERR_COUNT_GT_ZERO);
        return;
      }
      count = num(v);
      j++;
    } else if (eqi(opt, "justid")) {
      justid = true;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  let cg: StreamCG | undefined;
  if (o !== undefined) {
    if (notStream(c, o)) return;
    cg = (o as RedisStream).lookupCG(groupName);
  }
  if (o === undefined || cg === undefined) {
    c.reply.error(`NOGROUP No such key '${key}' or consumer group '${groupName}'`);
    return;
  }
  const s = o as RedisStream;
  // Redis allocates COUNT stream IDs (16 bytes each) up front; past the 47-bit address space of x86-64
  // that allocation fails and it answers this error instead.
  if (count * 16 >= 2 ** 47) {
    c.reply.error("ERR Insufficient memory, failed allocating transient memory, COUNT too high.");
    return;
  }
  db.lookupKeyWrite(key);
  let consumer: StreamConsumer | undefined;
  let attempts = count * 10;
  const now = Date.now();
  const out = settings(c.server).scratch;
  out.proto = c.reply.proto;
  out.takeChunks();
  let arraylen = 0;
  const deletedIds: StreamID[] = [];
  let cur = cg.pel.ceil(start);
  while (attempts-- > 0 && count && cur !== undefined) {
    const [id, nack] = cur;
    if (!s.entryExists(id)) {
      propagateXclaim(c, db, key, groupName, cg, formatId(id), nack);
      c.server.dirty++;
      cg.pel.delete(id);
      (nack.consumer as StreamConsumer).pel.delete(id);
      deletedIds.push(id);
      cur = cg.pel.ceil(id);
      count--;
      continue;
    }
    if (minidle && now - nack.deliveryTime < minidle) {
      cur = cg.pel.higher(id);
      continue;
    }
    if (consumer === undefined) {
      consumer =
        lookupConsumer(cg, argv[3], true) ?? (createConsumer(c, cg, argv[3], key, db) as StreamConsumer);
    }
    if (nack.consumer !== consumer && nack.consumer !== null) nack.consumer.pel.delete(id);
    nack.deliveryTime = now;
    if (!justid) nack.deliveryCount = incrI64(nack.deliveryCount);
    if (nack.consumer !== consumer) {
      consumer.pel.set(id, nack);
      nack.consumer = consumer;
    }
    if (justid) replyId(out, id);
    else writeEntryById(out, s, id);
    arraylen++;
    count--;
    propagateXclaim(c, db, key, groupName, cg, formatId(id), nack);
    c.server.dirty++;
    cur = cg.pel.higher(id);
  }
  const w = c.reply;
  w.arrayHeader(3);
  replyId(w, cur === undefined ? { ms: 0, seq: 0 } : cur[0]);
  w.arrayHeader(arraylen);
  flushScratch(c, out);
  w.arrayHeader(deletedIds.length);
  for (const id of deletedIds) replyId(w, id);
  c.flags |= ClientFlag.PREVENT_PROP;
}

// ─── XINFO ─────────────────────────────────────────────────────────────────────────────────────────────

const XINFO_HELP = [
  "CONSUMERS <key> <groupname>",
  "    Show consumers of <groupname>.",
  "GROUPS <key>",
  "    Show the stream consumer groups.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Show information about the stream.",
];

function replyLag(c: Client, s: RedisStream, cg: StreamCG): void {
  const lag = s.groupLag(cg);
  if (lag === null) c.reply.nullBulk();
  else c.reply.integer(lag);
}

function replyEntriesRead(c: Client, cg: StreamCG): void {
  if (cg.entriesRead !== SCG_INVALID_ENTRIES_READ) c.reply.integer(cg.entriesRead);
  else c.reply.nullBulk();
}

function xinfoStream(c: Client, argv: string[], s: RedisStream): void {
  let full = true;
  let count = 10;
  const optc = argv.length - 3;
  if (optc === 0) {
    full = false;
  } else {
    if ((optc !== 1 && optc !== 3) || !eqi(argv[3], "full")) {
      c.reply.error(errSubcommandSyntax(argv));
      return;
    }
    if (optc === 3) {
      if (!eqi(argv[4], "count")) {
        c.reply.error(errSubcommandSyntax(argv));
        return;
      }
      const v = longLong(c, argv[5]);
      if (v === null) return;
      count = v < 0n ? 10 : num(v);
    }
  }
  const w = c.reply;
  w.mapHeader(full ? 9 : 10);
  w.bulk("length");
  w.integer(s.length);
  w.bulk("radix-tree-keys");
  w.integer(s.nodes.length);
  w.bulk("radix-tree-nodes");
  w.integer(s.radixTreeNodes());
  w.bulk("last-generated-id");
  replyId(w, s.lastId);
  w.bulk("max-deleted-entry-id");
  replyId(w, s.maxDeletedId);
  w.bulk("entries-added");
  w.integer(s.entriesAdded);
  w.bulk("recorded-first-entry-id");
  replyId(w, s.firstId);
  if (!full) {
    w.bulk("groups");
    w.integer(s.cgroups?.size ?? 0);
    w.bulk("first-entry");
    if (!replyWithRange(c, w, s, null, MAX_ID, 1, false, null, RWR_RAWENTRIES)) w.nullBulk();
    w.bulk("last-entry");
    if (!replyWithRange(c, w, s, null, MAX_ID, 1, true, null, RWR_RAWENTRIES)) w.nullBulk();
    return;
  }
  w.bulk("entries");
  replyWithRange(c, w, s, null, null, count, false, null, 0);
  w.bulk("groups");
  const names = s.sortedGroupNames();
  w.arrayHeader(names.length);
  for (const name of names) {
    const cg = s.lookupCG(name) as StreamCG;
    w.mapHeader(7);
    w.bulk("name");
    w.bulk(name);
    w.bulk("last-delivered-id");
    replyId(w, cg.lastId);
    w.bulk("entries-read");
    replyEntriesRead(c, cg);
    w.bulk("lag");
    replyLag(c, s, cg);
    w.bulk("pel-count");
    w.integer(cg.pel.size);
    w.bulk("pending");
    const pelRows = count ? Math.min(count, cg.pel.size) : cg.pel.size;
    w.arrayHeader(pelRows);
    let n = 0;
    for (const [id, nack] of cg.pel.entries()) {
      if (n++ >= pelRows) break;
      w.arrayHeader(4);
      replyId(w, id);
      w.bulk((nack.consumer as StreamConsumer).name);
      w.integer(nack.deliveryTime);
      w.integer(nack.deliveryCount);
    }
    w.bulk("consumers");
    const consumers = cg.sortedConsumers();
    w.arrayHeader(consumers.length);
    for (const consumer of consumers) {
      w.mapHeader(4);
      w.bulk("name");
      w.bulk(consumer.name);
      w.bulk("seen-time");
      w.integer(consumer.seenTime);
      w.bulk("pel-count");
      w.integer(consumer.pel.size);
      w.bulk("pending");
      const rows = count ? Math.min(count, consumer.pel.size) : consumer.pel.size;
      w.arrayHeader(rows);
      let m = 0;
      for (const [id, nack] of consumer.pel.entries()) {
        if (m++ >= rows) break;
        w.arrayHeader(3);
        replyId(w, id);
        w.integer(nack.deliveryTime);
        w.integer(nack.deliveryCount);
      }
    }
  }
}

function xinfoCommand(c: Client, argv: string[]): void {
  if (eqi(argv[1], "help")) {
    if (argv.length !== 2) {
      c.reply.error(errSubcommandSyntax(argv));
      return;
    }
    replyHelp(c, argv, XINFO_HELP);
    return;
  }
  if (argv.length < 3) {
    c.reply.error(errSubcommandSyntax(argv));
    return;
  }
  const opt = argv[1];
  const key = argv[2];
  const o = lookupRead(c, key);
  if (o === undefined) {
    c.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  if (notStream(c, o)) return;
  const s = o as RedisStream;
  if (eqi(opt, "consumers") && argv.length === 4) {
    const cg = s.lookupCG(argv[3]);
    if (cg === undefined) {
      c.reply.error(`NOGROUP No such consumer group '${argv[3]}' for key name '${key}'`);
      return;
    }
    const consumers = cg.sortedConsumers();
    c.reply.arrayHeader(consumers.length);
    const now = Date.now();
    for (const consumer of consumers) {
      const idle = now - consumer.seenTime;
      c.reply.mapHeader(3);
      c.reply.bulk("name");
      c.reply.bulk(consumer.name);
      c.reply.bulk("pending");
      c.reply.integer(consumer.pel.size);
      c.reply.bulk("idle");
      c.reply.integer(Math.max(idle, 0));
    }
  } else if (eqi(opt, "groups") && argv.length === 3) {
    const names = s.sortedGroupNames();
    c.reply.arrayHeader(names.length);
    for (const name of names) {
      const cg = s.lookupCG(name) as StreamCG;
      c.reply.mapHeader(6);
      c.reply.bulk("name");
      c.reply.bulk(name);
      c.reply.bulk("consumers");
      c.reply.integer(cg.consumers.size);
      c.reply.bulk("pending");
      c.reply.integer(cg.pel.size);
      c.reply.bulk("last-delivered-id");
      replyId(c.reply, cg.lastId);
      c.reply.bulk("entries-read");
      replyEntriesRead(c, cg);
      c.reply.bulk("lag");
      replyLag(c, s, cg);
    }
  } else if (eqi(opt, "stream")) {
    xinfoStream(c, argv, s);
  } else {
    c.reply.error(errSubcommandSyntax(argv));
  }
}

// ─── the family ────────────────────────────────────────────────────────────────────────────────────────

export const streamCommands: CommandDef[] = [
  { name: "xadd", handler: xaddCommand },
  { name: "xrange", handler: (c, a) => xrangeGeneric(c, a, false) },
  { name: "xrevrange", handler: (c, a) => xrangeGeneric(c, a, true) },
  { name: "xlen", handler: xlenCommand },
  { name: "xdel", handler: xdelCommand },
  { name: "xtrim", handler: xtrimCommand },
  { name: "xread", handler: xreadCommand },
  { name: "xreadgroup", handler: xreadgroupCommand },
  {
    name: "xgroup",
    subcommands: {
      create: xgroupCommand,
      setid: xgroupCommand,
      destroy: xgroupCommand,
      createconsumer: xgroupCommand,
      delconsumer: xgroupCommand,
      help: xgroupCommand,
    },
  },
  { name: "xsetid", handler: xsetidCommand },
  { name: "xack", handler: xackCommand },
  { name: "xpending", handler: xpendingCommand },
  { name: "xclaim", handler: xclaimCommand },
  { name: "xautoclaim", handler: xautoclaimCommand },
  {
    name: "xinfo",
    subcommands: {
      consumers: xinfoCommand,
      groups: xinfoCommand,
      stream: xinfoCommand,
      help: xinfoCommand,
    },
  },
];
