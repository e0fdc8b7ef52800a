import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BatchTimer } from "../../../src/proxy/observability/batch-timer.js";
import { LatencyHistogram } from "../../../src/proxy/observability/latency-histogram.js";

describe("LatencyHistogram", () => {
  it("puts a value in the first bucket whose bound is >= it (le), larger ones in +Inf", () => {
    const h = new LatencyHistogram([0.001, 0.01, 0.1]);
    h.observe(0.0005);
    h.observe(0.001); // on the bound: le="0.001"
    h.observe(0.005);
    h.observe(0.5);
    h.observe(7, 3);
    assert.deepEqual([...h.counts], [2, 1, 0, 4]);
    assert.deepEqual(h.cumulative(), [2, 3, 3, 7]);
    assert.equal(h.count, 7);
    assert.ok(Math.abs(h.sum - (0.0005 + 0.001 + 0.005 + 0.5 + 21)) < 1e-9);
  });

  it("the +Inf bucket always equals the count", () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 1000; i++) h.observe(Math.random() * 10, 1 + (i % 3));
    const c = h.cumulative();
    assert.equal(c[c.length - 1], h.count);
    for (let i = 1; i < c.length; i++) assert.ok(c[i] >= c[i - 1], "cumulative counts never decrease");
  });

  it("rejects bounds that do not increase", () => {
    assert.throws(() => new LatencyHistogram([0.1, 0.1]), RangeError);
  });
});

describe("BatchTimer", () => {
  it("times every reply of a batch once, across reads, oldest batch first", () => {
    const t = new BatchTimer();
    const h = new LatencyHistogram();
    t.written(3); // batch 1: 3 entries
    t.written(3); // nothing new written: no batch
    t.written(5); // batch 2: 2 more
    assert.equal(t.unanswered, 2);
    t.answered(2, h);
    assert.equal(h.count, 2);
    assert.equal(t.unanswered, 2, "batch 1 still has one reply due");
    t.answered(2, h); // the last of batch 1, the first of batch 2
    assert.equal(t.unanswered, 1);
    t.answered(1, h);
    assert.equal(t.unanswered, 0);
    assert.equal(h.count, 5);
    assert.ok(h.sum >= 0 && h.sum < 1, `plausible latency sum ${h.sum}`);
    t.answered(4, h); // replies nobody timed (none due): ignored
    assert.equal(h.count, 5);
  });

  it("a batch written after earlier replies came counts only the new entries", () => {
    const t = new BatchTimer();
    const h = new LatencyHistogram();
    t.written(4);
    t.answered(3, h);
    t.written(1 + 2); // one old entry still pending + 2 new ones
    assert.equal(t.unanswered, 2);
    t.answered(3, h);
    assert.equal(h.count, 6);
    assert.equal(t.unanswered, 0);
  });
});
