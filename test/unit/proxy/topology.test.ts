import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BackendHealth } from "../../../src/proxy/backend.js";
import { parseReplicas } from "../../../src/proxy/sentinel-watcher.js";
import { promotedMaster, type TopologyNode } from "../../../src/proxy/topology.js";

/** The rule that moves writes without Sentinel, on plain objects (no processes). */

const NOW = 1_000_000;
const STALE = 1000;

function node(label: string, h: Partial<BackendHealth>): TopologyNode {
  const health: BackendHealth = {
    lastOkAt: NOW - 10,
    role: "slave",
    replid: "",
    replid2: "",
    masterOf: "",
    offset: 0,
    linkUp: true,
    syncing: false,
    loading: false,
    lagBytes: 0,
    lagMs: 0,
    waitOffset: false,
    reason: "",
    lastFailure: null,
    unavailableReply: "",
    ...h,
  };
  return { label, health };
}

describe("promotedMaster (following roles without Sentinel)", () => {
  it("keeps a reachable master that reports role:master, even when another node reports master too", () => {
    const m = node("m:1", { role: "master" });
    const r = node("r:2", { role: "master" });
    assert.equal(promotedMaster(m, [m, r], NOW, STALE), null);
  });

  it("keeps the master while nobody else is a master (a dead master with only replicas: no switch)", () => {
    const m = node("m:1", { role: "master", lastOkAt: 0 });
    const r1 = node("r:2", { masterOf: "m:1", linkUp: false });
    assert.equal(promotedMaster(m, [m, r1], NOW, STALE), null);
  });

  it("moves to the promoted node when the master is demoted", () => {
    const m = node("m:1", { role: "slave", masterOf: "r:2" });
    const r1 = node("r:2", { role: "master" });
    const r2 = node("r:3", { masterOf: "r:2" });
    assert.equal(promotedMaster(m, [m, r1, r2], NOW, STALE), r1);
  });

  it("moves to a promoted node when the master stopped answering", () => {
    const m = node("m:1", { role: "master", lastOkAt: NOW - 5000 });
    const r1 = node("r:2", { role: "master" });
    assert.equal(promotedMaster(m, [m, r1], NOW, STALE), r1);
  });

  it("never moves to a node that is not reachable", () => {
    const m = node("m:1", { role: "slave" });
    const r1 = node("r:2", { role: "master", lastOkAt: NOW - 5000 });
    assert.equal(promotedMaster(m, [m, r1], NOW, STALE), null);
  });

  it("among several masters: the one the demoted master follows, else the most followed, else the highest offset", () => {
    const a = node("a:1", { role: "master", offset: 10 });
    const b = node("b:2", { role: "master", offset: 99 });
    const c = node("c:3", { masterOf: "a:1" });
    const demoted = node("m:0", { role: "slave", masterOf: "b:2" });
    assert.equal(promotedMaster(demoted, [demoted, a, b, c], NOW, STALE), b, "the one it follows");
    const dead = node("m:0", { role: "master", lastOkAt: 0 });
    assert.equal(promotedMaster(dead, [dead, a, b, c], NOW, STALE), a, "the one others follow");
    const alone = node("m:0", { role: "master", lastOkAt: 0 });
    assert.equal(promotedMaster(alone, [alone, a, b], NOW, STALE), b, "the highest offset");
  });
});

describe("SENTINEL replicas reply", () => {
  it("reads ip and port of each entry, down ones included, and skips malformed entries", () => {
    const reply = [
      ["name", "127.0.0.1:6380", "ip", "127.0.0.1", "port", "6380", "flags", "slave"],
      ["name", "127.0.0.1:6381", "ip", "127.0.0.1", "port", "6381", "flags", "s_down,slave,disconnected"],
      ["name", "x", "flags", "slave"],
      "junk",
    ];
    assert.deepEqual(parseReplicas(reply), [
      { host: "127.0.0.1", port: 6380 },
      { host: "127.0.0.1", port: 6381 },
    ]);
    assert.deepEqual(parseReplicas(null as unknown as unknown[]), []);
  });
});
