import type { ProxyConfig } from "../config/proxy-config.js";
import {
  ERR_AUTH_NOPASS,
  ERR_CLIENT_NAME,
  ERR_DB_INDEX,
  ERR_HELLO_NOAUTH,
  ERR_NOPROTO,
  ERR_NOT_INTEGER,
  ERR_PROTO_VERSION,
  ERR_SYNTAX,
  ERR_WRONGPASS,
  errHelloOption,
  errUnknownSubcommand,
  errValueOutOfRange,
  errWrongArity,
} from "../resp/error-replies.js";
import { INT_MAX, INT_MIN, parseInt64 } from "../resp/parse-integer.js";
import type { Backend } from "./backend.js";
import type { LocalCommandName } from "./command-route.js";
import { CONSISTENCY_LEVELS, type ConsistencyLevel, parseToken } from "./consistency.js";
import type { DrainController } from "./drain.js";
import type { Router } from "./router.js";

/**
 * The commands the proxy answers or interprets itself, as one table: session state (AUTH, HELLO, SELECT,
 * CLIENT SETNAME/GETNAME, RESET), PING and QUIT, and the proxy's own PROXY command (consistency levels,
 * causal tokens, durability, and the admin subcommands BACKENDS / DRAIN / UNDRAIN).
 *
 * Handlers see the session through LocalCommandTarget only: its state fields and a few actions.
 */

export interface LocalCommandTarget {
  readonly id: number;
  readonly config: ProxyConfig;
  readonly router: Router;
  readonly drains: DrainController;
  db: number;
  name: string;
  /** RESP version chosen with HELLO. */
  proto: number;
  authenticated: boolean;
  /** Authenticated with admin_password: may run PROXY BACKENDS / DRAIN / UNDRAIN. */
  admin: boolean;
  readonly level: ConsistencyLevel;
  readonly durabilityReplicas: number;
  readonly durabilityTimeoutMs: number;
  /** Inside MULTI on a pinned connection. */
  readonly inTransaction: boolean;
  reply(bytes: Buffer): void;
  /** Replies, then closes the connection (QUIT). */
  replyAndClose(bytes: Buffer): void;
  /** Sends the request being handled to the master (the pinned connection when the session is pinned). */
  forward(): void;
  /** RESET: back to a new connection's state. */
  reset(): void;
  setLevel(level: ConsistencyLevel): void;
  setDurability(replicas: number, timeoutMs: number): void;
  /** PROXY AFTER: the next reads need this token. */
  after(replid: string, offset: number): void;
  /** PROXY TOKEN: replies with the token once the master's offset after this session's writes is known. */
  replyToken(): void;
}

export interface LocalCommand {
  /** May run before AUTH (when requirepass is set). */
  readonly beforeAuth: boolean;
  /** In a pinned session (MULTI/WATCH): "forward" sends the command to the pinned connection instead. */
  readonly whenPinned: "local" | "forward";
  run(s: LocalCommandTarget, argv: string[]): void;
}

// ─── replies ─────────────────────────────────────────────────────────────────────────────────────────────

const R = (s: string) => Buffer.from(s, "latin1");
export const OK = R("+OK\r\n");
const PONG = R("+PONG\r\n");
const RESET_REPLY = R("+RESET\r\n");
const NULL_BULK = R("$-1\r\n");
const NULL3 = R("_\r\n");
/** An error reply, framed: Redis's texts come from src/resp/error-replies.ts, shared with the server. */
const E = (text: string) => R(`-${text}\r\n`);
const WRONGPASS = E(ERR_WRONGPASS);
const AUTH_NOPASS = E(ERR_AUTH_NOPASS);
const SYNTAX = E(ERR_SYNTAX);
const NOT_INTEGER = E(ERR_NOT_INTEGER);
const DB_RANGE = E(ERR_DB_INDEX);
const INT_RANGE = E(errValueOutOfRange(INT_MIN, INT_MAX));
const NOPROTO = E(ERR_NOPROTO);
const PROTO_VERSION = E(ERR_PROTO_VERSION);
const HELLO_NOAUTH = E(ERR_HELLO_NOAUTH);
const BAD_NAME = E(ERR_CLIENT_NAME);
const CLIENT_REPLY = R("-ERR Tandem proxy: CLIENT REPLY is not supported through the proxy\r\n");
const CLIENT_TRACKING = R("-ERR Tandem proxy: CLIENT TRACKING is not supported through the proxy\r\n");
const SELECT_IN_MULTI = R("-ERR Tandem proxy: SELECT inside MULTI is not supported through the proxy\r\n");
const NOPERM = R(
  "-NOPERM this command needs the proxy's admin password (AUTH <admin_password> on this connection)\r\n",
);
const BAD_TOKEN = R(
  "-ERR Tandem proxy: invalid token (expected <40 hex digit replid>:<offset>, from PROXY TOKEN)\r\n",
);
const wrongArgs = (cmd: string) => E(errWrongArity(cmd.toLowerCase()));
export const bulk = (s: string) => R(`$${Buffer.byteLength(s, "latin1")}\r\n${s}\r\n`);
const proxyError = (msg: string) => R(`-ERR Tandem proxy: ${msg}\r\n`);

