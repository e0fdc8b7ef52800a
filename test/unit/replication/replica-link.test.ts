import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pino from "pino";
import { ServerConfig } from "../../../src/config/server-config.js";
import { loadRdb } from "../../../src/persistence/rdb-loader.js";
import { snapshotRdb } from "../../../src/persistence/rdb-snapshot.js";
import { type LinkEvents, ReplicaLink, ReplState } from "../../../src/replication/replica-link.js";
import type { MasterClientHandle, ReplicationHost } from "../../../src/replication/replication-host.js";
import { encodeCommand } from "../../../src/resp/reply-writer.js";
import { Keyspace } from "../../../src/store/keyspace.js";
import { FakeMaster, fullResync, rdbWith } from "../../helpers/fake-master.js";
import { waitFor } from "../../helpers/wait-for.js";

/**
 * The replica side of a master link without a server process: a fake ReplicationHost (keyspace, config,
 * a master client that records what it is asked to run) and a fake master on loopback. Covers the
 * handshake in Redis's order, a full sync, the stream's offsets, +CONTINUE, and reconnecting.
 */

const REPLID = "b".repeat(40);

class FakeHost implements ReplicationHost {
  readonly keyspace = new Keyspace(16);
  readonly config = new ServerConfig();
  readonly log = pino({ level: "silent" });
  readonly executed: string[][] = [];
  loading = false;
  rdb = {
    snapshot: snapshotRdb,
    load: (source: Buffer | AsyncIterable<Buffer>, keyspace: Keyspace) => loadRdb(source, keyspace),
  };
  listeningPort(): number {
    return 6390;
  }
  setLoading(on: boolean): void {
    this.loading = on;
  }
  emptyData(): void {
    for (const db of this.keyspace.dbs) db.dict.clear();
  }
  createMasterClient(dbId: number): MasterClientHandle {
    const executed = this.executed;
    return {
      dbId,
      execute: (argv) => executed.push(argv),
      discardReplies: () => {},
      close: () => {},
    };
  }
  endOfTurn(): void {}
}

class FakeEvents implements LinkEvents {
  psync: [string, string] = ["?", "-1"];
  applied = 0;
  readonly log: string[] = [];
  psyncArgs(): [string, string] {
    return this.psync;
  }
  onFullResync(replid: string, offset: number): void {
    this.log.push(`fullresync ${replid} ${offset}`);
    this.applied = offset;
  }
  onContinue(newReplid: string | null): void {
    this.log.push(`continue ${newReplid}`);
  }
  onSyncLoaded(): void {
    this.log.push("loaded");
  }
  onStreamApplied(frame: Buffer): void {
    this.applied += frame.length;
  }
  appliedOffset(): number {
    return this.applied;
  }
  onLinkDown(): void {
    this.log.push("down");
  }
}

describe("ReplicaLink (fake host, fake master)", () => {
  const links: ReplicaLink[] = [];
  const masters: FakeMaster[] = [];
  after(async () => {
    for (const l of links) l.stop();
    for (const m of masters) await m.stop();
  });

  async function setup(
    onPsync: ConstructorParameters<typeof FakeMaster>[0],
    configure?: (h: FakeHost) => void,
  ) {
    const master = new FakeMaster(onPsync);
    await master.start();
    masters.push(master);
    const host = new FakeHost();
    configure?.(host);
    const events = new FakeEvents();
    const link = new ReplicaLink("127.0.0.1", master.port, host, events);
    links.push(link);
    link.start();
    return { master, host, events, link };
  }

  it("shakes hands in Redis's order, loads the RDB, applies the stream and counts its exact bytes", async () => {
    const stream = Buffer.concat([
      encodeCommand(["SELECT", "0"]),
      Buffer.from("\n"),
      encodeCommand(["SET", "a", "1"]),
    ]);
    const { master, host, events, link } = await setup((l) => {
      fullResync(l.socket, REPLID, 100, rdbWith({ base: "x" }));
      l.socket.write(stream);
    });
    await waitFor("the stream applied", () => host.executed.length === 2);
    assert.deepEqual(
      master.links[0].commands.map((a) => a.join(" ")),
      ["PING", "REPLCONF listening-port 6390", "REPLCONF capa eof capa psync2", "PSYNC ? -1"],
    );
    assert.deepEqual(events.log, [`fullresync ${REPLID} 100`, "loaded"]);
    assert.equal(host.keyspace.dbs[0].dict.get("base"), "x");
    assert.deepEqual(host.executed, [
      ["SELECT", "0"],
      ["SET", "a", "1"],
    ]);
    assert.equal(events.applied, 100 + stream.length, "the keepalive newline counts too");
    assert.equal(link.state, ReplState.CONNECTED);
    assert.equal(host.loading, false);
  });

  it("sends AUTH with masteruser/masterauth first, and REPLCONF ip-address when announced", async () => {
    const { master } = await setup(
      (l) => fullResync(l.socket, REPLID, 0, rdbWith({})),
      (h) => {
        h.config.set("masterauth", "secret");
        h.config.set("masteruser", "repl");
        h.config.set("replica-announce-ip", "10.1.2.3");
      },
    );
    await waitFor("PSYNC", () => master.links[0]?.commands.some((a) => a[0] === "PSYNC") ?? false);
    assert.deepEqual(
      master.links[0].commands.map((a) => a.join(" ")),
      [
        "PING",
        "AUTH repl secret",
        "REPLCONF listening-port 6390",
        "REPLCONF ip-address 10.1.2.3",
        "REPLCONF capa eof capa psync2",
        "PSYNC ? -1",
      ],
    );
  });

  it("continues with +CONTINUE from the cached master, and reconnects with PSYNC after the link drops", async () => {
    const { master, host, events } = await setup((l, n) => {
      if (n === 0) {
        l.socket.write(`+CONTINUE ${REPLID}\r\n`);
        l.socket.write(encodeCommand(["SET", "k", "v"]), () => l.socket.destroy());
      } else {
        l.socket.write(`+CONTINUE\r\n`);
      }
    });
    events.psync = [REPLID, "501"];
    events.applied = 500;
    await waitFor(
      "a second connection's PSYNC",
      () => master.links[1]?.commands.some((a) => a[0] === "PSYNC") ?? false,
    );
    assert.deepEqual(events.log.slice(0, 2), [`continue ${REPLID}`, "down"]);
    assert.deepEqual(host.executed, [["SET", "k", "v"]]);
    assert.deepEqual(master.links[1].commands.at(-1), ["PSYNC", REPLID, "501"]);
    assert.equal(events.applied, 500 + encodeCommand(["SET", "k", "v"]).length);
  });
});
