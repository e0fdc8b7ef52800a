import { existsSync } from "node:fs";
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import { AppendOnlyFile, type FsyncPolicy } from "../persistence/aof.js";
import { readFileChunks, writeFileAtomic, writeFileAtomicSync } from "../persistence/rdb-file.js";
import { loadRdb } from "../persistence/rdb-loader.js";
import { type RdbAux, saveRdbSync, snapshotRdb } from "../persistence/rdb-snapshot.js";
import { Client, ClientFlag } from "./client.js";
import { collectAfterBulkLoad } from "./collect-after-bulk-load.js";
import type { InfoFields } from "./info.js";
import type { PropagatedOp, PropagationSink } from "./propagator.js";
import type { Server } from "./server.js";
import { ERR_MISCONF_RDB, errMisconfAof } from "./shared-replies.js";

/**
 * Persistence for one server: RDB saves (SAVE, BGSAVE, `save` points, shutdown), the AOF (a propagation
 * sink, replay at start, rewrite), start-up loading, and the INFO persistence section. The server creates
 * it in its constructor (`server.persistence`) and calls it at the end of each turn (flushAppendOnlyFile),
 * from its cron and at shutdown; the CLI calls `loadAtStartup()` once the server listens.
 *
 * For replication: `loadedAux` holds the aux fields of the RDB loaded at start (repl-id, repl-offset),
 * and `replicationAux` may be replaced to add repl-id/repl-offset/repl-stream-db to every dump we save.
 *
 * INFO extras (Tandem's own): `tandem_max_event_loop_stall_ms` is the longest event-loop delay seen since
 * start (perf_hooks.monitorEventLoopDelay, 10 ms resolution), `tandem_last_bgsave_max_stall_ms` the
 * longest one during the last BGSAVE (2 ms resolution, measured only while it runs).
 */

const BGSAVE_RETRY_DELAY_MS = 5000;

export class PersistenceService implements PropagationSink {
  lastSave = Math.floor(Date.now() / 1000);
  rdbSaves = 0;
  lastBgsaveOk = true;
  lastBgsaveTimeSec = -1;
  private lastBgsaveTry = 0;
  bgsaveStartedAt = 0;
  private bgsaveProgress: { keys: number } | null = null;
  private bgsaveKeysTotal = 0;
  bgsaveScheduled = false;
  lastLoadKeysLoaded = 0;
  lastLoadKeysExpired = 0;
  loadedAux = new Map<string, string>();
  /** Extra aux fields for every dump (the replication layer sets repl-id and repl-offset here). */
  replicationAux: () => RdbAux = () => ({});

  aof: AppendOnlyFile | null = null;
  aofRewriteStartedAt = 0;
  aofLastRewriteTimeSec = -1;
  aofLastBgrewriteOk = true;
  aofRewrites = 0;
  aofRewritesConsecutiveFailures = 0;
  aofRewriteScheduled = false;

  private readonly stallMonitor: IntervalHistogram;
  private bgsaveStallMonitor: IntervalHistogram | null = null;
  lastBgsaveMaxStallMs = 0;
  private started = false;

  constructor(readonly server: Server) {
    this.stallMonitor = monitorEventLoopDelay({ resolution: 10 });
    this.stallMonitor.enable();
    server.info.setSection("persistence", () => this.infoSection());
    server.diskError = () => this.diskError();
    server.usedMemory.aofBuffer = () => this.aof?.bufferLength ?? 0;
  }

  /** PropagationSink: fed only while an AOF is open. */
  get active(): boolean {
    return this.aof !== null;
  }

  /** PropagationSink: executed writes go into the AOF buffer (Redis's feedAppendOnlyFile). */
  feed(ops: readonly PropagatedOp[]): void {
    this.aof?.feed(ops);
  }

  /**
   * The end-of-turn step (Redis's flushAppendOnlyFile in beforeSleep): the turn's AOF buffer is written,
   * with appendfsync's policy, before any replica or client sees the same writes.
   */
  flushAppendOnlyFile(): void {
    this.aof?.writePending();
  }

  // ─── configuration ─────────────────────────────────────────────────────────────────────────────────────

  get rdbPath(): string {
    return this.server.config.get("dbfilename");
  }

  /** The `save` points as [seconds, changes] pairs (parsed once per value: the cron asks every tick). */
  savePoints(): [number, number][] {
    const text = this.server.config.get("save");
    if (text === this.savePointsText) return this.savePointsParsed;
    const words = text.split(" ").filter((w) => w !== "");
    const out: [number, number][] = [];
    for (let i = 0; i + 1 < words.length; i += 2) out.push([Number(words[i]), Number(words[i + 1])]);
    this.savePointsText = text;
    this.savePointsParsed = out;
    return out;
  }

