import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { LOG_REDACTION } from "../../src/server/logger.js";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import { type ProxyProcess, startProxy } from "../helpers/proxy-deployment.js";
import { waitLinkUp } from "../helpers/replication-helpers.js";

/**
 * Secrets stay out of what Tandem writes for people: the server's log (at debug level) after AUTH
 * failures, CONFIG SET requirepass, ACL SETUSER and a replica's AUTH to its master; the proxy's log, its
 * /status document, /metrics and status page, with every password proxy.yaml has. (CONFIG GET requirepass
 * returns the password, as Redis 7.0 does: that is an authenticated admin command, not a log.)
 */

const started: ServerProcess[] = [];
let proxy: ProxyProcess | null = null;
after(async () => {
  await proxy?.stop();
  await Promise.all(started.map((s) => s.stop()));
});

describe("secrets", () => {
  it("pino redaction censors secret fields of logged objects", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = pino({ redact: LOG_REDACTION }, sink);
    log.info({ requirepass: "s1", config: { masterauth: "s2", admin: { password: "s3" } } }, "x");
    log.info({ backendPassword: "s4", nested: { adminPassword: "s5", requirepass: "s6" } }, "y");
    const text = lines.join("");
    for (const s of ["s1", "s2", "s3", "s4", "s5", "s6"]) assert.doesNotMatch(text, new RegExp(`"${s}"`));
    assert.match(text, /\(redacted\)/);
  });

  it("the server's log never shows a password", async () => {
    const master = await startTandem({
      args: ["--requirepass", "srv-master-pw", "--loglevel", "debug", "--repl-diskless-sync-delay", "0"],
    });
    started.push(master);
    const replica = await startTandem({
      args: [
        "--replicaof",
        "127.0.0.1",
        String(master.port),
        "--masteruser",
        "default",
        "--masterauth",
        "srv-master-pw",
        "--requirepass",
        "srv-replica-pw",
        "--loglevel",
        "debug",
      ],
    });
    started.push(replica);
    const r = await replica.client();
    assert.equal(
      await r.text("AUTH", "srv-wrong-pw"),
      "-WRONGPASS invalid username-password pair or user is disabled.\r\n",
    );
    assert.equal(await r.text("AUTH", "srv-replica-pw"), "+OK\r\n");
    await waitLinkUp(r);
    assert.equal(await r.text("CONFIG", "SET", "requirepass", "srv-new-pw"), "+OK\r\n");
    assert.equal(await r.text("ACL", "SETUSER", "app", "on", ">srv-user-pw", "+@all", "~*"), "+OK\r\n");
    assert.match(await r.text("HELLO", "3", "AUTH", "app", "srv-bad-user-pw"), /^-WRONGPASS/);
    // As Redis 7.0: CONFIG GET answers the password to a client allowed to run it.
    assert.equal(
      await r.text("CONFIG", "GET", "requirepass"),
      "*2\r\n$11\r\nrequirepass\r\n$10\r\nsrv-new-pw\r\n",
    );
    r.close();
    await replica.stop();
    await master.stop();
    for (const s of [master, replica]) assert.doesNotMatch(s.output(), /srv-[a-z-]*pw/);
  });

  it("the proxy's log, /status, /metrics and status page never show a password", async () => {
    const backend = await startTandem({ args: ["--requirepass", "px-backend-pw"] });
    started.push(backend);
    proxy = await startProxy(
      [
        `master: 127.0.0.1:${backend.port}`,
        "log_level: debug",
        "requirepass: px-client-pw",
        "backend_password: px-backend-pw",
        "admin_password: px-admin-pw",
        "admin:",
        "  password: px-http-pw",
        "",
      ].join("\n"),
    );
    const c = await proxy.client();
    assert.match(await c.text("AUTH", "px-wrong-pw"), /^-WRONGPASS/);
    assert.equal(await c.text("AUTH", "px-client-pw"), "+OK\r\n");
    assert.equal(await c.text("SET", "k", "v"), "+OK\r\n");
    assert.equal(await c.text("GET", "k"), "$1\r\nv\r\n");
    c.close();
    const bodies: string[] = [];
    for (const path of ["/status", "/metrics", "/"]) {
      const res = await proxy.admin(path, "px-http-pw");
      assert.equal(res.status, 200, path);
      bodies.push(await res.text());
    }
    assert.equal((await proxy.admin("/status")).status, 401);
    await proxy.stop();
    for (const text of [...bodies, proxy.output()]) assert.doesNotMatch(text, /px-[a-z]*-pw/);
  });
});
