import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  getDoubleOrReply,
  getExactLongLongOrReply,
  getIntOrReply,
  getLongLongOrReply,
  getPositiveLongOrReply,
  getRangeLongOrReply,
  getTimeoutOrReply,
  LONG_MAX,
  parseDoubleArg,
  UNIT_MILLISECONDS,
  UNIT_SECONDS,
} from "../../../src/server/arguments.js";
import type { Client } from "../../../src/server/client.js";

/** Only what the getters touch: the error they reply. */
function fakeClient(): { c: Client; errors: string[] } {
  const errors: string[] = [];
  const c = { reply: { error: (m: string) => errors.push(m) } } as unknown as Client;
  return { c, errors };
}

/** Runs a getter; returns its value and the one error it replied (or undefined). */
function run<T>(get: (c: Client) => T): { value: T; error: string | undefined } {
  const { c, errors } = fakeClient();
  const value = get(c);
  assert.ok(errors.length <= 1, `more than one reply: ${errors.join(" | ")}`);
  // null and an error go together: a getter never fails silently, nor replies and succeeds.
  assert.equal(
    value === null,
    errors.length === 1,
    `value ${String(value)} with errors [${errors.join(", ")}]`,
  );
  return { value, error: errors[0] };
}

const NOT_INT = "ERR value is not an integer or out of range";
const NOT_FLOAT = "ERR value is not a valid float";
const NOT_POSITIVE = "ERR value is out of range, must be positive";
const SAFE = Number.MAX_SAFE_INTEGER;

describe("getLongLongOrReply (string2ll, as getLongLongFromObjectOrReply)", () => {
  it("accepts what string2ll accepts", () => {
    for (const [s, n] of [
      ["0", 0],
      ["1", 1],
      ["-1", -1],
      ["123456789", 123456789],
      [String(SAFE), SAFE],
      [String(-SAFE), -SAFE],
    ] as const) {
      assert.deepEqual(
        run((c) => getLongLongOrReply(c, s)),
        { value: n, error: undefined },
        s,
      );
    }
  });

  it("refuses '+1', ' 1', '1 ', '01', '-0', '', '1e3', '1.0', '0x10' with Redis's text", () => {
    for (const s of ["+1", " 1", "1 ", "01", "-0", "", "1e3", "1.0", "0x10", "-", "abc", "1\0"]) {
      assert.deepEqual(
        run((c) => getLongLongOrReply(c, s)),
        { value: null, error: NOT_INT },
        JSON.stringify(s),
      );
    }
  });

  it("takes the caller's message instead", () => {
    assert.equal(
      run((c) => getLongLongOrReply(c, "x", "ERR Invalid client ID")).error,
      "ERR Invalid client ID",
    );
  });

  it("accepts the whole int64 range, saturating past ±2^53, and refuses one past LLONG limits", () => {
    assert.equal(run((c) => getLongLongOrReply(c, "9223372036854775807")).value, SAFE);
    assert.equal(run((c) => getLongLongOrReply(c, "-9223372036854775808")).value, -SAFE);
    assert.equal(run((c) => getLongLongOrReply(c, "9007199254740993")).value, SAFE);
    assert.equal(run((c) => getLongLongOrReply(c, "1152921504606846976")).value, SAFE); // 2^60, exact in doubles
    assert.equal(run((c) => getLongLongOrReply(c, "9223372036854775808")).error, NOT_INT);
    assert.equal(run((c) => getLongLongOrReply(c, "-9223372036854775809")).error, NOT_INT);
    assert.equal(run((c) => getLongLongOrReply(c, "99999999999999999999")).error, NOT_INT);
  });
});