  private savePointsText: string | null = null;
  private savePointsParsed: [number, number][] = [];

  private aux(): RdbAux {
    return { compression: this.server.config.getBool("rdbcompression"), ...this.replicationAux() };
  }

  private newAof(): AppendOnlyFile {
    const cfg = this.server.config;
    return new AppendOnlyFile({
      dir: cfg.get("appenddirname"),
      filename: cfg.get("appendfilename"),
      fsync: () => cfg.get("appendfsync") as FsyncPolicy,
      compression: () => cfg.getBool("rdbcompression"),
      warn: (msg) => this.server.log.warn(msg),
      endOfTurn: () => this.server.requestBeforeSleep(),
      latency: (event, ms) => this.server.latency.addSampleIfNeeded(event, ms),
    });
  }

  // ─── start-up ──────────────────────────────────────────────────────────────────────────────────────────

  /** Loads the AOF (appendonly yes) or the RDB; throws with a clear message on a corrupt file. */
  async loadAtStartup(): Promise<void> {
    const server = this.server;
    const log = server.log;
    server.loading = true;
    const start = performance.now();
    try {
      if (server.config.getBool("appendonly")) {
        const aof = this.newAof();
        if (aof.exists()) {
          const r = await aof.load(
            server.keyspace,
            this.replayer(),
            server.config.getBool("aof-load-truncated"),
          );
          log.info(
            `DB loaded from append only file: ${((performance.now() - start) / 1000).toFixed(3)} seconds (${r.commands} commands, ${r.baseKeys} keys from the base)`,
          );
        }
        aof.openForAppend(server.keyspace);
        this.aof = aof;
      } else if (existsSync(this.rdbPath)) {
        const r = await loadRdb(readFileChunks(this.rdbPath), server.keyspace);
        this.loadedAux = r.aux;
        this.lastLoadKeysLoaded = r.keys;
        log.info(`Done loading RDB, keys loaded: ${r.keys}.`);
        log.info(`DB loaded from disk: ${((performance.now() - start) / 1000).toFixed(3)} seconds`);
      }
    } catch (err) {
      throw new Error(`Fatal error loading the DB: ${(err as Error).message}. Exiting.`);
    } finally {
      server.loading = false;
      server.dirty = 0;
    }
    collectAfterBulkLoad();
    this.started = true;
    server.config.onChange("appendonly", (v) => {
      if (this.started) this.setAppendOnly(v === "yes");
    });
  }

  /** Applies AOF commands through a client that has no socket, without propagating them. */
  private replayer(): (argv: string[]) => void {
    const server = this.server;
    const c = new Client(server, null);
    c.flags |= ClientFlag.AOF;
    return (argv) => {
      let cmd = server.registry.lookup(argv[0]);
      if (cmd === undefined) throw new Error(`Unknown command '${argv[0]}' reading the append only file`);
      if (cmd.subcommands !== null && argv.length >= 2) {
        const sub = cmd.subcommands.get(argv[1].toLowerCase());
        if (sub !== undefined) cmd = sub;
      }
      c.flags |= ClientFlag.PREVENT_PROP;
      const exceptions = server.stats.commandExceptions;
      server.call(c, cmd, argv);
      if (c.reply.pendingBytes > 0) c.reply.takeChunks();
      // A handler that threw (logged by call) leaves the dataset short of what the file holds: loading
      // stops there, as before call() caught exceptions, rather than serving (and rewriting) a partial one.
      if (server.stats.commandExceptions !== exceptions) {
        throw new Error(`Exception executing '${argv[0]}' reading the append only file`);
      }
    };
  }

  private setAppendOnly(on: boolean): void {
    if (on && this.aof === null) {
      const aof = this.newAof();
      const existed = aof.exists();
      aof.openForAppend(this.server.keyspace);
      this.aof = aof;
      if (existed) void this.rewriteAof();
    } else if (!on && this.aof !== null) {
      this.aof.close();
      this.aof = null;
    }
  }

  /** Redis's writeCommandsDeniedByDiskError + writeCommandsGetDiskErrorMessage. */
  private diskError(): string | null {
    if (
      !this.lastBgsaveOk &&
      this.server.config.get("stop-writes-on-bgsave-error") === "yes" &&
      this.savePoints().length > 0
    ) {
      return ERR_MISCONF_RDB;
    }
    const aof = this.aof;
    if (aof !== null && !aof.lastWriteOk) return errMisconfAof(aof.lastWriteError);
    return null;
  }