// ─── session state ───────────────────────────────────────────────────────────────────────────────────────

function auth(s: LocalCommandTarget, argv: string[]): Buffer {
  const cfg = s.config;
  if (argv.length < 2) return wrongArgs("auth");
  if (argv.length > 3) return SYNTAX;
  const user = argv.length === 3 ? argv[1] : "default";
  const given = argv[argv.length - 1];
  if (cfg.adminPassword !== "" && given === cfg.adminPassword && (user === "default" || user === "admin")) {
    s.authenticated = true;
    s.admin = true;
    return OK;
  }
  if (cfg.requirepass === "") return cfg.adminPassword === "" ? AUTH_NOPASS : WRONGPASS;
  if (user !== "default" || given !== cfg.requirepass) return WRONGPASS;
  s.authenticated = true;
  return OK;
}

function hello(s: LocalCommandTarget, argv: string[]): Buffer {
  let proto = 2;
  if (argv.length >= 2) {
    // getLongLongFromObjectOrReply, as Redis's HELLO: any int64 is an integer, only 2 and 3 are protocols.
    const v = parseInt64(argv[1]);
    if (v === null) return PROTO_VERSION;
    if (v !== 2n && v !== 3n) return NOPROTO;
    proto = Number(v);
  }
  let name: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const opt = argv[i].toLowerCase();
    if (opt === "auth" && i + 2 < argv.length) {
      const r = auth(s, ["auth", argv[i + 1], argv[i + 2]]);
      if (r !== OK) return r;
      i += 2;
    } else if (opt === "setname" && i + 1 < argv.length) {
      name = argv[++i];
      if (!/^[!-~]*$/.test(name)) return BAD_NAME;
    } else {
      return E(errHelloOption(argv[i]));
    }
  }
  if (!s.authenticated) return HELLO_NOAUTH;
  if (name !== null) s.name = name;
  if (argv.length >= 2) s.proto = proto;
  else proto = s.proto;
  const fields: [string, string | number][] = [
    ["server", "redis"],
    ["version", "7.0.15"],
    ["proto", proto],
    ["id", s.id],
    ["mode", "standalone"],
    ["role", "master"],
  ];
  let out = proto === 3 ? `%${fields.length + 1}\r\n` : `*${fields.length * 2 + 2}\r\n`;
  for (const [k, v] of fields)
    out += `$${k.length}\r\n${k}\r\n${typeof v === "number" ? `:${v}` : `$${v.length}\r\n${v}`}\r\n`;
  out += "$7\r\nmodules\r\n*0\r\n";
  return R(out);
}

function select(s: LocalCommandTarget, argv: string[]): void {
  if (s.inTransaction) return void s.reply(SELECT_IN_MULTI);
  if (argv.length !== 2) return void s.reply(wrongArgs("select"));
  // getIntFromObjectOrReply, as Redis's SELECT: not an integer, then outside C's int, then the db range.
  const n = parseInt64(argv[1]);
  if (n === null) return void s.reply(NOT_INTEGER);
  if (n < INT_MIN || n > INT_MAX) return void s.reply(INT_RANGE);
  if (n < 0n || n >= s.config.databases) return void s.reply(DB_RANGE);
  s.db = Number(n);
  s.reply(OK);
}

