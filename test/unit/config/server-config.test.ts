import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../../../src/config/config-error.js";
import { rewriteConfigText } from "../../../src/config/config-rewrite.js";
import { ServerConfig } from "../../../src/config/server-config.js";

const DEBIAN_CONF = "/etc/redis/redis.conf";
const dir = mkdtempSync(join(tmpdir(), "tandem-config-test-"));

function confFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function loadError(text: string, args: string[] = []): ConfigError {
  const file = confFile("bad.conf", text);
  try {
    ServerConfig.load(file, args);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail("loaded a bad configuration");
}

describe("ServerConfig: redis.conf parsing", () => {
  it("reads the seed's directives and their replica*/slave* spellings", () => {
    const file = confFile(
      "seed.conf",
      [
        "port 6380",
        'pidfile "/tmp/x.pid"',
        "logfile ''",
        "dbfilename dump-6380.rdb",
        "appendfilename appendonly-6380.aof",
        "slaveof 127.0.0.1 6379",
        "slave-read-only no",
        "repl-backlog-size 2mb",
        "save 900 1",
        "save 300 10",
        "client-output-buffer-limit normal 10mb 5mb 30",
        "maxclients 50",
        "proto-max-bulk-len 1gb",
      ].join("\n"),
    );
    const c = ServerConfig.load(file);
    assert.equal(c.get("port"), "6380");
    assert.equal(c.get("pidfile"), "/tmp/x.pid");
    assert.equal(c.get("logfile"), "");
    assert.equal(c.get("replicaof"), "127.0.0.1 6379");
    assert.equal(c.get("slaveof"), "127.0.0.1 6379");
    assert.equal(c.get("replica-read-only"), "no");
    assert.equal(c.get("repl-backlog-size"), String(2 * 1024 * 1024));
    assert.equal(c.get("save"), "900 1 300 10");
    assert.equal(
      c.get("client-output-buffer-limit"),
      "normal 10485760 5242880 30 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    );
    assert.equal(c.get("maxclients"), "50");
    assert.equal(c.get("proto-max-bulk-len"), String(1024 ** 3));
  });

  it("lets command-line directives override the file", () => {
    const file = confFile("base.conf", "port 7000\nsave 900 1\n");
    const c = ServerConfig.load(file, ["--port", "7001", "--save", "", "--replicaof", "10.0.0.1", "6379"]);
    assert.equal(c.get("port"), "7001");
    assert.equal(c.get("save"), "");
    assert.equal(c.get("replicaof"), "10.0.0.1 6379");
  });

  it('splits the one argument of a multi-argument directive as Redis 7 does (--save "1 1")', () => {
    const c = ServerConfig.load(null, [
      "--save",
      "1 1",
      "--client-output-buffer-limit",
      "replica 1mb 512kb 10",
    ]);
    assert.equal(c.get("save"), "1 1");
    assert.equal(
      c.get("client-output-buffer-limit"),
      "normal 0 0 0 slave 1048576 524288 10 pubsub 33554432 8388608 60",
    );
    assert.equal(ServerConfig.load(null, ["--save", ""]).get("save"), "");
    assert.throws(() => ServerConfig.load(null, ["--save", "1 1 2"]), /Invalid save parameters/);
  });

  it("stops on an unknown directive naming file and line", () => {
    const e = loadError("port 7000\n\n# comment\nno-such-directive yes\n");
    assert.equal(
      e.message,
      `${join(dir, "bad.conf")}:4: Bad directive or wrong number of arguments: 'no-such-directive'`,
    );
  });

  it("stops on malformed values naming file and line, effective or not", () => {
    assert.match(
      loadError("port 70000\n").message,
      /bad\.conf:1: 'port 70000': argument must be between 0 and 65535/,
    );
    assert.match(loadError("port 1\nappendonly maybe\n").message, /bad\.conf:2: .*'yes' or 'no'/);
    assert.match(loadError("maxclients abc\n").message, /bad\.conf:1: /);
    assert.match(loadError("slaveof 127.0.0.1\n").message, /bad\.conf:1: /);
    assert.match(loadError("appendfsync sometimes\n").message, /bad\.conf:1: .*everysec, always, no/);
    assert.match(loadError("hash-max-listpack-entries lots\n").message, /bad\.conf:1: /);
    assert.match(loadError("maxmemory-policy forget-everything\n").message, /bad\.conf:1: /);
    assert.match(loadError('requirepass "unterminated\n').message, /bad\.conf:1: Unbalanced quotes/);
  });

  it("keeps directives without effect for CONFIG GET and lists them once", () => {
    const c = ServerConfig.load(
      confFile("noeffect.conf", "slave-lazy-flush yes\nio-threads 4\nhash-max-ziplist-entries 100\n"),
    );
    assert.equal(c.get("replica-lazy-flush"), "yes");
    assert.equal(c.get("io-threads"), "4");
    // An alias of a parameter Tandem acts on (OBJECT ENCODING and DUMP follow it) is not ignored.
    assert.equal(c.get("hash-max-listpack-entries"), "100");
    assert.deepEqual([...c.ignored].sort(), ["io-threads", "replica-lazy-flush"]);
  });

  it("loads Debian's stock redis.conf with paths and port overridden", {
    skip: !existsSync(DEBIAN_CONF) && "no stock redis.conf",
  }, () => {
    const c = ServerConfig.load(DEBIAN_CONF, [
      "--port",
      "0",
      "--dir",
      dir,
      "--pidfile",
      "",
      "--logfile",
      "",
      "--daemonize",
      "no",
    ]);
    assert.equal(c.get("port"), "0");
    assert.equal(c.get("daemonize"), "no");
    assert.equal(c.get("bind"), "127.0.0.1 -::1");
    assert.ok(c.ignored.has("jemalloc-bg-thread"));
  });
});

describe("ServerConfig: CONFIG SET", () => {
  it("validates all pairs before changing any and tells listeners", () => {
    const c = new ServerConfig();
    const seen: string[] = [];
    c.onChange("maxclients", (v) => seen.push(v));
    assert.equal(c.configSet([["maxclients", "20"]]), null);
    assert.equal(c.get("maxclients"), "20");
    assert.match(
      c.configSet([
        ["maxclients", "30"],
        ["appendonly", "maybe"],
      ]) ?? "",
      /possibly related to argument 'appendonly'/,
    );
    assert.equal(c.get("maxclients"), "20", "all or nothing");
    assert.match(c.configSet([["port", "1"]]) ?? "", /can't set immutable config/);
    assert.match(c.configSet([["nosuch", "1"]]) ?? "", /Unknown option/);
    assert.match(c.configSet([["io-threads", "x"]]) ?? "", /possibly related to argument 'io-threads'/);
    assert.deepEqual(seen, ["10000", "20"]);
  });

  it("runs each apply function once after setting; a failure restores every value (Redis's apply/rollback)", () => {
    const c = new ServerConfig();
    const applied: string[] = [];
    let refuse = false;
    c.setApplier("tls", () => {
      applied.push(`${c.get("tls-cert-file")}|${c.get("tls-protocols")}`);
      return refuse ? "Unable to update TLS configuration. Check server logs." : null;
    });
    assert.equal(
      c.configSet([
        ["tls-cert-file", "a.crt"],
        ["tls-protocols", "TLSv1.3"],
        ["maxclients", "50"],
      ]),
      null,
    );
    assert.deepEqual(applied, ["a.crt|TLSv1.3"], "once for both tls parameters");
    // A file name is volatile: setting it to the same value applies again (rereads the file) ...
    assert.equal(c.configSet([["tls-cert-file", "a.crt"]]), null);
    // ... a plain setting set to its current value does not.
    assert.equal(c.configSet([["tls-protocols", "TLSv1.3"]]), null);
    assert.deepEqual(applied, ["a.crt|TLSv1.3", "a.crt|TLSv1.3"]);
    refuse = true;
    assert.equal(
      c.configSet([
        ["maxclients", "60"],
        ["tls-protocols", "TLSv1.2"],
      ]),
      "ERR CONFIG SET failed (possibly related to argument 'tls-protocols') - Unable to update TLS configuration. Check server logs.",
    );
    assert.equal(c.get("tls-protocols"), "TLSv1.3");
    assert.equal(c.get("maxclients"), "50", "every parameter of the failed CONFIG SET is restored");
    assert.deepEqual(
      applied.slice(2),
      ["a.crt|TLSv1.2", "a.crt|TLSv1.3"],
      "tried, then re-applied with the old values",
    );
    assert.match(
      c.configSet([["tls-auth-clients", "sometimes"]]) ?? "",
      /must be one of the following: no, yes, optional/,
    );
    assert.match(c.configSet([["tls-port", "6390"]]) ?? "", /can't set immutable config/);
  });
});

describe("CONFIG REWRITE text", () => {
  it("updates changed lines in place, canonicalises aliases, appends new ones, keeps comments", () => {
    const old =
      "# my conf\nport 7000\nslave-read-only yes\n# keep me\nmaxclients 100\nmaxclients 200\nsave 900 1\n";
    const file = confFile("rw.conf", old);
    const c = ServerConfig.load(file);
    assert.equal(
      c.configSet([
        ["maxclients", "300"],
        ["replica-read-only", "no"],
        ["requirepass", "a b"],
        ["save", "60 5 30 2"],
      ]),
      null,
    );
    const text = rewriteConfigText(old, c, "/data");
    assert.equal(
      text,
      [
        "# my conf",
        "port 7000",
        "replica-read-only no",
        "# keep me",
        "maxclients 300",
        "save 60 5",
        "",
        "# Generated by CONFIG REWRITE",
        'dir "/data"',
        'requirepass "a b"',
        "save 30 2",
        "",
      ].join("\n"),
    );
    // A second rewrite of the result with nothing changed is stable, and reloads to the same values.
    const file2 = confFile("rw2.conf", text);
    const c2 = ServerConfig.load(file2);
    assert.equal(c2.get("requirepass"), "a b");
    assert.equal(c2.get("save"), "60 5 30 2");
    assert.equal(rewriteConfigText(text, c2, "/data"), text);
  });
});
