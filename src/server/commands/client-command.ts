import type { Socket } from "node:net";
import {
  getLongLongOrReply,
  getRangeLongOrReply,
  getTimeoutOrReply,
  LONG_MAX,
  UNIT_MILLISECONDS,
} from "../arguments.js";
import { type Client, ClientFlag } from "../client.js";
import { ClientPause } from "../client-pause.js";
import type { CommandDef } from "../command-registry.js";
import { ERR_CLIENT_NAME, ERR_SYNTAX } from "../shared-replies.js";
import { validClientName } from "./connection.js";
import { replyHelp } from "./helpers.js";

/**
 * CLIENT: ID, SETNAME, GETNAME, LIST, INFO, KILL, SETINFO, NO-EVICT, NO-TOUCH, PAUSE, UNPAUSE, REPLY,
 * UNBLOCK, TRACKING, CACHING, GETREDIR, TRACKINGINFO, HELP, with Redis 7.0's replies (SETINFO and NO-TOUCH
 * follow Redis 7.2, which added them).
 *
 * CLIENT LIST prints Redis 7.0's line format. Fields that describe Redis's allocator (rbs, tot-mem, ...)
 * are Tandem's closest equivalents: query bytes buffered (qbuf) and the room left for more (qbuf-free),
 * bytes queued on the socket.
 */

// ─── CLIENT LIST / INFO ──────────────────────────────────────────────────────────────────────────────────

/** Redis's getClientTypeName classes, for TYPE filters. */
function clientType(c: Client): "normal" | "master" | "replica" | "pubsub" {
  if (c.flags & ClientFlag.MASTER) return "master";
  if (c.flags & ClientFlag.SLAVE) return "replica";
  if (c.flags & ClientFlag.PUBSUB) return "pubsub";
  return "normal";
}

/** Parses a TYPE argument as Redis's getClientTypeByName ("slave" is "replica"); null when unknown. */
function typeByName(name: string): string | null {
  const l = name.toLowerCase();
  if (l === "normal" || l === "master" || l === "replica" || l === "pubsub") return l;
  if (l === "slave") return "replica";
  return null;
}

function flagLetters(c: Client): string {
  const f = c.flags;
  let s = "";
  if (f & ClientFlag.MONITOR) s += "O";
  else if (f & ClientFlag.SLAVE) s += "S";
  if (f & ClientFlag.MASTER) s += "M";
  if (f & ClientFlag.PUBSUB) s += "P";
  if (f & ClientFlag.MULTI) s += "x";
  if (f & ClientFlag.BLOCKED) s += "b";
  if (f & ClientFlag.TRACKING) s += "t";
  if (f & ClientFlag.TRACKING_BROKEN_REDIR) s += "R";
  if (f & ClientFlag.TRACKING_BCAST) s += "B";
  if (f & ClientFlag.DIRTY_CAS) s += "d";
  if (f & ClientFlag.CLOSE_AFTER_REPLY) s += "c";
  if (f & ClientFlag.CLOSE_ASAP) s += "A";
  if (f & ClientFlag.NO_EVICT) s += "e";
  if (f & ClientFlag.NO_TOUCH) s += "T";
  return s === "" ? "N" : s;
}

function socketFd(socket: Socket | null): number {
  // libuv's handle exposes the descriptor on Unix; -1 for clients without a socket, as Redis's fake clients.
  const handle = (socket as unknown as { _handle?: { fd?: number } } | null)?._handle;
  return typeof handle?.fd === "number" ? handle.fd : -1;
}

/**
 * One CLIENT LIST line (without the newline), Redis 7.0's catClientInfoString. `cmdName` overrides the
 * `cmd=` field (the ACL log names the command being refused, which never ran).
 */