  // ─── RDB saves ─────────────────────────────────────────────────────────────────────────────────────────

  get bgsaveInProgress(): boolean {
    return this.bgsaveProgress !== null;
  }

  /** SAVE: blocks the server while writing. Returns false (and logs) on failure. */
  saveSync(): boolean {
    const log = this.server.log;
    try {
      const dirty = this.server.dirty;
      writeFileAtomicSync(this.rdbPath, saveRdbSync(this.server.keyspace, this.aux()));
      this.server.dirty -= dirty;
      this.lastSave = Math.floor(Date.now() / 1000);
      this.lastBgsaveOk = true;
      this.rdbSaves++;
      log.info("DB saved on disk");
      return true;
    } catch (err) {
      // As Redis's rdbSave: a failed SAVE leaves rdb_last_bgsave_status (and so -MISCONF) alone.
      log.warn(`Failed saving the DB: ${(err as Error).message}`);
      return false;
    }
  }

  /** BGSAVE: a point-in-time snapshot written in slices. False when one is already running. */
  bgsave(): boolean {
    if (this.bgsaveProgress !== null) return false;
    const server = this.server;
    const log = server.log;
    const dirtyAtStart = server.dirty;
    this.bgsaveKeysTotal = server.keyspace.keyCount;
    const gen = snapshotRdb(server.keyspace, this.aux());
    this.bgsaveProgress = gen.progress;
    this.bgsaveStartedAt = Date.now();
    this.lastBgsaveTry = this.bgsaveStartedAt;
    const stalls = monitorEventLoopDelay({ resolution: 2 });
    stalls.enable();
    this.bgsaveStallMonitor = stalls;
    log.info("Background saving started");
    const done = (ok: boolean, err?: Error) => {
      stalls.disable();
      this.lastBgsaveMaxStallMs = Math.round(stalls.max / 1e6);
      this.bgsaveStallMonitor = null;
      this.lastBgsaveTimeSec = Math.round((Date.now() - this.bgsaveStartedAt) / 1000);
      this.bgsaveProgress = null;
      this.lastBgsaveOk = ok;
      if (ok) {
        server.dirty -= dirtyAtStart;
        this.lastSave = Math.floor(Date.now() / 1000);
        this.rdbSaves++;
        log.info("Background saving terminated with success");
      } else {
        log.warn(`Background saving error: ${err?.message}`);
      }
    };
    writeFileAtomic(this.rdbPath, gen, "bgsave").then(
      () => done(true),
      (err: Error) => done(false, err),
    );
    return true;
  }

  // ─── AOF rewrite ───────────────────────────────────────────────────────────────────────────────────────

  /** BGREWRITEAOF; false when one is already running. */
  rewriteAof(): boolean {
    if (this.aof?.rewriting) return false;
    const log = this.server.log;
    let aof = this.aof;
    if (aof === null) {
      // AOF off: produce the files anyway (as Redis does), then close them again.
      aof = this.newAof();
      aof.openForAppend(this.server.keyspace);
    }
    const temporary = this.aof === null;
    this.aofRewriteStartedAt = Date.now();
    log.info("Background append only file rewriting started");
    const target = aof;
    target.rewrite(this.server.keyspace).then(
      () => {
        this.aofLastRewriteTimeSec = Math.round((Date.now() - this.aofRewriteStartedAt) / 1000);
        this.aofLastBgrewriteOk = true;
        this.aofRewrites++;
        this.aofRewritesConsecutiveFailures = 0;
        this.aofRewriteStartedAt = 0;
        if (temporary) target.close();
        log.info("Background AOF rewrite finished successfully");
      },
      (err: Error) => {
        this.aofLastBgrewriteOk = false;
        this.aofRewritesConsecutiveFailures++;
        this.aofRewriteStartedAt = 0;
        if (temporary) target.close();
        log.warn(`Background AOF rewrite failed: ${err.message}`);
      },
    );
    return true;
  }

  // ─── cron and shutdown ─────────────────────────────────────────────────────────────────────────────────

