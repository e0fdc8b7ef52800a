import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { strerror } from "../net/strerror.js";
import { encodeCommandString } from "../resp/reply-writer.js";
import type { Keyspace } from "../store/keyspace.js";
import { readFileChunks, writeFileAtomic, writeFileAtomicSync } from "./rdb-file.js";
import { loadRdb } from "./rdb-loader.js";
import { saveRdbSync, snapshotRdb } from "./rdb-snapshot.js";

/**
 * The append-only file, in Redis 7's multi-part layout so Redis and Tandem can load each other's:
 *
 *   <dir>/<appenddirname>/<appendfilename>.manifest         the list of files, in order
 *   <dir>/<appenddirname>/<appendfilename>.<seq>.base.rdb   a snapshot (RDB with aof-base 1)
 *   <dir>/<appenddirname>/<appendfilename>.<seq>.incr.aof   write commands since that snapshot (RESP)
 *
 * A manifest line is `file <name> seq <n> type <b|h|i>`. We always write the base as an RDB (Redis's
 * default aof-use-rdb-preamble yes) and read both RDB and command-form bases.
 *
 * Writes: finished propagation units arrive through `feed` (the server's PropagationSink), with SELECT
 * emitted whenever the db changes. appendfsync always writes and fdatasyncs inside `feed`, i.e. before
 * the command's reply is written to its client; everysec writes once per event-loop turn and
 * fdatasyncs in the thread pool once a second; no leaves fsync to the OS.
 *
 * Rewrite (BGREWRITEAOF): at one instant a new incr file is opened and a point-in-time snapshot starts;
 * the manifest first lists old base + old incr + new incr (a crash mid-rewrite loses nothing), then,
 * once the new base is on disk, only new base + new incr; the old files are deleted.
 */

export type FsyncPolicy = "always" | "everysec" | "no";

export interface AofFileInfo {
  name: string;
  seq: number;
  type: "b" | "h" | "i";
}

/** What went wrong with the AOF; callers branch on it, never on the message. */
export type AofErrorCode =
  /** The manifest has a line Tandem cannot read, or two base files. */
  | "TANDEM_AOF_BAD_MANIFEST"
  /** An AOF file is not a valid command stream (offset in the message). */
  | "TANDEM_AOF_BAD_FORMAT"
  /** The last file ends in the middle of a command and aof-load-truncated does not allow it. */
  | "TANDEM_AOF_TRUNCATED"
  /** A file the manifest lists does not exist. */
  | "TANDEM_AOF_MISSING_FILE"
  /** A rewrite is already running. */
  | "TANDEM_AOF_REWRITE_IN_PROGRESS"
  /** The AOF is not open (appendonly off or not loaded yet). */
  | "TANDEM_AOF_NOT_OPEN";

