import { SlaveCapa } from "../../replication/attached-replica.js";
import type { ReplicaClientHandle } from "../../replication/replication-host.js";
import { getLongLongOrReply, getTimeoutOrReply, parseInteger, UNIT_MILLISECONDS } from "../arguments.js";
import { type Client, ClientFlag, type ReplicaClientState } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { ERR_SYNTAX } from "../shared-replies.js";

/**
 * Command family: REPLICAOF/SLAVEOF, ROLE, PSYNC, SYNC, REPLCONF, WAIT, WAITOFFSET. They act on the
 * server's replication state (`server.replication`), which server-replication.ts builds when the server is.
 */

// ─── REPLICAOF / SLAVEOF ─────────────────────────────────────────────────────────────────────────────────

function replicaofCommand(c: Client, argv: string[]): void {
  const repl = c.server.replication;
  if (argv[1].toLowerCase() === "no" && argv[2].toLowerCase() === "one") {
    if (repl.isReplica()) {
      repl.unsetMaster();
      c.log.info({ by: c.addr }, "MASTER MODE enabled (user request)");
    }
    c.reply.ok();
    return;
  }
  if (c.flags & ClientFlag.SLAVE) {
    c.reply.error("ERR Command is not valid when client is a replica.");
    return;
  }
  const port = parseInteger(argv[2]);
  if (port === null || port < 0 || port > 65535) {
    c.reply.error("ERR Invalid master port");
    return;
  }
  if (!repl.setMaster(argv[1], port)) {
    c.reply.raw("+OK Already connected to specified master\r\n");
    return;
  }
  c.log.info({ master: `${argv[1]}:${port}`, by: c.addr }, "REPLICAOF enabled (user request)");
  c.reply.ok();
}

// ─── ROLE ────────────────────────────────────────────────────────────────────────────────────────────────

function roleCommand(c: Client): void {
  const role = c.server.replication.roleInfo();
  if (role.role === "master") {
    c.reply.arrayHeader(3);
    c.reply.bulk("master");
    c.reply.integer(role.offset);
    c.reply.arrayHeader(role.replicas.length);
    for (const r of role.replicas) {
      c.reply.arrayHeader(3);
      c.reply.bulk(r.ip);
      c.reply.bulk(String(r.port));
      c.reply.bulk(String(r.offset));
    }
    return;
  }
  c.reply.arrayHeader(5);
  c.reply.bulk("slave");
  c.reply.bulk(role.host);
  c.reply.integer(role.port);
  c.reply.bulk(role.state);
  c.reply.integer(role.offset);
}

// ─── PSYNC / SYNC / REPLCONF ─────────────────────────────────────────────────────────────────────────────

function replconfState(c: Client): ReplicaClientState {
  let s = c.replicaState;
  if (s === null) {
    s = { port: 0, ip: "", capa: 0, handle: null };
    c.replicaState = s;
  }
  return s;
}

function syncCommand(c: Client, argv: string[]): void {
  if (c.flags & ClientFlag.SLAVE) return; // already a replica: ignore, as Redis does
  if (c.socket === null) return;
  if (c.flags & ClientFlag.MULTI) {
    c.reply.error("ERR Command is not valid in a MULTI context");
    return;
  }
  const repl = c.server.replication;
  const st = replconfState(c);
  const socket = c.socket;
  const handle: ReplicaClientHandle = { id: c.id, socket, addr: c.addr, close: () => c.close() };
  c.flush(); // earlier replies (REPLCONF +OK) go out before the stream written straight to the socket
  const err = repl.syncCommand(handle, argv, st);
  if (err !== null) {
    c.reply.error(err);
    return;
  }
  st.handle = handle;
  c.flags |= ClientFlag.SLAVE;
  c.onClose(() => repl.removeReplica(handle));
}

