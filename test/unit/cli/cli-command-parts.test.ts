import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCliOptions } from "../../../src/cli/cli-options.js";
import { historyFilePath, isSensitiveCommand } from "../../../src/cli/cli-repl.js";
import { commandHelp } from "../../../src/cli/command-help.js";

/** The parts of `tandem cli` that need no server: options, help from the command table, history rules. */

describe("tandem cli options", () => {
  it("reads options up to the first word that is not one", () => {
    const r = parseCliOptions([
      "-h",
      "10.0.0.1",
      "-p",
      "7000",
      "-a",
      "pw",
      "--user",
      "u",
      "-n",
      "2",
      "-3",
      "GET",
      "-x",
    ]);
    assert.ok(r.ok);
    assert.deepEqual(
      { ...r.options },
      {
        host: "10.0.0.1",
        port: 7000,
        password: "pw",
        user: "u",
        db: 2,
        output: null,
        resp3: true,
        errorExitCode: false,
        noAuthWarning: false,
        tls: null,
        command: ["GET", "-x"],
      },
    );
  });

  it("reads redis-cli's TLS options; they are used only with --tls", () => {
    const flags = [
      "--sni",
      "db.example",
      "--cacert",
      "ca.crt",
      "--cacertdir",
      "cas",
      "--cert",
      "c.crt",
      "--key",
      "c.key",
      "--insecure",
      "--tls-ciphers",
      "HIGH",
      "--tls-ciphersuites",
      "TLS_AES_128_GCM_SHA256",
    ];
    const r = parseCliOptions(["--tls", ...flags, "PING"]);
    assert.ok(r.ok);
    assert.deepEqual(r.options.tls, {
      sni: "db.example",
      cacert: "ca.crt",
      cacertdir: "cas",
      cert: "c.crt",
      key: "c.key",
      insecure: true,
      ciphers: "HIGH",
      ciphersuites: "TLS_AES_128_GCM_SHA256",
    });
    assert.deepEqual(r.options.command, ["PING"]);
    const plain = parseCliOptions([...flags, "PING"]);
    assert.ok(plain.ok);
    assert.equal(plain.options.tls, null);
    const missing = parseCliOptions(["--tls", "--cacert"]);
    assert.ok(!missing.ok);
    assert.equal(missing.stderr, "Unrecognized option or bad number of args for: '--cacert'\n");
  });

  it("the last of --raw / --no-raw wins; no command means the prompt", () => {
    const r = parseCliOptions(["--raw", "--no-raw"]);
    assert.ok(r.ok);
    assert.equal(r.options.output, "tty");
    assert.deepEqual(r.options.command, []);
  });

  it("rejects unknown options and options without their value as redis-cli does", () => {
    assert.deepEqual(parseCliOptions(["--bogus"]), {
      ok: false,
      exitCode: 1,
      stderr: "Unrecognized option or bad number of args for: '--bogus'\n",
    });
    const r = parseCliOptions(["-p"]);
    assert.ok(!r.ok);
    assert.equal(r.stderr, "Unrecognized option or bad number of args for: '-p'\n");
    const h = parseCliOptions(["-h"]);
    assert.ok(!h.ok && h.exitCode === 0 && h.stdout?.startsWith("Usage: tandem cli "));
    assert.ok(!parseCliOptions(["-2", "-3"]).ok);
  });
});

describe("tandem cli help", () => {
  it("help alone prints a short usage", () => {
    assert.match(commandHelp([]), /"help <command>"/);
  });

  it("help <command> shows arity, flags and keys from the command table", () => {
    assert.equal(
      commandHelp(["get"]),
      "\n  GET\n  arity: 2 (exactly 1 argument)\n  flags: readonly, fast\n  keys: first 1, last 1, step 1\n\n",
    );
    const set = commandHelp(["SET"]);
    assert.match(set, /arity: -3 \(at least 2 arguments\)/);
    assert.match(set, /flags: write, denyoom/);
    assert.match(commandHelp(["mset"]), /keys: first 1, last the last, step 2/);
    assert.match(commandHelp(["eval"]), /keys: found from the arguments/);
  });

  it("help <command> <subcommand>, and a list of subcommands", () => {
    assert.match(commandHelp(["config", "get"]), /^\n {2}CONFIG GET\n {2}arity: -3 \(at least 1 argument\)/);
    assert.match(commandHelp(["config"]), /subcommands: .*GET, .*SET/);
    assert.match(commandHelp(["nosuch"]), /^No help for 'nosuch'/);
    assert.match(commandHelp(["config", "nosuch"]), /no such subcommand/);
  });
});

describe("tandem cli history", () => {
  it("keeps password-carrying lines out, as redis-cli does", () => {
    for (const sensitive of [
      ["AUTH", "pw"],
      ["auth", "user", "pw"],
      ["ACL", "SETUSER", "u", ">pw"],
      ["config", "set", "requirepass", "x"],
      ["HELLO", "3", "AUTH", "u", "pw"],
      ["HELLO", "3", "SETNAME", "n", "AUTH", "u", "pw"],
      ["MIGRATE", "h", "6379", "", "0", "1000", "AUTH", "pw", "KEYS", "a"],
    ])
      assert.equal(isSensitiveCommand(sensitive), true, sensitive.join(" "));
    for (const plain of [
      ["GET", "auth"],
      ["config", "set", "maxmemory", "1"],
      ["HELLO", "3"],
      ["HELLO", "3", "SETNAME", "auth", "x", "y"],
      ["MIGRATE", "h", "6379", "", "0", "1000", "KEYS", "auth", "x"],
    ])
      assert.equal(isSensitiveCommand(plain), false, plain.join(" "));
  });

  it("lives in ~/.tandem_cli_history unless TANDEM_CLI_HISTFILE says otherwise", () => {
    assert.equal(historyFilePath({ HOME: "/home/x" }), "/home/x/.tandem_cli_history");
    assert.equal(historyFilePath({ HOME: "/home/x", TANDEM_CLI_HISTFILE: "/tmp/h" }), "/tmp/h");
    assert.equal(historyFilePath({ HOME: "/home/x", TANDEM_CLI_HISTFILE: "/dev/null" }), null);
  });
});
