import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PROXY_DEFAULTS, type ReadPolicy } from "../../../src/config/proxy-config.js";
import type { Backend } from "../../../src/proxy/backend.js";
import { Route, routeOf } from "../../../src/proxy/command-route.js";
import { Router } from "../../../src/proxy/router.js";

function fake(label: string, weight = 1): Backend {
  return {
    label,
    weight,
    eligible: true,
    drain: "none",
    get draining(): boolean {
      return (this as { drain: string }).drain !== "none";
    },
    health: { offset: 0 },
    outstanding: 0,
    currentWeight: 0,
  } as unknown as Backend;
}

function router(policy: ReadPolicy, replicas: Backend[], noEligible: "master" | "error" = "master"): Router {
  const r = new Router(fake("master"), replicas, {
    ...PROXY_DEFAULTS,
    readPolicy: policy,
    noEligibleReplica: noEligible,
  });
  r.refresh();
  return r;
}

const picks = (r: Router, n: number) => Array.from({ length: n }, () => r.pickRead()?.label ?? "none");

describe("Router", () => {
  it("round-robin alternates over eligible replicas", () => {
    assert.deepEqual(picks(router("round-robin", [fake("a"), fake("b")]), 4), ["a", "b", "a", "b"]);
  });

  it("weighted follows the weights, interleaved", () => {
    const p = picks(router("weighted", [fake("a", 1), fake("b", 3)]), 8);
    assert.equal(p.filter((x) => x === "b").length, 6);
    assert.notDeepEqual(p.slice(0, 3), ["b", "b", "b"]);
  });

  it("least-outstanding prefers the replica with fewer requests in flight", () => {
    const a = fake("a");
    const b = fake("b");
    a.outstanding = 5;
    assert.deepEqual(picks(router("least-outstanding", [a, b]), 3), ["b", "b", "b"]);
  });

  it("skips ineligible and draining replicas, and falls back to the master or to none", () => {
    const a = fake("a");
    const b = fake("b");
    const r = router("round-robin", [a, b]);
    a.eligible = false;
    b.drain = "draining";
    r.refresh();
    assert.equal(r.pickRead()?.label, "master");
    const e = router("round-robin", [a], "error");
    e.refresh();
    assert.equal(e.pickRead(), null);
  });
});

describe("command routes (from the shared command table)", () => {
  const cases: [string, Route][] = [
    ["GET", Route.READ],
    ["get", Route.READ],
    ["hgetall", Route.READ],
    ["SET", Route.MASTER],
    ["flushall", Route.MASTER],
    ["nosuchcommand", Route.MASTER],
    ["info", Route.MASTER],
    ["blpop", Route.BLOCKING],
    ["bzpopmin", Route.BLOCKING],
    ["xread", Route.BLOCKING],
    ["wait", Route.BLOCKING],
    ["waitoffset", Route.BLOCKING],
    ["subscribe", Route.TUNNEL],
    ["PSUBSCRIBE", Route.TUNNEL],
    ["multi", Route.MULTI],
    ["watch", Route.WATCH],
    ["sscan", Route.SCAN],
    ["select", Route.LOCAL],
    ["PROXY", Route.LOCAL],
    ["client", Route.LOCAL],
    ["EVAL", Route.SCRIPT],
    ["evalsha", Route.SCRIPT],
    ["script", Route.SCRIPT],
    ["eval_ro", Route.SCRIPT_READ],
    ["EVALSHA_RO", Route.SCRIPT_READ],
  ];
  for (const [name, route] of cases) {
    it(`${name} → ${Object.entries(Route).find(([, v]) => v === route)?.[0]}`, () =>
      assert.equal(routeOf(name), route));
  }
});
