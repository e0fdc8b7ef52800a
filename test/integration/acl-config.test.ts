import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type ServerProcess, startTandem } from "../helpers/processes.js";

/**
 * ACL users across restarts: CONFIG REWRITE writes the users as `user` lines (none when an aclfile is
 * used), ACL SAVE writes the aclfile, and a restart from either gives the same users. Start-up refuses an
 * aclfile with errors, and `user` lines together with an aclfile, as Redis does.
 */

const dir = mkdtempSync(join(tmpdir(), "acl-config-"));
const started: ServerProcess[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

async function start(configFile: string, args: string[] = []): Promise<ServerProcess> {
  const s = await startTandem({ configFile, args });
  started.push(s);
  return s;
}

describe("ACL users in the config file and the aclfile", () => {
  it("CONFIG REWRITE writes the users; a restart reads them back", async () => {
    const conf = join(dir, "rewrite.conf");
    writeFileSync(conf, "user default on nopass ~* &* +@all\nuser old on >oldpw ~old:* +get\n");
    const s1 = await start(conf);
    const c1 = await s1.client();
    assert.equal(
      await c1.text("ACL", "SETUSER", "new", "on", ">newpw", "~n:*", "+@hash", "(+get ~x)"),
      "+OK\r\n",
    );
    assert.equal(await c1.text("ACL", "DELUSER", "old"), ":1\r\n");
    assert.equal(await c1.text("CONFIG", "REWRITE"), "+OK\r\n");
    const before = String(await c1.call("ACL", "LIST"));
    const text = readFileSync(conf, "latin1");
    assert.doesNotMatch(text, /user old/);
    assert.match(
      text,
      /^user new on #[0-9a-f]{64} ~n:\* resetchannels -@all \+@hash \(~x resetchannels -@all \+get\)$/m,
    );
    assert.doesNotMatch(text, /newpw/);
    c1.close();
    await s1.stop();
    const s2 = await start(conf);
    const c2 = await s2.client();
    assert.equal(String(await c2.call("ACL", "LIST")), before);
    assert.equal(await c2.text("AUTH", "new", "newpw"), "+OK\r\n");
    c2.close();
  });

  it("ACL SAVE writes the aclfile; CONFIG REWRITE then leaves no user lines; a restart reads the file", async () => {
    const acl = join(dir, "users.acl");
    writeFileSync(acl, "user default on nopass ~* &* +@all\n");
    const conf = join(dir, "with-aclfile.conf");
    writeFileSync(conf, `aclfile ${acl}\n`);
    const s1 = await start(conf);
    const c1 = await s1.client();
    assert.equal(await c1.text("ACL", "SETUSER", "saved", "on", ">pw", "allkeys", "+@read"), "+OK\r\n");
    assert.equal(await c1.text("ACL", "SAVE"), "+OK\r\n");
    assert.equal(await c1.text("CONFIG", "REWRITE"), "+OK\r\n");
    assert.doesNotMatch(readFileSync(conf, "latin1"), /^user /m);
    assert.match(
      readFileSync(acl, "latin1"),
      /^user saved on #[0-9a-f]{64} ~\* resetchannels -@all \+@read$/m,
    );
    const before = String(await c1.call("ACL", "LIST"));
    c1.close();
    await s1.stop();
    const s2 = await start(conf);
    const c2 = await s2.client();
    assert.equal(String(await c2.call("ACL", "LIST")), before);
    c2.close();
  });

  it("start-up stops on aclfile errors, and on user lines with an aclfile", async () => {
    const acl = join(dir, "broken.acl");
    writeFileSync(acl, "user ok on nopass\nuser bad on +nosuch\nnonsense\n");
    const s = await startTandem({ args: ["--aclfile", acl], waitReady: false });
    started.push(s);
    assert.equal(await s.exited, 1);
    assert.match(
      s.output(),
      /Aborting Redis startup because of ACL errors: .*broken\.acl:2: Error in applying operation '\+nosuch': Unknown command or category name in ACL\. .*broken\.acl:3 should start with user keyword/,
    );
    const conf = join(dir, "both.conf");
    writeFileSync(conf, `aclfile ${join(dir, "users.acl")}\nuser x on nopass\n`);
    const s2 = await startTandem({ configFile: conf, waitReady: false });
    started.push(s2);
    assert.equal(await s2.exited, 1);
    assert.match(
      s2.output(),
      /users defined in redis\.conf and at the same setting an ACL file path is invalid/,
    );
  });
});
