import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { waitBlockedClients as waitBlocked } from "../helpers/info.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { infoField } from "../helpers/replication-helpers.js";
import { ReplicationStream } from "../helpers/replication-stream.js";

/**
 * Blocking XREAD/XREADGROUP and what stream commands propagate, run as the same scenarios on Tandem and
 * on Debian's redis-server 7.0 and compared in full: every reply in order (several waiters, FIFO, several
 * keys, MULTI, timeouts, a deleted or overwritten key, a destroyed group, CLIENT UNBLOCK) and the
 * replication stream each server produced (XADD rewritten to its ID and an exact trim, XREADGROUP as
 * XCLAIM ... LASTID, NOACK reads as XGROUP CREATECONSUMER + SETID, XCLAIM/XAUTOCLAIM of deleted entries).
 * The delivery time inside a propagated XCLAIM is a clock reading and is masked.
 */

type Cmd = (string | number)[];

const text = (b: Buffer) => b.toString("latin1");

describe("blocking stream reads and stream propagation vs redis-server", { skip: NO_REDIS }, () => {
  const servers: ServerProcess[] = [];
  const clients: RawClient[] = [];
  const streams: ReplicationStream[] = [];
  let tandem: ServerProcess;
  let redis: ServerProcess;

  async function client(server: ServerProcess): Promise<RawClient> {
    const c = await server.client();
    clients.push(c);
    return c;
  }

  before(async () => {
    [tandem, redis] = await Promise.all([startTandem(), startRedis()]);
    servers.push(tandem, redis);
  });

  after(async () => {
    for (const c of clients) c.close();
    for (const s of streams) s.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  /** The propagated commands, with XCLAIM's TIME argument masked. */
  function propagated(stream: ReplicationStream): string[] {
    return stream.commands.map((c) => {
      const words = c.slice();
      if (words[0].toUpperCase() === "XCLAIM") {
        const i = words.findIndex((w) => w.toUpperCase() === "TIME");
        if (i > 0) words[i + 1] = "<t>";
      }
      return `propagated: ${words.join(" ")}`;
    });
  }

  async function scenarios(server: ServerProcess): Promise<string[]> {
    const out: string[] = [];
    const admin = await client(server);
    const note = async (...args: Cmd) => out.push(`${args.join(" ")} -> ${text(await admin.raw(...args))}`);
    await admin.call("FLUSHALL");
    const stream = await ReplicationStream.open(server.port);
    streams.push(stream);
    await stream.ready();
    const w = [await client(server), await client(server), await client(server), await client(server)];

    // Several XREAD waiters on one stream, each with its own COUNT and ID: all are served by one XADD.
    await note("XADD", "s", "1-0", "f", "v0");
    const p0 = w[0].raw("XREAD", "BLOCK", 0, "STREAMS", "s", "$");
    await waitBlocked(admin, 1);
    const p1 = w[1].raw("XREAD", "BLOCK", 0, "COUNT", 1, "STREAMS", "other", "s", "0", "1-0");
    await waitBlocked(admin, 2);
    const p2 = w[2].raw("XREAD", "BLOCK", 0, "STREAMS", "s", "5-0");
    await waitBlocked(admin, 3);
    await note("XADD", "s", "2-0", "f", "v2");
    out.push(text(await p0), text(await p1));
    out.push(`still blocked: ${await infoField(admin, "clients", "blocked_clients")}`);
    await note("XADD", "s", "7-0", "f", "v7");
    out.push(text(await p2));

    // Several keys: the first to get an entry serves; a missing key's "$" means "after 0-0".
    const p3 = w[0].raw("XREAD", "BLOCK", 0, "STREAMS", "k1", "k2", "$", "$");
    await waitBlocked(admin, 1);
    await note("XADD", "k2", "3-0", "a", 1);
    out.push(text(await p3));

    // Consumer-group waiters are served in order; the second gets only what the first left.
    await note("XGROUP", "CREATE", "s", "g", "$");
    const p4 = w[0].raw("XREADGROUP", "GROUP", "g", "c1", "BLOCK", 0, "STREAMS", "s", ">");
    await waitBlocked(admin, 1);
    const p5 = w[1].raw("XREADGROUP", "GROUP", "g", "c2", "BLOCK", 0, "COUNT", 1, "STREAMS", "s", ">");
    await waitBlocked(admin, 2);
    const p6 = w[2].raw("XREADGROUP", "GROUP", "g", "c3", "NOACK", "BLOCK", 0, "STREAMS", "s", ">");
    await waitBlocked(admin, 3);
    await note("XADD", "s", "8-0", "f", "v8");
    out.push(text(await p4));
    out.push(`still blocked: ${await infoField(admin, "clients", "blocked_clients")}`);
    await note("XADD", "s", "9-0", "f", "v9");
    out.push(text(await p5));
    out.push(`still blocked: ${await infoField(admin, "clients", "blocked_clients")}`);
    await note("XADD", "s", "10-0", "f", "v10");
    out.push(text(await p6));
    await note("XPENDING", "s", "g");

    // XADD inside MULTI serves after EXEC; XADD then XDEL in one transaction serves an empty list.
    const p7 = w[3].raw("XREAD", "BLOCK", 0, "STREAMS", "m", "$");
    await waitBlocked(admin, 1);
    out.push(
      ...(
        await admin.pipeline([["MULTI"], ["XADD", "m", "1-0", "a", 1], ["XDEL", "m", "1-0"], ["EXEC"]])
      ).map(text),
    );
    out.push(text(await p7));

    // XDEL and XTRIM wake nobody; the waiter keeps waiting for a new entry.
    await note("XADD", "d", "1-0", "a", 1);
    await note("XADD", "d", "2-0", "a", 2);
    const p8 = w[0].raw("XREAD", "BLOCK", 0, "STREAMS", "d", "2-0");
    await waitBlocked(admin, 1);
    await note("XDEL", "d", "2-0");
    await note("XTRIM", "d", "MAXLEN", 0);
    out.push(`blocked after XDEL/XTRIM: ${await infoField(admin, "clients", "blocked_clients")}`);
    await note("XADD", "d", "3-0", "a", 3);
    out.push(text(await p8));

    // A group reader ends with -UNBLOCKED when the stream is deleted or replaced by another type, and with
    // -NOGROUP when its group is destroyed; a plain reader keeps waiting through the deletion.
    await note("XADD", "u", "1-0", "a", 1);
    await note("XGROUP", "CREATE", "u", "g", "$");
    const p9 = w[0].raw("XREADGROUP", "GROUP", "g", "c", "BLOCK", 0, "STREAMS", "u", ">");
    await waitBlocked(admin, 1);
    const p10 = w[1].raw("XREAD", "BLOCK", 0, "STREAMS", "u", "$");
    await waitBlocked(admin, 2);
    await note("DEL", "u");
    out.push(text(await p9));
    out.push(`blocked after DEL: ${await infoField(admin, "clients", "blocked_clients")}`);
    await note("XADD", "u", "5-0", "a", 5);
    out.push(text(await p10));
    await note("XGROUP", "CREATE", "u", "g", "$");
    const p11 = w[0].raw("XREADGROUP", "GROUP", "g", "c", "BLOCK", 0, "STREAMS", "u", ">");
    await waitBlocked(admin, 1);
    await note("SET", "u", "now a string");
    out.push(text(await p11));
    await note("DEL", "u");
    await note("XGROUP", "CREATE", "u", "g", "$", "MKSTREAM");
    const p12 = w[0].raw("XREADGROUP", "GROUP", "g", "c", "BLOCK", 0, "STREAMS", "u", ">");
    await waitBlocked(admin, 1);
    await note("XGROUP", "DESTROY", "u", "g");
    out.push(text(await p12));

    // Timeouts: a null array, nothing left blocked.
    out.push(text(await w[0].raw("XREAD", "BLOCK", 30, "STREAMS", "never", "$")));
    await note("XGROUP", "CREATE", "t", "g", "$", "MKSTREAM");
    out.push(text(await w[0].raw("XREADGROUP", "GROUP", "g", "c", "BLOCK", 30, "STREAMS", "t", ">")));
    await waitBlocked(admin, 0);

    // CLIENT UNBLOCK ends a stream read like a timeout, or with an error.
    const id1 = await w[1].call("CLIENT", "ID");
    const p13 = w[1].raw("XREAD", "BLOCK", 0, "STREAMS", "never", "$");
    await waitBlocked(admin, 1);
    out.push(`CLIENT UNBLOCK -> ${text(await admin.raw("CLIENT", "UNBLOCK", String(id1)))}`);
    out.push(text(await p13));
    const p14 = w[1].raw("XREADGROUP", "GROUP", "g", "c", "BLOCK", 0, "STREAMS", "t", ">");
    await waitBlocked(admin, 1);
    out.push(`CLIENT UNBLOCK ERROR -> ${text(await admin.raw("CLIENT", "UNBLOCK", String(id1), "ERROR"))}`);
    out.push(text(await p14));

    // Propagation of the non-blocking paths.
    await note("XADD", "p", "MAXLEN", "~", 1, "100-*", "a", 1);
    await note("XADD", "p", "100", "a", 2);
    await note("XADD", "p", "99999999999999-5", "a", 3);
    await note("XADD", "p", "*", "a", 4);
    await note("XADD", "p", "MINID", "~", "0", "LIMIT", 5, "99999999999999-7", "a", 5);
    await note("XTRIM", "p", "MAXLEN", "~", 0);
    await note("XTRIM", "p", "MAXLEN", "=", 2);
    await note("XGROUP", "CREATE", "p", "pg", "0");
    await note("XREADGROUP", "GROUP", "pg", "alice", "COUNT", 1, "STREAMS", "p", ">");
    await note("XREADGROUP", "GROUP", "pg", "bob", "NOACK", "STREAMS", "p", ">");
    await note("XREADGROUP", "GROUP", "pg", "alice", "STREAMS", "p", "0");
    await note("XGROUP", "SETID", "pg", "0");
    await note("XGROUP", "SETID", "p", "pg", "0");
    await note("XREADGROUP", "GROUP", "pg", "carol", "STREAMS", "p", ">");
    await note("XCLAIM", "p", "pg", "dave", 0, "99999999999999-6", "JUSTID", "LASTID", "99999999999999-9");
    await note("XCLAIM", "p", "pg", "erin", 0, "99999999999999-7", "RETRYCOUNT", 5, "IDLE", 1000);
    await note("XCLAIM", "p", "pg", "erin", 3600000, "99999999999999-7", "LASTID", "99999999999999-99");
    await note("XDEL", "p", "99999999999999-6");
    await note("XCLAIM", "p", "pg", "fred", 0, "99999999999999-6");
    await note("XADD", "p", "99999999999999-100", "a", 6);
    await note("XREADGROUP", "GROUP", "pg", "gina", "STREAMS", "p", ">");
    await note("XDEL", "p", "99999999999999-100");
    await note("XAUTOCLAIM", "p", "pg", "hank", 0, "0", "JUSTID");
    await note("XACK", "p", "pg", "99999999999999-7");
    await note("XGROUP", "CREATECONSUMER", "p", "pg", "ivan");
    await note("XGROUP", "DELCONSUMER", "p", "pg", "ivan");
    await note("XSETID", "p", "99999999999999-200", "ENTRIESADDED", 50, "MAXDELETEDID", "99999999999999-150");
    await note("XGROUP", "DESTROY", "p", "pg");

    await admin.call("SET", "end-of-scenarios", "1");
    await stream.until("SET", "end-of-scenarios", "1");
    out.push(...propagated(stream));
    return out;
  }

  it("serves, orders, ends and propagates stream readers exactly as Redis 7.0", async () => {
    const mine = await scenarios(tandem);
    const theirs = await scenarios(redis);
    assert.deepEqual(mine, theirs);
  });

  it("blocks and wakes in RESP3 like Redis 7.0 (a one-key map)", async () => {
    const run = async (server: ServerProcess): Promise<string[]> => {
      const admin = await client(server);
      const waiter = await client(server);
      await admin.call("DEL", "r3");
      await waiter.call("HELLO", 3);
      const p = waiter.raw("XREAD", "BLOCK", 0, "STREAMS", "r3", "$");
      await waitBlocked(admin, 1);
      await admin.call("XADD", "r3", "1-0", "f", "v");
      const served = text(await p);
      const timeout = text(await waiter.raw("XREAD", "BLOCK", 20, "STREAMS", "r3", "$"));
      return [served, timeout];
    };
    assert.deepEqual(await run(tandem), await run(redis));
  });
});