function client(s: LocalCommandTarget, argv: string[]): void {
  const sub = (argv[1] ?? "").toLowerCase();
  switch (sub) {
    case "setname":
      if (argv.length !== 3) return void s.reply(wrongArgs("client|setname"));
      if (!/^[!-~]*$/.test(argv[2])) return void s.reply(BAD_NAME);
      s.name = argv[2];
      return void s.reply(OK);
    case "getname":
      if (argv.length !== 2) return void s.reply(wrongArgs("client|getname"));
      return void s.reply(s.name === "" ? (s.proto === 3 ? NULL3 : NULL_BULK) : bulk(s.name));
    // Both would break the one-reply-per-request matching on shared connections.
    case "reply":
      return void s.reply(CLIENT_REPLY);
    case "tracking":
      return void s.reply(CLIENT_TRACKING);
    default:
      return void s.forward();
  }
}

// ─── PROXY ───────────────────────────────────────────────────────────────────────────────────────────────

interface ProxySubcommand {
  readonly admin: boolean;
  /** Allowed argument counts after the subcommand name. */
  readonly args: readonly number[];
  readonly help: string;
  run(s: LocalCommandTarget, args: string[]): void;
}

const PROXY_SUBCOMMANDS: Record<string, ProxySubcommand> = {
  consistency: {
    admin: false,
    args: [0, 1],
    help: "CONSISTENCY [eventual|session|strong] -- This connection's read consistency (no argument: the current one).",
    run(s, args) {
      if (args.length === 0) return void s.reply(bulk(s.level));
      const level = args[0].toLowerCase() as ConsistencyLevel;
      if (!CONSISTENCY_LEVELS.includes(level))
        return void s.reply(
          proxyError(`unknown consistency level '${args[0]}' (eventual, session or strong)`),
        );
      s.setLevel(level);
      s.reply(OK);
    },
  },
  token: {
    admin: false,
    args: [0],
    help: "TOKEN -- A causal token <replid>:<offset> covering every write of this connection so far.",
    run(s) {
      if (s.inTransaction) return void s.reply(proxyError("PROXY TOKEN inside MULTI is not supported"));
      s.replyToken();
    },
  },
  after: {
    admin: false,
    args: [1],
    help: "AFTER <token> -- This connection's next reads see at least what the token covers.",
    run(s, args) {
      const t = parseToken(args[0]);
      if (t === null) return void s.reply(BAD_TOKEN);
      s.after(t.replid, t.offset);
      s.reply(OK);
    },
  },
  durability: {
    admin: false,
    args: [0, 2],
    help: "DURABILITY [<replicas> <timeout-ms>] -- Hold write replies until that many replicas have them (0 = off).",
    run(s, args) {
      if (args.length === 0)
        return void s.reply(R(`*2\r\n:${s.durabilityReplicas}\r\n:${s.durabilityTimeoutMs}\r\n`));
      const n = /^\d{1,9}$/.test(args[0]) ? Number(args[0]) : -1;
      const t = /^\d{1,9}$/.test(args[1]) ? Number(args[1]) : -1;
      if (n < 0 || t < 1) return void s.reply(NOT_INTEGER);
      s.setDurability(n, t);
      s.reply(OK);
    },
  },
  backends: {
    admin: true,
    args: [0],
    help: "BACKENDS -- Every backend: address, role, state, offset, lag, in-flight, breaker, eligibility, drain.",
    run(s) {
      s.reply(backendsReply(s.router, s.config));
    },
  },
  drain: {
    admin: true,
    args: [1],
    help: "DRAIN <host:port> -- Stop new reads to a replica; `drained` once its in-flight requests finish.",
    run(s, args) {
      const r = s.drains.drain(args[0]);
      s.reply(r.ok ? OK : proxyError(r.error));
    },
  },
  undrain: {
    admin: true,
    args: [1],
    help: "UNDRAIN <host:port> -- Let a drained replica serve reads again (when eligible).",
    run(s, args) {
      const r = s.drains.undrain(args[0]);
      s.reply(r.ok ? OK : proxyError(r.error));
    },
  },
  help: {
    admin: false,
    args: [0],
    help: "HELP -- This text.",
    run(s) {
      const lines = [
        "PROXY <subcommand> [<arg> ...]. Subcommands are:",
        ...Object.values(PROXY_SUBCOMMANDS).map((c) => c.help),
      ];
      s.reply(R(`*${lines.length}\r\n${lines.map((l) => `+${l}\r\n`).join("")}`));
    },
  },
};