describe("getExactLongLongOrReply", () => {
  it("is a number within ±2^53 and an exact BigInt beyond", () => {
    assert.equal(run((c) => getExactLongLongOrReply(c, "42")).value, 42);
    assert.equal(run((c) => getExactLongLongOrReply(c, String(-SAFE))).value, -SAFE);
    assert.equal(run((c) => getExactLongLongOrReply(c, "9007199254740992")).value, 9007199254740992n);
    assert.equal(run((c) => getExactLongLongOrReply(c, "9223372036854775807")).value, 9223372036854775807n);
    assert.equal(run((c) => getExactLongLongOrReply(c, "-9223372036854775808")).value, -9223372036854775808n);
    assert.equal(run((c) => getExactLongLongOrReply(c, "9223372036854775808")).error, NOT_INT);
    assert.equal(run((c) => getExactLongLongOrReply(c, "01")).error, NOT_INT);
  });
});

describe("getRangeLongOrReply / getPositiveLongOrReply / getIntOrReply", () => {
  it("checks both ends, with Redis's default range text", () => {
    assert.equal(run((c) => getRangeLongOrReply(c, "0", 0, 65535)).value, 0);
    assert.equal(run((c) => getRangeLongOrReply(c, "65535", 0, 65535)).value, 65535);
    assert.equal(
      run((c) => getRangeLongOrReply(c, "65536", 0, 65535)).error,
      "ERR value is out of range, value must between 0 and 65535",
    );
    assert.equal(run((c) => getRangeLongOrReply(c, "x", 0, 65535)).error, NOT_INT);
  });

  it("uses the caller's message for both a non-integer and an out-of-range value", () => {
    const msg = "ERR numkeys should be greater than 0";
    assert.equal(run((c) => getRangeLongOrReply(c, "0", 1, LONG_MAX, msg)).error, msg);
    assert.equal(run((c) => getRangeLongOrReply(c, "x", 1, LONG_MAX, msg)).error, msg);
    assert.equal(run((c) => getRangeLongOrReply(c, "9223372036854775807", 1, LONG_MAX, msg)).value, SAFE);
  });

  it("keeps -LONG_MAX apart from LONG_MIN (SRANDMEMBER, HRANDFIELD, ZRANDMEMBER)", () => {
    assert.equal(
      run((c) => getRangeLongOrReply(c, "-9223372036854775807", -LONG_MAX, LONG_MAX)).value,
      -SAFE,
    );
    assert.equal(
      run((c) => getRangeLongOrReply(c, "-9223372036854775808", -LONG_MAX, LONG_MAX)).error,
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
  });

  it("getPositiveLongOrReply: ≥ 0, one text for every failure", () => {
    assert.equal(run((c) => getPositiveLongOrReply(c, "0")).value, 0);
    assert.equal(run((c) => getPositiveLongOrReply(c, "9223372036854775807")).value, SAFE);
    for (const s of ["-1", "x", "9223372036854775808", "-9223372036854775808", ""]) {
      assert.equal(run((c) => getPositiveLongOrReply(c, s)).error, NOT_POSITIVE, s);
    }
    assert.equal(
      run((c) => getPositiveLongOrReply(c, "-1", "ERR LIMIT can't be negative")).error,
      "ERR LIMIT can't be negative",
    );
  });

  it("getIntOrReply: C's int range", () => {
    assert.equal(run((c) => getIntOrReply(c, "2147483647")).value, 2147483647);
    assert.equal(run((c) => getIntOrReply(c, "-2147483648")).value, -2147483648);
    const range = "ERR value is out of range, value must between -2147483648 and 2147483647";
    assert.equal(run((c) => getIntOrReply(c, "2147483648")).error, range);
    assert.equal(run((c) => getIntOrReply(c, "-2147483649")).error, range);
    assert.equal(run((c) => getIntOrReply(c, "9223372036854775807")).error, range);
    assert.equal(run((c) => getIntOrReply(c, "x")).error, NOT_INT);
    assert.equal(
      run((c) => getIntOrReply(c, "x", "ERR invalid first DB index")).error,
      "ERR invalid first DB index",
    );
  });
});

describe("getDoubleOrReply (string2d)", () => {
  it("accepts what strtod reads whole", () => {
    for (const [s, v] of [
      ["1", 1],
      ["-1.5", -1.5],
      ["+1", 1],
      ["01", 1],
      ["-0", -0],
      ["1e3", 1000],
      [".5", 0.5],
      ["5.", 5],
      ["inf", Number.POSITIVE_INFINITY],
      ["-INF", Number.NEGATIVE_INFINITY],
      ["+Infinity", Number.POSITIVE_INFINITY],
      ["0x10", 16],
      ["0x1p3", 8],
      ["1e308", 1e308],
    ] as const) {
      assert.deepEqual(
        run((c) => getDoubleOrReply(c, s)),
        { value: v, error: undefined },
        s,
      );
    }
  });

  it("refuses nan, spaces, trailing bytes, the empty string, overflow and underflow to zero", () => {
    for (const s of [
      "nan",
      "NaN",
      "-nan",
      " 1",
      "1 ",
      "1x",
      "",
      "1e309",
      "-1e309",
      "1e-400",
      "--1",
      "e3",
      ".",
    ]) {
      assert.deepEqual(
        run((c) => getDoubleOrReply(c, s)),
        { value: null, error: NOT_FLOAT },
        JSON.stringify(s),
      );
    }
    assert.equal(
      run((c) => getDoubleOrReply(c, "x", "ERR weight value is not a float")).error,
      "ERR weight value is not a float",
    );
  });

  it("keeps subnormals that do not round to zero (strtod's ERANGE alone is not a refusal)", () => {
    assert.equal(parseDoubleArg("1e-310"), 1e-310);
  });
});

describe("getTimeoutOrReply", () => {
  const NOT_FLOAT_T = "ERR timeout is not a float or out of range";
  const NEGATIVE = "ERR timeout is negative";

  it("seconds: 0 is forever, anything above is a deadline rounded up to whole ms", () => {
    assert.equal(run((c) => getTimeoutOrReply(c, "0", UNIT_SECONDS)).value, 0);
    assert.equal(run((c) => getTimeoutOrReply(c, "-0", UNIT_SECONDS)).value, 0);
    // -0.0005 s rounds up to -0 ms: forever, as redis-server's ceill does.
    assert.equal(run((c) => getTimeoutOrReply(c, "-0.0005", UNIT_SECONDS)).value, 0);
    for (const [s, ms] of [
      ["1.5", 1500],
      ["0.0001", 1],
      ["1e-320", 1],
      ["1e-4000", 1], // a long double, too small for a double: still 1 ms
      ["0x1p-20", 1],
      ["2", 2000],
    ] as const) {
      const before = Date.now();
      const { value } = run((c) => getTimeoutOrReply(c, s, UNIT_SECONDS));
      assert.ok(value !== null && value >= before + ms && value <= Date.now() + ms, `${s}: ${value}`);
    }
  });

  it("seconds: string2ld's refusals, and 'negative' for what wraps past 2^63 ms", () => {
    for (const s of [" 1", "1 ", "", "nan", "1e5000", "1e-5000", "abc"]) {
      assert.equal(run((c) => getTimeoutOrReply(c, s, UNIT_SECONDS)).error, NOT_FLOAT_T, JSON.stringify(s));
    }
    for (const s of ["-1", "-0.001", "inf", "+inf", "-inf", "1e16", "1e300"]) {
      assert.equal(run((c) => getTimeoutOrReply(c, s, UNIT_SECONDS)).error, NEGATIVE, s);
    }
  });

  it("milliseconds: a long long", () => {
    assert.equal(run((c) => getTimeoutOrReply(c, "0", UNIT_MILLISECONDS)).value, 0);
    const before = Date.now();
    const { value } = run((c) => getTimeoutOrReply(c, "250", UNIT_MILLISECONDS));
    assert.ok(value !== null && value >= before + 250 && value <= Date.now() + 250);
    assert.equal(
      run((c) => getTimeoutOrReply(c, "1.5", UNIT_MILLISECONDS)).error,
      "ERR timeout is not an integer or out of range",
    );
    assert.equal(
      run((c) => getTimeoutOrReply(c, "01", UNIT_MILLISECONDS)).error,
      "ERR timeout is not an integer or out of range",
    );
    assert.equal(run((c) => getTimeoutOrReply(c, "-1", UNIT_MILLISECONDS)).error, NEGATIVE);
  });
});
