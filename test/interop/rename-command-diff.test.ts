import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { same } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * rename-command in the config file, against redis-server: a renamed command answers to its new name
 * only, "" disables it, ACL rules keep naming commands by their original names, and a rename of a command
 * that does not exist (or onto a name taken) stops start-up with the file and line.
 */

const dir = mkdtempSync(join(tmpdir(), "rename-command-"));

describe("rename-command: tandem vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    const conf = join(dir, "renamed.conf");
    writeFileSync(
      conf,
      [
        'rename-command flushall ""',
        "rename-command get fetch",
        "rename-command CONFIG cfg",
        "rename-command keys get", // the freed name can be taken
        "",
      ].join("\n"),
    );
    [tandem, redis] = await Promise.all([
      startTandem({ configFile: conf }),
      startRedis({ configFile: conf }),
    ]);
    [t, r] = await Promise.all([tandem.client(), redis.client()]);
  });
  after(async () => {
    t?.close();
    r?.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

  const both = (...args: string[]) => same(t, r, args);

  it("answers to the new names only", async () => {
    await both("SET", "k", "v");
    await both("FLUSHALL");
    await both("flushall", "ASYNC");
    await both("FETCH", "k");
    await both("fetch", "k");
    await both("GET", "*");
    await both("KEYS", "*");
    await both("CONFIG", "GET", "maxclients");
    await both("CFG", "GET", "maxclients");
    await both("cfg", "nosuch");
    await both("FETCH");
  });

  it("ACL rules name the original commands", async () => {
    await both("ACL", "SETUSER", "u", "on", "nopass", "+get", "+config|get", "~*");
    await both("ACL", "SETUSER", "u", "+fetch");
    await both("ACL", "SETUSER", "u", "+cfg");
    await both("ACL", "DRYRUN", "u", "fetch", "k");
    await both("ACL", "DRYRUN", "u", "get", "k");
    await both("AUTH", "u", "x");
    await both("FETCH", "k");
    await both("GET", "*");
    await both("CFG", "GET", "maxclients");
  });

  it("refuses a rename of an unknown command or onto a taken name, with file:line", async () => {
    const bad = join(dir, "bad.conf");
    for (const [line, reason] of [
      ["rename-command nosuchcommand x", "No such command in rename-command"],
      ["rename-command get set", "Target command name already exists"],
    ]) {
      writeFileSync(bad, `port 0\n${line}\n`);
      const s = await startTandem({ configFile: bad, waitReady: false });
      assert.equal(await s.exited, 1);
      assert.match(s.output(), new RegExp(`bad\\.conf:2: ${reason}`));
    }
  });
});