function proxy(s: LocalCommandTarget, argv: string[]): void {
  if (argv.length < 2) return void s.reply(wrongArgs("proxy"));
  const name = argv[1].toLowerCase();
  const sub = PROXY_SUBCOMMANDS[name];
  if (sub === undefined) return void s.reply(E(errUnknownSubcommand(argv)));
  if (!sub.args.includes(argv.length - 2)) return void s.reply(wrongArgs(`proxy|${name}`));
  if (sub.admin && s.config.adminPassword !== "" && !s.admin) return void s.reply(NOPERM);
  sub.run(s, argv.slice(2));
}

/** PROXY BACKENDS: one flat field/value array per backend, master first (what `tandem status` prints). */
export function backendsReply(router: Router, config: ProxyConfig): Buffer {
  const all = [router.master, ...router.replicas];
  const now = Date.now();
  let out = `*${all.length}\r\n`;
  for (const b of all) {
    const fields = backendFields(b, b === router.master, now, config);
    out += `*${fields.length * 2}\r\n`;
    for (const [k, v] of fields)
      out += `$${k.length}\r\n${k}\r\n${typeof v === "number" ? `:${v}\r\n` : `$${Buffer.byteLength(v)}\r\n${v}\r\n`}`;
  }
  return Buffer.from(out);
}

/** One backend's PROXY BACKENDS fields (also the admin listener's /status and metrics read them). */
export function backendFields(
  b: Backend,
  isMaster: boolean,
  now: number,
  config: ProxyConfig,
): [string, string | number][] {
  const h = b.health;
  const up = h.lastOkAt > 0 && now - h.lastOkAt <= config.maxLagMs;
  const breaker = b.breaker.opened ? "open" : b.breaker.halfOpen ? "half-open" : "closed";
  return [
    ["address", b.label],
    ["role", isMaster ? "master" : "replica"],
    ["state", up ? "up" : "down"],
    ["offset", h.offset],
    ["lag_bytes", isMaster ? 0 : h.lagBytes],
    ["lag_ms", isMaster ? 0 : h.lagMs],
    ["in_flight", b.outstanding],
    ["dedicated", b.borrowed],
    ["breaker", breaker],
    ["eligible", isMaster ? (up ? "yes" : "no") : b.eligible && !b.draining ? "yes" : "no"],
    [
      "reason",
      isMaster ? (up ? "" : h.reason) : b.eligible && !b.draining ? "" : b.draining ? "draining" : h.reason,
    ],
    ["drain", b.drain],
  ];
}

// ─── the table ───────────────────────────────────────────────────────────────────────────────────────────

export const LOCAL_COMMANDS: Record<LocalCommandName, LocalCommand> = {
  ping: {
    beforeAuth: false,
    whenPinned: "forward",
    run(s, argv) {
      if (argv.length > 2) s.reply(wrongArgs("ping"));
      else s.reply(argv.length === 2 ? bulk(argv[1]) : PONG);
    },
  },
  quit: { beforeAuth: true, whenPinned: "local", run: (s) => s.replyAndClose(OK) },
  auth: { beforeAuth: true, whenPinned: "local", run: (s, argv) => s.reply(auth(s, argv)) },
  hello: { beforeAuth: true, whenPinned: "local", run: (s, argv) => s.reply(hello(s, argv)) },
  select: { beforeAuth: false, whenPinned: "local", run: select },
  client: { beforeAuth: false, whenPinned: "local", run: client },
  // Redis lets RESET run before AUTH (it logs the connection out anyway).
  reset: {
    beforeAuth: true,
    whenPinned: "local",
    run(s) {
      s.reset();
      s.reply(RESET_REPLY);
    },
  },
  proxy: { beforeAuth: false, whenPinned: "local", run: proxy },
};