  /** From the server's cron: scheduled and `save`-point BGSAVEs, automatic AOF rewrites. */
  cron(now: number): void {
    const server = this.server;
    if (this.bgsaveProgress === null) {
      if (this.bgsaveScheduled) {
        this.bgsaveScheduled = false;
        this.bgsave();
        return;
      }
      for (const [seconds, changes] of this.savePoints()) {
        if (
          server.dirty >= changes &&
          now / 1000 - this.lastSave > seconds &&
          (this.lastBgsaveOk || now - this.lastBgsaveTry > BGSAVE_RETRY_DELAY_MS)
        ) {
          server.log.info(`${changes} changes in ${seconds} seconds. Saving...`);
          this.bgsave();
          break;
        }
      }
    }
    const aof = this.aof;
    if (aof !== null && !aof.rewriting) {
      const pct = server.config.getInt("auto-aof-rewrite-percentage");
      const min = server.config.getInt("auto-aof-rewrite-min-size");
      const base = aof.rewriteBaseSize || 1;
      const size = aof.currentSize;
      if (pct > 0 && size > min && ((size - base) * 100) / base >= pct) {
        server.log.info(
          `Starting automatic rewriting of AOF on ${Math.round(((size - base) * 100) / base)}% growth`,
        );
        this.rewriteAof();
      }
    }
  }

  /** SHUTDOWN / SIGTERM: fsync the AOF; save the RDB when asked or when save points exist. */
  onShutdown(save: boolean | null): void {
    const log = this.server.log;
    if (this.aof !== null) {
      log.info("Calling fsync() on the AOF file.");
      this.aof.close();
    }
    if (save === false) return;
    if (save === true || this.savePoints().length > 0) {
      log.info("Saving the final RDB snapshot before exiting.");
      this.saveSync();
    }
  }

  // ─── INFO ──────────────────────────────────────────────────────────────────────────────────────────────

  private infoSection(): InfoFields {
    const s = this.server;
    const now = Date.now();
    const aof = this.aof;
    const fields: InfoFields = [
      ["loading", s.loading ? 1 : 0],
      ["async_loading", 0],
      ["current_cow_peak", 0],
      ["current_cow_size", 0],
      ["current_cow_size_age", 0],
      ["current_fork_perc", "0.00"],
      ["current_save_keys_processed", this.bgsaveProgress?.keys ?? 0],
      ["current_save_keys_total", this.bgsaveProgress ? this.bgsaveKeysTotal : 0],
      ["rdb_changes_since_last_save", s.dirty],
      ["rdb_bgsave_in_progress", this.bgsaveProgress ? 1 : 0],
      ["rdb_last_save_time", this.lastSave],
      ["rdb_last_bgsave_status", this.lastBgsaveOk ? "ok" : "err"],
      ["rdb_last_bgsave_time_sec", this.lastBgsaveTimeSec],
      [
        "rdb_current_bgsave_time_sec",
        this.bgsaveProgress ? Math.round((now - this.bgsaveStartedAt) / 1000) : -1,
      ],
      ["rdb_saves", this.rdbSaves],
      ["rdb_last_cow_size", 0],
      ["rdb_last_load_keys_expired", this.lastLoadKeysExpired],
      ["rdb_last_load_keys_loaded", this.lastLoadKeysLoaded],
      ["aof_enabled", aof !== null ? 1 : 0],
      ["aof_rewrite_in_progress", aof?.rewriting ? 1 : 0],
      ["aof_rewrite_scheduled", this.aofRewriteScheduled ? 1 : 0],
      ["aof_last_rewrite_time_sec", this.aofLastRewriteTimeSec],
      [
        "aof_current_rewrite_time_sec",
        this.aofRewriteStartedAt ? Math.round((now - this.aofRewriteStartedAt) / 1000) : -1,
      ],
      ["aof_last_bgrewrite_status", this.aofLastBgrewriteOk ? "ok" : "err"],
      ["aof_rewrites", this.aofRewrites],
      ["aof_rewrites_consecutive_failures", this.aofRewritesConsecutiveFailures],
      ["aof_last_write_status", aof === null || aof.lastWriteOk ? "ok" : "err"],
      ["aof_last_cow_size", 0],
      ["module_fork_in_progress", 0],
      ["module_fork_last_cow_size", 0],
    ];
    if (aof !== null) {
      fields.push(
        ["aof_current_size", aof.currentSize],
        ["aof_base_size", aof.baseSize],
        ["aof_pending_rewrite", 0],
        ["aof_buffer_length", aof.bufferLength],
        ["aof_pending_bio_fsync", 0],
        ["aof_delayed_fsync", aof.delayedFsyncs],
      );
    }
    const current = this.bgsaveStallMonitor
      ? Math.round(this.bgsaveStallMonitor.max / 1e6)
      : this.lastBgsaveMaxStallMs;
    fields.push(
      ["tandem_max_event_loop_stall_ms", Math.round(this.stallMonitor.max / 1e6)],
      ["tandem_last_bgsave_max_stall_ms", current],
    );
    return fields;
  }
}
