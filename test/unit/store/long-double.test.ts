import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addLongDouble, formatLongDoubleHuman, parseLongDouble } from "../../../src/store/long-double.js";

/**
 * INCRBYFLOAT's arithmetic: x87 long double emulation. Expected texts were produced by Redis 7.0.15
 * (`SET k a; INCRBYFLOAT k b`) on x86-64; they differ from what JS doubles would print.
 */

const REDIS_RESULTS: [string, string, string][] = [
  ["0.1", "0.2", "0.3"],
  ["1.1", "2.2", "3.3"],
  ["10.5", "0.1", "10.6"],
  ["3.0e3", "5.0e3", "8000"],
  ["1", "1e-17", "1.00000000000000001"],
  ["1", "1e-18", "1"],
  ["0.30000000000000004", "-0.3", "0.00000000000000004"],
  ["123456789.123456789", "0.000000001", "123456789.12345678999554366"],
  ["-5", "2.5", "-2.5"],
  ["1e20", "1", "100000000000000000000"],
  ["1e21", "0.5", "1000000000000000000000"],
  ["0x1p-3", "0", "0.125"],
  ["5e-324", "0", "0"],
  [
    "1.7976931348623157e308",
    "1.7976931348623157e308",
    "359538626972463139991842093548208868096772893888658356970628841530353257046248792709403737216774171128857586838851041378617416726902272110715794556052955234146997955372576789671236326588091188869859074894581254961338834769297758245552436667197907705664206565009503223382416235440319971852753604933726679072768",
  ],
  ["3.14159265358979323846264338327950288", "0", "3.14159265358979324"],
  ["2.5e-17", "0", "0.00000000000000002"],
  ["1.5e-17", "0", "0.00000000000000002"],
  ["-1.5e-17", "0", "-0.00000000000000002"],
  ["0.000000000000000005", "0", "0"],
  ["0.000000000000000015", "0", "0.00000000000000002"],
  ["0.000000000000000025", "0", "0.00000000000000002"],
  ["0", "-2e-20", "0"],
];

function incr(a: string, b: string): string {
  const x = parseLongDouble(a);
  const y = parseLongDouble(b);
  assert.ok(x !== null && y !== null, `${a} and ${b} parse`);
  return formatLongDoubleHuman(addLongDouble(x, y));
}

describe("long double emulation (INCRBYFLOAT)", () => {
  it("adds and prints exactly as Redis on x86-64", () => {
    for (const [a, b, expected] of REDIS_RESULTS) assert.equal(incr(a, b), expected, `${a} + ${b}`);
  });

  it("accepts what strtold reads, refuses what string2ld refuses", () => {
    for (const ok of [
      "1",
      "-1",
      "+1",
      ".5",
      "5.",
      "1e3",
      "1E-3",
      "0x10",
      "0X1.8p1",
      "inf",
      "-Infinity",
      "0e99999",
    ])
      assert.notEqual(parseLongDouble(ok), null, ok);
    for (const bad of [
      "",
      " 1",
      "1 ",
      "abc",
      "nan",
      "1e",
      "0x",
      ".",
      "-",
      "1e5000",
      "1e-5000",
      "1.5x",
      "x".repeat(6000),
    ])
      assert.equal(parseLongDouble(bad), null, JSON.stringify(bad));
  });

  it("overflows to infinity past the extended range", () => {
    const big = parseLongDouble("1.18e4932");
    assert.ok(big !== null);
    assert.equal(addLongDouble(big, big).inf, true);
    assert.equal(addLongDouble(big, parseLongDouble("1") as NonNullable<typeof big>).inf, false);
  });
});
