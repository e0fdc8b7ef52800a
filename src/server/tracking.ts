import assert from "node:assert";
import { CommandFlag } from "../command-table/command-flags.js";
import { keysWithFlags } from "../command-table/key-specs.js";
import { type Client, ClientFlag } from "./client.js";
import type { RegisteredCommand } from "./command-registry.js";
import type { Server } from "./server.js";

/**
 * Client-side caching (Redis's tracking.c).
 *
 * Default mode: after a read-only command, the keys it read are remembered with the ids of the tracking
 * clients that read them (the table is keyed by name only, across databases, as Redis's). The first change
 * to such a key sends each of them one invalidation and forgets the key. BCAST mode: clients subscribe to
 * prefixes instead, and every key changed under a prefix is collected and sent once per event-loop turn.
 *
 * Messages: RESP3 clients get a push `>2 invalidate [keys]`; with REDIRECT the message goes to the other
 * client, as a push if it speaks RESP3 or, if it is a RESP2 client subscribed to anything, as a pub/sub
 * message on `__redis__:invalidate`. A flush invalidates everything with a null instead of the key array.
 */

export const TRACKING_CHANNEL = "__redis__:invalidate";

/** Per-client tracking state (kept on the client as `tracking`). */
export interface ClientTracking {
  /** Client id to redirect to, 0 for none. */
  redirect: number;
  /** BCAST prefixes, sorted. */
  prefixes: string[];
}

interface BcastState {
  clients: Set<Client>;
  /** Keys changed since the last broadcast → the client that changed them (for NOLOOP), null if none. */
  keys: Map<string, Client | null>;
}

const TRACKING_MODE_FLAGS =
  ClientFlag.TRACKING |
  ClientFlag.TRACKING_BROKEN_REDIR |
  ClientFlag.TRACKING_BCAST |
  ClientFlag.TRACKING_OPTIN |
  ClientFlag.TRACKING_OPTOUT |
  ClientFlag.TRACKING_CACHING |
  ClientFlag.TRACKING_NOLOOP;

export class Tracking {
  /** Clients with tracking on (INFO tracking_clients); 0 keeps every hook to one test. */
  clients = 0;
  /** key → ids of the clients that may have it cached. */
  private readonly table = new Map<string, Set<number>>();
  /** Sum of the sets' sizes (INFO tracking_total_items). */
  totalItems = 0;
  /** BCAST prefix → state (INFO tracking_total_prefixes). */
  readonly prefixTable = new Map<string, BcastState>();
  /** Invalidations for the client running a command, sent after its reply (null = flush). */
  private pendingForCurrent: (string | null)[] = [];
  /** Successive rounds that could not bring the table under tracking-table-max-keys. */
  private limitRounds = 0;
  maxKeys = 1_000_000;
  private broadcastScheduled = false;
  /** commandsProcessed and current client at the last flush invalidation (see invalidateAll). */
  private lastFlushMark = -1;
  private lastFlushClient: Client | null = null;

  constructor(private readonly server: Server) {}

  get totalKeys(): number {
    return this.table.size;
  }

  // ─── CLIENT TRACKING on / off ──────────────────────────────────────────────────────────────────────

  enable(c: Client, redirect: number, options: number, prefixes: readonly string[]): void {
    if (!(c.flags & ClientFlag.TRACKING)) this.clients++;
    c.flags |= ClientFlag.TRACKING;
    c.flags &= ~(
      ClientFlag.TRACKING_BROKEN_REDIR |
      ClientFlag.TRACKING_BCAST |
      ClientFlag.TRACKING_OPTIN |
      ClientFlag.TRACKING_OPTOUT |
      ClientFlag.TRACKING_NOLOOP
    );
    const state = (c.tracking ??= { redirect: 0, prefixes: [] });
    state.redirect = redirect;
    if (options & ClientFlag.TRACKING_BCAST) {
      c.flags |= ClientFlag.TRACKING_BCAST;
      if (prefixes.length === 0) this.addPrefix(c, "");
      for (const p of prefixes) this.addPrefix(c, p);
    }
    c.flags |=
      options & (ClientFlag.TRACKING_OPTIN | ClientFlag.TRACKING_OPTOUT | ClientFlag.TRACKING_NOLOOP);
  }

  disable(c: Client): void {
    if (c.flags & ClientFlag.TRACKING_BCAST && c.tracking) {
      for (const p of c.tracking.prefixes) {
        const bs = this.prefixTable.get(p);
        if (bs === undefined) continue;
        bs.clients.delete(c);
        if (bs.clients.size === 0) this.prefixTable.delete(p);
      }
      c.tracking.prefixes = [];
    }
    if (c.flags & ClientFlag.TRACKING) {
      this.clients--;
      c.flags &= ~TRACKING_MODE_FLAGS;
    }
  }

