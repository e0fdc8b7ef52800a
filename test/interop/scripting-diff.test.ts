import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type DiffPair, same, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS } from "../helpers/processes.js";

/**
 * Lua scripting (EVAL, EVALSHA, EVAL_RO, SCRIPT) differentially against Debian's redis-server 7.0: the
 * common patterns (locks, token bucket, sliding window), error texts, the Lua↔RESP conversions both ways
 * in RESP2 and RESP3, the bundled libraries, Lua 5.1 behaviour and the sandbox. Replies must match byte
 * for byte, error messages with their "script: <sha>, on @user_script:<line>." tails included.
 */

type Cmd = (string | number)[];

const sha1 = (s: string) => createHash("sha1").update(s, "latin1").digest("hex");

const LOCK_ACQUIRE = "return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])";
const LOCK_RELEASE =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/** A token bucket: capacity, refill per second, now (ms), cost. Returns {allowed, tokens left}. */
const TOKEN_BUCKET = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1]) or capacity
local ts = tonumber(data[2]) or now
tokens = math.min(capacity, tokens + (now - ts) / 1000 * rate)
local allowed = 0
if tokens >= cost then tokens = tokens - cost; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000))
return {allowed, tostring(tokens)}`;

/** A sliding-window limiter on a sorted set: window (ms), limit, now (ms), request id. */
const SLIDING_WINDOW = `
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, count + 1}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, count, oldest[2]}`;

describe("Lua scripting vs redis-server", { skip: NO_REDIS }, () => {
  let p: DiffPair;

  before(async () => {
    p = await startDiffPair();
  });

  after(async () => {
    await stopDiffPair(p ?? {});
  });

  async function run(cmds: Cmd[], reset = true): Promise<void> {
    if (reset) await same(p.t, p.r, ["FLUSHALL"]);
    for (const c of cmds) await same(p.t, p.r, c);
  }

  const ev = (body: string, keys: string[] = [], ...args: (string | number)[]): Cmd => [
    "EVAL",
    body,
    keys.length,
    ...keys,
    ...args,
  ];

  it("lock: SET NX PX then compare-and-delete", async () => {
    await run([
      ev(LOCK_ACQUIRE, ["lock"], "token-a", 10000),
      ev(LOCK_ACQUIRE, ["lock"], "token-b", 10000),
      ev(LOCK_RELEASE, ["lock"], "token-b"),
      ["GET", "lock"],
      ev(LOCK_RELEASE, ["lock"], "token-a"),
      ["EXISTS", "lock"],
      ev(LOCK_ACQUIRE, ["lock"], "token-b", 10000),
      ev("return redis.call('PTTL', KEYS[1]) > 9000", ["lock"]),
    ]);
  });

  it("token bucket with HMGET/HSET/PEXPIRE and float arithmetic", async () => {
    const cmds: Cmd[] = [];
    for (let i = 0; i < 12; i++)
      cmds.push(ev(TOKEN_BUCKET, ["bucket"], 5, 2, 1_700_000_000_000 + i * 130, 1));
    cmds.push(["HGETALL", "bucket"]);
    await run(cmds);
  });

  it("sliding-window limiter on a sorted set", async () => {
    const cmds: Cmd[] = [];
    for (let i = 0; i < 10; i++)
      cmds.push(ev(SLIDING_WINDOW, ["win"], 1000, 4, 1_700_000_000_000 + i * 150, `r${i}`));
    cmds.push(["ZRANGE", "win", 0, -1, "WITHSCORES"]);
    await run(cmds);
  });

  it("script cache: SCRIPT LOAD, EXISTS, EVALSHA (any case), FLUSH, NOSCRIPT", async () => {
    await run([
      ["SCRIPT", "LOAD", "return 'cached'"],
      ["SCRIPT", "EXISTS", sha1("return 'cached'"), "ffffffffffffffffffffffffffffffffffffffff"],
      ["EVALSHA", sha1("return 'cached'").toUpperCase(), 0],
      ["EVAL", "return 'uncached'", 0],
      ["SCRIPT", "EXISTS", sha1("return 'uncached'"), sha1("return 'never'")],
      ["SCRIPT", "FLUSH"],
      ["SCRIPT", "FLUSH", "ASYNC"],
      ["SCRIPT", "FLUSH", "SYNC"],
      ["SCRIPT", "FLUSH", "NOW"],
      ["EVALSHA", "abc", 0],
      ["EVALSHA", "0123456789012345678901234567890123456789", 0],
      ["SCRIPT", "KILL"],
      ["SCRIPT", "HELP"],
      ["SCRIPT", "NOPE"],
      ["SCRIPT"],
    ]);
    const sha = (await p.t.raw("SCRIPT", "LOAD", "return ARGV[1] .. KEYS[1]"))
      .toString("latin1")
      .split("\r\n")[1];
    await same(p.t, p.r, ["SCRIPT", "LOAD", "return ARGV[1] .. KEYS[1]"]);
    await run(
      [
        ["EVALSHA", sha, 1, "k", "v"],
        ["EVALSHA", sha.toUpperCase(), 1, "k", "v"],
        ["EVALSHA_RO", sha, 1, "k", "x"],
      ],
      false,
    );
  });

  it("EVAL argument errors", async () => {
    await run([
      ["EVAL", "return 1", -1],
      ["EVAL", "return 1", 2, "a"],
      ["EVAL", "return 1", "x"],
      ["EVAL", "return 1"],
      ["EVALSHA"],
    ]);
  });

  it("error texts: compile, runtime, redis.call, pcall, error_reply, globals", async () => {
    await run([
      ev("return 1 +"),
      ev("local x = = 1"),
      ev("error('boom')"),
      ev("error('x', 0)"),
      ev("error(123)"),
      ev("error(nil)"),
      ev("error({err='MY thing'})"),
      ev("local t = nil\nreturn t.x"),
      ev("local t = {}\nreturn t.a.b"),
      ev("local n\nreturn n + 1"),
      ev("return ('x')()"),
      ev("return #nil"),
      ev("return {} < {}"),
      ev("return 1 .. {}"),
      ev("return redis.call('nosuch')"),
      ev("return redis.call('get')"),
      ev("return redis.call()"),
      ev("return redis.call('get', {})"),
      ev("return redis.pcall('get')"),
      ev("return redis.pcall('incr', 'a', 'b')"),
      ["SET", "str", "abc"],
      ev("return redis.call('incr', 'str')"),
      ev("\n\nreturn redis.call('incr', 'str')"),
      ev("return redis.pcall('incr', 'str')"),
      ev("local r = redis.pcall('incr', 'str') return r.err"),
      ev("local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}"),
      ev("local ok, e = pcall(redis.call, 'nosuch') error(e)"),
      ev("local ok, e = pcall(function() error({err='X y'}) end) return e"),
      ev("return redis.error_reply('MY err')"),
      ev("return redis.error_reply('noprefix')"),
      ev("return redis.error_reply('-CODE with dash')"),
      ev("return redis.error_reply(1)"),
      ev("return redis.status_reply('FINE')"),
      ev("return {err='plain'}"),
      ev("return redis.call('subscribe', 'x')"),
      ev("return redis.call('blpop', 'nolist', 0)"),
      ev("return redis.call('eval', 'return 1', 0)"),
      ev("return redis.call('set', 'k', 'v', 'xx', 'nx')"),
      ev("return redis.setresp(4)"),
      ev("return redis.sha1hex()"),
      ev("return redis.log(99, 'x')"),
      ev("return redis.log(redis.LOG_DEBUG)"),
    ]);
  });

  it("read-only scripts: EVAL_RO, shebang flags", async () => {
    await run([
      ["EVAL_RO", "return redis.call('set', 'a', 'b')", 0],
      ["EVAL_RO", "return redis.call('get', 'a')", 0],
      ["EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')", 0],
      ["EVAL", "#!lua flags=no-writes,allow-oom,allow-stale\nreturn redis.call('get', 'a')", 0],
      ["EVAL", "#!lua\nreturn redis.call('set', 'a', 'b')", 0],
      ["EVAL_RO", "#!lua\nreturn 1", 0],
      ["EVAL", "#!lua flags=bad\nreturn 1", 0],
      ["EVAL", "#!lua other=1\nreturn 1", 0],
      ["EVAL", "#!python\nreturn 1", 0],
      ["EVAL", "#!lua", 0],
      ["EVAL", "#!lua\nerror('line two')", 0],
    ]);
  });

  it("Redis → Lua conversions (RESP2 and RESP3 via redis.setresp)", async () => {
    await run([
      ["RPUSH", "l", "a", "b"],
      ["HSET", "h", "f", "v"],
      ["ZADD", "z", "1.5", "m"],
      ["SADD", "s", "x"],
      ev("return type(redis.call('get', 'nokey'))"),
      ev("return {type(redis.call('incr', 'n')), redis.call('incr', 'n')}"),
      ev("local r = redis.call('set', 'x', 'y') return {type(r), r.ok}"),
      ev("return redis.call('lrange', 'l', 0, -1)"),
      ev("redis.setresp(3) return type(redis.call('get', 'nokey'))"),
      ev("redis.setresp(3) local r = redis.call('hgetall', 'h') return {type(r.map), r.map.f}"),
      ev("redis.setresp(3) local r = redis.call('smembers', 's') return tostring(r.set.x)"),
      ev("redis.setresp(3) local r = redis.call('zscore', 'z', 'm') return tostring(r.double)"),
      ev("redis.setresp(3) return redis.call('hgetall', 'h')"),
      ev("redis.setresp(3) return redis.call('zscore', 'z', 'm')"),
      ev("redis.setresp(3) return redis.call('exists', 'h')"),
      ev("redis.setresp(2) return redis.call('zscore', 'z', 'm')"),
    ]);
  });

  it("Redis → Lua: integers of any size, errors, empty, binary and large bulk strings, RESP3 null and verbatim", async () => {
    await run([
      ["SET", "empty", ""],
      ["SET", "bin", "a\r\nb\x00\xff"],
      ev("return {redis.call('incrby', 'n', -5), redis.call('decrby', 'n', 123456789012)}"),
      // Past 2^53: the reply's digits become the nearest double, as Redis's strtod-less cast gives.
      ev("return redis.call('incrby', 'big', '9007199254740993')"),
      ev("return tostring(redis.call('incrby', 'big', '-9223372036854775807'))"),
      ev("return redis.call('incrby', 'big', '9223372036854775807')"),
      ev("return redis.pcall('incrby', 'big', '9223372036854775807')"),
      ev("return redis.pcall('lpush', 'n', 'x')"),
      ev("local e = redis.pcall('lpush', 'n', 'x') return e.err"),
      ev("return {redis.call('get', 'empty'), #redis.call('get', 'empty')}"),
      ev("return {redis.call('get', 'bin'), #redis.call('get', 'bin')}"),
      ev("redis.call('set', 'long', string.rep('0123456789', 10)) return redis.call('get', 'long')"),
      ev(
        "redis.call('set', 'huge', string.rep('ab', 20000)) local v = redis.call('get', 'huge') return {#v, v:sub(-3)}",
      ),
      ev("redis.call('rpush', 'hl', string.rep('y', 9000), 'z') return redis.call('lrange', 'hl', 0, -1)"),
      ev("return {redis.call('set', 'k', 'v'), redis.call('type', 'k')}"),
      ev("redis.setresp(3) return {type(redis.call('hget', 'nokey', 'f')), redis.call('get', 'k')}"),
      ev("redis.setresp(3) local r = redis.call('info', 'keyspace') return r.verbatim_string.format"),
      ev(
        "redis.setresp(3) return {redis.call('zadd', 'z3', '-inf', 'a'), redis.call('zscore', 'z3', 'a').double}",
      ),
    ]);
  });

  it("KEYS and ARGV are the call's own whatever earlier scripts did to theirs", async () => {
    await run([
      ev("return {KEYS, ARGV}", ["a", "b", "c"], "x", "y"),
      ev("return {KEYS, ARGV, #KEYS, #ARGV}", ["d"]),
      ev("KEYS.extra = 1 ARGV[3] = 'z' return #KEYS", ["a", "b"], "p"),
      ev("return {KEYS.extra == nil, ARGV[3] == nil, KEYS, ARGV}", ["x"], "q"),
      ev("setmetatable(ARGV, {__index = function() return 'm' end}) return ARGV[5]"),
      ev("return {ARGV[5] == nil, #ARGV, getmetatable(ARGV) == nil}", [], "a"),
      ev("KEYS[1] = nil KEYS[2] = 'q' return 1", ["k"]),
      ev("local n = 0 for k in pairs(KEYS) do n = n + 1 end return {n, KEYS[1], KEYS[2] == nil}", ["z"]),
      ev("table.insert(KEYS, 'w') KEYS[1] = 'changed' return KEYS", ["k"]),
      ev("return {KEYS, #KEYS}", ["k"]),
    ]);
  });

  it("tables: clearing every key while iterating with pairs, then refilling", async () => {
    await run([
      ev(
        "local t = {} for i = 1, 10 do t[i] = i; t['k' .. i] = i end local n = 0 for k in pairs(t) do t[k] = nil; n = n + 1 end local empty = next(t) == nil t.x = 1 t[1] = 2 local m = 0 for _ in pairs(t) do m = m + 1 end return {n, empty, m}",
      ),
      ev("local t = {1, 2, 3} t[2] = nil local ok = pcall(next, t, 2) return {ok, t[3]}"),
      // Binary string keys: distinct byte strings are distinct keys ("\1\16" and "\17\0" included).
      ev(
        "local t = {} t['\\1\\16'] = 1 t[string.rep('\\255', 40)] = 2 return {t['\\17\\0'] == nil, t['\\1\\16'], t[string.rep('\\255', 40)], t[string.rep('\\255', 39)] == nil}",
      ),
      ev(
        "local t = {} for i = 0, 255 do t[string.char(i)] = i end local n = 0 for _ in pairs(t) do n = n + 1 end return {n, t['\\0'], t['\\255']}",
      ),
    ]);
  });

  it("Lua → Redis conversions in RESP2 and RESP3", async () => {
    const bodies = [
      "return {1, 'a', {2, nil, 3}, true, false, {ok='fine'}, 3.99, -3.99}",
      "return 1e20",
      "return -0.5",
      "return 0/0",
      "return nil",
      "return false",
      "return true",
      "return {}",
      "return {1, 2, nil, 4}",
      "return {ok='a\\r\\nb'}",
      "return {double=3.25}",
      "return {double='x'}",
      "return {big_number='123456789012345678901234567890'}",
      "return {map={a=1}}",
      "return {set={x=true}}",
      "return {verbatim_string={format='txt', string='hello'}}",
      "return {1, {err='nested'}, 3}",
      "redis.setresp(3) return true",
      "redis.setresp(3) return false",
      "redis.setresp(3) return {true, false}",
    ];
    for (const proto of [2, 3]) {
      await same(p.t, p.r, ["HELLO", proto], { shapeOnly: true });
      for (const b of bodies) await same(p.t, p.r, ev(b));
    }
    await same(p.t, p.r, ["HELLO", 2], { shapeOnly: true });
  });

  it("Lua 5.1 numbers and compat functions", async () => {
    await run([
      ev("return tostring(10/2) .. ' ' .. tostring(1e15) .. ' ' .. tostring(2^53) .. ' ' .. tostring(0.1)"),
      ev("return tostring(0.1 + 0.2) .. ' ' .. tostring(-0) .. ' ' .. 7 % 3 .. ' ' .. 2^0.5 .. ' ' .. 1/3"),
      ev("return 1000 * 3600 * 24 * 30"),
      ev("return {unpack({1, 2, 3})}"),
      ev("return table.getn({1, 2, 3}) + math.mod(7, 3) + math.pow(2, 3) + table.maxn({[7]=1})"),
      ev("return loadstring('return 1 + 1')()"),
      ev("local t = {} for w in string.gfind('a b c', '%a') do t[#t+1] = w end return t"),
      ev(
        "return string.format('%d %5.2f %x %s %q %g %e %o %c %5s|%-5s|%.2s', 3.7, 2.345, 255, 'a', 'b\"c', 0.1, 12345.678, 8, 65, 'r', 'l', 'abc')",
      ),
      ev(
        "return string.format('%d', 3000000000.7) .. string.format(' %.0f %.2f %.3g %G', 0.5, 0.125, 1e-10, 1e100)",
      ),
      ev(
        "return {math.floor(3.7), math.ceil(3.2), math.floor(-3.5), math.abs(-2), math.max(1, 5, 3), math.fmod(7, -3)}",
      ),
      ev("return tostring(math.huge) .. ' ' .. tostring(-math.huge) .. ' ' .. tostring(math.pi)"),
      ev("return {math.random(1000000), math.random(5, 10), tostring(math.random() < 1)}"),
      ev("math.randomseed(42) return {math.random(1000), math.random(1000)}"),
      ev("return tonumber('0x10') + tonumber('1e2') + tonumber('  5  ')"),
      ev("return {tonumber('abc'), tonumber('10', 2)}"),
      ev("return #'abc' .. #{1, 2, 3}"),
      ev("return select('#', 1, 2, 3)"),
      ev("return string.rep('ab', 3) .. string.sub('hello', 2, -2) .. string.upper('x')"),
      ev("return {string.byte('ABC', 1, 3)}"),
      ev("local t = {3, 1, 2} table.sort(t) return t"),
      ev("local t = {} table.insert(t, 'a') table.insert(t, 1, 'b') return table.concat(t, ',')"),
      ev("return type(coroutine.create(function() end))"),
      ev(
        "local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end) return {co(1), co(10)}",
      ),
      ev("return _VERSION"),
      ev("return tostring(nil) .. tostring(true)"),
      ev("return redis.REDIS_VERSION_NUM > 0x070000"),
      ev("return redis.sha1hex('abc')"),
      ev("return {ARGV[1], KEYS[1], #ARGV, #KEYS}", ["k1"], "a1", "a2"),
    ]);
  });

  it("numbers beyond 32 bits: hex numerals, tonumber with a base, inf and nan strings", async () => {
    await run([
      // BullMQ's addPrioritizedJob: a hex numeral of 2^32 scales the priority (fengari read it as 0).
      ev(
        "local score = 5 * 0x100000000 + redis.call('INCR', KEYS[2]) % 0x100000000 redis.call('ZADD', KEYS[1], score, 'job') return redis.call('ZSCORE', KEYS[1], 'job')",
        ["prio", "pc"],
      ),
      ev(
        "return {tostring(0xFFFFFFFF), tostring(0x80000000), tostring(0xffffffffffffffffff), tostring(0x10000000000001F), tostring(-0x100000000)}",
      ),
      ev(
        "return {tostring(tonumber(' -0x10 ')), tostring('0x100000000' + 1), tostring(tonumber('0x')), tostring(0x1p4), tostring(tonumber('0x1.8'))}",
      ),
      ev(
        "return {tostring(tonumber('0x10', 16)), tostring(tonumber('ffffffffff', 16)), tostring(tonumber('-ff', 16)), tostring(tonumber('ffffffffffffffffffff', 16)), tostring(tonumber(255, 16)), tostring(tonumber('10', 16.5)), tostring(tonumber(' 11 ', 2)), tostring(tonumber('zz', 36))}",
      ),
      ev(
        "return {tostring(tonumber('0x', 16)), tostring(tonumber('', 16)), tostring(tonumber('8', 8)), tostring(tonumber('12a', 10)), tostring(tonumber('-0', 16))}",
      ),
      ev("return tonumber('1', 1)"),
      ev("return tonumber({}, 16)"),
      // strtod reads inf/nan: an infinite ZSCORE converts to a number in Redis's Lua.
      ["ZADD", "z", "+inf", "top"],
      ev("return tostring(tonumber(redis.call('ZSCORE', KEYS[1], 'top')) > 1e308)", ["z"]),
      ev(
        "return {tostring(tonumber('inf')), tostring(tonumber('  -Infinity  ')), tostring(tonumber('NaN')), tostring(tonumber('nan(12)')), tostring('inf' + 1), tostring(tonumber('infx')), tostring(tonumber('1e400'))}",
      ),
    ]);
  });

  it("sandbox: globals, library tables, removed functions", async () => {
    await run([
      ev("x = 1"),
      ev("return y"),
      ev("string.x = 1 return 1"),
      ev("redis.call = nil return 1"),
      ev("rawset(_G, 'x', 1) return 1"),
      ev("_G.x = 1"),
      ev("ARGV = 1 return 1"),
      ev("KEYS[1] = 'x' return KEYS[1]", ["k"]),
      ev("local ok, e = pcall(function() x = 1 end) return e"),
      ev("local ok, e = pcall(function() return zz end) return e"),
      ev("return setmetatable({}, {__index = function() return 5 end}).x"),
      ev("return rawget(_G, 'redis') ~= nil"),
      ev("local n = 0 for k in pairs(string) do n = n + 1 end return n"),
      ev("local t = {} for k, v in pairs(_G) do t[#t + 1] = k .. ':' .. type(v) end table.sort(t) return t"),
      ...["string", "table", "math", "coroutine", "bit", "cjson", "cmsgpack", "struct", "redis"].map((lib) =>
        ev(
          `local t = {} for k, v in pairs(${lib}) do t[#t + 1] = k .. ':' .. type(v) end table.sort(t) return t`,
        ),
      ),
      ...[
        "os",
        "io",
        "print",
        "dofile",
        "loadfile",
        "require",
        "module",
        "setfenv",
        "getfenv",
        "debug",
        "newproxy",
        "utf8",
        "rawlen",
      ].map((g) => ev(`return type(${g})`)),
    ]);
  });

  it("cjson round trips and errors", async () => {
    await run([
      ev("return cjson.encode({1, 2, {a = 1}})"),
      ev(
        "return cjson.encode({'a/b', 'x\"y', '\\1\\127', 1.5, 1e20, 0.1, -0, {}, cjson.null, true, 123456789012345})",
      ),
      ev("return cjson.encode({[1] = 1, [3] = 3})"),
      ev("return cjson.encode({[1] = 1, [30] = 3})"),
      ev("return cjson.encode(function() end)"),
      ev("return cjson.encode({[true] = 1})"),
      ev("return cjson.encode(0/0)"),
      ev("return cjson.encode({a = {b = {c = 'd'}}})"),
      ev("return cjson.decode('[1,2')"),
      ev("return cjson.decode('{\"a\":}')"),
      ev("return cjson.decode('x')"),
      ev("return cjson.decode('')"),
      ev("return cjson.decode('[1,2] x')"),
      ev("return cjson.decode('\"\\\\x\"')"),
      ev(
        'return cjson.encode(cjson.decode(\'{"a":[1,2,{"b":null}],"u":"\\\\u00e9\\\\ud83d\\\\ude00","n":-1.5e3}\').a)',
      ),
      ev(
        'local t = cjson.decode(\'{"u":"\\\\u00e9\\\\ud83d\\\\ude00","n":-1.5e3,"t":true}\') return {t.u, tostring(t.n), tostring(t.t)}',
      ),
      ev("return cjson.decode('[null]')[1] == cjson.null"),
      ev("return cjson.decode(ARGV[1]).name", [], '{"name":"tandem","list":[1,2,3]}'),
    ]);
  });

  it("cmsgpack round trips and errors", async () => {
    await run([
      ev("return cmsgpack.pack({1, 2, 'abc'})"),
      ev(
        "return cmsgpack.pack(1.5, -1, -33, 300, 70000, 5000000000, -5000000000, 0.1, true, false, nil, string.rep('x', 40))",
      ),
      ev("return cmsgpack.pack({a = 1})"),
      ev("return cmsgpack.pack({})"),
      ev("return cmsgpack.pack(string.rep('y', 300), string.rep('z', 70000))"),
      ev("local a, b, c = cmsgpack.unpack(cmsgpack.pack(1, {1, 2, {x = 'y'}}, 's')) return {a, b[3].x, c}"),
      ev("return {cmsgpack.unpack(cmsgpack.pack(-5000000000, 5000000000, 0.1, -0.25, 127, 128, -32, -33))}"),
      ev("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}"),
      ev("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}"),
      ev("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}"),
      ev("return {cmsgpack.unpack_one(cmsgpack.pack(1), 1)}"),
      ev("return cmsgpack.unpack('\\193')"),
      ev("return cmsgpack.unpack('\\205\\1')"),
      ev("return cmsgpack.pack()"),
      ev(
        "local t = cmsgpack.unpack(cmsgpack.pack({name = 'job', data = {1, 2}, opts = {delay = 0}})) return {t.name, t.data[2], t.opts.delay}",
      ),
      ev(
        "return cmsgpack.unpack(ARGV[1])",
        [],
        Buffer.from([0x93, 0x01, 0xa1, 0x78, 0xc3]).toString("latin1"),
      ),
    ]);
  });

  it("bit and struct", async () => {
    await run([
      ev(
        "return {bit.tobit(1.5), bit.tobit(2.5), bit.tobit(2^32 + 5), bit.tohex(-1), bit.tohex(255, -4), bit.tohex(255, 2), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.bswap(0x12345678), bit.bnot(0), bit.band(7, 3, 1), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.tobit(-1.5)}",
      ),
      ev("return struct.pack('<i2>I3bB', -2, 65536 + 2, -1, 255)"),
      ev("return {struct.unpack('<i2>I3bB', struct.pack('<i2>I3bB', -2, 65536 + 2, -1, 255))}"),
      ev("return {struct.size('!4bi'), struct.pack('!4bi', 1, 2)}"),
      ev("return {struct.unpack('Bc0', struct.pack('Bc0', 3, 'abc'))}"),
      ev("return {struct.unpack('c0', struct.pack('Bc0', 3, 'abc'))}"),
      ev("return struct.pack('sd', 'hi', 1.5)"),
      ev("return {struct.unpack('sd', struct.pack('sd', 'hi', 1.5))}"),
      ev("return {struct.unpack('>hHlL', struct.pack('>hHlL', -300, 65000, -5000000000, 5000000000))}"),
      ev("return struct.unpack('i', 'ab')"),
      ev("return struct.pack('q', 1)"),
      ev("return {struct.unpack('>I2', 'abcd', 3)}"),
    ]);
  });

  it("commands inside scripts: SELECT stays in the script, blocking commands answer at once", async () => {
    await run([
      ev("redis.call('select', 5) redis.call('set', 'in5', 'x') return redis.call('get', 'in5')"),
      ["GET", "in5"],
      ["SELECT", 5],
      ["GET", "in5"],
      ["SELECT", 0],
      ev("return redis.call('blmpop', 0, 1, 'nolist', 'LEFT')"),
      ev("return redis.call('ping')"),
      ev("return redis.call('echo', 'hi')"),
      ev("redis.call('rpush', KEYS[1], 'a', 'b') return redis.call('lpop', KEYS[1])", ["q"]),
    ]);
  });
});
