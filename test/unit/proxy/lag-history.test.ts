import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LagHistory } from "../../../src/proxy/observability/lag-history.js";

describe("LagHistory (ring buffer)", () => {
  it("returns what was pushed, oldest first, until full", () => {
    const h = new LagHistory(4);
    assert.deepEqual(h.series(), { t: [], lagMs: [], lagBytes: [] });
    h.push(1000, 0, 0);
    h.push(2000, 5, 50);
    assert.equal(h.size, 2);
    assert.deepEqual(h.series(), { t: [1000, 2000], lagMs: [0, 5], lagBytes: [0, 50] });
  });

  it("once full, keeps the last `capacity` samples in order (wrapping more than once)", () => {
    const h = new LagHistory(3);
    for (let i = 1; i <= 10; i++) h.push(i * 1000, i, i * 10);
    assert.equal(h.size, 3);
    assert.deepEqual(h.series(), { t: [8000, 9000, 10000], lagMs: [8, 9, 10], lagBytes: [80, 90, 100] });
    h.push(11_000, 11, 110);
    assert.deepEqual(h.series().lagMs, [9, 10, 11]);
  });

  it("defaults to ten minutes at one sample a second", () => {
    const h = new LagHistory();
    for (let i = 0; i < 700; i++) h.push(i, i, 0);
    assert.equal(h.capacity, 600);
    const s = h.series();
    assert.equal(s.t.length, 600);
    assert.equal(s.t[0], 100);
    assert.equal(s.t[599], 699);
  });

  it("rejects a capacity that is not a positive integer", () => {
    assert.throws(() => new LagHistory(0), RangeError);
    assert.throws(() => new LagHistory(2.5), RangeError);
  });
});
