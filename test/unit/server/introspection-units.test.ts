import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LatencyHistogram } from "../../../src/server/latency-histogram.js";
import { analyzeLatency, LatencyMonitor } from "../../../src/server/latency-monitor.js";
import { redactedArgv, reprString } from "../../../src/server/monitors.js";
import { SlowLog } from "../../../src/server/slowlog.js";

describe("LatencyHistogram (Redis 7.0's hdr layout for latency-tracking)", () => {
  it("reports cumulative counts at the log-2 reporting levels, keyed as Redis prints them", () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 3; i++) h.record(1000);
    h.record(5000);
    // 1000 ns is reported under the 1024 ns level (bucket end 1031 ns → "1"), 5000 ns under 8192 (→ "8").
    assert.deepEqual(h.cumulativeBuckets(), [
      [1, 3],
      [8, 4],
    ]);
    assert.equal(h.totalCount, 4);
  });

  it("clamps to 1 ns .. 1 s and keeps every level's key on Redis's sequence", () => {
    const h = new LatencyHistogram();
    h.record(0);
    h.record(2e9);
    for (let ns = 1; ns < 1e9; ns *= 3) h.record(ns);
    const keys = h.cumulativeBuckets().map(([us]) => us);
    const levels = [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633];
    for (const k of keys) assert.ok(levels.includes(k) || k >= 135266, `unexpected bucket ${k}`);
    const last = h.cumulativeBuckets().at(-1)!;
    assert.equal(last[1], h.totalCount);
  });

  it("finds percentiles as hdr_value_at_percentile does (bucket's highest equivalent value)", () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) h.record(i * 1000);
    assert.equal(h.valueAtPercentile(50), 50175);
    assert.equal(h.valueAtPercentile(100), 100351);
  });
});

describe("SlowLog", () => {
  it("keeps at most 32 arguments and cuts long ones as Redis does", () => {
    const log = new SlowLog();
    log.setSlowerThan(0);
    log.push(["SET", "k", "x".repeat(130)], 12.7, "1.2.3.4:5", "n");
    log.push(
      Array.from({ length: 40 }, (_, i) => `a${i}`),
      3,
      "p",
      "",
    );
    const [many, long] = log.entries;
    assert.equal(many.argv.length, 32);
    assert.equal(many.argv[31], "... (9 more arguments)");
    assert.equal(long.argv[2], `${"x".repeat(128)}... (2 more bytes)`);
    assert.equal(long.duration, 12);
    assert.deepEqual(
      log.entries.map((e) => e.id),
      [1, 0],
    );
    log.setMaxLen(1);
    assert.equal(log.entries.length, 1);
    log.setSlowerThan(-1);
    assert.equal(log.slowerThan, Number.POSITIVE_INFINITY);
  });
});

describe("MONITOR formatting", () => {
  it("quotes as sdscatrepr", () => {
    assert.equal(reprString('a"b\\c\n\r\t\x07\x08\x00\xff ~'), '"a\\"b\\\\c\\n\\r\\t\\a\\b\\x00\\xff ~"');
  });

  it("redacts AUTH, HELLO AUTH, CONFIG SET secrets and ACL SETUSER as Redis", () => {
    assert.deepEqual(redactedArgv("auth", ["AUTH", "pw"]), ["AUTH", "(redacted)"]);
    assert.deepEqual(redactedArgv("auth", ["AUTH", "u", "pw"]), ["AUTH", "(redacted)", "(redacted)"]);
    assert.deepEqual(redactedArgv("auth", ["AUTH", "u", "pw", "x"]), ["AUTH", "u", "pw", "x"]);
    assert.deepEqual(redactedArgv("hello", ["HELLO", "3", "SETNAME", "n", "AUTH", "u", "p"]), [
      "HELLO",
      "3",
      "SETNAME",
      "n",
      "AUTH",
      "(redacted)",
      "(redacted)",
    ]);
    assert.deepEqual(redactedArgv("hello", ["HELLO", "4", "AUTH", "u", "p"]), [
      "HELLO",
      "4",
      "AUTH",
      "u",
      "p",
    ]);
    assert.deepEqual(redactedArgv("config", ["CONFIG", "SET", "requirepass", "s", "hz", "10"]), [
      "CONFIG",
      "SET",
      "requirepass",
      "(redacted)",
      "hz",
      "10",
    ]);
    assert.deepEqual(redactedArgv("acl", ["ACL", "SETUSER", "u", ">pw"]), [
      "ACL",
      "SETUSER",
      "(redacted)",
      "(redacted)",
    ]);
    const plain = ["GET", "k"];
    assert.equal(redactedArgv("get", plain), plain);
  });
});

describe("LatencyMonitor", () => {
  it("keeps one sample per second (the highest), the all-time max, and resets by name", () => {
    const lm = new LatencyMonitor();
    lm.addSampleIfNeeded("command", 50);
    assert.equal(lm.events.size, 0); // disabled
    lm.setThreshold(10);
    lm.addSampleIfNeeded("command", 5);
    lm.addSampleIfNeeded("command", 15);
    lm.addSampleIfNeeded("command", 12);
    const ts = lm.events.get("command")!;
    assert.equal(ts.ordered().length, 1);
    assert.equal(ts.latest().latency, 15);
    assert.equal(ts.max, 15);
    const st = analyzeLatency(ts, ts.latest().time);
    assert.deepEqual([st.samples, st.avg, st.mad, st.period], [1, 15, 0, 1]);
    assert.equal(lm.reset("COMMAND"), 1);
    assert.equal(lm.events.size, 0);
  });
});