export function clientInfoString(c: Client, now = Date.now(), cmdName?: string): string {
  const socket = c.socket;
  const qbuf = c.parser.bufferedBytes;
  const obl = c.reply.pendingBytes;
  const omem = socket?.writableLength ?? 0;
  const cmd = c.cmd ?? c.lastCmd;
  const multi = c.flags & ClientFlag.MULTI ? c.mstate.length : -1;
  let multiMem = 0;
  for (const q of c.mstate) for (const a of q.argv) multiMem += a.length;
  let argvMem = 0;
  for (const a of c.argv) argvMem += a.length;
  const events = omem > 0 ? "rw" : "r";
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${socketFd(socket)} name=${c.name}` +
    ` age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)}` +
    ` flags=${flagLetters(c)} db=${c.db.id} sub=${c.channels.size} psub=${c.patterns.size} ssub=${c.shardChannels.size}` +
    ` multi=${multi} qbuf=${qbuf} qbuf-free=${c.parser.freeBytes} argv-mem=${argvMem} multi-mem=${multiMem}` +
    ` rbs=0 rbp=0 obl=${obl} oll=0 omem=${omem} tot-mem=${qbuf + obl + omem + argvMem + multiMem}` +
    ` events=${events} cmd=${cmdName ?? (cmd ? cmd.fullName : "NULL")} user=${c.user.name}` +
    ` redir=${redirectId(c)} resp=${c.reply.proto}`
  );
}

function clientList(c: Client, argv: string[]): void {
  let clients = [...c.server.clients.values()];
  if (argv.length === 4 && argv[2].toLowerCase() === "type") {
    const type = typeByName(argv[3]);
    if (type === null) {
      c.reply.error(`ERR Unknown client type '${argv[3]}'`);
      return;
    }
    clients = clients.filter((x) => clientType(x) === type);
  } else if (argv.length > 3 && argv[2].toLowerCase() === "id") {
    const ids = new Set<number>();
    for (let i = 3; i < argv.length; i++) {
      // Only a non-integer is an error: an id no client has simply matches nothing, as in Redis.
      const id = getLongLongOrReply(c, argv[i], "ERR Invalid client ID");
      if (id === null) return;
      ids.add(id);
    }
    clients = [...ids].map((id) => c.server.clients.get(id)).filter((x): x is Client => x !== undefined);
  } else if (argv.length !== 2) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const now = Date.now();
  let out = "";
  for (const x of clients) out += clientInfoString(x, now) + "\n";
  c.reply.verbatim(out);
}

function clientInfo(c: Client): void {
  c.reply.verbatim(clientInfoString(c) + "\n");
}

// ─── CLIENT KILL ─────────────────────────────────────────────────────────────────────────────────────────

interface KillFilter {
  id?: number;
  type?: string;
  addr?: string;
  laddr?: string;
  user?: string;
  skipme: boolean;
}

function parseKillFilter(c: Client, argv: string[]): KillFilter | null {
  const f: KillFilter = { skipme: true };
  if ((argv.length - 2) % 2 !== 0) {
    c.reply.error(ERR_SYNTAX);
    return null;
  }
  for (let i = 2; i < argv.length; i += 2) {
    const opt = argv[i].toLowerCase();
    const val = argv[i + 1];
    if (opt === "id") {
      const id = getRangeLongOrReply(c, val, 1, LONG_MAX, "ERR client-id should be greater than 0");
      if (id === null) return null;
      f.id = id;
    } else if (opt === "type") {
      const t = typeByName(val);
      if (t === null) {
        c.reply.error(`ERR Unknown client type '${val}'`);
        return null;
      }
      f.type = t;
    } else if (opt === "addr") {
      f.addr = val;
    } else if (opt === "laddr") {
      f.laddr = val;
    } else if (opt === "user") {
      if (c.server.acl.getUser(val) === undefined) {
        c.reply.error(`ERR No such user '${val}'`);
        return null;
      }
      f.user = val;
    } else if (opt === "skipme") {
      const l = val.toLowerCase();
      if (l === "yes") f.skipme = true;
      else if (l === "no") f.skipme = false;
      else {
        c.reply.error(ERR_SYNTAX);
        return null;
      }
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return f;
}

function matches(f: KillFilter, me: Client, x: Client): boolean {
  if (f.id !== undefined && x.id !== f.id) return false;
  if (f.type !== undefined && clientType(x) !== f.type) return false;
  if (f.addr !== undefined && x.addr !== f.addr) return false;
  if (f.laddr !== undefined && x.laddr !== f.laddr) return false;
  if (f.user !== undefined && x.user.name !== f.user) return false;
  if (f.skipme && x === me) return false;
  return true;
}

/** Closes a client as Redis's CLIENT KILL does: itself after this reply, others at once. */
function kill(me: Client, x: Client): void {
  if (x === me) me.flags |= ClientFlag.CLOSE_AFTER_REPLY;
  else x.destroy();
}

function clientKill(c: Client, argv: string[]): void {
  if (argv.length === 3) {
    // The old form: CLIENT KILL addr:port, +OK or an error; it may kill the caller.
    const target = [...c.server.clients.values()].find((x) => x.addr === argv[2]);
    if (target === undefined) {
      c.reply.error("ERR No such client");
      return;
    }
    c.reply.ok();
    kill(c, target);
    return;
  }
  const f = parseKillFilter(c, argv);
  if (f === null) return;
  const victims = [...c.server.clients.values()].filter((x) => matches(f, c, x));
  c.reply.integer(victims.length);
  for (const x of victims) kill(c, x);
}

// ─── per-connection switches ─────────────────────────────────────────────────────────────────────────────

function clientId(c: Client): void {
  c.reply.integer(c.id);
}

function clientSetName(c: Client, argv: string[]): void {
  if (!validClientName(argv[2])) {
    c.reply.error(ERR_CLIENT_NAME);
    return;
  }
  c.name = argv[2];
  c.reply.ok();
}

function clientGetName(c: Client): void {
  if (c.name === "") c.reply.nullBulk();
  else c.reply.bulk(c.name);
}

function clientSetInfo(c: Client, argv: string[]): void {
  const attr = argv[2].toLowerCase();
  if (attr !== "lib-name" && attr !== "lib-ver") {
    c.reply.error(`ERR Unrecognized option '${argv[2]}'`);
    return;
  }
  if (!validClientName(argv[3]) && argv[3] !== "") {
    c.reply.error(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
    return;
  }
  if (attr === "lib-name") c.libName = argv[3];
  else c.libVer = argv[3];
  c.reply.ok();
}

/** CLIENT NO-EVICT / NO-TOUCH on|off. */
function onOffFlag(flag: number) {
  return (c: Client, argv: string[]): void => {
    const v = argv[2].toLowerCase();
    if (v === "on") c.flags |= flag;
    else if (v === "off") c.flags &= ~flag;
    else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
    c.reply.ok();
  };
}

/** CLIENT REPLY ON|OFF|SKIP: OFF and SKIP have no reply of their own; the client applies the flags. */
function clientReply(c: Client, argv: string[]): void {
  const v = argv[2].toLowerCase();
  if (v === "on") {
    c.flags &= ~(ClientFlag.REPLY_OFF | ClientFlag.REPLY_SKIP | ClientFlag.REPLY_SKIP_NEXT);
    c.reply.ok();
  } else if (v === "off") {
    c.flush(); // replies to earlier commands in this pipeline still go out
    c.flags |= ClientFlag.REPLY_OFF;
  } else if (v === "skip") {
    c.flush();
    if (!(c.flags & ClientFlag.REPLY_OFF)) c.flags |= ClientFlag.REPLY_SKIP_NEXT;
  } else {
    c.reply.error(ERR_SYNTAX);
  }
}

// ─── PAUSE / UNPAUSE / UNBLOCK ───────────────────────────────────────────────────────────────────────────

function clientPause(c: Client, argv: string[]): void {
  const end = getTimeoutOrReply(c, argv[2], UNIT_MILLISECONDS);
  if (end === null) return;
  let all = true;
  if (argv.length === 4) {
    const mode = argv[3].toLowerCase();
    if (mode === "write") all = false;
    else if (mode !== "all") {
      c.reply.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  } else if (argv.length > 4) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  if (c.server.clientPause === null) c.server.clientPause = new ClientPause(c.server);
  c.server.clientPause.pause(end, all);
  c.reply.ok();
}

function clientUnpause(c: Client): void {
  c.server.clientPause?.unpause();
  c.reply.ok();
}

/** Kinds of block CLIENT UNBLOCK may end (Redis: blocking commands and WAIT, not a pause). */
const UNBLOCKABLE = new Set(["list", "zset", "stream", "wait", "waitoffset", "module"]);

function clientUnblock(c: Client, argv: string[]): void {
  const id = getLongLongOrReply(c, argv[2]);
  if (id === null) return;
  let asError = false;
  if (argv.length === 4) {
    const how = argv[3].toLowerCase();
    if (how === "error") asError = true;
    else if (how !== "timeout") {
      c.reply.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  } else if (argv.length > 4) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const target = c.server.clients.get(id);
  const block = target?.block;
  if (target === undefined || !block || !UNBLOCKABLE.has(block.kind)) {
    c.reply.integer(0);
    return;
  }
  if (asError) {
    block.onCancel?.("unblock-error");
    target.reply.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
  } else {
    target.blockedCall = null; // a timeout: kept out of the slow log, as Redis does
    block.onTimeout();
  }
  target.unblock();
  c.reply.integer(1);
}

// ─── client-side caching ─────────────────────────────────────────────────────────────────────────────────

/** The client id tracking redirects to: 0 for none, -1 when tracking is off (GETREDIR, CLIENT LIST). */
function redirectId(c: Client): number {
  return c.flags & ClientFlag.TRACKING ? (c.tracking?.redirect ?? 0) : -1;
}

/** CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP], as networking.c. */
function clientTracking(c: Client, argv: string[]): void {
  let redirect = 0;
  let options = 0;
  const prefixes: string[] = [];
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j].toLowerCase();
    if (opt === "redirect" && more > 0) {
      j++;
      if (redirect !== 0) {
        c.reply.error("ERR A client can only redirect to a single other client");
        return;
      }
      const id = getLongLongOrReply(c, argv[j]);
      if (id === null) return;
      if (!c.server.clients.has(id)) {
        c.reply.error("ERR The client ID you want redirect to does not exist");
        return;
      }
      redirect = id;
    } else if (opt === "bcast") options |= ClientFlag.TRACKING_BCAST;
    else if (opt === "optin") options |= ClientFlag.TRACKING_OPTIN;
    else if (opt === "optout") options |= ClientFlag.TRACKING_OPTOUT;
    else if (opt === "noloop") options |= ClientFlag.TRACKING_NOLOOP;
    else if (opt === "prefix" && more > 0) prefixes.push(argv[++j]);
    else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const onOff = argv[2].toLowerCase();
  const tracking = c.server.tracking;
  if (onOff === "on") {
    const err = trackingOptionsError(c, options, prefixes);
    if (err !== null) {
      c.reply.error(err);
      return;
    }
    tracking.enable(c, redirect, options, prefixes);
  } else if (onOff === "off") {
    tracking.disable(c);
  } else {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  c.reply.ok();
}

/** The checks CLIENT TRACKING ON makes before enabling, in Redis's order; null when the options are fine. */
function trackingOptionsError(c: Client, options: number, prefixes: string[]): string | null {
  const bcast = (options & ClientFlag.TRACKING_BCAST) !== 0;
  if (!bcast && prefixes.length > 0) return "ERR PREFIX option requires BCAST mode to be enabled";
  if (c.flags & ClientFlag.TRACKING && ((c.flags & ClientFlag.TRACKING_BCAST) !== 0) !== bcast) {
    return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
  }
  const optin = (options & ClientFlag.TRACKING_OPTIN) !== 0;
  const optout = (options & ClientFlag.TRACKING_OPTOUT) !== 0;
  if (bcast && (optin || optout)) return "ERR OPTIN and OPTOUT are not compatible with BCAST";
  if (optin && optout) return "ERR You can't specify both OPTIN mode and OPTOUT mode";
  if ((optin && c.flags & ClientFlag.TRACKING_OPTOUT) || (optout && c.flags & ClientFlag.TRACKING_OPTIN)) {
    return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
  }
  if (bcast) return c.server.tracking.prefixCollision(c, prefixes);
  return null;
}

function clientCaching(c: Client, argv: string[]): void {
  if (!(c.flags & ClientFlag.TRACKING)) {
    c.reply.error(
      "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
    );
    return;
  }
  const opt = argv[2].toLowerCase();
  if (opt === "yes") {
    if (!(c.flags & ClientFlag.TRACKING_OPTIN)) {
      c.reply.error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
      return;
    }
  } else if (opt === "no") {
    if (!(c.flags & ClientFlag.TRACKING_OPTOUT)) {
      c.reply.error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
      return;
    }
  } else {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  c.flags |= ClientFlag.TRACKING_CACHING;
  c.reply.ok();
}

function clientGetRedir(c: Client): void {
  c.reply.integer(redirectId(c));
}

function clientTrackingInfo(c: Client): void {
  const f = c.flags;
  const flags: string[] = [f & ClientFlag.TRACKING ? "on" : "off"];
  if (f & ClientFlag.TRACKING_BCAST) flags.push("bcast");
  if (f & ClientFlag.TRACKING_OPTIN) {
    flags.push("optin");
    if (f & ClientFlag.TRACKING_CACHING) flags.push("caching-yes");
  }
  if (f & ClientFlag.TRACKING_OPTOUT) {
    flags.push("optout");
    if (f & ClientFlag.TRACKING_CACHING) flags.push("caching-no");
  }
  if (f & ClientFlag.TRACKING_NOLOOP) flags.push("noloop");
  if (f & ClientFlag.TRACKING_BROKEN_REDIR) flags.push("broken_redirect");
  c.reply.mapHeader(3);
  c.reply.bulk("flags");
  c.reply.setHeader(flags.length);
  for (const x of flags) c.reply.bulk(x);
  c.reply.bulk("redirect");
  c.reply.integer(redirectId(c));
  c.reply.bulk("prefixes");
  const prefixes = f & ClientFlag.TRACKING_BCAST ? (c.tracking?.prefixes ?? []) : [];
  c.reply.bulkArray(prefixes);
}

function clientHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv[0], [
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
  ]);
}

// ─── the command ─────────────────────────────────────────────────────────────────────────────────────────

export const clientCommand: CommandDef = {
  name: "client",
  subcommands: {
    id: clientId,
    setname: clientSetName,
    getname: clientGetName,
    setinfo: clientSetInfo,
    list: clientList,
    info: clientInfo,
    kill: clientKill,
    "no-evict": onOffFlag(ClientFlag.NO_EVICT),
    "no-touch": onOffFlag(ClientFlag.NO_TOUCH),
    reply: clientReply,
    pause: clientPause,
    unpause: clientUnpause,
    unblock: clientUnblock,
    tracking: clientTracking,
    caching: clientCaching,
    getredir: clientGetRedir,
    trackinginfo: clientTrackingInfo,
    help: clientHelp,
  },
};