function replconfCommand(c: Client, argv: string[]): void {
  if (argv.length % 2 === 0) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const st = replconfState(c);
  for (let i = 1; i < argv.length; i += 2) {
    const opt = argv[i].toLowerCase();
    const val = argv[i + 1];
    if (opt === "listening-port") {
      const port = getLongLongOrReply(c, val);
      if (port === null) return;
      st.port = port;
    } else if (opt === "ip-address") {
      if (val.length >= 46) {
        c.reply.error(
          `ERR REPLCONF ip-address provided by replica instance is too long: ${val.length} bytes`,
        );
        return;
      }
      st.ip = val;
    } else if (opt === "capa") {
      if (val.toLowerCase() === "eof") st.capa |= SlaveCapa.EOF;
      else if (val.toLowerCase() === "psync2") st.capa |= SlaveCapa.PSYNC2;
    } else if (opt === "ack") {
      // Replicas send it on the stream connection and expect no reply.
      const off = parseInteger(val);
      if (off !== null && c.flags & ClientFlag.SLAVE && st.handle) {
        c.server.replication.replconfAck(st.handle, off);
      }
      return;
    } else if (opt === "getack") {
      if (c.flags & ClientFlag.MASTER) c.server.replication.ackToMaster();
      return;
    } else {
      c.reply.error(`ERR Unrecognized REPLCONF option: ${argv[i]}`);
      return;
    }
  }
  c.reply.ok();
}

// ─── WAIT / WAITOFFSET ───────────────────────────────────────────────────────────────────────────────────

function waitCommand(c: Client, argv: string[]): void {
  const repl = c.server.replication;
  if (repl.isReplica()) {
    c.reply.error(
      "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
    );
    return;
  }
  const numreplicas = getLongLongOrReply(c, argv[1]);
  if (numreplicas === null) return;
  const deadline = getTimeoutOrReply(c, argv[2], UNIT_MILLISECONDS);
  if (deadline === null) return;
  // The client's offset right after its last write (Redis's c->woff); the master's offset if unknown.
  const woff = c.woff;
  const acks = repl.countAcks(woff);
  if (acks >= numreplicas || c.flags & ClientFlag.MULTI) {
    c.reply.integer(acks);
    return;
  }
  let remove: () => void = () => {};
  c.blockOn({
    kind: "wait",
    deadline,
    onTimeout: () => {
      remove();
      c.reply.integer(repl.countAcks(woff));
    },
    onCancel: () => remove(),
  });
  remove = repl.waitForAcks(numreplicas, woff, {
    resolve: (n) => {
      remove();
      c.reply.integer(n);
      c.unblock();
    },
  });
}

function waitoffsetCommand(c: Client, argv: string[]): void {
  const repl = c.server.replication;
  const target = getLongLongOrReply(c, argv[1]);
  if (target === null) return;
  const deadline = getTimeoutOrReply(c, argv[2], UNIT_MILLISECONDS);
  if (deadline === null) return;
  if (repl.masterReplOffset >= target || c.flags & ClientFlag.MULTI) {
    c.reply.integer(repl.masterReplOffset);
    return;
  }
  let remove: () => void = () => {};
  c.blockOn({
    kind: "waitoffset",
    deadline,
    onTimeout: () => {
      remove();
      c.reply.integer(repl.masterReplOffset);
    },
    onCancel: () => remove(),
  });
  remove = repl.waitForOffset(target, {
    resolve: (n) => {
      remove();
      c.reply.integer(n);
      c.unblock();
    },
  });
}

export const replicationCommands: CommandDef[] = [
  { name: "replicaof", handler: replicaofCommand },
  { name: "slaveof", handler: replicaofCommand },
  { name: "role", handler: roleCommand },
  { name: "psync", handler: syncCommand },
  { name: "sync", handler: syncCommand },
  { name: "replconf", handler: replconfCommand },
  { name: "wait", handler: waitCommand },
  { name: "waitoffset", handler: waitoffsetCommand },
];
