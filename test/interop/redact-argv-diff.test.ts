import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RespValue } from "../../src/resp/resp-value.js";
import { REDACTED, redactedArgv } from "../../src/server/redact-argv.js";
import { NO_REDIS, type ServerProcess, startRedis } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * redactedArgv against Redis itself: each command runs on redis-server with every command slow-logged, and
 * the arguments SLOWLOG shows (where Redis put "(redacted)") must be what redactedArgv returns.
 */

const CASES: string[][] = [
  ["AUTH", "pw"],
  ["AUTH", "user", "pw"],
  ["auth", "a", "b", "c"],
  ["HELLO", "3", "AUTH", "user", "pw"],
  ["HELLO", "2", "SETNAME", "n", "AUTH", "default", "pw"],
  ["HELLO", "2", "SETNAME", "bad name", "AUTH", "default", "pw"],
  ["HELLO", "4", "AUTH", "default", "pw"],
  ["HELLO", "x", "AUTH", "default", "pw"],
  ["HELLO", "3", "BOGUS", "AUTH", "default", "pw"],
  ["HELLO", "3", "AUTH", "onlyuser"],
  ["ACL", "SETUSER", "someone", "on", ">pw", "~*", "+@all"],
  ["acl", "setuser", "other"],
  ["ACL", "GETUSER", "someone"],
  ["CONFIG", "SET", "masterauth", "mpw"],
  ["CONFIG", "SET", "maxclients", "100", "MASTERUSER", "u", "requirepass", ""],
  ["CONFIG", "SET", "nosuch", "x", "masterauth", "y"],
  ["CONFIG", "SET", "requirepass", "a", "extra"],
  ["CONFIG", "GET", "requirepass"],
  ["MIGRATE", "127.0.0.1", "1", "k", "0", "10", "COPY", "AUTH", "mpw"],
  ["MIGRATE", "127.0.0.1", "1", "", "0", "10", "AUTH2", "u", "mpw", "KEYS", "a", "b"],
  ["MIGRATE", "127.0.0.1", "1", "k", "0", "10", "AUTH"],
  ["MIGRATE", "127.0.0.1", "1", "k", "0", "10", "BOGUS", "AUTH", "mpw"],
  ["SET", "auth", "value"],
  ["ECHO", "AUTH"],
];

describe("redactedArgv: what Redis's SLOWLOG hides", { skip: NO_REDIS }, () => {
  let redis: ServerProcess;
  let c: RawClient;
  before(async () => {
    redis = await startRedis({ args: ["--slowlog-log-slower-than", "0", "--slowlog-max-len", "1000"] });
    c = await redis.client();
  });
  after(async () => {
    c?.close();
    await redis?.stop();
  });

  it("hides exactly the arguments Redis 7.0 hides", async () => {
    for (const argv of CASES) {
      await c.call("SLOWLOG", "RESET");
      await c.call(...argv);
      const log = (await c.call("SLOWLOG", "GET", "10")) as RespValue[][];
      const entry = log.find((e) => {
        const args = (e[3] as Buffer[]).map(String);
        return args[0] === argv[0];
      });
      assert.ok(entry, `no slowlog entry for ${JSON.stringify(argv)}`);
      const shown = (entry[3] as Buffer[]).map(String);
      assert.deepEqual(redactedArgv(argv), shown, JSON.stringify(argv));
      await c.call("CONFIG", "SET", "masterauth", "", "masteruser", "");
    }
  });

  it("returns the same array when there is nothing to hide", () => {
    const argv = ["SET", "k", "v"];
    assert.equal(redactedArgv(argv), argv);
    const short = ["AUTH"];
    assert.equal(redactedArgv(short), short);
    assert.deepEqual(redactedArgv(["AUTH", "x"]), ["AUTH", REDACTED]);
  });
});