  private addPrefix(c: Client, prefix: string): void {
    let bs = this.prefixTable.get(prefix);
    if (bs === undefined) {
      bs = { clients: new Set(), keys: new Map() };
      this.prefixTable.set(prefix, bs);
    }
    if (bs.clients.has(c)) return;
    bs.clients.add(c);
    const tracking = c.tracking;
    assert(tracking !== null, "a BCAST prefix is added to a client with tracking on");
    const list = tracking.prefixes;
    list.push(prefix);
    list.sort(compareBytes);
  }

  /**
   * checkPrefixCollisionsOrReply: the error for the first prefix overlapping one the client has or
   * another one given, or null.
   */
  prefixCollision(c: Client, prefixes: readonly string[]): string | null {
    const existing = c.tracking?.prefixes ?? [];
    for (let i = 0; i < prefixes.length; i++) {
      for (const p of existing) {
        if (overlaps(p, prefixes[i])) {
          return `ERR Prefix '${cString(prefixes[i])}' overlaps with an existing prefix '${cString(p)}'. Prefixes for a single client must not overlap.`;
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        if (overlaps(prefixes[i], prefixes[j])) {
          return `ERR Prefix '${cString(prefixes[i])}' overlaps with another provided prefix '${cString(prefixes[j])}'. Prefixes for a single client must not overlap.`;
        }
      }
    }
    return null;
  }

  // ─── remembering keys (after read-only commands) ─────────────────────────────────────────────────────

  /** trackingRememberKeys: called after a command of a tracking client (the caller tested the flag). */
  rememberKeys(c: Client, cmd: RegisteredCommand, argv: readonly string[]): void {
    const flags = c.flags;
    if (flags & ClientFlag.TRACKING_BCAST) return;
    const cmdFlags = cmd.spec.flags | (cmd.spec.parent?.flags ?? 0);
    if (!(cmdFlags & CommandFlag.READONLY) || cmdFlags & CommandFlag.PUBSUB) return;
    const optin = flags & ClientFlag.TRACKING_OPTIN;
    const optout = flags & ClientFlag.TRACKING_OPTOUT;
    const caching = flags & ClientFlag.TRACKING_CACHING;
    if ((optin && !caching) || (optout && caching)) return;
    for (const k of keysWithFlags(cmd.spec, argv)) {
      const key = argv[k.pos];
      let ids = this.table.get(key);
      if (ids === undefined) {
        ids = new Set();
        this.table.set(key, ids);
      }
      if (!ids.has(c.id)) {
        ids.add(c.id);
        this.totalItems++;
      }
    }
    // Redis checks the bound before each command of a tracking client; only this path grows the table.
    if (this.table.size > this.maxKeys && this.maxKeys !== 0) this.limitUsedSlots();
  }

  // ─── invalidation ──────────────────────────────────────────────────────────────────────────────────

  /**
   * trackingInvalidateKey: `key` was modified (by `by`, null for expiry/eviction). Callers test `active`
   * first, so a server without remembered keys or BCAST prefixes pays one test per modified key.
   */
  invalidateKey(by: Client | null, key: string, bcast = true): void {
    if (bcast && this.prefixTable.size > 0) this.rememberKeyToBroadcast(by, key);
    const ids = this.table.get(key);
    if (ids === undefined) return;
    const current = this.server.currentClient;
    for (const id of ids) {
      const target = this.server.clients.get(id);
      if (
        target === undefined ||
        !(target.flags & ClientFlag.TRACKING) ||
        target.flags & ClientFlag.TRACKING_BCAST
      )
        continue;
      if (target.flags & ClientFlag.TRACKING_NOLOOP && target === current) continue;
      // The client running a command gets the invalidation after its reply, not in the middle of it.
      if (target === current) this.pendingForCurrent.push(key);
      else this.send(target, encodeKeys([key]));
    }
    this.totalItems -= ids.size;
    this.table.delete(key);
  }

  /** True when a modified key may concern someone: the one test signalModifiedKey makes. */
  get active(): boolean {
    return this.table.size !== 0 || this.prefixTable.size !== 0;
  }

  /** trackingInvalidateKeysOnFlush: every tracking client gets a null; the table is dropped. */
  invalidateAll(): void {
    // FLUSHALL and a full sync flush db by db: one flush gets one null, as Redis's signalFlushedDb(-1).
    // No command ran since the last null means nothing new can have been read and cached.
    const mark = this.server.stats.commandsProcessed;
    if (mark === this.lastFlushMark && this.server.currentClient === this.lastFlushClient) return;
    this.lastFlushMark = mark;
    this.lastFlushClient = this.server.currentClient;
    if (this.clients !== 0) {
      const current = this.server.currentClient;
      for (const c of this.server.clients.values()) {
        if (!(c.flags & ClientFlag.TRACKING)) continue;
        if (c === current) this.pendingForCurrent.push(null);
        else this.send(c, null);
      }
    }
    this.table.clear();
    this.totalItems = 0;
  }

  /** True when the command that just ended left invalidations for its own client. */
  get hasPending(): boolean {
    return this.pendingForCurrent.length !== 0;
  }

  /** trackingHandlePendingKeyInvalidations: after the outermost command of `c`. */
  sendPending(c: Client): void {
    const keys = this.pendingForCurrent;
    this.pendingForCurrent = [];
    if (c.isClosed) return;
    for (const k of keys) this.send(c, k === null ? null : encodeKeys([k]));
  }

  private rememberKeyToBroadcast(by: Client | null, key: string): void {
    for (const [prefix, bs] of this.prefixTable) {
      if (!key.startsWith(prefix)) continue;
      bs.keys.set(key, by);
      this.scheduleBroadcast();
    }
  }

  private scheduleBroadcast(): void {
    if (this.broadcastScheduled) return;
    this.broadcastScheduled = true;
    this.server.requestBeforeSleep();
  }

  /** trackingBroadcastInvalidationMessages, run before replies are written at the end of a turn. */
  broadcastInvalidations(): void {
    if (!this.broadcastScheduled) return;
    this.broadcastScheduled = false;
    const prefixes = [...this.prefixTable.keys()].sort(compareBytes);
    for (const prefix of prefixes) {
      const bs = this.prefixTable.get(prefix);
      assert(bs !== undefined, "iterating the prefix table's own keys");
      if (bs.keys.size === 0) continue;
      const keys = [...bs.keys.keys()].sort(compareBytes);
      const all = encodeKeys(keys);
      for (const c of bs.clients) {
        if (c.flags & ClientFlag.TRACKING_NOLOOP) {
          const own = keys.filter((k) => bs.keys.get(k) !== c);
          if (own.length > 0) this.send(c, own.length === keys.length ? all : encodeKeys(own));
        } else {
          this.send(c, all);
        }
      }
      bs.keys = new Map();
    }
  }

  /**
   * sendTrackingMessage: `keysProto` is the RESP of the key array, null for a flush (RESP null in the
   * receiver's protocol).
   */
  private send(c: Client, keysProto: string | null): void {
    let target = c;
    const redirect = c.tracking?.redirect ?? 0;
    const redirected = redirect !== 0;
    if (redirected) {
      const r = this.server.clients.get(redirect);
      if (r === undefined || r.isClosed) {
        c.flags |= ClientFlag.TRACKING_BROKEN_REDIR;
        if (c.reply.proto === 3) {
          c.beginPush();
          c.reply.raw(`>2\r\n$21\r\ntracking-redir-broken\r\n:${redirect}\r\n`);
          c.endPush();
          this.server.queueFlush(c);
        }
        return;
      }
      target = r;
    }
    const body = keysProto ?? (target.reply.proto === 3 ? "_\r\n" : "$-1\r\n");
    if (target.reply.proto === 3) {
      target.beginPush();
      target.reply.raw(`>2\r\n$10\r\ninvalidate\r\n${body}`);
      target.endPush();
    } else if (redirected && target.flags & ClientFlag.PUBSUB) {
      target.beginPush();
      target.reply.raw(`*3\r\n$7\r\nmessage\r\n$20\r\n${TRACKING_CHANNEL}\r\n${body}`);
      target.endPush();
    } else {
      return; // RESP2 without redirection: no way to deliver it on this connection
    }
    this.server.queueFlush(target);
  }

  // ─── bounding the table ────────────────────────────────────────────────────────────────────────────

  /**
   * trackingLimitUsedSlots: over tracking-table-max-keys, invalidate keys (oldest remembered first;
   * Redis picks them by random walk) with an effort that grows while the limit is still not reached.
   */
  limitUsedSlots(): void {
    if (this.maxKeys === 0 || this.table.size <= this.maxKeys) {
      this.limitRounds = 0;
      return;
    }
    let effort = 100 * (this.limitRounds + 1);
    for (const key of this.table.keys()) {
      if (effort-- <= 0) break;
      this.invalidateKey(null, key, false);
      if (this.table.size <= this.maxKeys) {
        this.limitRounds = 0;
        return;
      }
    }
    this.limitRounds++;
  }

  /** A client went away: its BCAST subscriptions go (its ids in the table are skipped lazily, as Redis). */
  removeClient(c: Client): void {
    if (c.flags & ClientFlag.TRACKING) this.disable(c);
  }
}

/** The RESP array of bulk keys. */
function encodeKeys(keys: readonly string[]): string {
  let s = `*${keys.length}\r\n`;
  for (const k of keys) s += `$${k.length}\r\n${k}\r\n`;
  return s;
}

/** Two prefixes overlap when one starts the other (stringCheckPrefix). */
function overlaps(a: string, b: string): boolean {
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}

/** Redis prints the prefixes with %s: a NUL byte ends them. */
function cString(s: string): string {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}

/** Byte order (the strings are latin1, one char per byte), as Redis's radix trees iterate. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
