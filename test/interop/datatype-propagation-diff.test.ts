import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { waitBlockedClients as waitBlocked } from "../helpers/info.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { ReplicationStream } from "../helpers/replication-stream.js";

/**
 * What the list, set, sorted-set, hash and string commands Redis added in 6.2 and 7.0 (LMPOP, BLMPOP,
 * ZMPOP, BZMPOP, LMOVE, BLMOVE, GETEX, GETDEL, COPY, SINTERCARD, SMISMEMBER, ZINTERCARD, ZRANDMEMBER,
 * HRANDFIELD, LPOS, ZRANGESTORE, ...) send to replicas, against redis-server 7.0's own replication stream:
 * the same replies, and the same propagated commands in the same order — a pop served to a blocked client
 * included (Redis rewrites BLMPOP/BZMPOP into LPOP/RPOP/ZPOPMIN/ZPOPMAX with a count).
 */

type Cmd = (string | number)[];

const COMMANDS: Cmd[] = [
  ["RPUSH", "l", "a", "b", "c", "d", "e", "b"],
  ["LMPOP", 2, "nolist", "l", "LEFT"],
  ["LMPOP", 1, "l", "RIGHT", "COUNT", 2],
  ["LMPOP", 1, "nolist", "LEFT"],
  ["BLMPOP", 0, 1, "l", "LEFT", "COUNT", 10],
  ["EXISTS", "l"],
  ["RPUSH", "l", "x", "y", "z", "y"],
  ["LPOS", "l", "y", "RANK", -1, "COUNT", 0, "MAXLEN", 10],
  ["LMOVE", "l", "l2", "LEFT", "RIGHT"],
  ["BLMOVE", "l", "l2", "RIGHT", "LEFT", 0],
  ["LMOVE", "l", "l", "LEFT", "RIGHT"],
  ["ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d"],
  ["ZMPOP", 1, "z", "MIN"],
  ["ZMPOP", 2, "noz", "z", "MAX", "COUNT", 2],
  ["BZMPOP", 0, 1, "z", "MIN", "COUNT", 5],
  ["ZADD", "z", 1, "a", 2, "b", 3, "c"],
  ["ZRANGESTORE", "zs", "z", 0, 1],
  ["ZRANGESTORE", "zs", "z", 5, 10],
  ["ZINTERCARD", 2, "z", "zs", "LIMIT", 1],
  ["ZRANDMEMBER", "nokey", 3],
  ["ZUNIONSTORE", "zu", 2, "z", "zs", "WEIGHTS", 1, 2],
  ["ZDIFFSTORE", "zd", 2, "z", "zs"],
  ["SADD", "s1", "a", "b", "c"],
  ["SADD", "s2", "b", "c", "d"],
  ["SINTERCARD", 2, "s1", "s2"],
  ["SMISMEMBER", "s1", "a", "z"],
  ["SMOVE", "s1", "s2", "a"],
  ["SINTERSTORE", "si", "s1", "s2"],
  ["SPOP", "s2", 0],
  ["SPOP", "nokey", 2],
  ["SRANDMEMBER", "nokey", 2],
  ["HSET", "h", "f1", "v1", "f2", "v2"],
  ["HRANDFIELD", "nokey", 2],
  ["SET", "s", "v"],
  ["GETEX", "s"],
  ["GETEX", "s", "EXAT", 4102444800],
  ["GETEX", "s", "PXAT", 4102444800123],
  ["GETEX", "s", "PERSIST"],
  ["GETEX", "s", "EXAT", 1],
  ["EXISTS", "s"],
  ["SET", "s", "v"],
  ["GETEX", "nokey", "EX", 100],
  ["GETDEL", "s"],
  ["GETDEL", "s"],
  ["SET", "s", "v"],
  ["COPY", "s", "s2copy"],
  ["COPY", "s", "s2copy"],
  ["COPY", "s", "s2copy", "REPLACE"],
  ["COPY", "s", "s", "REPLACE"],
  ["COPY", "h", "hcopy", "DB", 1],
  ["COPY", "z", "zcopy", "DB", 0, "REPLACE"],
  ["SET", "n", "10"],
  ["SETRANGE", "n", 1, "5"],
  ["GETRANGE", "n", 0, -1],
  ["LCS", "n", "s"],
];