export class AofError extends Error {
  override name = "AofError";
  constructor(
    readonly code: AofErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What propagation hands us (structurally the server's PropagatedOp). */
export interface AofOp {
  db: number;
  argv: string[];
}

// ─── manifest ────────────────────────────────────────────────────────────────────────────────────────────

/** Redis's MANIFEST_MAX_LINE: a longer line (or a last line with no newline) is refused. */
const MANIFEST_MAX_LINE = 1024;

/**
 * Reads a manifest as Redis 7.0's aofLoadManifestFromFile does: `#` lines are comments; every other line
 * is `key value` pairs (at least file, seq and type, keys in any case, unknown keys ignored); an empty
 * line, a path instead of a file name, a missing or zero seq, an unknown type, two bases or incr files out
 * of order are errors. The error names the manifest (`source`), the line number and the line, as Redis's
 * FATAL AOF MANIFEST FILE ERROR log does.
 */
export function parseManifest(text: string, source = "manifest"): AofFileInfo[] {
  const files: AofFileInfo[] = [];
  const fail = (err: string, lineNo: number, line: string | null): never => {
    const where = line === null ? "" : ` (reading the manifest file ${source}, at line ${lineNo}: '${line}')`;
    throw new AofError("TANDEM_AOF_BAD_MANIFEST", `${err}${where}`);
  };
  let lineNo = 0;
  let hasBase = false;
  let maxIncrSeq = 0;
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf("\n", pos);
    const raw = text.slice(pos, nl < 0 ? text.length : nl + 1);
    pos += raw.length;
    lineNo++;
    if (raw.startsWith("#")) continue;
    if (nl < 0 || raw.length > MANIFEST_MAX_LINE)
      fail("The AOF manifest file contains too long line", lineNo, null);
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (line === "") fail("Invalid AOF manifest file format", lineNo, line);
    const words = line.match(/"[^"]*"|\S+/g) ?? [];
    if (words.length < 6 || words.length % 2 !== 0) fail("Invalid AOF manifest file format", lineNo, line);
    let name = "";
    let seq = 0;
    let type = "";
    for (let i = 0; i < words.length; i += 2) {
      const k = words[i].toLowerCase();
      const v = words[i + 1].replace(/^"(.*)"$/, "$1");
      if (k === "file") {
        if (v.includes("/")) fail("File can't be a path, just a filename", lineNo, line);
        name = v;
      } else if (k === "seq") seq = Number.parseInt(v, 10) || 0;
      else if (k === "type") type = v.charAt(0);
    }
    if (name === "" || seq === 0 || type === "") fail("Invalid AOF manifest file format", lineNo, line);
    if (type === "b") {
      if (hasBase) fail("Found duplicate base file information", lineNo, line);
      hasBase = true;
    } else if (type === "i") {
      if (seq <= maxIncrSeq) fail("Found a non-monotonic sequence number", lineNo, line);
      maxIncrSeq = seq;
    } else if (type !== "h") fail("Unknown AOF file type", lineNo, line);
    files.push({ name, seq, type: type as AofFileInfo["type"] });
  }
  if (lineNo === 0) fail("Found an empty AOF manifest", 0, null);
  return files;
}

export function formatManifest(files: readonly AofFileInfo[]): string {
  return files.map((f) => `file ${f.name} seq ${f.seq} type ${f.type}\n`).join("");
}

// ─── reading commands ────────────────────────────────────────────────────────────────────────────────────

/**
 * Parses RESP commands from an AOF body, calling `onCommand` for each complete one. Returns the offset
 * after the last complete command and whether the data ended inside a command (a torn write).
 */
export function parseAofCommands(
  buf: Buffer,
  onCommand: (argv: string[], endOffset: number) => void,
): { end: number; truncated: boolean } {
  let pos = 0;
  const n = buf.length;
  const line = (from: number): number => {
    const i = buf.indexOf(13, from);
    return i < 0 || i + 1 >= n ? -1 : i;
  };
  while (pos < n) {
    const start = pos;
    if (buf[pos] !== 42 /* * */)
      throw new AofError(
        "TANDEM_AOF_BAD_FORMAT",
        `Bad file format reading the append only file (offset ${pos})`,
      );
    let e = line(pos);
    if (e < 0) return { end: start, truncated: true };
    const argc = Number(buf.latin1Slice(pos + 1, e));
    if (!Number.isInteger(argc) || argc < 1)
      throw new AofError(
        "TANDEM_AOF_BAD_FORMAT",
        `Bad file format reading the append only file (offset ${pos})`,
      );
    pos = e + 2;
    const argv: string[] = []; // not new Array(argc): argc comes from the file and may be anything
    let complete = true;
    for (let i = 0; i < argc; i++) {
      if (pos >= n) {
        complete = false;
        break;
      }
      if (buf[pos] !== 36 /* $ */)
        throw new AofError(
          "TANDEM_AOF_BAD_FORMAT",
          `Bad file format reading the append only file (offset ${pos})`,
        );
      e = line(pos);
      if (e < 0) {
        complete = false;
        break;
      }
      const len = Number(buf.latin1Slice(pos + 1, e));
      if (!Number.isInteger(len) || len < 0)
        throw new AofError(
          "TANDEM_AOF_BAD_FORMAT",
          `Bad file format reading the append only file (offset ${pos})`,
        );
      pos = e + 2;
      if (pos + len + 2 > n) {
        complete = false;
        break;
      }
      argv.push(buf.latin1Slice(pos, pos + len));
      pos += len + 2;
    }
    if (!complete) return { end: start, truncated: true };
    onCommand(argv, pos);
  }
  return { end: pos, truncated: false };
}

// ─── the append-only file ────────────────────────────────────────────────────────────────────────────────

export interface AofOptions {
  /** Absolute (or cwd-relative) path of appenddirname. */
  dir: string;
  filename: string;
  fsync: () => FsyncPolicy;
  compression?: () => boolean;
  warn?: (msg: string) => void;
  /** Asks for the end of this event-loop turn, where the owner calls `writePending` (its beforeSleep). */
  endOfTurn: () => void;
  /**
   * The latency monitor's hook: Redis's aof-write (and aof-write-pending-fsync / aof-write-alone) for each
   * write, aof-fsync-always for the fsync of appendfsync always, in ms.
   */
  latency?: (event: string, ms: number) => void;
}

export class AppendOnlyFile {
  files: AofFileInfo[] = [];
  private fd = -1;
  private selectedDb = -1;
  private pending: string[] = [];
  /** Total length of `pending` (kept, not summed: maxmemory reads it before every command). */
  private pendingBytes = 0;
  private writeScheduled = false;
  private fsyncInFlight = false;
  private unsyncedBytes = 0;
  private fsyncTimer: NodeJS.Timeout | null = null;
  baseSize = 0;
  /** Bytes in all incr files. */
  incrSize = 0;
  /** Size when the last rewrite finished (auto-aof-rewrite-percentage compares against it). */
  rewriteBaseSize = 0;
  rewriting = false;
  lastWriteOk = true;
  /** The last write error as C's strerror words it ("No space left on device"), for -MISCONF. */
  lastWriteError = "";
  lastFsync = Date.now();
  delayedFsyncs = 0;

  constructor(readonly opts: AofOptions) {}

  get manifestPath(): string {
    return join(this.opts.dir, `${this.opts.filename}.manifest`);
  }

  get currentSize(): number {
    return this.baseSize + this.incrSize;
  }

  get bufferLength(): number {
    return this.pendingBytes;
  }

  /** True when a manifest exists (there is an AOF to load). */
  exists(): boolean {
    return existsSync(this.manifestPath);
  }

  readManifest(): AofFileInfo[] {
    return parseManifest(readFileSync(this.manifestPath, "latin1"), `${this.opts.filename}.manifest`);
  }

  private persistManifest(files: AofFileInfo[]): void {
    const tmp = join(this.opts.dir, `temp-${this.opts.filename}.manifest`);
    writeFileAtomicSync(this.manifestPath, [Buffer.from(formatManifest(files), "latin1")], "manifest");
    if (existsSync(tmp)) unlinkSync(tmp);
    this.files = files;
  }

  // ─── loading ───────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Replays the AOF into the keyspace: the base (RDB or commands) then each incr file. A torn last
   * command is cut off when `loadTruncated`, else it is an error; a torn file that is not the last one
   * is cut off too but then refused, as Redis 7.0 does.
   * Returns the number of commands applied.
   */
  async load(
    keyspace: Keyspace,
    apply: (argv: string[]) => void,
    loadTruncated: boolean,
  ): Promise<{ commands: number; baseKeys: number }> {
    const files = this.readManifest();
    let commands = 0;
    let baseKeys = 0;
    const incrs = files.filter((f) => f.type === "i");
    const base = files.find((f) => f.type === "b");
    if (base) {
      const path = join(this.opts.dir, base.name);
      if (!existsSync(path))
        throw new AofError("TANDEM_AOF_MISSING_FILE", `The AOF file ${base.name} doesn't exist`);
      const head = Buffer.alloc(5);
      const fd = openSync(path, "r");
      const got = readHead(fd, head);
      closeSync(fd);
      if (got === 5 && head.toString("latin1") === "REDIS") {
        baseKeys = (await loadRdb(readFileChunks(path), keyspace, { keepExpired: true })).keys;
      } else {
        commands += this.replayFile(base.name, apply, incrs.length === 0, loadTruncated);
      }
    }
    for (let i = 0; i < incrs.length; i++) {
      const path = join(this.opts.dir, incrs[i].name);
      if (!existsSync(path))
        throw new AofError("TANDEM_AOF_MISSING_FILE", `The AOF file ${incrs[i].name} doesn't exist`);
      commands += this.replayFile(incrs[i].name, apply, i === incrs.length - 1, loadTruncated);
    }
    return { commands, baseKeys };
  }

  private replayFile(
    name: string,
    apply: (argv: string[]) => void,
    last: boolean,
    loadTruncated: boolean,
  ): number {
    const path = join(this.opts.dir, name);
    const buf = readFileSync(path);
    let n = 0;
    // Commands between MULTI and EXEC are applied only once the EXEC is read, so a torn transaction at
    // the end is dropped whole.
    let tx: string[][] | null = null;
    let committedEnd = 0;
    const r = parseAofCommands(buf, (argv, end) => {
      const name = argv[0].toLowerCase();
      if (name === "multi") {
        tx = [];
        return;
      }
      if (name === "exec" && tx !== null) {
        for (const a of tx) apply(a);
        n += tx.length;
        tx = null;
        committedEnd = end;
        return;
      }
      if (tx !== null) {
        tx.push(argv);
        return;
      }
      apply(argv);
      n++;
      committedEnd = end;
    });
    const torn = r.truncated || tx !== null;
    if (torn) {
      if (!loadTruncated)
        throw new AofError(
          "TANDEM_AOF_TRUNCATED",
          `Unexpected end of file reading the append only file ${name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
        );
      // Redis's three log lines, naming the file as the manifest does.
      const warn = this.opts.warn;
      warn?.(`!!! Warning: short read while loading the AOF file ${name}!!!`);
      warn?.(`!!! Truncating the AOF ${name} at offset ${committedEnd} !!!`);
      warn?.(`AOF ${name} loaded anyway because aof-load-truncated is enabled`);
      const fd = openSync(path, "r+");
      ftruncateSync(fd, committedEnd);
      fsyncSync(fd);
      closeSync(fd);
      // As Redis 7.0: the file is cut (above) and logged as loaded, and only then is the load refused,
      // because commands after it in later files would be applied over a gap.
      if (!last)
        throw new AofError("TANDEM_AOF_TRUNCATED", "Fatal error: the truncated file is not the last file");
    }
    return n;
  }

  // ─── opening for writes ────────────────────────────────────────────────────────────────────────────────

  /** After loading (or on an empty start): opens the last incr file for appending, creating the set if needed. */
  openForAppend(keyspace: Keyspace): void {
    mkdirSync(this.opts.dir, { recursive: true });
    if (!this.exists()) {
      const base: AofFileInfo = { name: `${this.opts.filename}.1.base.rdb`, seq: 1, type: "b" };
      const incr: AofFileInfo = { name: `${this.opts.filename}.1.incr.aof`, seq: 1, type: "i" };
      this.baseSize = writeFileAtomicSync(
        join(this.opts.dir, base.name),
        saveRdbSync(keyspace, { aofBase: true, compression: this.opts.compression?.() ?? true }),
      );
      closeSync(openSync(join(this.opts.dir, incr.name), "a"));
      this.persistManifest([base, incr]);
    } else {
      this.files = this.readManifest();
      const base = this.files.find((f) => f.type === "b");
      this.baseSize = base ? fileSize(join(this.opts.dir, base.name)) : 0;
    }
    let incrs = this.files.filter((f) => f.type === "i");
    if (incrs.length === 0) {
      const seq = 1;
      const incr: AofFileInfo = { name: `${this.opts.filename}.${seq}.incr.aof`, seq, type: "i" };
      this.persistManifest([...this.files, incr]);
      incrs = [incr];
    }
    this.incrSize = 0;
    for (const f of incrs) this.incrSize += fileSize(join(this.opts.dir, f.name));
    this.rewriteBaseSize = this.currentSize;
    this.fd = openSync(join(this.opts.dir, incrs[incrs.length - 1].name), "a");
    this.selectedDb = -1;
    this.startFsyncTimer();
  }

  private startFsyncTimer(): void {
    if (this.fsyncTimer) return;
    this.fsyncTimer = setInterval(() => this.everySecond(), 1000);
    this.fsyncTimer.unref();
  }

  /** Stops appending: flushes, fsyncs and closes the current file. */
  close(): void {
    if (this.fd < 0) return;
    this.flush(true);
    closeSync(this.fd);
    this.fd = -1;
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    this.fsyncTimer = null;
  }

  get isOpen(): boolean {
    return this.fd >= 0;
  }

  // ─── appending (PropagationSink) ───────────────────────────────────────────────────────────────────────

  feed(ops: readonly AofOp[]): void {
    if (this.fd < 0) return;
    for (const op of ops) {
      if (op.db !== this.selectedDb) {
        const sel = encodeCommandString(["SELECT", String(op.db)]);
        this.pending.push(sel);
        this.pendingBytes += sel.length;
        this.selectedDb = op.db;
      }
      const cmd = encodeCommandString(op.argv);
      this.pending.push(cmd);
      this.pendingBytes += cmd.length;
    }
    if (this.opts.fsync() === "always") {
      // Before the reply leaves: the command is on disk when its client hears about it.
      this.flush(true);
    } else if (!this.writeScheduled) {
      this.writeScheduled = true;
      this.opts.endOfTurn();
    }
  }

  /**
   * Writes buffered commands without fsync (the server calls it at the end of each turn, before any reply
   * goes out, as Redis's beforeSleep). A failed write is recorded (aof_last_write_status, -MISCONF) and the
   * bytes stay buffered for the next attempt, as Redis retries rather than exiting under everysec/no.
   */
  writePending(): void {
    this.writeScheduled = false;
    if (this.pending.length === 0) return;
    try {
      this.flush(false);
    } catch {
      // recorded by flush
    }
  }

  /** Writes buffered commands (one write per event-loop turn, as Redis's beforeSleep), optionally fsyncing. */
  flush(sync: boolean): void {
    if (this.fd < 0) return;
    if (this.pending.length > 0) {
      const data = Buffer.from(this.pending.length === 1 ? this.pending[0] : this.pending.join(""), "latin1");
      this.pending = [];
      this.pendingBytes = 0;
      let off = 0;
      const start = performance.now();
      try {
        while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
        const latency = this.opts.latency;
        if (latency !== undefined) {
          const ms = performance.now() - start;
          // Tandem has no child process writing while the AOF appends: "pending fsync" or "alone".
          latency(this.fsyncInFlight ? "aof-write-pending-fsync" : "aof-write-alone", ms);
          latency("aof-write", ms);
        }
        this.incrSize += data.length;
        this.unsyncedBytes += data.length;
        this.lastWriteOk = true;
      } catch (err) {
        // What reached the file stays there; the rest is kept, ahead of anything buffered since.
        this.incrSize += off;
        this.unsyncedBytes += off;
        this.pending.unshift(data.toString("latin1", off));
        this.pendingBytes = data.length - off;
        this.lastWriteOk = false;
        this.lastWriteError = strerror(err);
        this.opts.warn?.(`Error writing to the AOF file: ${(err as Error).message}`);
        throw err;
      }
    }
    if (sync && this.unsyncedBytes > 0) {
      const start = performance.now();
      fdatasyncSync(this.fd);
      if (this.opts.fsync() === "always") this.opts.latency?.("aof-fsync-always", performance.now() - start);
      this.unsyncedBytes = 0;
      this.lastFsync = Date.now();
    }
  }

  private everySecond(): void {
    if (this.fd < 0 || this.opts.fsync() !== "everysec") return;
    this.writePending();
    if (this.unsyncedBytes === 0) return;
    if (this.fsyncInFlight) {
      this.delayedFsyncs++;
      return;
    }
    this.fsyncInFlight = true;
    this.unsyncedBytes = 0;
    const fd = this.fd;
    fdatasync(fd, () => {
      this.fsyncInFlight = false;
      this.lastFsync = Date.now();
    });
  }

  // ─── rewrite ───────────────────────────────────────────────────────────────────────────────────────────

  /** BGREWRITEAOF (see the file comment). Resolves when the new base is in place. */
  async rewrite(keyspace: Keyspace): Promise<void> {
    if (this.rewriting)
      throw new AofError(
        "TANDEM_AOF_REWRITE_IN_PROGRESS",
        "Background append only file rewriting already in progress",
      );
    if (this.fd < 0) throw new AofError("TANDEM_AOF_NOT_OPEN", "AOF is not open");
    this.rewriting = true;
    try {
      const dir = this.opts.dir;
      const oldFiles = this.files;
      const maxSeq = (t: string) => Math.max(0, ...oldFiles.filter((f) => f.type === t).map((f) => f.seq));
      const newIncr: AofFileInfo = {
        name: `${this.opts.filename}.${maxSeq("i") + 1}.incr.aof`,
        seq: maxSeq("i") + 1,
        type: "i",
      };
      const newBase: AofFileInfo = {
        name: `${this.opts.filename}.${maxSeq("b") + 1}.base.rdb`,
        seq: maxSeq("b") + 1,
        type: "b",
      };
      // The same instant: the snapshot's view and the first command of the new incr file.
      this.flush(true);
      const snapshot = snapshotRdb(keyspace, {
        aofBase: true,
        compression: this.opts.compression?.() ?? true,
      });
      closeSync(this.fd);
      this.fd = openSync(join(dir, newIncr.name), "a");
      this.selectedDb = -1;
      const oldIncrSize = this.incrSize;
      this.incrSize = 0;
      this.persistManifest([...oldFiles, newIncr]);
      let baseBytes: number;
      try {
        baseBytes = await writeFileAtomic(join(dir, newBase.name), snapshot, "rewriteaof");
      } catch (err) {
        // Keep appending to the new incr file; the manifest still lists the old base and incr files.
        this.incrSize += oldIncrSize;
        throw err;
      }
      this.persistManifest([newBase, { ...newIncr }]);
      this.baseSize = baseBytes;
      this.rewriteBaseSize = this.currentSize;
      for (const f of oldFiles) {
        try {
          unlinkSync(join(dir, f.name));
        } catch {}
      }
    } finally {
      this.rewriting = false;
    }
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readHead(fd: number, into: Buffer): number {
  try {
    return readSync(fd, into, 0, into.length, 0);
  } catch {
    return 0;
  }
}
