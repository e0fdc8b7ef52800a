import { getIntOrReply, getLongLongOrReply } from "../arguments.js";
import { type Client, ClientFlag } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { REDIS_COMPAT_VERSION } from "../info.js";
import {
  ERR_AUTH_NOPASS,
  ERR_CLIENT_NAME,
  ERR_DB_INDEX,
  ERR_HELLO_NOAUTH,
  ERR_NOPROTO,
  ERR_PROTO_VERSION,
  ERR_SYNTAX,
  ERR_WRONGPASS,
  errHelloOption,
  errWrongArity,
} from "../shared-replies.js";

/** Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT. */

function pingCommand(c: Client, argv: string[]): void {
  if (argv.length > 2) {
    c.reply.error(errWrongArity("ping"));
    return;
  }
  if (c.flags & ClientFlag.PUBSUB && c.reply.proto === 2) {
    // In RESP2 subscribed mode PING answers as a pub/sub message.
    c.reply.arrayHeader(2);
    c.reply.bulk("pong");
    c.reply.bulk(argv.length === 2 ? argv[1] : "");
    return;
  }
  if (argv.length === 2) c.reply.bulk(argv[1]);
  else c.reply.raw("+PONG\r\n");
}

function echoCommand(c: Client, argv: string[]): void {
  c.reply.bulk(argv[1]);
}

function quitCommand(c: Client): void {
  c.reply.ok();
  c.flags |= ClientFlag.CLOSE_AFTER_REPLY;
}

/** AUTH [user] password (Redis's authCommand): the two-argument form is the default user's password. */
function authCommand(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  if (argv.length === 2 && c.server.acl.defaultUser.nopass) {
    c.reply.error(ERR_AUTH_NOPASS);
    return;
  }
  const user = argv.length === 3 ? argv[1] : "default";
  const pass = argv[argv.length - 1];
  if (c.server.acl.authenticate(c, user, pass)) {
    c.reply.ok();
  } else {
    c.reply.error(ERR_WRONGPASS);
  }
}

/** HELLO [protover [AUTH user pass] [SETNAME name]]: switch protocol, authenticate, reply server info. */
function helloCommand(c: Client, argv: string[]): void {
  let proto = c.reply.proto;
  let i = 1;
  if (argv.length >= 2) {
    const v = getLongLongOrReply(c, argv[1], ERR_PROTO_VERSION);
    if (v === null) return;
    if (v < 2 || v > 3) {
      c.reply.error(ERR_NOPROTO);
      return;
    }
    proto = v as 2 | 3;
    i = 2;
  }
  let setName: string | null = null;
  for (; i < argv.length; i++) {
    const opt = argv[i].toLowerCase();
    const left = argv.length - i - 1;
    if (opt === "auth" && left >= 2) {
      if (!c.server.acl.authenticate(c, argv[i + 1], argv[i + 2])) {
        c.reply.error(ERR_WRONGPASS);
        return;
      }
      i += 2;
    } else if (opt === "setname" && left >= 1) {
      setName = argv[++i];
      if (!validClientName(setName)) {
        c.reply.error(ERR_CLIENT_NAME);
        return;
      }
    } else {
      c.reply.error(errHelloOption(argv[i]));
      return;
    }
  }
  if (!c.authenticated) {
    c.reply.error(ERR_HELLO_NOAUTH);
    return;
  }
  if (setName !== null) c.name = setName;
  c.reply.proto = proto;
  c.reply.mapHeader(7);
  c.reply.bulk("server");
  c.reply.bulk("redis");
  c.reply.bulk("version");
  c.reply.bulk(REDIS_COMPAT_VERSION);
  c.reply.bulk("proto");
  c.reply.integer(proto);
  c.reply.bulk("id");
  c.reply.integer(c.id);
  c.reply.bulk("mode");
  c.reply.bulk("standalone");
  c.reply.bulk("role");
  c.reply.bulk(c.server.replication.isReplica() ? "replica" : "master");
  c.reply.bulk("modules");
  c.reply.arrayHeader(0);
}

export function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

/**
 * RESET (Redis 7's clearClientConnectionState): leaves MULTI, unwatches, unsubscribes from everything,
 * selects db 0, returns to RESP2, clears the name and the CLIENT REPLY/NO-EVICT/NO-TOUCH switches, and
 * goes back to the default user (authenticated only if it needs no password). Answers +RESET.
 */
function resetCommand(c: Client): void {
  const s = c.server;
  c.mstate = [];
  s.watches.unwatchAll(c);
  if (c.channels.size !== 0 || c.patterns.size !== 0 || c.shardChannels.size !== 0) s.pubsub.removeClient(c);
  // Redis's clearClientConnectionState also ends MONITOR mode and client-side caching.
  s.monitors.remove(c);
  s.tracking.disable(c);
  c.flags &= ~(
    ClientFlag.MULTI |
    ClientFlag.DIRTY_CAS |
    ClientFlag.DIRTY_EXEC |
    ClientFlag.PUBSUB |
    ClientFlag.REPLY_OFF |
    ClientFlag.REPLY_SKIP |
    ClientFlag.REPLY_SKIP_NEXT |
    ClientFlag.NO_EVICT |
    ClientFlag.NO_TOUCH
  );
  c.db = s.keyspace.dbs[0];
  c.reply.proto = 2;
  c.name = "";
  s.acl.setDefaultAuth(c);
  c.reply.raw("+RESET\r\n");
}

function selectCommand(c: Client, argv: string[]): void {
  const id = getIntOrReply(c, argv[1]);
  if (id === null) return;
  if (id < 0 || id >= c.server.keyspace.dbs.length) {
    c.reply.error(ERR_DB_INDEX);
    return;
  }
  c.db = c.server.keyspace.dbs[id];
  c.reply.ok();
}

export const connectionCommands: CommandDef[] = [
  { name: "ping", handler: pingCommand },
  { name: "echo", handler: echoCommand },
  { name: "quit", handler: quitCommand },
  { name: "reset", handler: resetCommand },
  { name: "auth", handler: authCommand },
  { name: "hello", handler: helloCommand },
  { name: "select", handler: selectCommand },
];