describe("propagation of Redis 6.2/7.0 data-type commands vs redis-server", { skip: NO_REDIS }, () => {
  const servers: ServerProcess[] = [];
  const clients: RawClient[] = [];
  const streams: ReplicationStream[] = [];

  before(async () => {
    servers.push(...(await Promise.all([startTandem(), startRedis()])));
  });

  after(async () => {
    for (const c of clients) c.close();
    for (const s of streams) s.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function client(server: ServerProcess): Promise<RawClient> {
    const c = await server.client();
    clients.push(c);
    return c;
  }

  /** Every reply, then every propagated command, of the command list and blocked pops on one server. */
  async function observe(server: ServerProcess): Promise<string[]> {
    const out: string[] = [];
    const admin = await client(server);
    await admin.call("FLUSHALL");
    const stream = await ReplicationStream.open(server.port);
    streams.push(stream);
    await stream.ready();
    for (const cmd of COMMANDS) out.push(`${cmd.join(" ")} -> ${await admin.text(...cmd)}`);

    // Blocked BLMPOP/BZMPOP/BLMOVE served by later pushes: what replicas get is the pop, not the block.
    const waiters = [await client(server), await client(server), await client(server), await client(server)];
    const served: Promise<Buffer>[] = [];
    served.push(waiters[0].raw("BLMPOP", 0, 2, "bl1", "bl2", "RIGHT", "COUNT", 2));
    await waitBlocked(admin, 1);
    served.push(waiters[1].raw("BZMPOP", 0, 1, "bz", "MAX", "COUNT", 3));
    await waitBlocked(admin, 2);
    served.push(waiters[2].raw("BLMOVE", "bl1", "bldst", "LEFT", "RIGHT", 0));
    await waitBlocked(admin, 3);
    served.push(waiters[3].raw("BRPOPLPUSH", "bl3", "bldst", 0));
    await waitBlocked(admin, 4);
    out.push(`${await admin.text("RPUSH", "bl2", "p", "q", "r")}`);
    out.push(`${await admin.text("ZADD", "bz", 1, "m1", 2, "m2")}`);
    out.push(`${await admin.text("RPUSH", "bl1", "s")}`);
    out.push(`${await admin.text("RPUSH", "bl3", "t", "u")}`);
    for (const p of served) out.push((await p).toString("latin1"));
    served.length = 0;
    served.push(waiters[0].raw("BLPOP", "bp", 0));
    await waitBlocked(admin, 1);
    served.push(waiters[1].raw("BZPOPMIN", "bzp", 0));
    await waitBlocked(admin, 2);
    out.push(`${await admin.text("LPUSH", "bp", "v1", "v2")}`);
    out.push(`${await admin.text("ZADD", "bzp", 5, "w")}`);
    for (const p of served) out.push((await p).toString("latin1"));
    // A push inside MULTI serves the waiter after EXEC, with the pop after the transaction.
    const inMulti = waiters[0].raw("BLMPOP", 0, 1, "ml", "LEFT", "COUNT", 5);
    await waitBlocked(admin, 1);
    out.push(
      ...(await admin.pipeline([["MULTI"], ["RPUSH", "ml", "1", "2"], ["LPUSH", "ml", "0"], ["EXEC"]])).map(
        (b) => b.toString("latin1"),
      ),
    );
    out.push((await inMulti).toString("latin1"));

    await admin.call("SET", "end-of-run", "1");
    await stream.until("SET", "end-of-run", "1");
    for (const c of stream.commands) out.push(`propagated: ${c.join(" ")}`);
    return out;
  }

  it("replies and propagates exactly as Redis 7.0", async () => {
    const [mine, theirs] = [await observe(servers[0]), await observe(servers[1])];
    assert.deepEqual(mine, theirs);
  });
});
