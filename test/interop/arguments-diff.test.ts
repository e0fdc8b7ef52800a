import { after, before, describe, it } from "node:test";
import { type DiffPair, same, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS } from "../helpers/processes.js";

/**
 * Integer, float and timeout arguments at their edges, across command families, against Debian's
 * redis-server 7.0: every family reads them through server/arguments.ts's get…OrReply getters (object.c's
 * family in Redis), so one wrong edge there shows up here. The family diff tests cover each command's
 * ordinary arguments; these are the limits: LLONG_MIN/MAX and one past them, -LONG_MAX, C's int range,
 * string2ll's refusals ("01", "-0", "+1", " 1"), string2d's and string2ld's, and timeouts rounding up.
 */

const LLONG_MAX = "9223372036854775807";
const LLONG_MIN = "-9223372036854775808";
const NEG_LONG_MAX = "-9223372036854775807";
const PAST_MAX = "9223372036854775808";
const TWO_60 = "1152921504606846976";

const CASES: (string | number)[][] = [
  ["RPUSH", "l", "a", "b", "a", "c", "a"],
  ["SADD", "s", "x"],
  ["ZADD", "z", 1, "m"],
  ["HSET", "h", "f", "v"],
  ["SET", "str", "hello"],
  // getLongLongOrReply: indexes past ±2^53 mean "past the end".
  ["LRANGE", "l", 0, LLONG_MAX],
  ["LRANGE", "l", LLONG_MIN, LLONG_MAX],
  ["LRANGE", "l", 0, PAST_MAX],
  ["LINDEX", "l", LLONG_MAX],
  ["LINDEX", "l", LLONG_MIN],
  ["LSET", "l", LLONG_MAX, "v"],
  ["LREM", "nokey", LLONG_MIN, "a"],
  ["LTRIM", "nokey", 0, LLONG_MAX],
  ["GETRANGE", "str", 0, LLONG_MAX],
  ["GETRANGE", "str", LLONG_MIN, 1],
  ["ZRANGE", "z", 0, LLONG_MAX],
  ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", LLONG_MAX, LLONG_MAX],
  ["SORT", "l", "ALPHA", "LIMIT", LLONG_MIN, LLONG_MAX],
  ["SSCAN", "s", 0, "COUNT", LLONG_MAX],
  ["SSCAN", "s", 0, "COUNT", PAST_MAX],
  // string2ll's refusals.
  ...["01", "-0", "+1", " 1", "1 ", "", "1e3", "1.0", "0x1"].map((bad) => ["LINDEX", "l", bad]),
  // getPositiveLongOrReply, with and without the caller's text.
  ["LPOP", "l", -1],
  ["LPOP", "l", PAST_MAX],
  ["LPOP", "l", "x"],
  ["LPOP", "nokey", LLONG_MAX],
  ["LPOS", "l", "a", "COUNT", TWO_60],
  ["LPOS", "l", "a", "COUNT", -1],
  ["LPOS", "l", "a", "MAXLEN", LLONG_MAX],
  ["LPOS", "l", "a", "MAXLEN", "x"],
  ["LPOS", "l", "a", "RANK", LLONG_MIN],
  ["LPOS", "l", "a", "RANK", NEG_LONG_MAX],
  ["LPOS", "l", "a", "RANK", LLONG_MAX],
  ["SPOP", "s", -1],
  ["SPOP", "s", "x"],
  ["ZPOPMIN", "z", -1],
  ["ZPOPMIN", "nokey", TWO_60],
  ["SINTERCARD", 1, "s", "LIMIT", -1],
  ["SINTERCARD", 1, "s", "LIMIT", LLONG_MAX],
  ["ZINTERCARD", 1, "z", "LIMIT", "x"],
  // getRangeLongOrReply(1, LONG_MAX, msg).
  ["LMPOP", 0, "l", "LEFT"],
  ["LMPOP", LLONG_MAX, "l", "LEFT"],
  ["LMPOP", 1, "l", "LEFT", "COUNT", 0],
  ["LMPOP", 1, "nokey", "LEFT", "COUNT", LLONG_MAX],
  ["ZMPOP", "x", "z", "MIN"],
  ["ZMPOP", 1, "nokey", "MIN", "COUNT", PAST_MAX],
  ["SINTERCARD", 0, "s"],
  ["SINTERCARD", PAST_MAX, "s"],
  // getRangeLongOrReply(-LONG_MAX, LONG_MAX): LLONG_MIN is the one value refused.
  ["SRANDMEMBER", "nokey", LLONG_MIN],
  ["SRANDMEMBER", "nokey", NEG_LONG_MAX],
  ["HRANDFIELD", "nokey", LLONG_MIN],
  ["HRANDFIELD", "nokey", NEG_LONG_MAX],
  ["ZRANDMEMBER", "nokey", LLONG_MIN],
  ["ZRANDMEMBER", "nokey", NEG_LONG_MAX],
  ["ZRANDMEMBER", "z", TWO_60, "WITHSCORES"],
  ["ZRANDMEMBER", "z", LLONG_MAX, "WITHSCORES"],
  // getIntOrReply: C's int.
  ["SELECT", "2147483648"],
  ["SELECT", "-2147483649"],
  ["SELECT", "2147483647"],
  ["SELECT", "01"],
  ["MOVE", "str", "2147483648"],
  ["SWAPDB", "2147483648", 0],
  ["SWAPDB", 0, "x"],
  ["COPY", "str", "dst", "DB", LLONG_MAX],
  // Exact int64s: INCRBY, DECRBY, SETRANGE, SET EX, EXPIRE, HINCRBY.
  ["SET", "n", "0"],
  ["INCRBY", "n", LLONG_MAX],
  ["INCRBY", "n", 1],
  ["DECRBY", "n", LLONG_MIN],
  ["DECRBY", "n", NEG_LONG_MAX],
  ["INCRBY", "n", PAST_MAX],
  ["SETRANGE", "str", NEG_LONG_MAX, "x"],
  ["SETRANGE", "str", LLONG_MAX, "x"],
  ["SET", "k", "v", "EX", "9223372036854775"],
  ["SET", "k", "v", "EX", "9223372036854776"],
  ["SET", "k", "v", "PX", LLONG_MAX],
  ["SET", "k", "v", "EX", 0],
  ["SET", "k", "v", "EX", "01"],
  ["SETEX", "k", "9007199254740993", "v"],
  ["EXPIRE", "str", LLONG_MAX],
  ["EXPIRE", "str", "9223372036854775"],
  ["PEXPIRE", "str", "9007199254740993"],
  ["PEXPIREAT", "str", "-0"],
  ["HINCRBY", "h", "n", LLONG_MAX],
  ["HINCRBY", "h", "n", 1],
  ["HINCRBY", "h", "n2", "+1"],
  // string2d: subnormals stay, underflow to zero, overflow, NaN and spaces do not.
  ...["1e-310", "1e-400", "0x1p3", "nan", " 1", "inf", "1e309", "01", "-0", "5.", "."].map((score) => [
    "ZADD",
    "z",
    score,
    `member ${score}`,
  ]),
  ["ZUNIONSTORE", "d", 1, "z", "WEIGHTS", "x"],
  ["ZUNIONSTORE", "d", 1, "z", "WEIGHTS", "1e-400"],
  ["ZRANGE", "z", 0, -1, "WITHSCORES"],
  // Timeouts (getTimeoutOrReply): seconds as a long double rounded up to 1 ms, milliseconds as a long long.
  ...["0.0001", "1e-320", "0x1p-20", "1e5000", "1e-5000", " 1", "nan", "inf", "1e16", "-1"].map((timeout) => [
    "BLPOP",
    "nokey",
    timeout,
  ]),
  ["BZPOPMIN", "nokey", "0.0001"],
  ["BLMOVE", "nokey", "d", "LEFT", "LEFT", "-0.5"],
  ["CLIENT", "PAUSE", "01"],
  ["CLIENT", "PAUSE", "1.5"],
  ["CLIENT", "PAUSE", -1],
  ["CLIENT", "PAUSE", 0],
  // Other getLongLong readers and their own texts.
  ["CLIENT", "LIST", "ID", 0],
  ["CLIENT", "LIST", "ID", -5],
  ["CLIENT", "LIST", "ID", "x"],
  ["CLIENT", "KILL", "ID", 0],
  ["CLIENT", "KILL", "ID", "x"],
  ["CLIENT", "UNBLOCK", "x"],
  ["CLIENT", "TRACKING", "ON", "REDIRECT", "x"],
  ["HELLO", "01"],
  ["HELLO", LLONG_MAX],
  ["HELLO", PAST_MAX],
  ["SLOWLOG", "GET", -2],
  ["SLOWLOG", "GET", "x"],
  ["SLOWLOG", "GET", LLONG_MAX],
  ["ACL", "GENPASS", LLONG_MAX],
  ["ACL", "GENPASS", "x"],
  ["ACL", "LOG", LLONG_MIN],
  ["MEMORY", "USAGE", "str", "SAMPLES", -1],
  ["MEMORY", "USAGE", "str", "SAMPLES", "x"],
  ["RESTORE", "r", "x", "payload"],
  ["RESTORE", "r", -1, "payload"],
  ["OBJECT", "FREQ", "str"],
  ["EVAL", "return 1", "x"],
  ["EVAL", "return 1", LLONG_MAX],
  ["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "01", "a"],
  ["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "-1", "a"],
];

describe("argument edges vs redis-server", { skip: NO_REDIS }, () => {
  let pair: DiffPair | undefined;
  before(async () => {
    pair = await startDiffPair();
  });
  after(() => stopDiffPair(pair ?? {}));

  it("answers every edge like Redis 7.0", async () => {
    const { t, r } = pair!;
    for (const args of CASES) await same(t, r, args);
  });
});
