import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { encodeCommand } from "../../src/resp/reply-writer.js";
import { FakeMaster, fullResync, rdbWith } from "../helpers/fake-master.js";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * The replication stream itself gone bad: a fake master (a plain TCP server in this test) completes the
 * handshake and then sends a corrupt RDB, or a stream that breaks off or turns to garbage mid-command.
 * The Tandem replica must report it, drop the link, retry (a new connection and PSYNC), and never apply
 * half a command nor keep half a dataset.
 */

const REPLID = "a".repeat(40);

function fullResyncFake(socket: Socket, rdb: Buffer): void {
  fullResync(socket, REPLID, 0, rdb);
}

async function replicaOf(master: FakeMaster): Promise<ServerProcess> {
  return startTandem({ args: ["--replicaof", "127.0.0.1", String(master.port), "--appendonly", "no"] });
}

describe("replication stream faults (fake master)", () => {
  describe("a stream that breaks off in the middle of a command", () => {
    let master: FakeMaster;
    let replica: ServerProcess;
    const good = Buffer.concat([encodeCommand(["SELECT", "0"]), encodeCommand(["SET", "applied", "1"])]);
    const half = encodeCommand(["SET", "half", "never"]).subarray(0, 20);

    before(async () => {
      master = new FakeMaster((link, n) => {
        if (n === 0) {
          fullResyncFake(link.socket, rdbWith({ base: "1" }));
          // A whole command, then half of one, then the connection drops.
          link.socket.write(good);
          link.socket.write(half, () => setTimeout(() => link.socket.destroy(), 50));
        }
        // Later connections: PSYNC is left unanswered; the test reads what the replica asked for.
      });
      await master.start();
      replica = await replicaOf(master);
    });
    after(async () => {
      await replica?.stop();
      await master?.stop();
    });

    it("applies the whole command, not the half one, and resumes from exactly the bytes applied", async () => {
      await waitFor(
        "the replica to reconnect and PSYNC again",
        () => master.links.length >= 2 && master.links[1].commands.some((a) => a[0] === "PSYNC"),
      );
      const c = await replica.client();
      assert.equal(String(await c.call("GET", "applied")), "1");
      assert.equal(String(await c.call("GET", "base")), "1", "the RDB was loaded");
      assert.equal(await c.call("EXISTS", "half"), 0, "half a command is never applied");
      // PSYNC <replid> <offset+1>: the offset counts the whole command and not the partial one.
      const psync = master.links[1].commands.find((a) => a[0] === "PSYNC");
      assert.deepEqual(psync, ["PSYNC", REPLID, String(good.length + 1)]);
      c.close();
    });
  });

  describe("garbage in the stream", () => {
    let master: FakeMaster;
    let replica: ServerProcess;

    before(async () => {
      master = new FakeMaster((link, n) => {
        if (n === 0) {
          fullResyncFake(link.socket, rdbWith({}));
          link.socket.write(
            Buffer.concat([encodeCommand(["SET", "before", "1"]), Buffer.from("*2\r\n$3\r\nDEL\r\n:5\r\n")]),
          );
          link.socket.write(encodeCommand(["SET", "after", "1"]));
        }
      });
      await master.start();
      replica = await replicaOf(master);
    });
    after(async () => {
      await replica?.stop();
      await master?.stop();
    });

    it("drops the link on a protocol error, applies nothing after it, logs it, and retries", async () => {
      await waitFor("a second connection", () => master.links.length >= 2);
      const c = await replica.client();
      assert.equal(String(await c.call("GET", "before")), "1");
      assert.equal(await c.call("EXISTS", "after"), 0, "nothing after the bad bytes is applied");
      assert.match(replica.output(), /Protocol error in the master's stream/);
      c.close();
    });
  });

  describe("a corrupt RDB", () => {
    let master: FakeMaster;
    let replica: ServerProcess;

    before(async () => {
      master = new FakeMaster((link, n) => {
        const rdb = rdbWith({ k1: "v1", k2: "v2", k3: "v3" });
        if (n === 0) {
          const bad = Buffer.from(rdb);
          bad[bad.length - 3] ^= 0xff; // the CRC64 trailer no longer matches
          fullResyncFake(link.socket, bad);
        } else if (n === 1) {
          fullResyncFake(link.socket, rdb);
        }
      });
      await master.start();
      replica = await replicaOf(master);
    });
    after(async () => {
      await replica?.stop();
      await master?.stop();
    });

    it("refuses the dataset, retries, and loads the next good one", async () => {
      const c = await replica.client();
      await waitFor("the good RDB to be loaded", async () => {
        try {
          return (await c.call("DBSIZE")) === 3;
        } catch {
          return false; // -LOADING
        }
      });
      assert.ok(master.links.length >= 2, "a second connection after the bad RDB");
      assert.match(replica.output(), /Failed trying to load the MASTER synchronization DB|RDB checksum/i);
      assert.equal(String(await c.call("GET", "k2")), "v2");
      c.close();
    });
  });
});
